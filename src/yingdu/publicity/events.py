"""Log entries of the public 公示 of awards: each objection the public submits, and its decision by a reviewer.

The objector's contact and text are personal data and free text, so the entry holds only a commitment to them,
salted with the objection row's own salt. The statistics snapshots are a derived cache and write no entry.
"""

from yingdu.actors import actor_ref
from yingdu.transparency.catalogue import Committed, Const, Field, Kind, Row, declare, not_audited
from yingdu.transparency.services import commitment, event_time

from .models import PublicityObjection, StatisticsSnapshot

OBJECTION_COMMITTED = {"contact": "contact", "content": "content"}

OBJECTION_SUBMITTED = declare(
    "publicity.objection_submitted",
    doc="Someone (no account needed) objected to an award during its 公示; contact and text only as a commitment.",
    fields={"at": Field(Kind.TIME, "when"), "objection": Field(Kind.INT, "objection id"),
            "application": Field(Kind.INT, "the approved application whose award is objected to"),
            "objection_commitment": Field(Kind.DIGEST, "commitment to the contact and the text (the row's salt)")},
    rows=[Row(PublicityObjection, key="objection", columns={
        "application_id": "application", "submitted_at": "at",
        "objection": Committed("objection_commitment", OBJECTION_COMMITTED, salt_column="commitment_salt"),
        "decision": Const(""), "decision_reason": Const(""), "decided_by_id": Const(None),
        "decided_at": Const(None)})],
)

DECISION_COMMITTED = {"decision_reason": "decision_reason"}

OBJECTION_DECIDED = declare(
    "publicity.objection_decided",
    doc="A reviewer who neither reviewed nor approved the case decided an objection to a proposed award: upheld "
        "(the applications.publicity_return entry follows: the award is withdrawn, back to review) or dismissed "
        "(the award proceeds to issuance when its 公示 ends). The reason only as a commitment.",
    fields={"at": Field(Kind.TIME, "when"), "objection": Field(Kind.INT, "objection id"),
            "application": Field(Kind.INT, "the application whose proposed award was objected to"),
            "decision": Field(Kind.STR, "upheld|dismissed"),
            "actor": Field(Kind.ACTOR, "the reviewer who decided"),
            "reason_commitment": Field(Kind.DIGEST, "commitment to the reason (the objection row's salt)")},
    rows=[Row(PublicityObjection, key="objection", action="update", columns={
        "decision": "decision", "decided_by_id": "actor", "decided_at": "at",
        "decision_reason": Committed("reason_commitment", DECISION_COMMITTED, salt_column="commitment_salt")})],
)

not_audited(StatisticsSnapshot, reason="public programme figures computed by grouped SQL over the audited "
                                       "applications, works and redemptions at a signed checkpoint; a derived cache "
                                       "that statistics_snapshot_take recomputes")


def objection_submitted_event(objection: PublicityObjection, *, now) -> dict:
    return OBJECTION_SUBMITTED.build(
        at=event_time(now), objection=objection.pk, application=objection.application_id,
        objection_commitment=commitment(salt=objection.commitment_salt,
                                        values={"contact": objection.contact, "content": objection.content}))


def objection_decided_event(objection: PublicityObjection, *, now) -> dict:
    return OBJECTION_DECIDED.build(
        at=event_time(now), objection=objection.pk, application=objection.application_id,
        decision=str(objection.decision), actor=actor_ref(objection.decided_by),
        reason_commitment=commitment(salt=objection.commitment_salt,
                                     values={"decision_reason": objection.decision_reason}))
