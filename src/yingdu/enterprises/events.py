"""Log entries of the enterprise registry: enough to recompute each row, with personal data only as commitments.

Names of people, the contact phone, the licence's file name and the reasons given for transitions never appear in an
entry: each is covered by a salted commitment (the enterprise's own salt, ``Enterprise.commitment_salt``).
"""

from django.utils import timezone

from yingdu.actors import actor_ref
from yingdu.transparency.catalogue import Committed, Const, Derived, EventType, Field, Kind, Row, declare
from yingdu.transparency.services import commitment, event_time

from .models import Enterprise, EnterpriseStateChange
from .workflow import TRANSITIONS, EnterpriseAction

PERSONAL_FIELDS = ("legal_representative", "contact_name", "contact_phone")
# The columns covered by each commitment, by their key in the committed object.
PERSONAL_COMMITTED = {name: name for name in PERSONAL_FIELDS}
LICENCE_FILENAME_COMMITTED = {"licence_filename": "licence_filename"}
REASON_COMMITTED = {"reason": "reason"}

REGISTERED = declare(
    "enterprises.register", version=2,
    doc="An enterprise was registered (pending verification) with its business licence; its people's names, "
        "phone and the licence's file name appear only as salted commitments.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "enterprise": Field(Kind.INT, "enterprise id"),
        "change": Field(Kind.INT, "id of the state change recording the registration"),
        "state": Field(Kind.STR, "the state it starts in (pending)"),
        "organisation": Field(Kind.INT, "the enterprise's organisation id"),
        "name": Field(Kind.STR, "enterprise name"),
        "uscc": Field(Kind.STR, "unified social credit code"),
        "registered_address": Field(Kind.STR),
        "licence_sha256": Field(Kind.DIGEST, "SHA-256 of the uploaded business licence file"),
        "registered_by": Field(Kind.INT, "the user who registered it"),
        "personal_commitment": Field(Kind.DIGEST, "commitment to legal representative, contact name, contact phone"),
        "licence_content_type": Field(Kind.STR, "MIME type of the licence file", since=2),
        "licence_size": Field(Kind.INT, "size of the licence file in bytes", since=2),
        "licence_filename_commitment": Field(Kind.DIGEST, "commitment to the licence file's name", since=2),
    },
    rows=[
        Row(Enterprise, key="enterprise", columns={
            "organisation_id": "organisation", "name": "name", "uscc": "uscc",
            "registered_address": "registered_address", "licence_sha256": "licence_sha256",
            "licence_content_type": "licence_content_type", "licence_size": "licence_size",
            "licence_filename": Committed("licence_filename_commitment", LICENCE_FILENAME_COMMITTED,
                                          salt_column="commitment_salt"),
            "state": "state", "registered_at": "at", "registered_by_id": "registered_by",
            "personal": Committed("personal_commitment", PERSONAL_COMMITTED, salt_column="commitment_salt"),
        }),
        Row(EnterpriseStateChange, key="change", columns={
            "enterprise_id": "enterprise", "action": Const(EnterpriseAction.REGISTER.value),
            "from_state": Const(""), "to_state": "state", "actor_id": "registered_by", "at": "at",
            "effective_on": Derived(lambda event: timezone.localdate(event["at"]),
                                    "the Beijing date of the registration"),
            "reason": Const(""),
        }),
    ],
)


def _declare_transition(action: EnterpriseAction) -> EventType:
    transition = TRANSITIONS[action]
    return declare(
        f"enterprises.{action.value}",
        doc=f"An enterprise's state changed by the '{action.value}' transition "
            f"({' or '.join(sorted(transition.sources))} → {transition.target}); the reason appears only as a "
            "salted commitment.",
        fields={
            "at": Field(Kind.TIME, "when"),
            "enterprise": Field(Kind.INT, "enterprise id"),
            "change": Field(Kind.INT, "id of the state change row"),
            "from_state": Field(Kind.STR, "state before: pending|verified|rejected|disqualified"),
            "to_state": Field(Kind.STR, "state after"),
            "actor": Field(Kind.ACTOR, "the user who acted (always a person)"),
            "effective_on": Field(Kind.DATE, "the date the change takes effect from"),
            "reason_commitment": Field(Kind.DIGEST, "commitment to the reason given (the enterprise's salt)"),
        },
        rows=[
            Row(EnterpriseStateChange, key="change", columns={
                "enterprise_id": "enterprise", "action": Const(action.value), "from_state": "from_state",
                "to_state": "to_state", "actor_id": "actor", "at": "at", "effective_on": "effective_on",
                "reason": Committed("reason_commitment", REASON_COMMITTED, salt_model=Enterprise,
                                    salt_key="enterprise"),
            }),
            Row(Enterprise, key="enterprise", action="update", columns={"state": "to_state"}),
        ],
    )


# One entry type per transition of the workflow: enterprises.verify, enterprises.reject, ...
TRANSITIONED: dict[EnterpriseAction, EventType] = {action: _declare_transition(action) for action in TRANSITIONS}


def _committed(enterprise: Enterprise, columns: dict[str, str], source) -> str:
    return commitment(salt=enterprise.commitment_salt,
                      values={key: getattr(source, column) for key, column in columns.items()})


def enterprise_registered_event(enterprise: Enterprise, change: EnterpriseStateChange) -> dict:
    """enterprises.register: the registry row as registered, and its first state change."""
    return REGISTERED.build(
        at=event_time(enterprise.registered_at), enterprise=enterprise.pk, change=change.pk,
        state=str(change.to_state), organisation=enterprise.organisation_id, name=enterprise.name,
        uscc=enterprise.uscc, registered_address=enterprise.registered_address,
        licence_sha256=enterprise.licence_sha256, registered_by=enterprise.registered_by_id,
        personal_commitment=_committed(enterprise, PERSONAL_COMMITTED, enterprise),
        licence_content_type=enterprise.licence_content_type, licence_size=enterprise.licence_size,
        licence_filename_commitment=_committed(enterprise, LICENCE_FILENAME_COMMITTED, enterprise),
    )


def state_change_event(action: EnterpriseAction, change: EnterpriseStateChange, *, actor) -> dict:
    """enterprises.<action>: one state transition; the free-text reason as a salted commitment."""
    return TRANSITIONED[action].build(
        at=event_time(change.at), enterprise=change.enterprise_id, change=change.pk,
        from_state=str(change.from_state), to_state=str(change.to_state), actor=actor_ref(actor),
        effective_on=change.effective_on.isoformat(),
        reason_commitment=_committed(change.enterprise, REASON_COMMITTED, change),
    )
