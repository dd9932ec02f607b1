"""Log entries of the public 公示 of awards: each objection the public submits.

The objector's contact and text are personal data and free text, so the entry holds only a commitment to them,
salted with the objection row's own salt. The statistics snapshots are a derived cache and write no entry.
"""

from yingdu.transparency.catalogue import Committed, Field, Kind, Row, declare, not_audited
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
        "objection": Committed("objection_commitment", OBJECTION_COMMITTED, salt_column="commitment_salt")})],
)

not_audited(StatisticsSnapshot, reason="public programme figures computed by grouped SQL over the audited "
                                       "applications, works and redemptions at a signed checkpoint; a derived cache "
                                       "that statistics_snapshot_take recomputes")


def objection_submitted_event(objection: PublicityObjection, *, now) -> dict:
    return OBJECTION_SUBMITTED.build(
        at=event_time(now), objection=objection.pk, application=objection.application_id,
        objection_commitment=commitment(salt=objection.commitment_salt,
                                        values={"contact": objection.contact, "content": objection.content}))
