"""Log entries of accounts: logins, organisations, memberships, staff roles, two-factor devices.

Login names, contact details, password hashes and TOTP secrets never appear in an entry: each is covered by a salted
commitment (the user's own salt), so that an edit of any of them in the database is still detected by the audit.
"""

from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.actors import actor_ref
from yingdu.transparency.catalogue import Committed, Const, Derived, Field, Kind, Row, declare, not_audited
from yingdu.transparency.services import commitment, event_time

from .models import AccountStatusChange, Organisation, RoleGrant, User

# The columns of a user covered by the registration's commitment, by their key in the committed object.
USER_COMMITTED = {"username": "username", "email": "email", "display_name": "display_name", "phone": "phone",
                  "first_name": "first_name", "last_name": "last_name", "password": "password"}
# The login name's unique key and TR39 skeleton (accounts.identity), committed like the name they derive from.
IDENTITY_COMMITTED = {"username_key": "username_key", "username_skeleton": "username_skeleton"}
# Free-text reasons given by an admin (they may name people), committed with the concerned user's salt.
REASON_COMMITTED = {"reason": "reason"}

USER_REGISTERED = declare(
    "accounts.user_registered", version=3,
    doc="A login was created. Its name, contact details and password hash appear only as a salted commitment.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "user": Field(Kind.INT, "user id"),
        "is_active": Field(Kind.BOOL, "may sign in", since=2),
        "is_staff": Field(Kind.BOOL, "Django admin flag (never set by the platform)", since=2),
        "is_superuser": Field(Kind.BOOL, "Django superuser flag (never set by the platform)", since=2),
        "personal_commitment": Field(Kind.DIGEST, "commitment to login name, names, e-mail, phone, password hash",
                                     since=2),
        "identity_commitment": Field(Kind.DIGEST, "commitment to the login name's unique key and skeleton", since=3),
    },
    rows=[Row(User, key="user", columns={
        "date_joined": "at", "is_active": "is_active", "is_staff": "is_staff", "is_superuser": "is_superuser",
        "organisation_id": Const(None),
        "personal": Committed("personal_commitment", USER_COMMITTED, salt_column="commitment_salt"),
        "identity": Committed("identity_commitment", IDENTITY_COMMITTED, salt_column="commitment_salt"),
    })],
)

ORGANISATION_CREATED = declare(
    "accounts.organisation_created",
    doc="An organisation (an enterprise's or a provider's) was created.",
    fields={"at": Field(Kind.TIME), "organisation": Field(Kind.INT), "kind": Field(Kind.STR, "enterprise|provider"),
            "name": Field(Kind.STR)},
    rows=[Row(Organisation, key="organisation", columns={"kind": "kind", "name": "name", "created_at": "at"})],
)

MEMBER_ADDED = declare(
    "accounts.member_added",
    doc="A user became a member of an organisation (a user belongs to at most one).",
    fields={"at": Field(Kind.TIME), "organisation": Field(Kind.INT), "user": Field(Kind.INT)},
    rows=[Row(User, key="user", action="update", columns={"organisation_id": "organisation"})],
)

ROLE_GRANTED = declare(
    "accounts.role_granted", version=3,
    doc="A staff role was granted. The admin's reason appears only as a commitment (the user's salt).",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "role": Field(Kind.STR),
            "actor": Field(Kind.ACTOR, "the admin who granted it, or system"),
            "grant": Field(Kind.INT, "role grant id", since=2),
            "reason_commitment": Field(Kind.DIGEST, "commitment to the reason given", since=3)},
    rows=[Row(RoleGrant, key="grant", columns={
        "user_id": "user", "role": "role", "granted_at": "at", "granted_by_id": "actor", "revoked_at": Const(None),
        "revoked_by_id": Const(None), "revoke_reason": Const(""),
        "grant_reason": Committed("reason_commitment", {"reason": "grant_reason"}, salt_model=User, salt_key="user"),
    })],
)


def _revoked_by(event) -> int | None:
    """Who revoked: recorded in the grant row from version 2 on (version 1 entries left the column empty)."""
    return event["actor"] if "reason_commitment" in event else None


ROLE_REVOKED = declare(
    "accounts.role_revoked", version=2,
    doc="A staff role was revoked; the grant stays as history. The admin's reason appears only as a commitment.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "role": Field(Kind.STR), "actor": Field(Kind.ACTOR),
            "grant": Field(Kind.INT),
            "reason_commitment": Field(Kind.DIGEST, "commitment to the reason given (the user's salt)", since=2)},
    rows=[Row(RoleGrant, key="grant", action="update", columns={
        "revoked_at": "at", "revoked_by_id": Derived(_revoked_by, "the actor, from version 2"),
        "revoke_reason": Committed("reason_commitment", {"reason": "revoke_reason"}, salt_model=User,
                                   salt_key="user"),
    })],
)


def _status_change_type(name: str, *, is_active: bool, doc: str):
    return declare(
        name, doc=doc,
        fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "actor": Field(Kind.ACTOR, "the admin"),
                "change": Field(Kind.INT, "account status change id"),
                "reason_commitment": Field(Kind.DIGEST, "commitment to the reason given (the user's salt)")},
        rows=[
            Row(User, key="user", action="update", columns={"is_active": Const(is_active)}),
            Row(AccountStatusChange, key="change", columns={
                "user_id": "user", "is_active": Const(is_active), "at": "at", "actor_id": "actor",
                "reason": Committed("reason_commitment", REASON_COMMITTED, salt_model=User, salt_key="user")}),
        ],
    )


USER_DEACTIVATED = _status_change_type(
    "accounts.user_deactivated", is_active=False,
    doc="An admin deactivated a login: it can no longer sign in and its sessions were ended.")
USER_REACTIVATED = _status_change_type(
    "accounts.user_reactivated", is_active=True,
    doc="An admin reactivated a deactivated login.")

# A TOTP device's secret and settings, committed with the user's salt.
DEVICE_COMMITTED = {"key": "key", "digits": "digits", "step": "step", "t0": "t0", "name": "name"}

TWO_FACTOR_STARTED = declare(
    "accounts.two_factor_started",
    doc="A user began enrolling an authenticator (an unconfirmed TOTP device); earlier unconfirmed ones are "
        "removed. The secret appears only as a commitment.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "device": Field(Kind.INT),
            "replaced": Field(Kind.INTS, "unconfirmed devices removed"),
            "device_commitment": Field(Kind.DIGEST, "commitment to the secret key, digits, step, t0, name")},
    rows=[
        Row(TOTPDevice, key="device", columns={
            "user_id": "user", "confirmed": Const(False),
            "device": Committed("device_commitment", DEVICE_COMMITTED, salt_model=User, salt_key="user")}),
        Row(TOTPDevice, key=Derived(lambda event, device: device), action="delete", each="replaced"),
    ],
)

TWO_FACTOR_ENROLLED = declare(
    "accounts.two_factor_enrolled", version=2,
    doc="A user confirmed the authenticator they began enrolling, with a first code.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "device": Field(Kind.INT, since=2)},
    rows=[Row(TOTPDevice, key="device", action="update", columns={"confirmed": Const(True)})],
)

TWO_FACTOR_ISSUED = declare(
    "accounts.two_factor_issued",
    doc="The operator's shell created a confirmed authenticator for a user (demo and first-admin set-up).",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "device": Field(Kind.INT), "actor": Field(Kind.ACTOR),
            "device_commitment": Field(Kind.DIGEST, "commitment to the secret key, digits, step, t0, name")},
    rows=[Row(TOTPDevice, key="device", columns={
        "user_id": "user", "confirmed": Const(True),
        "device": Committed("device_commitment", DEVICE_COMMITTED, salt_model=User, salt_key="user")})],
)

not_audited(User, columns={
    "last_login": "set by Django at every sign-in; sign-ins are in the access log, not the transparency log",
})
not_audited(TOTPDevice, columns={
    "tolerance": "verification setting left at django-otp's default",
    "drift": "clock drift learned at each code check",
    "last_t": "replay guard updated at each code check",
    "throttling_failure_timestamp": "throttling state updated at each failed code",
    "throttling_failure_count": "throttling state updated at each failed code",
    "created_at": "set by django-otp when the row is created; the entry's time is the enrolment time",
    "last_used_at": "updated at each code check",
})


def user_personal_commitment(user: User) -> str:
    return commitment(salt=user.commitment_salt, values={key: getattr(user, column)
                                                         for key, column in USER_COMMITTED.items()})


def device_commitment(device: TOTPDevice) -> str:
    return commitment(salt=device.user.commitment_salt, values={key: getattr(device, column)
                                                                for key, column in DEVICE_COMMITTED.items()})


def user_identity_commitment(user: User) -> str:
    return commitment(salt=user.commitment_salt, values={key: getattr(user, column)
                                                         for key, column in IDENTITY_COMMITTED.items()})


def _reason_commitment(user: User, reason: str) -> str:
    return commitment(salt=user.commitment_salt, values={"reason": reason})


def user_registered_event(user: User, *, now) -> dict:
    return USER_REGISTERED.build(at=event_time(now), user=user.pk, is_active=user.is_active, is_staff=user.is_staff,
                                 is_superuser=user.is_superuser, personal_commitment=user_personal_commitment(user),
                                 identity_commitment=user_identity_commitment(user))


def organisation_created_event(organisation: Organisation) -> dict:
    return ORGANISATION_CREATED.build(at=event_time(organisation.created_at), organisation=organisation.pk,
                                      kind=str(organisation.kind), name=organisation.name)


def member_added_event(*, organisation: Organisation, user: User, now) -> dict:
    return MEMBER_ADDED.build(at=event_time(now), organisation=organisation.pk, user=user.pk)


def role_granted_event(grant: RoleGrant, *, actor) -> dict:
    return ROLE_GRANTED.build(at=event_time(grant.granted_at), user=grant.user_id, role=str(grant.role),
                              actor=actor_ref(actor), grant=grant.pk,
                              reason_commitment=_reason_commitment(grant.user, grant.grant_reason))


def role_revoked_event(grant: RoleGrant, *, actor) -> dict:
    return ROLE_REVOKED.build(at=event_time(grant.revoked_at), user=grant.user_id, role=str(grant.role),
                              actor=actor_ref(actor), grant=grant.pk,
                              reason_commitment=_reason_commitment(grant.user, grant.revoke_reason))


def user_status_changed_event(change: AccountStatusChange, *, actor) -> dict:
    declared = USER_REACTIVATED if change.is_active else USER_DEACTIVATED
    return declared.build(at=event_time(change.at), user=change.user_id, actor=actor_ref(actor), change=change.pk,
                          reason_commitment=_reason_commitment(change.user, change.reason))


def two_factor_started_event(device: TOTPDevice, *, replaced: list[int], now) -> dict:
    return TWO_FACTOR_STARTED.build(at=event_time(now), user=device.user_id, device=device.pk,
                                    replaced=sorted(replaced), device_commitment=device_commitment(device))


def two_factor_enrolled_event(device: TOTPDevice, *, now) -> dict:
    return TWO_FACTOR_ENROLLED.build(at=event_time(now), user=device.user_id, device=device.pk)


def two_factor_issued_event(device: TOTPDevice, *, actor, now) -> dict:
    return TWO_FACTOR_ISSUED.build(at=event_time(now), user=device.user_id, device=device.pk, actor=actor_ref(actor),
                                   device_commitment=device_commitment(device))
