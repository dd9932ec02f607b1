"""Log entries of oversight: the quarterly draw, every step of a spot-check case, and the notices to the enterprise.
Free text (notes, responses, findings, reasons, messages, evidence file names) only appears as a salted commitment
with the enterprise's salt; every table of the app is recomputed from these entries by the ``Row`` declarations.

Causal order. The entries of one transaction are appended cause first: the draw, then each case it opens followed by
the notice telling the enterprise; a step of a case, then the notice it sends. A confirmed fraud finding is appended
as ``audits.fraud_confirm`` (the decision, with the amounts and vouchers it revokes, worked out before any of it is
carried out), then for each voucher the revocation it causes (``vouchers.revoke`` and its effects, see
``yingdu.vouchers.events``), then the enterprise's disqualification (``enterprises.*``), then ``audits.notice``.

The platform acting by itself (the scheduled draw, deadlines recomputed from the official calendar) is the actor
``"system"``.
"""

from yingdu.actors import actor_ref
from yingdu.documents.entries import document_fields, document_row, document_values
from yingdu.documents.models import DocumentKind, IssuedDocument
from yingdu.enterprises.models import Enterprise
from yingdu.transparency.catalogue import Committed, Const, Derived, Field, Kind, Row, declare, not_audited
from yingdu.transparency.services import commitment, event_time

from .draw import DRAW_FORMAT
from .models import (
    AuditNotice,
    CaseCheckItem,
    CaseEvidence,
    CaseFinding,
    CaseNote,
    CaseResponse,
    CaseStatus,
    CheckItemResult,
    DrawCommitment,
    FindingStatus,
    SpotCheckCase,
    SpotCheckDraw,
)
from .workflow import CHECKLIST

AT = Field(Kind.TIME, "when it happened")
ACTOR = Field(Kind.ACTOR, "the staff member or enterprise member who acted, or system")
CASE = Field(Kind.INT, "spot-check case id")
ENTERPRISE = Field(Kind.INT, "the case's enterprise (whose salt the commitments use)")
_CASE_FIELDS = {"at": AT, "case": CASE, "enterprise": ENTERPRISE, "actor": ACTOR}


def _committed(digest: str, column: str) -> Committed:
    """A free-text column known by its commitment {"text": value} with the enterprise's salt."""
    return Committed(digest, {"text": column}, salt_model=Enterprise, salt_key="enterprise")


# --- the draw -------------------------------------------------------------------------------------------------

DRAW = declare(
    "audits.draw", version=3,
    doc="A quarter's spot-check sample was drawn, seeded by the quarter-end checkpoint combined (version 3, with "
        "witnesses) with the values the witnesses committed to in advance and revealed after the quarter end; "
        "everything `yingdu-verify draw` needs to recompute and check it.",
    fields={
        "at": AT,
        "draw": Field(Kind.INT, "draw id"),
        "actor": ACTOR,
        "format": Field(Kind.STR, "the draw document's format"),
        "quarter": Field(Kind.STR, "e.g. 2026Q3"),
        "quarter_start_at": Field(Kind.TIME, "00:00 Asia/Shanghai of the quarter's first day"),
        "quarter_end_at": Field(Kind.TIME, "00:00 Asia/Shanghai of the next quarter's first day (exclusive)"),
        "checkpoint": Field(Kind.STR, "the signed checkpoint note (with the witnesses' cosignatures for a witnessed "
                                      "draw) whose root hash goes into the seed"),
        "checkpoint_tree_size": Field(Kind.INT),
        "seed": Field(Kind.HEX, "the checkpoint's root hash (the ranking seed itself up to version 2)"),
        "candidate_rule": Field(Kind.STR, "which works were candidates"),
        "policy_version": Field(Kind.STR),
        "sample_rate": Field(Kind.STR, "exact decimal string, e.g. 0.1000"),
        "sample_minimum": Field(Kind.INT),
        "candidates": Field(Kind.INTS, "candidate work ids, ascending"),
        "sample_size": Field(Kind.INT),
        "chosen": Field(Kind.INTS, "chosen work ids, in ranking order"),
        "log_index": Field(Kind.INT, "the index of this entry in the log (published with the draw)", since=2),
        "ranking_seed": Field(Kind.HEX, "the seed the ranking uses: SHA-256(root || revealed values in witness key "
                                        "order) for a witnessed draw, else the root", since=3),
        "ungrindable": Field(Kind.BOOL, "the seed has the witnesses' values; false: the operator could have chosen "
                                        "the checkpoint, the draw is NOT ungrindable", since=3),
        "witness_quorum": Field(Kind.INT, "how many witnesses the platform requires (0: none configured)", since=3),
        "commitments": Field(Kind.ITEMS, "the witnesses' commitments in the quarter-end checkpoint", since=3, items={
            "witness": Field(Kind.STR, "the witness's cosignature verifier key"),
            "statement": Field(Kind.STR, "its signed commitment statement"),
            "log_index": Field(Kind.INT, "index of its audits.draw_commitment entry"),
            "entry": Field(Kind.STR, "that entry, base64"),
            "inclusion_proof": Field(Kind.STRS, "inclusion proof of that entry in the checkpoint, base64 hashes")}),
        "reveals": Field(Kind.ITEMS, "the witnesses' reveals, made after the quarter end", since=3, items={
            "witness": Field(Kind.STR, "the witness's cosignature verifier key"),
            "statement": Field(Kind.STR, "its signed reveal statement")}),
        "withheld": Field(Kind.STRS, "committed witnesses that did not reveal in time (their values are left out)",
                          since=3),
    },
    rows=[Row(SpotCheckDraw, key="draw", columns={
        "quarter": "quarter", "quarter_start_at": "quarter_start_at", "quarter_end_at": "quarter_end_at",
        "checkpoint_tree_size": "checkpoint_tree_size", "checkpoint_root_hash": "seed",
        "checkpoint_note": "checkpoint", "candidate_rule": "candidate_rule", "policy_version": "policy_version",
        "sample_rate": "sample_rate", "sample_minimum": "sample_minimum", "candidate_ids": "candidates",
        "chosen_ids": "chosen", "drawn_at": "at", "drawn_by_id": "actor", "log_index": "log_index",
        "ranking_seed": "ranking_seed", "ungrindable": "ungrindable", "witness_quorum": "witness_quorum",
        "commitments": "commitments", "reveals": "reveals", "withheld": "withheld"})],
)

DRAW_COMMITMENT = declare(
    "audits.draw_commitment", version=1,
    doc="A witness's signed commitment to its secret value for a quarter's draw (SHA-256 of the value), recorded "
        "before the quarter starts; the value is revealed only after the quarter end (yingdu.audits.draw).",
    fields={
        "at": AT,
        "draw_commitment": Field(Kind.INT, "commitment id"),
        "quarter": Field(Kind.STR, "e.g. 2026Q4"),
        "witness": Field(Kind.STR, "the witness's cosignature verifier key"),
        "commitment": Field(Kind.DIGEST, "hex SHA-256 of the witness's value"),
        "statement": Field(Kind.STR, "the witness's signed commitment statement"),
        "log_index": Field(Kind.INT, "the index of this entry in the log"),
    },
    rows=[Row(DrawCommitment, key="draw_commitment", columns={
        "quarter": "quarter", "witness_key": "witness", "commitment": "commitment", "statement": "statement",
        "recorded_at": "at", "log_index": "log_index"})],
)

CASE_OPEN = declare(
    "audits.case_open", version=3,
    doc="A drawn work was put under spot check: a case with its checklist, due date and the enterprise's response "
        "deadline.",
    fields={
        "at": AT,
        "case": CASE,
        "draw": Field(Kind.INT),
        "quarter": Field(Kind.STR),
        "work": Field(Kind.INT),
        "enterprise": Field(Kind.INT),
        "rank": Field(Kind.INT, "position in the draw's ranking, from 1"),
        "due_on": Field(Kind.DATE, "the check's due date"),
        "response_deadline_on": Field(Kind.DATE, "last day for the enterprise's written response"),
        "response_policy_version": Field(Kind.STR, "the policy version whose objection window applies"),
        "items": Field(Kind.STRS, "checklist codes"),
        "opened_on": Field(Kind.DATE, "opening date (Asia/Shanghai)", since=2),
        "due_working_days": Field(Kind.INT, "working days from opening to the due date", since=2),
        "response_window_working_days": Field(Kind.INT, "working days of the response window", since=2),
        "due_on_provisional": Field(Kind.BOOL, "due date rests on a provisional calendar year", since=2),
        "response_deadline_provisional": Field(Kind.BOOL, "response deadline rests on a provisional calendar year",
                                               since=2),
        "check_items": Field(Kind.ITEMS, "the checklist rows", since=2, items={
            "item": Field(Kind.INT, "check item id"), "code": Field(Kind.STR), "label": Field(Kind.STR)}),
        **document_fields(since=3),
    },
    rows=[
        document_row(DocumentKind.SPOT_CHECK, subject="case"),
        Row(SpotCheckCase, key="case", columns={
            "draw_id": "draw", "work_id": "work", "enterprise_id": "enterprise", "rank": "rank",
            "status": Const(CaseStatus.OPEN.value), "opened_at": "at", "opened_on": "opened_on", "due_on": "due_on",
            "due_working_days": "due_working_days", "response_deadline_on": "response_deadline_on",
            "response_window_working_days": "response_window_working_days",
            "response_policy_version": "response_policy_version", "due_on_provisional": "due_on_provisional",
            "response_deadline_provisional": "response_deadline_provisional", "closed_at": Const(None)}),
        Row(CaseCheckItem, key="item", each="check_items", columns={
            "case_id": "^case", "code": "code", "label": "label", "result": Const(CheckItemResult.PENDING.value),
            "note": Const(""), "checked_by_id": Const(None), "checked_at": Const(None)}),
    ],
)

# --- case steps -----------------------------------------------------------------------------------------------

CHECK = declare(
    "audits.check",
    doc="Staff recorded the result of one checklist item (its note only as a commitment).",
    fields={**_CASE_FIELDS, "item": Field(Kind.INT, "check item id"), "code": Field(Kind.STR),
            "result": Field(Kind.STR, "pending|ok|problem"), "note_commitment": Field(Kind.DIGEST)},
    rows=[Row(CaseCheckItem, key="item", action="update", columns={
        "result": "result", "checked_by_id": "actor", "checked_at": "at",
        "note": _committed("note_commitment", "note")})],
)

EVIDENCE = declare(
    "audits.evidence", version=2,
    doc="An evidence file was attached to a case, by staff or by the enterprise; its content is known by its hash.",
    fields={**_CASE_FIELDS, "evidence": Field(Kind.INT, "evidence id"),
            "check_code": Field(Kind.STR, "the checklist item it supports, or empty"),
            "sha256": Field(Kind.DIGEST, "SHA-256 of the file"), "size": Field(Kind.INT, "bytes"),
            "by_enterprise": Field(Kind.BOOL, "filed with the enterprise's response"),
            "content_type": Field(Kind.STR, since=2),
            "filename_commitment": Field(Kind.DIGEST, "commitment to the uploaded file's name", since=2)},
    rows=[Row(CaseEvidence, key="evidence", columns={
        "case_id": "case", "check_code": "check_code", "sha256": "sha256", "size": "size",
        "by_enterprise": "by_enterprise", "content_type": "content_type", "uploaded_by_id": "actor",
        "uploaded_at": "at", "filename": _committed("filename_commitment", "filename")})],
)

NOTE = declare(
    "audits.note",
    doc="Staff added a note to a case (not shown to the enterprise).",
    fields={**_CASE_FIELDS, "note": Field(Kind.INT, "note id"), "text_commitment": Field(Kind.DIGEST)},
    rows=[Row(CaseNote, key="note", columns={"case_id": "case", "author_id": "actor", "at": "at",
                                             "text": _committed("text_commitment", "text")})],
)

RESPONSE = declare(
    "audits.response",
    doc="The enterprise filed its written response to a case (its evidence files follow as audits.evidence).",
    fields={**_CASE_FIELDS, "response": Field(Kind.INT, "response id"), "text_commitment": Field(Kind.DIGEST)},
    rows=[Row(CaseResponse, key="response", columns={"case_id": "case", "filed_by_id": "actor", "filed_at": "at",
                                                     "text": _committed("text_commitment", "text")})],
)

# --- findings and the fraud decision --------------------------------------------------------------------------

FINDING = declare(
    "audits.finding",
    doc="Staff recorded a case's finding: compliant or issues close the case; fraud awaits a second person's "
        "confirmation.",
    fields={**_CASE_FIELDS, "finding": Field(Kind.INT, "finding id"),
            "outcome": Field(Kind.STR, "compliant|issues|fraud"),
            "status": Field(Kind.STR, "final|pending_confirmation"),
            "case_status": Field(Kind.STR, "the case's status after it"),
            "summary_commitment": Field(Kind.DIGEST),
            "corrective_action_commitment": Field(Kind.DIGEST, "commitment to the corrective action (may be empty)")},
    rows=[
        Row(CaseFinding, key="finding", columns={
            "case_id": "case", "outcome": "outcome", "status": "status", "recorded_by_id": "actor",
            "recorded_at": "at", "reviewed_by_id": Const(None), "reviewed_at": Const(None),
            "review_reason": Const(""), "revoked_vouchers": Const([]),
            "summary": _committed("summary_commitment", "summary"),
            "corrective_action": _committed("corrective_action_commitment", "corrective_action")}),
        Row(SpotCheckCase, key="case", action="update", columns={
            "status": "case_status",
            "closed_at": Derived(lambda event: None if event["status"] == FindingStatus.PENDING_CONFIRMATION
                                 else event["at"], doc="the finding's time, unless it awaits confirmation")}),
    ],
)

FRAUD_CONFIRM = declare(
    "audits.fraud_confirm",
    doc="A second staff member confirmed a fraud finding: the enterprise's vouchers are revoked and it is "
        "disqualified (their entries follow this one).",
    fields={**_CASE_FIELDS, "finding": Field(Kind.INT),
            "recorded_by": Field(Kind.INT, "who recorded the finding (never the confirming actor)"),
            "revoked_vouchers": Field(Kind.STRS, "numbers of the vouchers it revokes"),
            "voided_fen": Field(Kind.INT, "balances voided, in all"),
            "claimed_fen": Field(Kind.INT, "redeemed value claimed back, in all"),
            "disqualified": Field(Kind.BOOL, "whether the enterprise is disqualified by it"),
            "effective_on": Field(Kind.DATE, "the disqualification's first day"),
            "reason_commitment": Field(Kind.DIGEST, "commitment to the reviewer's reason")},
    rows=[
        Row(CaseFinding, key="finding", action="update", columns={
            "status": Const(FindingStatus.CONFIRMED.value), "reviewed_by_id": "actor", "reviewed_at": "at",
            "revoked_vouchers": "revoked_vouchers", "review_reason": _committed("reason_commitment", "review_reason")}),
        Row(SpotCheckCase, key="case", action="update", columns={
            "status": Const(CaseStatus.CLOSED_FRAUD.value), "closed_at": "at"}),
    ],
)

FRAUD_DECLINE = declare(
    "audits.fraud_decline",
    doc="The second staff member did not confirm a fraud finding: it lapses and the case is open again.",
    fields={**_CASE_FIELDS, "finding": Field(Kind.INT), "reason_commitment": Field(Kind.DIGEST)},
    rows=[
        Row(CaseFinding, key="finding", action="update", columns={
            "status": Const(FindingStatus.DECLINED.value), "reviewed_by_id": "actor", "reviewed_at": "at",
            "review_reason": _committed("reason_commitment", "review_reason")}),
        Row(SpotCheckCase, key="case", action="update", columns={"status": Const(CaseStatus.OPEN.value)}),
    ],
)

DEADLINES_RECOMPUTED = declare(
    "audits.deadlines_recomputed",
    doc="A case's provisional dates were recomputed once the official calendar of their year was published.",
    fields={**_CASE_FIELDS, "due_on": Field(Kind.DATE), "response_deadline_on": Field(Kind.DATE),
            "previous_response_deadline_on": Field(Kind.DATE, "the provisional deadline it replaces")},
    rows=[Row(SpotCheckCase, key="case", action="update", columns={
        "due_on": "due_on", "response_deadline_on": "response_deadline_on", "due_on_provisional": Const(False),
        "response_deadline_provisional": Const(False)})],
)

NOTICE = declare(
    "audits.notice",
    doc="An in-app notice (and e-mail) was sent to the enterprise about its case; its text only as a commitment.",
    fields={"at": AT, "notice": Field(Kind.INT, "notice id"), "case": CASE, "enterprise": ENTERPRISE,
            "kind": Field(Kind.STR, "case_opened|finding|fraud_confirmed|deadline_moved"),
            "message_commitment": Field(Kind.DIGEST)},
    rows=[Row(AuditNotice, key="notice", columns={
        "case_id": "case", "enterprise_id": "enterprise", "kind": "kind", "created_at": "at",
        "message": _committed("message_commitment", "message")})],
)

not_audited(AuditNotice, columns={
    "emailed": "set after the transaction commits, once the mail server accepted the e-mail; delivery is not "
               "recorded in the log",
})


# --- builders -------------------------------------------------------------------------------------------------


def text_commitment(case: SpotCheckCase, text: str) -> str:
    """A salted commitment (the enterprise's salt) to free text, so that entries carry none."""
    return commitment(salt=case.enterprise.commitment_salt, values={"text": text})


def draw_fields(draw: SpotCheckDraw) -> dict:
    """The draw as published and logged: everything `yingdu-verify draw` needs to recompute it."""
    return {
        "format": DRAW_FORMAT,
        "quarter": draw.quarter,
        "quarter_start_at": event_time(draw.quarter_start_at),
        "quarter_end_at": event_time(draw.quarter_end_at),
        "checkpoint": draw.checkpoint_note,
        "checkpoint_tree_size": draw.checkpoint_tree_size,
        "seed": draw.seed_hex,
        "candidate_rule": draw.candidate_rule,
        "policy_version": draw.policy_version,
        "sample_rate": draw.sample_rate,
        "sample_minimum": draw.sample_minimum,
        "candidates": list(draw.candidate_ids),
        "sample_size": len(draw.chosen_ids),
        "chosen": list(draw.chosen_ids),
        "ranking_seed": draw.ranking_seed_hex,
        "ungrindable": draw.ungrindable,
        "witness_quorum": draw.witness_quorum,
        "commitments": list(draw.commitments),
        "reveals": list(draw.reveals),
        "withheld": list(draw.withheld),
    }


def draw_event(draw: SpotCheckDraw, *, actor) -> dict:
    return DRAW.build(at=event_time(draw.drawn_at), draw=draw.pk, actor=actor_ref(actor), log_index=draw.log_index,
                      **draw_fields(draw))


def draw_commitment_event(commitment: DrawCommitment) -> dict:
    return DRAW_COMMITMENT.build(at=event_time(commitment.recorded_at), draw_commitment=commitment.pk,
                                 quarter=commitment.quarter, witness=commitment.witness_key,
                                 commitment=commitment.commitment, statement=commitment.statement,
                                 log_index=commitment.log_index)


def case_opened_event(case: SpotCheckCase, *, document: IssuedDocument) -> dict:
    items = list(case.check_items.order_by("id"))
    return CASE_OPEN.build(**document_values(document),
        at=event_time(case.opened_at), case=case.pk, draw=case.draw_id, quarter=case.draw.quarter, work=case.work_id,
        enterprise=case.enterprise_id, rank=case.rank, due_on=case.due_on.isoformat(),
        response_deadline_on=case.response_deadline_on.isoformat(),
        response_policy_version=case.response_policy_version, items=[code for code, _label in CHECKLIST],
        opened_on=case.opened_on.isoformat(), due_working_days=case.due_working_days,
        response_window_working_days=case.response_window_working_days,
        due_on_provisional=case.due_on_provisional, response_deadline_provisional=case.response_deadline_provisional,
        check_items=[{"item": item.pk, "code": item.code, "label": item.label} for item in items])


def _case_fields(case: SpotCheckCase, *, now, actor) -> dict:
    return {"at": event_time(now), "case": case.pk, "enterprise": case.enterprise_id, "actor": actor_ref(actor)}


def check_event(case: SpotCheckCase, item: CaseCheckItem, *, actor) -> dict:
    return CHECK.build(**_case_fields(case, now=item.checked_at, actor=actor), item=item.pk, code=item.code,
                       result=str(item.result), note_commitment=text_commitment(case, item.note))


def evidence_event(case: SpotCheckCase, evidence: CaseEvidence, *, actor) -> dict:
    return EVIDENCE.build(**_case_fields(case, now=evidence.uploaded_at, actor=actor), evidence=evidence.pk,
                          check_code=evidence.check_code, sha256=evidence.sha256, size=evidence.size,
                          by_enterprise=evidence.by_enterprise, content_type=evidence.content_type,
                          filename_commitment=text_commitment(case, evidence.filename))


def note_event(case: SpotCheckCase, note: CaseNote, *, actor) -> dict:
    return NOTE.build(**_case_fields(case, now=note.at, actor=actor), note=note.pk,
                      text_commitment=text_commitment(case, note.text))


def response_event(case: SpotCheckCase, response: CaseResponse, *, actor) -> dict:
    return RESPONSE.build(**_case_fields(case, now=response.filed_at, actor=actor), response=response.pk,
                          text_commitment=text_commitment(case, response.text))


def finding_event(case: SpotCheckCase, finding: CaseFinding, *, actor) -> dict:
    return FINDING.build(**_case_fields(case, now=finding.recorded_at, actor=actor), finding=finding.pk,
                         outcome=str(finding.outcome), status=str(finding.status), case_status=str(case.status),
                         summary_commitment=text_commitment(case, finding.summary),
                         corrective_action_commitment=text_commitment(case, finding.corrective_action))


def fraud_confirmed_event(case: SpotCheckCase, finding: CaseFinding, *, actor, voided_fen: int, claimed_fen: int,
                          disqualified: bool, effective_on) -> dict:
    return FRAUD_CONFIRM.build(
        **_case_fields(case, now=finding.reviewed_at, actor=actor), finding=finding.pk,
        recorded_by=finding.recorded_by_id, revoked_vouchers=list(finding.revoked_vouchers), voided_fen=voided_fen,
        claimed_fen=claimed_fen, disqualified=disqualified, effective_on=effective_on.isoformat(),
        reason_commitment=text_commitment(case, finding.review_reason))


def fraud_declined_event(case: SpotCheckCase, finding: CaseFinding, *, actor) -> dict:
    return FRAUD_DECLINE.build(**_case_fields(case, now=finding.reviewed_at, actor=actor), finding=finding.pk,
                               reason_commitment=text_commitment(case, finding.review_reason))


def deadlines_recomputed_event(case: SpotCheckCase, *, now, actor, previous_response_deadline_on) -> dict:
    return DEADLINES_RECOMPUTED.build(**_case_fields(case, now=now, actor=actor), due_on=case.due_on.isoformat(),
                                      response_deadline_on=case.response_deadline_on.isoformat(),
                                      previous_response_deadline_on=previous_response_deadline_on.isoformat())


def notice_event(notice: AuditNotice) -> dict:
    return NOTICE.build(at=event_time(notice.created_at), notice=notice.pk, case=notice.case_id,
                        enterprise=notice.enterprise_id, kind=str(notice.kind),
                        message_commitment=commitment(salt=notice.enterprise.commitment_salt,
                                                      values={"text": notice.message}))
