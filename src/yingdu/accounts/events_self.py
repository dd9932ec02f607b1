"""Log entries of a user's own account: password change and reset, profile, recovery codes, two-factor renewal,
linked sign-in identities.

As in ``accounts.events``, a password hash, contact details and recovery codes appear only as salted commitments
(the user's own salt), so that an edit of any of them in the database is still named by the audit.
"""

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.actors import actor_ref
from yingdu.transparency.catalogue import Committed, Const, Derived, Field, Kind, Row, declare, not_audited
from yingdu.transparency.services import commitment, event_time

from .events import USER_COMMITTED, user_personal_commitment
from .models import LinkedIdentity, User

_PERSONAL = Committed("personal_commitment", USER_COMMITTED, salt_column="commitment_salt")
_PERSONAL_FIELD = Field(Kind.DIGEST, "commitment to login name, names, e-mail, phone and the (new) password hash")

PASSWORD_CHANGED = declare(
    "accounts.password_changed",
    doc="A user changed their password (giving the old one). The new hash appears only in the commitment; a "
        "generated password no longer needs changing.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "personal_commitment": _PERSONAL_FIELD},
    rows=[Row(User, key="user", action="update",
              columns={"personal": _PERSONAL, "must_change_password": Const(False)})],
)

PASSWORD_RESET = declare(
    "accounts.password_reset",
    doc="A user set a new password through a reset link sent to their e-mail address. The new hash appears only in "
        "the commitment; a generated password no longer needs changing.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "personal_commitment": _PERSONAL_FIELD},
    rows=[Row(User, key="user", action="update",
              columns={"personal": _PERSONAL, "must_change_password": Const(False)})],
)

PROFILE_UPDATED = declare(
    "accounts.profile_updated",
    doc="A user edited their display name, phone or e-mail address; the values appear only in the commitment.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "personal_commitment": _PERSONAL_FIELD},
    rows=[Row(User, key="user", action="update", columns={"personal": _PERSONAL})],
)

RECOVERY_DEVICE_NAME = "恢复码"

_TOKEN_ITEM = {"token": Field(Kind.INT, "token row id"),
               "token_commitment": Field(Kind.DIGEST, "commitment to the one-time code")}
_TOKEN_COMMITTED = Committed("token_commitment", {"token": "token"}, salt_model=User, salt_key="user")

RECOVERY_CODES_GENERATED = declare(
    "accounts.recovery_codes_generated",
    doc="A staff user generated one-time recovery codes (shown to them once); earlier codes are replaced. Each code "
        "appears only as a commitment.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "device": Field(Kind.INT, "the new static device"),
            "count": Field(Kind.INT, "how many codes"),
            "tokens": Field(Kind.ITEMS, "the codes' rows", items=_TOKEN_ITEM),
            "replaced_devices": Field(Kind.INTS, "earlier static devices removed"),
            "replaced_tokens": Field(Kind.INTS, "their unused codes, removed with them")},
    rows=[
        Row(StaticDevice, key="device", columns={"user_id": "user", "name": Const(RECOVERY_DEVICE_NAME),
                                                 "confirmed": Const(True)}),
        Row(StaticToken, key="token", each="tokens", columns={"device_id": "^device", "token": _TOKEN_COMMITTED}),
        Row(StaticDevice, key=Derived(lambda event, device: device), action="delete", each="replaced_devices"),
        Row(StaticToken, key=Derived(lambda event, token: token), action="delete", each="replaced_tokens"),
    ],
)

RECOVERY_CODE_USED = declare(
    "accounts.recovery_code_used",
    doc="A staff user passed the two-factor step with a recovery code, which is used up.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "device": Field(Kind.INT),
            "token": Field(Kind.INT, "the used code's row, removed"),
            "remaining": Field(Kind.INT, "codes left")},
    rows=[Row(StaticToken, key="token", action="delete")],
)

TWO_FACTOR_REENROLLED = declare(
    "accounts.two_factor_reenrolled",
    doc="A verified staff user replaced their authenticator, confirmed with a code from the new one; the old "
        "authenticators are removed.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "device": Field(Kind.INT, "the new TOTP device"),
            "removed": Field(Kind.INTS, "the old TOTP devices")},
    rows=[
        Row(TOTPDevice, key="device", action="update", columns={"confirmed": Const(True)}),
        Row(TOTPDevice, key=Derived(lambda event, device: device), action="delete", each="removed"),
    ],
)

TWO_FACTOR_RESET = declare(
    "accounts.two_factor_reset",
    doc="An admin removed another staff user's authenticators and recovery codes (lost device); the user enrols "
        "again at their next login.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "actor": Field(Kind.ACTOR, "the admin"),
            "totp_devices": Field(Kind.INTS), "static_devices": Field(Kind.INTS),
            "static_tokens": Field(Kind.INTS, "unused recovery codes removed with their devices")},
    rows=[
        Row(TOTPDevice, key=Derived(lambda event, device: device), action="delete", each="totp_devices"),
        Row(StaticDevice, key=Derived(lambda event, device: device), action="delete", each="static_devices"),
        Row(StaticToken, key=Derived(lambda event, token: token), action="delete", each="static_tokens"),
    ],
)

IDENTITY_LINKED = declare(
    "accounts.identity_linked",
    doc="A user linked an OpenID Connect identity (issuer and subject) to their account, after proving the account "
        "with its password or by registering it; that identity then signs in as the user. The subject appears only "
        "as a commitment (the user's salt).",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "identity": Field(Kind.INT, "linked identity row id"),
            "issuer": Field(Kind.STR, "the OpenID provider's issuer URL"),
            "subject_commitment": Field(Kind.DIGEST, "commitment to the subject (sub claim)"),
            "proof": Field(Kind.STR, "how the account was proven: password|registration")},
    rows=[Row(LinkedIdentity, key="identity", columns={
        "user_id": "user", "issuer": "issuer", "linked_at": "at",
        "subject": Committed("subject_commitment", {"subject": "subject"}, salt_model=User, salt_key="user"),
    })],
)

not_audited(StaticDevice, columns={
    "throttling_failure_timestamp": "throttling state updated at each failed code",
    "throttling_failure_count": "throttling state updated at each failed code",
    "created_at": "set by django-otp when the row is created; the entry's time is the generation time",
    "last_used_at": "updated at each code check",
})


def _personal(user: User) -> str:
    return user_personal_commitment(user)


def password_changed_event(user: User, *, now) -> dict:
    return PASSWORD_CHANGED.build(at=event_time(now), user=user.pk, personal_commitment=_personal(user))


def password_reset_event(user: User, *, now) -> dict:
    return PASSWORD_RESET.build(at=event_time(now), user=user.pk, personal_commitment=_personal(user))


def profile_updated_event(user: User, *, now) -> dict:
    return PROFILE_UPDATED.build(at=event_time(now), user=user.pk, personal_commitment=_personal(user))


def recovery_codes_generated_event(device: StaticDevice, tokens: list[StaticToken], *, replaced_devices: list[int],
                                   replaced_tokens: list[int], now) -> dict:
    salt = device.user.commitment_salt
    return RECOVERY_CODES_GENERATED.build(
        at=event_time(now), user=device.user_id, device=device.pk, count=len(tokens),
        tokens=[{"token": token.pk, "token_commitment": commitment(salt=salt, values={"token": token.token})}
                for token in tokens],
        replaced_devices=sorted(replaced_devices), replaced_tokens=sorted(replaced_tokens))


def recovery_code_used_event(token: StaticToken, *, user: User, remaining: int, now) -> dict:
    return RECOVERY_CODE_USED.build(at=event_time(now), user=user.pk, device=token.device_id, token=token.pk,
                                    remaining=remaining)


def two_factor_reenrolled_event(device: TOTPDevice, *, removed: list[int], now) -> dict:
    return TWO_FACTOR_REENROLLED.build(at=event_time(now), user=device.user_id, device=device.pk,
                                       removed=sorted(removed))


def two_factor_reset_event(user: User, *, actor, totp_devices: list[int], static_devices: list[int],
                           static_tokens: list[int], now) -> dict:
    return TWO_FACTOR_RESET.build(at=event_time(now), user=user.pk, actor=actor_ref(actor),
                                  totp_devices=sorted(totp_devices), static_devices=sorted(static_devices),
                                  static_tokens=sorted(static_tokens))


def identity_linked_event(identity: LinkedIdentity, *, proof: str, now) -> dict:
    return IDENTITY_LINKED.build(
        at=event_time(now), user=identity.user_id, identity=identity.pk, issuer=identity.issuer,
        subject_commitment=commitment(salt=identity.user.commitment_salt, values={"subject": identity.subject}),
        proof=proof)
