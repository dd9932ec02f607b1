"""Deciding an objection: uphold as claimed, uphold in part (a decided quantity per claim, with a reason), or reject.

The provider's signed records are the evidence of use. A decision may lower a record at once; it may raise it up to
the quantity the provider signed (four eyes: a second reviewer confirms); above that, nothing counts until the
provider pushes a signed correction through the ingest API: the claim waits (``awaiting_provider``) and the
enterprise and the provider are told.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.selectors import user_roles
from yingdu.documents.models import DocumentKind
from yingdu.documents.services import document_number_issue
from yingdu.duties.cases import objection_case
from yingdu.duties.rules import Step
from yingdu.duties.services import four_eyes, require_independent
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.inbox.services import entry_ref
from yingdu.metering.corrections import CorrectionRequest, usage_corrections_append, usage_record_effective_quantity
from yingdu.metering.models import RecordOrigin, UsageRecord
from yingdu.transparency.services import log_append

from .events import objection_claims_corrected_event, objection_decided_event
from .models import ClaimStatus, Objection, ObjectionClaim, ObjectionStatus
from .selectors import yuan_display
from .services import _parse_quantity, _send_notified, _send_to_organisation, review_clocks_refresh
from .workflow import OBJECTION_DECIDE_ROLES, OBJECTION_DECISIONS

MSG_DECIDE_ROLE = _("只有审核员可以处理异议")
MSG_DECISION_INVALID = _("处理结果只能是采纳或不予采纳")
MSG_ALREADY_DECIDED = _("该异议已处理")
MSG_REASON_REQUIRED = _("不予采纳时必须说明理由")
MSG_DECISION_CLAIM_UNKNOWN = _("用量记录 {record} 不是本异议主张的记录")
MSG_DECISION_CLAIM_REPEATED = _("同一条记录只能决定一次")
MSG_DECISION_QUANTITY_RANGE = _("记录 {record} 的决定数量必须在现有数量 {current} 与主张数量 {claimed} 之间（含两端）")
MSG_DECISION_CLAIM_REASON = _("记录 {record} 的决定数量与主张数量不同，请说明理由")


@dataclass(frozen=True)
class ClaimDecision:
    """The quantity a reviewer accepts for one claim's record, and why when it is not the claimed one."""

    record_id: int
    quantity: str
    reason: str = ""


@dataclass(frozen=True)
class _Decided:
    claim: ObjectionClaim
    quantity: Decimal
    reason: str


def usage_record_signed_quantity(record: UsageRecord) -> Decimal:
    """The record's quantity as its provider signed it: the record plus the provider's own signed corrections."""
    corrections = record.corrections.filter(origin=RecordOrigin.PROVIDER).aggregate(total=Sum("quantity"))
    return record.quantity + (corrections["total"] or Decimal(0))


def _decide_claims(objection: Objection, decisions: list[ClaimDecision]) -> list[_Decided]:
    """Every claim with its decided quantity: as listed (between the current and the claimed quantity, with a
    reason when it differs from the claim), or as claimed when not listed."""
    claims = {claim.record_id: claim for claim in objection.claims.select_related("record")}
    listed: dict[int, ClaimDecision] = {}
    for item in decisions:
        detail = {"record": item.record_id}
        if item.record_id not in claims:
            raise DomainError(str(MSG_DECISION_CLAIM_UNKNOWN).format(record=item.record_id),
                              code="decision_claim_unknown", field="claims", detail=detail)
        if item.record_id in listed:
            raise DomainError(MSG_DECISION_CLAIM_REPEATED, code="decision_claim_repeated", field="claims",
                              detail=detail)
        listed[item.record_id] = item
    decided = []
    for record_id, claim in claims.items():
        item = listed.get(record_id)
        if item is None:
            decided.append(_Decided(claim, claim.claimed_quantity, ""))
            continue
        quantity = _parse_quantity(item.quantity)
        current = usage_record_effective_quantity(claim.record)
        low, high = sorted((current, claim.claimed_quantity))
        if not low <= quantity <= high:
            raise DomainError(
                str(MSG_DECISION_QUANTITY_RANGE).format(record=record_id, current=format(current.normalize(), "f"),
                                                        claimed=format(claim.claimed_quantity.normalize(), "f")),
                code="decision_quantity_out_of_range", field="claims",
                detail={"record": record_id, "current": format(current.normalize(), "f"),
                        "claimed": format(claim.claimed_quantity.normalize(), "f")})
        reason = (item.reason or "").strip()
        if quantity != claim.claimed_quantity and not reason:
            raise DomainError(str(MSG_DECISION_CLAIM_REASON).format(record=record_id),
                              code="decision_claim_reason_required", field="claims", detail={"record": record_id})
        decided.append(_Decided(claim, quantity, reason if quantity != claim.claimed_quantity else ""))
    return decided


def _proposal_params(decided: list[_Decided]) -> dict:
    """What the second reviewer confirms: the decision and every adjusted claim (quantities and reasons)."""
    adjusted = [{"record_id": d.claim.record_id, "quantity": format(d.quantity.normalize(), "f"), "reason": d.reason}
                for d in decided if d.quantity != d.claim.claimed_quantity]
    return {"decision": "uphold", **({"claims": adjusted} if adjusted else {})}


def objection_decide(*, objection: Objection, decision: str, reason: str, actor, now: datetime,
                     claims: list[ClaimDecision] | None = None) -> Objection:
    """A reviewer upholds an objection, whole or in part (``claims``: decided quantities; claims not listed are
    upheld as claimed), or rejects it with a reason; the enterprise is told by e-mail and sees the result on the
    notice, and the provider is told of any quantity that waits for its signed correction."""
    if actor is None or not (user_roles(actor) & OBJECTION_DECIDE_ROLES):
        raise Forbidden(MSG_DECIDE_ROLE, code="role_not_allowed")
    if decision not in OBJECTION_DECISIONS:
        raise DomainError(MSG_DECISION_INVALID, code="decision_invalid", field="decision")
    reason = reason.strip()
    if decision == "reject" and not reason:
        raise DomainError(MSG_REASON_REQUIRED, code="objection_reason_required", field="reason")
    case = objection_case(objection)
    require_independent(actor, case, now=now)
    if Objection.objects.values_list("status", flat=True).get(pk=objection.pk) != ObjectionStatus.OPEN:
        raise Conflict(MSG_ALREADY_DECIDED, code="objection_already_decided")
    decided = _decide_claims(objection, claims or []) if decision == "uphold" else []

    def apply(entries: list[dict]) -> tuple[Objection, list]:
        return _objection_apply(objection, decision=decision, reason=reason, actor=actor, now=now, entries=entries,
                                decided=decided)

    if any(d.quantity > usage_record_effective_quantity(d.claim.record) for d in decided):
        # four eyes: an uphold that raises the subsidy base takes effect when a second reviewer confirms it
        locked, corrections = four_eyes(Step.OBJECTION_UPHOLD, case=case, actor=actor, now=now,
                                        params=_proposal_params(decided), reason=reason, execute=apply)
    else:
        locked, corrections = apply([])
    _tell(locked, corrections, now=now)
    return locked


def objection_uphold_confirm(*, proposal, actor, now: datetime, note: str = "") -> Objection:
    """A second reviewer confirms a proposed uphold (duties.services.proposal_confirm), with its decided claims."""
    objection = Objection.objects.get(pk=proposal.case_id)
    claims = [ClaimDecision(record_id=item["record_id"], quantity=item["quantity"], reason=item["reason"])
              for item in proposal.params.get("claims", [])]
    return objection_decide(objection=objection, decision="uphold", reason=note.strip() or proposal.reason,
                            actor=actor, now=now, claims=claims)


def _objection_apply(objection: Objection, *, decision: str, reason: str, actor, now: datetime,
                     entries: list[dict], decided: list[_Decided]) -> tuple[Objection, list]:
    with transaction.atomic():
        locked = Objection.objects.select_for_update().select_related("notice").get(pk=objection.pk)
        if locked.status != ObjectionStatus.OPEN:
            raise Conflict(MSG_ALREADY_DECIDED, code="objection_already_decided")
        claims = list(locked.claims.select_related("record"))
        signed = {claim.record_id: usage_record_signed_quantity(claim.record) for claim in claims}
        by_record = {d.claim.record_id: d for d in decided}
        requests = []
        for claim in claims:
            if decision == "reject":
                claim.status, claim.decided_quantity, claim.decision_reason = ClaimStatus.REJECTED, None, ""
            else:
                item = by_record[claim.record_id]
                claim.decided_quantity, claim.decision_reason = item.quantity, item.reason
                claim.status = (ClaimStatus.AWAITING_PROVIDER if item.quantity > signed[claim.record_id]
                                else ClaimStatus.DECIDED)
                requests.append(_correction_request(claim, signed=signed[claim.record_id]))
            claim.save(update_fields=["status", "decided_quantity", "decision_reason"])
        if decision == "reject":
            locked.status = ObjectionStatus.REJECTED
        elif any(d.quantity != d.claim.claimed_quantity for d in decided):
            locked.status = ObjectionStatus.PARTIALLY_UPHELD
        else:
            locked.status = ObjectionStatus.UPHELD
        locked.decided_at, locked.decided_by, locked.decision_reason = now, actor, reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        # The decision is logged before the correction records it causes, and their link to the claims after them.
        document = document_number_issue(kind=DocumentKind.OBJECTION_DECISION, subject_id=locked.pk, now=now)
        log_append(events=[*entries, objection_decided_event(locked, claims=claims, signed=signed, actor=actor,
                                                             document=document)], now=now)
        appended = {row.corrects_id: row for row in usage_corrections_append(
            requests=requests, objection_id=locked.pk, actor=actor, now=now)}
        corrected = []
        for claim in claims:
            if claim.record_id in appended:
                claim.correction = appended[claim.record_id]
                claim.save(update_fields=["correction"])
                corrected.append(claim)
        if corrected:
            log_append(events=[objection_claims_corrected_event(locked, claims=corrected, now=now)], now=now)
        review_clocks_refresh(locked.notice, now=now)
    return locked, list(appended.values())



def _correction_request(claim: ObjectionClaim, *, signed: Decimal) -> CorrectionRequest:
    """What the platform itself corrects: a lowering at once, a raise only up to the provider's signed quantity
    (never below the current quantity); the rest waits for the provider's signed correction."""
    current = usage_record_effective_quantity(claim.record)
    quantity = claim.decided_quantity
    if quantity > current:
        quantity = max(current, min(quantity, signed))
    return CorrectionRequest(original=claim.record, corrected_quantity=quantity)


def _tell(objection: Objection, corrections: list, *, now: datetime) -> None:
    """E-mail the enterprise the result, and each provider whose signed correction a claim awaits."""
    awaiting = list(objection.claims.filter(status=ClaimStatus.AWAITING_PROVIDER)
                    .select_related("record__provider"))
    notice = objection.notice
    with translation.override(settings.LANGUAGE_CODE):  # e-mails are Chinese, whatever the reviewer's page language
        _send_notified(ref=entry_ref("objections.decided", objection.pk),
                       subject=f"【影都算力券】异议处理结果：{objection.get_status_display()}（{notice.work.title}）",
                       template="notices/email/objection_decided.txt",
                       context={"objection": objection, "notice": notice, "corrections": corrections,
                                "awaiting": awaiting,
                                "correction_yuan": yuan_display(sum(row.cost_microfen for row in corrections))})
        providers = {}
        for claim in awaiting:
            providers.setdefault(claim.record.provider, []).append(claim)
        for provider, claims in providers.items():
            _send_to_organisation(
                organisation_id=provider.organisation_id, kind="objections.correction_awaited",
                ref=entry_ref("objections.correction_awaited", f"{objection.pk}:{provider.pk}"),
                subject=f"【影都算力券】异议决定待贵公司签名更正（异议 {objection.pk}）",
                template="notices/email/provider_correction_awaited.txt",
                context={"objection": objection, "provider": provider, "claims": claims},
                link=reverse("metering:provider"), now=now)
