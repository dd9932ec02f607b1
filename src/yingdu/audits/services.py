"""Every write of oversight: spot-check case steps, findings, and the fraud decision (the quarterly draw is in
draws.py)."""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.selectors import user_roles
from yingdu.actors import SYSTEM
from yingdu.duties.cases import spot_check_case
from yingdu.duties.services import require_independent
from yingdu.enterprises.services import enterprise_disqualify
from yingdu.enterprises.workflow import TRANSITIONS as ENTERPRISE_TRANSITIONS
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.files import store_upload
from yingdu.i18n import in_chinese
from yingdu.inbox.services import entry_ref, notifications_mail
from yingdu.policy.selectors import work_calendar
from yingdu.rules.money import Money
from yingdu.transparency.services import log_append
from yingdu.vouchers.models import Voucher
from yingdu.vouchers.selectors import revocation_amounts
from yingdu.vouchers.services import voucher_revoke
from yingdu.vouchers.workflow import VOUCHER_TRANSITIONS

from . import selectors
from .events import (
    check_event,
    deadlines_recomputed_event,
    evidence_event,
    finding_event,
    fraud_confirmed_event,
    fraud_declined_event,
    note_event,
    notice_event,
    response_event,
)
from .models import (
    AuditNotice,
    AuditNoticeKind,
    CaseCheckItem,
    CaseEvidence,
    CaseFinding,
    CaseNote,
    CaseResponse,
    CaseStatus,
    CheckItemResult,
    FindingOutcome,
    FindingStatus,
    SpotCheckCase,
)
from .workflow import AUDIT_STAFF_ROLES, CASE_ACTIONS, CHECKLIST, OUTCOME_STATUS

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVIDENCE_CATEGORY = "spot_checks"

MSG_ROLE = _("只有审计员或系统管理员可以执行此操作")
MSG_CASE_STATUS = _("案件当前状态为“{status}”，不能执行此操作")
MSG_CHECK_CODE = _("检查项“{code}”不在清单中")
MSG_CHECK_RESULT = _("检查结果只能是待检查、相符或有问题")
MSG_TEXT_REQUIRED = _("请填写{label}")
MSG_NOT_MEMBER = _("只有被检查企业的成员可以提交说明")
MSG_RESPONSE_LATE = _("说明期已于 {deadline} 结束（通知后第 {days} 个工作日），逾期不予受理")
MSG_OUTCOME_INVALID = _("检查结论只能是合规、存在问题或欺诈")
MSG_CORRECTIVE_REQUIRED = _("结论为“存在问题”时须写明整改要求")
MSG_FINDING_NOT_PENDING = _("该结论不在待复核状态")
MSG_FOUR_EYES = _("欺诈认定须由记录人以外的另一名审计员或系统管理员复核确认")


def _require_staff(actor) -> None:
    if actor is None or not (user_roles(actor) & AUDIT_STAFF_ROLES):
        raise Forbidden(MSG_ROLE, code="role_not_allowed")


def _require_text(text, *, field: str, label: str, max_length: int = 10000) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(str(MSG_TEXT_REQUIRED).format(label=label), code="field_required", field=field)
    return text[:max_length]


def _lock_case(case: SpotCheckCase, action: str, *, staff=None, now: datetime | None = None) -> SpotCheckCase:
    """Lock a case for an action; a staff member linked to its enterprise or providers, or recused, is refused."""
    if staff is not None:
        require_independent(staff, spot_check_case(case), now=now)
    locked = SpotCheckCase.objects.select_for_update(of=("self",)).select_related(
        "enterprise", "draw", "work").get(pk=case.pk)
    if locked.status not in CASE_ACTIONS[action]:
        raise Conflict(str(MSG_CASE_STATUS).format(status=locked.get_status_display()), code="case_status",
                       detail={"status": locked.status, "action": action})
    return locked


@in_chinese
def _send_notice_email(notice_id: int) -> None:
    notice = AuditNotice.objects.select_related("enterprise__organisation").get(pk=notice_id)
    if notifications_mail(ref=entry_ref("audits.notice", notice_id),
                          subject=f"【影都算力券】{notice.get_kind_display()}（抽查案件 {notice.case_id}）",
                          body=notice.message):
        AuditNotice.objects.filter(pk=notice_id).update(emailed=True)


def _notify(*, case: SpotCheckCase, kind: str, message: str, now: datetime) -> dict:
    """An in-app notice to the enterprise and, after commit, the same by e-mail; returns its audits.notice entry,
    for the caller to append after the entry of the step that sends it."""
    notice = AuditNotice.objects.create(enterprise=case.enterprise, case=case, kind=kind, message=message,
                                        created_at=now)
    transaction.on_commit(lambda: _send_notice_email(notice.pk))
    return notice_event(notice)


# --- case steps -------------------------------------------------------------------------------------------------


def case_check_update(*, case: SpotCheckCase, code: str, result: str, note: str, actor, now: datetime
                      ) -> CaseCheckItem:
    """Record the result of one checklist item."""
    _require_staff(actor)
    if result not in CheckItemResult.values:
        raise DomainError(MSG_CHECK_RESULT, code="check_result_invalid", field="result")
    note = (note or "").strip()[:10000]
    with transaction.atomic():
        locked = _lock_case(case, "check", staff=actor, now=now)
        item = locked.check_items.select_for_update().filter(code=code).first()
        if item is None:
            raise DomainError(str(MSG_CHECK_CODE).format(code=code), code="check_code_unknown", field="code")
        item.result, item.note, item.checked_by, item.checked_at = result, note, actor, now
        item.save(update_fields=["result", "note", "checked_by", "checked_at"])
        log_append(events=[check_event(locked, item, actor=actor)], now=now)
    return item


def _evidence_create(*, case: SpotCheckCase, upload, check_code: str, actor, now: datetime,
                     by_enterprise: bool) -> CaseEvidence:
    stored = store_upload(upload=upload, category=EVIDENCE_CATEGORY)
    evidence = CaseEvidence.objects.create(
        case=case, check_code=check_code, sha256=stored.sha256, content_type=stored.content_type, size=stored.size,
        filename=(getattr(upload, "name", "") or "evidence")[-200:], uploaded_by=actor, uploaded_at=now,
        by_enterprise=by_enterprise)
    log_append(events=[evidence_event(case, evidence, actor=actor)], now=now)
    return evidence


def case_evidence_upload(*, case: SpotCheckCase, upload, check_code: str = "", actor, now: datetime) -> CaseEvidence:
    """Staff attach an evidence file to the case (optionally to one checklist item)."""
    _require_staff(actor)
    if check_code and check_code not in dict(CHECKLIST):
        raise DomainError(str(MSG_CHECK_CODE).format(code=check_code), code="check_code_unknown", field="check_code")
    with transaction.atomic():
        locked = _lock_case(case, "evidence", staff=actor, now=now)
        return _evidence_create(case=locked, upload=upload, check_code=check_code, actor=actor, now=now,
                                by_enterprise=False)


def case_note_add(*, case: SpotCheckCase, text: str, actor, now: datetime) -> CaseNote:
    """A staff note on the case."""
    _require_staff(actor)
    text = _require_text(text, field="text", label=_("备注"))
    with transaction.atomic():
        locked = _lock_case(case, "note", staff=actor, now=now)
        note = CaseNote.objects.create(case=locked, text=text, author=actor, at=now)
        log_append(events=[note_event(locked, note, actor=actor)], now=now)
    return note


def case_response_file(*, case: SpotCheckCase, text: str, evidence: list, actor, now: datetime) -> CaseResponse:
    """The enterprise's written response with evidence, until the end of the policy's objection window."""
    if actor is None or not selectors.case_is_member(actor, case):
        raise Forbidden(MSG_NOT_MEMBER, code="not_enterprise_member")
    text = _require_text(text, field="text", label=_("书面说明"))
    today = timezone.localdate(now)
    # a provisional deadline is never held against the enterprise (DESIGN §5)
    if not case.response_deadline_provisional and today > case.response_deadline_on:
        raise Conflict(str(MSG_RESPONSE_LATE).format(deadline=case.response_deadline_on.isoformat(),
                                                     days=case.response_window_working_days),
                       code="response_late", detail={"deadline_on": case.response_deadline_on.isoformat()})
    with transaction.atomic():
        locked = _lock_case(case, "respond")
        response = CaseResponse.objects.create(case=locked, text=text, filed_by=actor, filed_at=now)
        log_append(events=[response_event(locked, response, actor=actor)], now=now)
        for upload in evidence or []:
            _evidence_create(case=locked, upload=upload, check_code="", actor=actor, now=now, by_enterprise=True)
    return response


# --- findings and the fraud decision ----------------------------------------------------------------------------


def case_finding_record(*, case: SpotCheckCase, outcome: str, summary: str, corrective_action: str = "", actor,
                        now: datetime) -> CaseFinding:
    """Record the finding. Compliant or issues (with the corrective action) close the case and notify the
    enterprise; fraud waits for a second staff member's confirmation and changes nothing else yet."""
    _require_staff(actor)
    if outcome not in FindingOutcome.values:
        raise DomainError(MSG_OUTCOME_INVALID, code="finding_outcome_invalid", field="outcome")
    summary = _require_text(summary, field="summary", label=_("检查结论说明"))
    corrective_action = (corrective_action or "").strip()[:10000]
    if outcome == FindingOutcome.ISSUES and not corrective_action:
        raise DomainError(MSG_CORRECTIVE_REQUIRED, code="corrective_action_required", field="corrective_action")
    pending = outcome == FindingOutcome.FRAUD
    with transaction.atomic():
        locked = _lock_case(case, "record_finding", staff=actor, now=now)
        finding = CaseFinding.objects.create(
            case=locked, outcome=outcome, summary=summary, corrective_action=corrective_action,
            status=FindingStatus.PENDING_CONFIRMATION if pending else FindingStatus.FINAL,
            recorded_by=actor, recorded_at=now)
        locked.status = OUTCOME_STATUS[outcome]
        if not pending:
            locked.closed_at = now
        locked.save(update_fields=["status", "closed_at"])
        entries = [finding_event(locked, finding, actor=actor)]
        if not pending:
            action = f"整改要求：{corrective_action}" if corrective_action else "无须整改。"
            # the notice is stored (and committed to in the log) as sent: in Chinese, whatever the page's language
            outcome_label = in_chinese(finding.get_outcome_display)()
            entries.append(_notify(case=locked, kind=AuditNoticeKind.FINDING, now=now, message=(
                f"抽查案件 {locked.pk}（作品《{locked.work.title}》）检查结论：{outcome_label}。"
                f"{summary} {action}")))
        log_append(events=entries, now=now)
    return finding


def _lock_pending_finding(finding: CaseFinding) -> CaseFinding:
    locked = CaseFinding.objects.select_for_update(of=("self",)).select_related("case").get(pk=finding.pk)
    if locked.status != FindingStatus.PENDING_CONFIRMATION:
        raise Conflict(MSG_FINDING_NOT_PENDING, code="finding_not_pending")
    return locked


def _revocable_vouchers(enterprise) -> list[Voucher]:
    """The enterprise's vouchers that can be revoked, locked (in id order) to the end of the transaction."""
    sources, _target = VOUCHER_TRANSITIONS["revoke"]
    return list(Voucher.objects.select_for_update().filter(enterprise=enterprise, status__in=sources).order_by("id"))


def case_fraud_confirm(*, finding: CaseFinding, reason: str, actor, now: datetime) -> CaseFinding:
    """A second staff member confirms a fraud finding: every revocable voucher of the enterprise is revoked
    (voucher_revoke, source fraud_case:<case id>: balance voided, redeemed value claimed back) and the enterprise is
    disqualified from today with the finding as reason; the enterprise is told. All or nothing."""
    _require_staff(actor)
    reason = _require_text(reason, field="reason", label=_("复核意见"))
    with transaction.atomic():
        locked = _lock_pending_finding(finding)
        if locked.recorded_by_id == actor.pk:
            raise Forbidden(MSG_FOUR_EYES, code="four_eyes")
        case = _lock_case(locked.case, "review_fraud", staff=actor, now=now)
        enterprise = case.enterprise
        source = f"fraud_case:{case.pk}"
        revoke_reason = f"抽查案件 {case.pk} 认定欺诈：{locked.summary}"
        effective_on = timezone.localdate(now)
        # the decision first (cause before effect): what it revokes, worked out with the vouchers locked
        vouchers = _revocable_vouchers(enterprise)
        planned = [revocation_amounts(voucher) for voucher in vouchers]
        disqualified = enterprise.state in ENTERPRISE_TRANSITIONS["disqualify"].sources
        locked.status, locked.reviewed_by, locked.reviewed_at = FindingStatus.CONFIRMED, actor, now
        locked.review_reason = reason
        locked.revoked_vouchers = [voucher.number for voucher in vouchers]
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason", "revoked_vouchers"])
        case.status, case.closed_at = CaseStatus.CLOSED_FRAUD, now
        case.save(update_fields=["status", "closed_at"])
        log_append(events=[fraud_confirmed_event(
            case, locked, actor=actor, voided_fen=sum(amounts.voided_fen for amounts in planned),
            claimed_fen=sum(amounts.claimed_fen for amounts in planned), disqualified=disqualified,
            effective_on=effective_on)], now=now)
        # then its effects: each revocation, then the disqualification
        revocations = [voucher_revoke(voucher=voucher, reason=revoke_reason, actor=actor, now=now, source=source)
                       for voucher in vouchers]
        if [(r.voided_fen, r.claimed_fen) for r in revocations] != [(a.voided_fen, a.claimed_fen) for a in planned]:
            raise RuntimeError("the revocations moved other amounts than the logged decision")
        if disqualified:
            enterprise_disqualify(enterprise=enterprise, actor=actor, reason=revoke_reason, effective_on=effective_on,
                                  now=now)
        claimed = sum(r.claimed_fen for r in revocations)
        notice = _notify(case=case, kind=AuditNoticeKind.FRAUD_CONFIRMED, now=now, message=(
            f"抽查案件 {case.pk}（作品《{case.work.title}》）经两名工作人员认定存在欺诈：{locked.summary} "
            f"自 {timezone.localdate(now).isoformat()} 起取消贵企业的申报资格，撤销算力券 "
            f"{'、'.join(locked.revoked_vouchers) or '（无可撤销的算力券）'}，未使用余额作废"
            f"{f'，已核销的 {Money(claimed).format_display()} 元须退回' if claimed else ''}。如有异议，可书面申请重新决定。"))
        log_append(events=[notice], now=now)
    return locked


def case_fraud_decline(*, finding: CaseFinding, reason: str, actor, now: datetime) -> CaseFinding:
    """The second staff member does not confirm the fraud finding: it lapses and the case is open again."""
    _require_staff(actor)
    reason = _require_text(reason, field="reason", label=_("复核意见"))
    with transaction.atomic():
        locked = _lock_pending_finding(finding)
        case = _lock_case(locked.case, "review_fraud", staff=actor, now=now)
        locked.status, locked.reviewed_by, locked.reviewed_at = FindingStatus.DECLINED, actor, now
        locked.review_reason = reason
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
        case.status = CaseStatus.OPEN
        case.save(update_fields=["status"])
        log_append(events=[fraud_declined_event(case, locked, actor=actor)], now=now)
    return locked


def case_deadlines_recompute(*, now: datetime) -> list:
    """Recompute the provisional dates of spot-check cases that the official calendar can now answer; log each and
    tell the enterprise its response deadline. Responses filed meanwhile stay accepted."""
    from yingdu.policy.selectors import DeadlineMove
    from yingdu.rules.workdays import CalendarYearMissing

    calendar = work_calendar()
    moves = []
    cases = SpotCheckCase.objects.filter(models.Q(due_on_provisional=True) | models.Q(response_deadline_provisional=True))
    for case in cases.select_related("work", "enterprise"):
        try:
            due_on = calendar.add_working_days(start_on=case.opened_on, working_days=case.due_working_days)
            response_on = calendar.add_working_days(start_on=case.opened_on,
                                                    working_days=case.response_window_working_days)
        except CalendarYearMissing:
            continue
        if calendar.is_provisional(case.opened_on, due_on, response_on):
            continue
        previous = case.response_deadline_on
        with transaction.atomic():
            case.due_on, case.response_deadline_on = due_on, response_on
            case.due_on_provisional = case.response_deadline_provisional = False
            case.save(update_fields=["due_on", "response_deadline_on", "due_on_provisional",
                                     "response_deadline_provisional"])
            notice = _notify(case=case, kind=AuditNoticeKind.DEADLINE_RECOMPUTED, now=now, message=(
                f"抽查案件 {case.pk}（作品《{case.work.title}》）的说明截止日原按法定节假日推算为 {previous.isoformat()}"
                f"（预计），现按官方日历确定为 {response_on.isoformat()}。此前提交的说明均已受理。"))
            log_append(events=[deadlines_recomputed_event(case, now=now, actor=SYSTEM,
                                                          previous_response_deadline_on=previous), notice], now=now)
        moves.append(DeadlineMove(what=f"抽查案件 {case.pk} 说明截止日（{case.work.title}）",
                                  enterprise_id=case.enterprise_id, previous_on=previous, deadline_on=response_on,
                                  url=reverse("audits:case_detail", args=[case.pk])))
    return moves
