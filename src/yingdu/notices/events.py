"""Log entries of data notices and objections: issue, deferral, delivery, deadline recomputation, filing, decision.

Every row of the notices tables is recomputed from these entries; a notice's frozen record list (the log indexes of
its usage records) by the usage projection (``yingdu.audits.projections.metering``). Free text typed by people (an
objection's explanation, a reviewer's reason, evidence file names) appears only as a salted commitment with the
enterprise's salt; evidence files themselves by their SHA-256.
"""

import base64
from datetime import datetime

from yingdu.actors import actor_ref
from yingdu.documents.entries import document_fields, document_row, document_values
from yingdu.documents.models import DocumentKind, IssuedDocument
from yingdu.enterprises.models import Enterprise
from yingdu.transparency.catalogue import Committed, Const, Derived, Field, Kind, Row, declare
from yingdu.transparency.services import commitment, event_time

from .models import (
    ClaimStatus,
    DataNotice,
    Objection,
    ObjectionClaim,
    ObjectionEvidence,
    ObjectionStatus,
    PendingNotice,
)

# The projection (yingdu.audits.projections) that recomputes each notice's record list.
USAGE_PROJECTION = "usage"

OBJECTION_COMMITTED = {"explanation": "explanation"}
DECISION_COMMITTED = {"reason": "decision_reason"}
CLAIM_DECISION_COMMITTED = {"reason": "decision_reason"}
EVIDENCE_COMMITTED = {"filename": "filename"}


def _committed(digest: str, columns: dict[str, str]) -> Committed:
    return Committed(digest, columns, salt_model=Enterprise, salt_key="enterprise")


NOTICE_ISSUED = declare(
    "notices.issued", version=4,
    doc="A usage statement (数据告知书) for a work and period was issued from a signed checkpoint; a supplementary "
        "one (补充告知书) lists only the records that came to count after the notice it supplements.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "notice": Field(Kind.INT, "notice id"),
        "enterprise": Field(Kind.INT, "enterprise id"),
        "work": Field(Kind.INT, "work id"),
        "period_start_on": Field(Kind.DATE, "first day of the period"),
        "period_end_on": Field(Kind.DATE, "last day of the period"),
        "record_count": Field(Kind.INT, "number of usage records"),
        "cost_microfen": Field(Kind.INT, "their cost, millionths of a fen"),
        "records_sha256": Field(Kind.DIGEST, "SHA-256 of the RFC 8785 JSON array of the records' log indexes"),
        "quantities": Field(Kind.ITEMS, "totals by provider and SKU", items={
            "provider": Field(Kind.STR, "the provider's name"), "sku": Field(Kind.STR),
            "quantity": Field(Kind.DECIMAL), "cost_microfen": Field(Kind.INT)}),
        "checkpoint_tree_size": Field(Kind.INT, "size of the signed checkpoint the records are drawn from"),
        "checkpoint_root_hash": Field(Kind.STR, "its root hash, base64"),
        "actor": Field(Kind.ACTOR, "the staff member who issued it, or system"),
        "records": Field(Kind.INTS, "the log indexes of its usage records, ascending", since=2),
        "supplements": Field(Kind.INT, "the notice this one supplements, or null", null=True, since=3),
        **document_fields(since=4),
    },
    rows=[document_row(DocumentKind.DATA_NOTICE, subject="notice"), Row(DataNotice, key="notice", columns={
        "enterprise_id": "enterprise", "work_id": "work", "period_start_on": "period_start_on",
        "period_end_on": "period_end_on", "record_count": "record_count", "cost_microfen": "cost_microfen",
        "records_sha256": "records_sha256", "checkpoint_tree_size": "checkpoint_tree_size",
        "checkpoint_root_hash": Derived(lambda event: base64.b64decode(event["checkpoint_root_hash"]),
                                        "`checkpoint_root_hash` decoded from base64"),
        "issued_at": "at", "issued_by_id": "actor",
        "supplements_id": Derived(lambda event: event.get("supplements"), "`supplements`, null before version 3"),
        "delivered_at": Const(None), "delivered_via": Const(""), "objection_window_working_days": Const(None),
        "objection_policy_version": Const(""), "objection_deadline_on": Const(None),
        "objection_deadline_provisional": Const(False),
    })],
    projection=USAGE_PROJECTION,
)

NOTICE_DELIVERED = declare(
    "notices.delivered",
    doc="A notice was delivered (first e-mail sent, or first shown to a member), which sets its objection deadline.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "notice": Field(Kind.INT, "notice id"),
        "channel": Field(Kind.STR, "email|in_app"),
        "delivered_at": Field(Kind.TIME, "when it was delivered"),
        "objection_window_working_days": Field(Kind.INT, "the objection window, working days after delivery"),
        "policy_version": Field(Kind.STR, "the policy version the window comes from"),
        "objection_deadline_on": Field(Kind.DATE, "last day to object"),
        "objection_deadline_provisional": Field(Kind.BOOL, "the deadline rests on a provisional calendar year"),
        "viewer": Field(Kind.INT, "the member it was shown to (in-app delivery)", null=True),
    },
    rows=[Row(DataNotice, key="notice", action="update", columns={
        "delivered_at": "delivered_at", "delivered_via": "channel",
        "objection_window_working_days": "objection_window_working_days",
        "objection_policy_version": "policy_version", "objection_deadline_on": "objection_deadline_on",
        "objection_deadline_provisional": "objection_deadline_provisional",
    })],
)

NOTICE_DEADLINE_RECOMPUTED = declare(
    "notices.objection_deadline_recomputed",
    doc="A provisional objection deadline was recomputed on the official calendar, once published.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "notice": Field(Kind.INT, "notice id"),
        "previous_on": Field(Kind.DATE, "the provisional deadline"),
        "objection_deadline_on": Field(Kind.DATE, "the official deadline"),
        "objections_after_official_deadline": Field(Kind.INTS, "objections filed after it (they stay accepted)"),
    },
    rows=[Row(DataNotice, key="notice", action="update", columns={
        "objection_deadline_on": "objection_deadline_on", "objection_deadline_provisional": Const(False)})],
)

NOTICE_DEFERRED = declare(
    "notices.deferred", version=2,
    doc="A notice owed for a work and period was queued, because its objection deadline would fall in a year "
        "without an official calendar.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "pending": Field(Kind.INT, "pending notice id"),
        "enterprise": Field(Kind.INT, "enterprise id"),
        "work": Field(Kind.INT, "work id"),
        "period_start_on": Field(Kind.DATE),
        "period_end_on": Field(Kind.DATE),
        "reason": Field(Kind.STR, "the platform's explanation (no personal data)"),
        "actor": Field(Kind.ACTOR, "who requested it, or system"),
        "supplements": Field(Kind.INT, "the notice it will supplement, or null", null=True, since=2),
    },
    rows=[Row(PendingNotice, key="pending", columns={
        "enterprise_id": "enterprise", "work_id": "work", "period_start_on": "period_start_on",
        "period_end_on": "period_end_on", "reason": "reason", "requested_at": "at", "requested_by_id": "actor",
        "notice_id": Const(None), "issued_at": Const(None),
        "supplements_id": Derived(lambda event: event.get("supplements"), "`supplements`, null before version 2"),
    })],
)

NOTICE_PENDING_ISSUED = declare(
    "notices.pending_issued",
    doc="A queued notice was issued once the calendar allowed (the notices.issued entry precedes this one).",
    fields={"at": Field(Kind.TIME, "when"), "pending": Field(Kind.INT, "pending notice id"),
            "notice": Field(Kind.INT, "the notice issued")},
    rows=[Row(PendingNotice, key="pending", action="update", columns={"notice_id": "notice", "issued_at": "at"})],
)

OBJECTION_FILED = declare(
    "objections.filed", version=2,
    doc="A member of the enterprise objected to a notice, with an explanation (as a commitment), evidence files and "
        "the records it disputes.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "objection": Field(Kind.INT, "objection id"),
        "notice": Field(Kind.INT, "notice id"),
        "evidence": Field(Kind.ITEMS, "the evidence files", items={
            "sha256": Field(Kind.DIGEST), "content_type": Field(Kind.STR), "size": Field(Kind.INT, "bytes")}),
        "claims": Field(Kind.ITEMS, "the disputed records and the quantities claimed", items={
            "claim": Field(Kind.INT, "claim id", since=2), "record": Field(Kind.INT, "usage record id"),
            "record_log_index": Field(Kind.INT, "log index of the record's entry"),
            "claimed_quantity": Field(Kind.DECIMAL)}),
        "objection_deadline_on": Field(Kind.DATE, "the notice's objection deadline"),
        "objection_deadline_provisional": Field(Kind.BOOL, "that deadline is provisional (not enforced)"),
        "actor": Field(Kind.ACTOR, "the member who filed it"),
        "enterprise": Field(Kind.INT, "the notice's enterprise (whose salt the commitment uses)", since=2),
        "explanation_commitment": Field(Kind.DIGEST, "commitment to the written explanation", since=2),
        "explanation_sha256": Field(Kind.DIGEST, "unsalted SHA-256 of the explanation (replaced by the commitment)",
                                    until=1),
    },
    rows=[
        Row(Objection, key="objection", columns={
            "notice_id": "notice", "status": Const(ObjectionStatus.OPEN), "filed_at": "at", "filed_by_id": "actor",
            "decided_at": Const(None), "decided_by_id": Const(None), "decision_reason": Const(""),
            "explanation": _committed("explanation_commitment", OBJECTION_COMMITTED),
        }),
        Row(ObjectionClaim, key="claim", each="claims", columns={
            "objection_id": "^objection", "record_id": "record", "claimed_quantity": "claimed_quantity",
            "correction_id": Const(None), "status": Const(ClaimStatus.OPEN), "decided_quantity": Const(None),
            "decision_reason": Const("")}),
    ],
)

OBJECTION_EVIDENCE_ADDED = declare(
    "objections.evidence_added",
    doc="An evidence file of an objection was stored (its file name as a commitment); follows objections.filed.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "objection": Field(Kind.INT, "objection id"),
        "enterprise": Field(Kind.INT, "the notice's enterprise (whose salt the commitment uses)"),
        "evidence": Field(Kind.INT, "evidence id"),
        "sha256": Field(Kind.DIGEST, "SHA-256 of the file"),
        "content_type": Field(Kind.STR),
        "size": Field(Kind.INT, "bytes"),
        "filename_commitment": Field(Kind.DIGEST, "commitment to the uploaded file's name"),
    },
    rows=[Row(ObjectionEvidence, key="evidence", columns={
        "objection_id": "objection", "sha256": "sha256", "content_type": "content_type", "size": "size",
        "filename": _committed("filename_commitment", EVIDENCE_COMMITTED),
    })],
)

_DECISION_FIELDS = {
    "at": Field(Kind.TIME, "when"),
    "objection": Field(Kind.INT, "objection id"),
    "notice": Field(Kind.INT, "notice id"),
    "actor": Field(Kind.ACTOR, "the reviewer"),
    "enterprise": Field(Kind.INT, "the notice's enterprise (whose salt the commitment uses)", since=2),
    "reason_commitment": Field(Kind.DIGEST, "commitment to the reviewer's reason", since=2),
    "reason_sha256": Field(Kind.DIGEST, "unsalted SHA-256 of the reason (replaced by the commitment)", until=1),
    "corrections": Field(Kind.ITEMS, "the correction records (since v2 in objections.claims_corrected)", until=1,
                         items={"record": Field(Kind.INT), "corrects": Field(Kind.INT), "log_index": Field(Kind.INT),
                                "quantity": Field(Kind.DECIMAL), "cost_microfen": Field(Kind.INT)}),
    "claims": Field(Kind.ITEMS, "each claim as decided", since=3, items={
        "claim": Field(Kind.INT, "claim id"), "record": Field(Kind.INT, "the disputed usage record id"),
        "status": Field(Kind.STR, "decided|awaiting_provider|rejected"),
        "decided_quantity": Field(Kind.DECIMAL, "the quantity the reviewer accepts (none when rejected)", null=True),
        "signed_quantity": Field(Kind.DECIMAL, "the record's quantity as the provider signed it, with the "
                                               "provider's own corrections, at the decision"),
        "reason_commitment": Field(Kind.DIGEST, "commitment to the reason for a quantity other than the claimed "
                                                "one (to the empty string otherwise)")}),
    **document_fields(since=4),
}


def _decision_rows(status: ObjectionStatus) -> list[Row]:
    return [
        document_row(DocumentKind.OBJECTION_DECISION, subject="objection"),
        Row(Objection, key="objection", action="update", columns={
            "status": Const(status), "decided_at": "at", "decided_by_id": "actor",
            "decision_reason": _committed("reason_commitment", DECISION_COMMITTED)}),
        Row(ObjectionClaim, key="claim", each="claims", action="update", columns={
            "status": "status", "decided_quantity": "decided_quantity",
            "decision_reason": _committed("reason_commitment", CLAIM_DECISION_COMMITTED)}),
    ]


OBJECTION_UPHELD = declare(
    "objections.upheld", version=4,
    doc="A reviewer upheld an objection as claimed; a metering.usage_corrected entry follows for each claim whose "
        "counted quantity changes, then objections.claims_corrected. Since v3 the claims as decided: a quantity "
        "above the provider's signed one is not corrected by the platform (status awaiting_provider).",
    fields=_DECISION_FIELDS, rows=_decision_rows(ObjectionStatus.UPHELD),
)

OBJECTION_PARTIALLY_UPHELD = declare(
    "objections.partially_upheld", version=4,
    doc="A reviewer upheld an objection in part: some claims at a quantity other than the claimed one, each with a "
        "reason (committed). Followed like objections.upheld by the corrections; version 3 from the start (it "
        "shares the fields of objections.upheld v3).",
    fields=_DECISION_FIELDS, rows=_decision_rows(ObjectionStatus.PARTIALLY_UPHELD),
)

OBJECTION_REJECTED = declare(
    "objections.rejected", version=4,
    doc="A reviewer rejected an objection, with a reason.",
    fields=_DECISION_FIELDS, rows=_decision_rows(ObjectionStatus.REJECTED),
)

OBJECTION_CLAIMS_CORRECTED = declare(
    "objections.claims_corrected",
    doc="The correction records appended for an upheld objection's claims (their metering.usage_corrected entries "
        "precede this one).",
    fields={
        "at": Field(Kind.TIME, "when"),
        "objection": Field(Kind.INT, "objection id"),
        "corrections": Field(Kind.ITEMS, "one per corrected claim", items={
            "claim": Field(Kind.INT, "claim id"), "record": Field(Kind.INT, "the correction's usage record id"),
            "log_index": Field(Kind.INT, "log index of its metering.usage_corrected entry"),
            "corrects": Field(Kind.INT, "the corrected usage record id"),
            "quantity": Field(Kind.DECIMAL, "the correction's quantity (the change)"),
            "cost_microfen": Field(Kind.INT, "the correction's cost, millionths of a fen")}),
    },
    rows=[Row(ObjectionClaim, key="claim", each="corrections", action="update", columns={"correction_id": "record"})],
)

OBJECTION_DECISIONS = {ObjectionStatus.UPHELD: OBJECTION_UPHELD,
                       ObjectionStatus.PARTIALLY_UPHELD: OBJECTION_PARTIALLY_UPHELD,
                       ObjectionStatus.REJECTED: OBJECTION_REJECTED}


def _salted(notice: DataNotice, values: dict) -> str:
    return commitment(salt=notice.enterprise.commitment_salt, values=values)


def notice_issued_event(notice: DataNotice, *, quantities: list[dict], log_indexes: list[int], actor,
                        document: IssuedDocument) -> dict:
    return NOTICE_ISSUED.build(**document_values(document),
        at=event_time(notice.issued_at), notice=notice.pk, enterprise=notice.enterprise_id, work=notice.work_id,
        period_start_on=notice.period_start_on.isoformat(), period_end_on=notice.period_end_on.isoformat(),
        record_count=notice.record_count, cost_microfen=notice.cost_microfen, records_sha256=notice.records_sha256,
        quantities=quantities, checkpoint_tree_size=notice.checkpoint_tree_size,
        checkpoint_root_hash=base64.b64encode(bytes(notice.checkpoint_root_hash)).decode(), actor=actor_ref(actor),
        records=log_indexes, supplements=notice.supplements_id)


def notice_delivered_event(notice: DataNotice, *, viewer, now: datetime) -> dict:
    return NOTICE_DELIVERED.build(
        at=event_time(now), notice=notice.pk, channel=str(notice.delivered_via),
        delivered_at=event_time(notice.delivered_at),
        objection_window_working_days=notice.objection_window_working_days,
        policy_version=notice.objection_policy_version,
        objection_deadline_on=notice.objection_deadline_on.isoformat(),
        objection_deadline_provisional=notice.objection_deadline_provisional,
        viewer=viewer.pk if viewer is not None else None)


def notice_deadline_recomputed_event(notice: DataNotice, *, previous_on, late: list[int], now: datetime) -> dict:
    return NOTICE_DEADLINE_RECOMPUTED.build(
        at=event_time(now), notice=notice.pk, previous_on=previous_on.isoformat(),
        objection_deadline_on=notice.objection_deadline_on.isoformat(), objections_after_official_deadline=late)


def notice_deferred_event(owed: PendingNotice, *, actor) -> dict:
    return NOTICE_DEFERRED.build(
        at=event_time(owed.requested_at), pending=owed.pk, enterprise=owed.enterprise_id, work=owed.work_id,
        period_start_on=owed.period_start_on.isoformat(), period_end_on=owed.period_end_on.isoformat(),
        reason=owed.reason, actor=actor_ref(actor), supplements=owed.supplements_id)


def notice_pending_issued_event(owed: PendingNotice) -> dict:
    return NOTICE_PENDING_ISSUED.build(at=event_time(owed.issued_at), pending=owed.pk, notice=owed.notice_id)


def objection_filed_event(objection: Objection, *, evidence: list[ObjectionEvidence], claims: list[ObjectionClaim],
                          actor) -> dict:
    notice = objection.notice
    return OBJECTION_FILED.build(
        at=event_time(objection.filed_at), objection=objection.pk, notice=notice.pk,
        evidence=[{"sha256": item.sha256, "content_type": item.content_type, "size": item.size} for item in evidence],
        claims=[{"claim": claim.pk, "record": claim.record_id, "record_log_index": claim.record.log_index,
                 "claimed_quantity": format(claim.claimed_quantity, "f")} for claim in claims],
        objection_deadline_on=notice.objection_deadline_on.isoformat(),
        objection_deadline_provisional=notice.objection_deadline_provisional, actor=actor_ref(actor),
        enterprise=notice.enterprise_id,
        explanation_commitment=_salted(notice, {key: getattr(objection, column)
                                                for key, column in OBJECTION_COMMITTED.items()}))


def objection_evidence_added_event(evidence: ObjectionEvidence, *, now: datetime) -> dict:
    notice = evidence.objection.notice
    return OBJECTION_EVIDENCE_ADDED.build(
        at=event_time(now), objection=evidence.objection_id, enterprise=notice.enterprise_id, evidence=evidence.pk,
        sha256=evidence.sha256, content_type=evidence.content_type, size=evidence.size,
        filename_commitment=_salted(notice, {key: getattr(evidence, column)
                                             for key, column in EVIDENCE_COMMITTED.items()}))


def objection_decided_event(objection: Objection, *, claims: list[ObjectionClaim], signed: dict, actor,
                            document: IssuedDocument) -> dict:
    """The decision, by the objection's status, with each claim as decided (``signed``: record id -> the
    provider's signed quantity at the decision) and the decision's number."""
    notice = objection.notice
    return OBJECTION_DECISIONS[objection.status].build(**document_values(document),
        at=event_time(objection.decided_at), objection=objection.pk, notice=notice.pk, actor=actor_ref(actor),
        enterprise=notice.enterprise_id,
        reason_commitment=_salted(notice, {key: getattr(objection, column)
                                           for key, column in DECISION_COMMITTED.items()}),
        claims=[{"claim": claim.pk, "record": claim.record_id, "status": str(claim.status),
                 "decided_quantity": (format(claim.decided_quantity, "f") if claim.decided_quantity is not None
                                      else None),
                 "signed_quantity": format(signed[claim.record_id], "f"),
                 "reason_commitment": _salted(notice, {key: getattr(claim, column)
                                                       for key, column in CLAIM_DECISION_COMMITTED.items()})}
                for claim in claims])


def objection_claims_corrected_event(objection: Objection, *, claims: list[ObjectionClaim], now: datetime) -> dict:
    return OBJECTION_CLAIMS_CORRECTED.build(
        at=event_time(now), objection=objection.pk,
        corrections=[{"claim": claim.pk, "record": claim.correction.pk, "log_index": claim.correction.log_index,
                      "corrects": claim.record_id, "quantity": format(claim.correction.quantity.normalize(), "f"),
                      "cost_microfen": claim.correction.cost_microfen} for claim in claims])
