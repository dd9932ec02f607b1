"""Writes of the voucher app: issuance, expiry and reminders, settlement, revocation, recovery (redemptions and
redemption codes: redemptions.py)."""

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.selectors import user_roles
from yingdu.actors import SYSTEM, actor_user_id
from yingdu.documents.models import DocumentKind
from yingdu.documents.services import document_number_issue
from yingdu.duties.cases import provider_case, settlement_case, voucher_case
from yingdu.duties.rules import Step
from yingdu.duties.services import four_eyes, require_independent
from yingdu.enterprises.models import EnterpriseState
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.i18n import in_chinese
from yingdu.inbox.services import entry_ref, notifications_mail
from yingdu.policy.selectors import policy_version_require_in_force
from yingdu.rules.money import Money
from yingdu.transparency.services import log_append

from .events import (
    claim_raised_event,
    notice_event,
    reminder_event,
    repayment_event,
    revoked_event,
    statement_created_event,
    statement_paid_event,
    voucher_expired_event,
    voucher_issued_event,
)
from .ledger import account_get_or_create, accounts_lock, transfer_post
from .models import (
    AccountKind,
    NoticeKind,
    RecoveryClaim,
    RecoveryRepayment,
    Redemption,
    RedemptionStatus,
    Revocation,
    SettlementStatement,
    TransferKind,
    Voucher,
    VoucherNotice,
    VoucherStatus,
)
from .numbers import voucher_number_new
from .selectors import revocation_amounts
from .workflow import (
    FINANCE_ROLES,
    ISSUE_ROLES,
    REDEMPTION_TRANSITIONS,
    REVOKE_ROLES,
    STATEMENT_TRANSITIONS,
    VOUCHER_TRANSITIONS,
)

logger = logging.getLogger(__name__)

MSG_AMOUNT_INVALID = _("金额应为大于 0 的整数分。")
MSG_ROLE = _("您的角色不能执行此操作。")
MSG_ENTERPRISE_NOT_VERIFIED = _("企业当前状态为“{state}”，不能发放算力券。")
MSG_APPLICATION_CONFLICT = _("申请 {application} 已发放算力券 {number}，且内容与本次不同。")
MSG_BUDGET_EXCEEDED = _("发放 {amount} 元将超出 {year} 年度算力券专项预算：预算 {budget} 元，已占用 {used} 元，"
                        "剩余 {remaining} 元。已拒绝发放。")
MSG_VOUCHER_EXPIRED = _("该算力券已于 {expires_on} 到期，不能核销。")
MSG_REDEMPTION_NOT_PENDING = _("该核销当前状态为“{status}”，不能再确认或拒绝。")
MSG_REASON_REQUIRED = _("请填写理由。")
MSG_VOUCHER_NOT_REVOCABLE = _("该算力券当前状态为“{status}”，不能撤销。")
MSG_REVOKE_SOURCE = _("撤销来源不正确。")
MSG_PERIOD_INVALID = _("结算期间结束日期不能早于开始日期，也不能晚于今天。")
MSG_SETTLEMENT_EMPTY = _("该服务商在此期间没有待结算的已确认核销。")
MSG_STATEMENT_PAID = _("该结算单已付款，不能重复付款。")
MSG_PAYMENT_REFERENCE_REQUIRED = _("请填写付款凭证号。")
MSG_REPAYMENT_TOO_MUCH = _("还款金额 {amount} 元超过尚欠金额 {outstanding} 元。")
MSG_REPAYMENT_REFERENCE_REQUIRED = _("请填写收款凭证号。")
MSG_REPAYMENT_CONFLICT = _("收款凭证号 {reference} 已登记过不同金额的还款。")


class BudgetExceeded(DomainError):
    code = "voucher_budget_exceeded"
    status = 409


def _yuan(fen: int) -> str:
    return Money(fen).format_display()


def _require_roles(actor, roles: frozenset[str]) -> None:
    if actor is None or not (user_roles(actor) & roles):
        raise Forbidden(MSG_ROLE, code="role_not_allowed")


def _require_amount(amount_fen, field: str = "amount") -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError(MSG_AMOUNT_INVALID, code="amount_invalid", field=field)
    return amount_fen


def _require_text(text, field: str, message=MSG_REASON_REQUIRED, max_length: int = 2000) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(message, code="field_required", field=field)
    return text[:max_length]


def _allowed(action: str, table: dict, status: str) -> str | None:
    sources, target = table[action]
    return target if status in sources else None


@in_chinese
def _send_notice_email(notice_id: int) -> None:
    notice = VoucherNotice.objects.select_related("voucher", "enterprise__organisation").get(pk=notice_id)
    # one e-mail per recipient of the notice's in-app notifications, each with the link to their own
    if notifications_mail(ref=entry_ref("vouchers.notice", notice_id),
                          subject=f"【影都算力券】{notice.get_kind_display()}（{notice.voucher.number}）",
                          body=render_to_string("vouchers/email/notice.txt", {"notice": notice})):
        VoucherNotice.objects.filter(pk=notice_id).update(emailed=True)


def _notify(*, voucher: Voucher, kind: str, message: str, now: datetime, dedupe_key: str | None = None,
            email: bool = True) -> list[dict]:
    """An in-app notice to the enterprise (once per dedupe key) and, after commit, the same by e-mail.

    Returns the notice's vouchers.notice entry (none when the key was already sent), for the caller to append after
    the entry of the decision that sends it."""
    notice, created = VoucherNotice.objects.get_or_create(
        dedupe_key=dedupe_key or f"{kind}:{voucher.pk}",
        defaults={"enterprise": voucher.enterprise, "voucher": voucher, "kind": kind, "message": message,
                  "created_at": now})
    if not created:
        return []
    if email:
        transaction.on_commit(lambda: _send_notice_email(notice.pk))
    return [notice_event(notice)]


# --- issuance -------------------------------------------------------------------------------------------------


def voucher_budget_used_fen(programme_account) -> int:
    """Budget of a year taken by vouchers: issued, less what expired or was voided back into it."""
    return -programme_account.balance_fen


def voucher_issue(*, enterprise, work_id: int, application_id: int, amount_fen: int, actor, now: datetime) -> Voucher:
    """Issue a voucher for an approved application (idempotent on application_id), within the year's budget.

    ``actor`` is the approver, or SYSTEM (no role check)."""
    if actor is not SYSTEM:
        _require_roles(actor, ISSUE_ROLES)
    _require_amount(amount_fen)
    issued_on = timezone.localdate(now)
    with transaction.atomic():
        existing = _voucher_for_application(application_id, enterprise=enterprise, work_id=work_id,
                                            amount_fen=amount_fen)
        if existing is not None:
            return existing
        if enterprise.state != EnterpriseState.VERIFIED:
            raise DomainError(str(MSG_ENTERPRISE_NOT_VERIFIED).format(state=enterprise.get_state_display()),
                              code="enterprise_not_verified")
        policy = policy_version_require_in_force(on=issued_on)
        year = issued_on.year
        ledger: list[dict] = []
        programme = account_get_or_create(AccountKind.PROGRAMME_BUDGET, year=year, now=now, entries=ledger)
        # the year's budget account is the issuance lock: issuances of one year queue here, then re-check
        programme = accounts_lock(programme)[programme.pk]
        existing = _voucher_for_application(application_id, enterprise=enterprise, work_id=work_id,
                                            amount_fen=amount_fen)
        if existing is not None:
            return existing
        used = voucher_budget_used_fen(programme)
        budget = policy.annual_budget_fen
        if budget is not None and used + amount_fen > budget:
            raise BudgetExceeded(str(MSG_BUDGET_EXCEEDED).format(
                amount=_yuan(amount_fen), year=year, budget=_yuan(budget), used=_yuan(used),
                remaining=_yuan(max(budget - used, 0))),
                detail={"year": year, "budget_fen": budget, "used_fen": used, "amount_fen": amount_fen,
                        "policy_version": policy.version_id})
        number = _voucher_number_unused(year)
        account = account_get_or_create(AccountKind.VOUCHER, voucher_number=number, enterprise=enterprise, now=now,
                                        entries=ledger)
        expires_on = (issued_on + timedelta(days=policy.voucher_validity_days - 1)
                      if policy.voucher_validity_days else None)
        voucher = Voucher.objects.create(
            number=number, enterprise=enterprise, account=account, work_id=work_id, application_id=application_id,
            amount_fen=amount_fen, budget_year=year, issued_on=issued_on, issued_at=now,
            issued_by_id=actor_user_id(actor),
            expires_on=expires_on, policy_version=policy.version_id,
            eligible_service_categories=list(policy.eligible_service_categories))
        transfer = transfer_post(kind=TransferKind.ISSUE, from_account=programme, to_account=account,
                                 amount_fen=amount_fen, reason=f"发放算力券 {number}", actor=actor, now=now,
                                 voucher=voucher, entries=ledger)
        validity = f"，有效期至 {expires_on.isoformat()}" if expires_on else ""
        notices = _notify(voucher=voucher, kind=NoticeKind.ISSUED, now=now,
                          message=f"算力券 {number} 已发放，面额 {_yuan(amount_fen)} 元{validity}。")
        document = document_number_issue(kind=DocumentKind.VOUCHER, subject_id=voucher.pk, now=now)
        log_append(events=[voucher_issued_event(voucher, actor=actor, transfer_id=transfer.pk, document=document),
                           *ledger, *notices], now=now)
    return voucher


def _voucher_number_unused(year: int) -> str:
    """A new random voucher number that no voucher has (issuances of a year are serialised by the caller's lock)."""
    while True:
        number = voucher_number_new(year)
        if not Voucher.objects.filter(number=number).exists():
            return number


def _voucher_for_application(application_id: int, *, enterprise, work_id: int, amount_fen: int) -> Voucher | None:
    voucher = Voucher.objects.filter(application_id=application_id).first()
    if voucher is None:
        return None
    if (voucher.enterprise_id, voucher.work_id, voucher.amount_fen) != (enterprise.pk, work_id, amount_fen):
        raise Conflict(str(MSG_APPLICATION_CONFLICT).format(application=application_id, number=voucher.number),
                       code="voucher_application_conflict", detail={"number": voucher.number})
    return voucher


# --- redemption -----------------------------------------------------------------------------------------------


def voucher_is_past_expiry(voucher: Voucher, *, today: date) -> bool:
    """Valid through the end of ``expires_on`` (Asia/Shanghai); from the next day on it is expired."""
    return voucher.status == VoucherStatus.EXPIRED or (voucher.expires_on is not None and today > voucher.expires_on)


def _refuse_unless(action: str, redemption: Redemption) -> str:
    target = _allowed(action, REDEMPTION_TRANSITIONS, redemption.status)
    if target is None:
        raise Conflict(str(MSG_REDEMPTION_NOT_PENDING).format(status=redemption.get_status_display()),
                       code="redemption_not_pending")
    return target


def _close_pending(voucher: Voucher, *, action: str, now: datetime) -> list[int]:
    """Lapse or cancel the voucher's pending redemptions (the voucher row is locked by the caller)."""
    closed = []
    for redemption in voucher.redemptions.select_for_update().filter(status=RedemptionStatus.PENDING):
        redemption.status = _refuse_unless(action, redemption)
        redemption.decided_at = now
        redemption.save(update_fields=["status", "decided_at"])
        closed.append(redemption.pk)
    return closed


# --- expiry and reminders -------------------------------------------------------------------------------------


def voucher_expire(*, voucher: Voucher, today: date, now: datetime) -> bool:
    """Expire one voucher past its last valid day: pending redemptions lapse, the balance returns to the budget."""
    with transaction.atomic():
        locked = Voucher.objects.select_for_update().select_related("account", "enterprise").get(pk=voucher.pk)
        target = _allowed("expire", VOUCHER_TRANSITIONS, locked.status)
        if target is None or locked.expires_on is None or today <= locked.expires_on:
            return False
        lapsed = _close_pending(locked, action="lapse", now=now)
        ledger: list[dict] = []
        programme = account_get_or_create(AccountKind.PROGRAMME_BUDGET, year=locked.budget_year, now=now,
                                          entries=ledger)
        accounts_lock(locked.account, programme)
        locked.account.refresh_from_db()
        balance = locked.account.balance_fen
        transfer = None
        if balance > 0:
            transfer = transfer_post(kind=TransferKind.EXPIRE, from_account=locked.account, to_account=programme,
                                     amount_fen=balance, reason=f"算力券 {locked.number} 到期，余额收回年度预算",
                                     actor=SYSTEM, now=now, voucher=locked, entries=ledger)
        locked.status, locked.status_changed_at = target, now
        locked.save(update_fields=["status", "status_changed_at"])
        notices = _notify(voucher=locked, kind=NoticeKind.EXPIRED, now=now,
                          message=f"算力券 {locked.number} 已于 {locked.expires_on.isoformat()} 到期，"
                                  f"未使用余额 {_yuan(balance)} 元已收回。")
        log_append(events=[voucher_expired_event(locked, now=now, expired_fen=balance, lapsed=lapsed,
                                                 transfer_id=transfer.pk if transfer else None),
                           *ledger, *notices], now=now)
    return True


def vouchers_expire_due(*, today: date, now: datetime) -> list[str]:
    """Expire every active voucher whose last valid day is before ``today``; the numbers expired."""
    due = Voucher.objects.filter(status=VoucherStatus.ACTIVE, expires_on__lt=today).order_by("pk")
    return [voucher.number for voucher in due if voucher_expire(voucher=voucher, today=today, now=now)]


REMINDER_DAYS = ((7, NoticeKind.REMINDER_7), (30, NoticeKind.REMINDER_30))


def voucher_reminders_send(*, today: date, now: datetime) -> int:
    """Remind enterprises 30 and 7 days before a voucher with balance left expires (once each); how many sent."""
    sent = 0
    horizon = today + timedelta(days=REMINDER_DAYS[-1][0])
    candidates = Voucher.objects.filter(status=VoucherStatus.ACTIVE, expires_on__gte=today,
                                        expires_on__lte=horizon, account__balance_fen__gt=0)
    for voucher in candidates.select_related("account", "enterprise"):
        days_left = (voucher.expires_on - today).days
        # the nearest reminder only: a voucher found first 5 days before expiry gets the 7-day one, not both
        days, kind = next((days, kind) for days, kind in REMINDER_DAYS if days_left <= days)
        with transaction.atomic():
            notices = _notify(voucher=voucher, kind=kind, now=now, dedupe_key=f"{kind}:{voucher.pk}",
                              message=f"算力券 {voucher.number} 将于 {voucher.expires_on.isoformat()} 到期"
                                      f"（还有 {days_left} 天），可用余额 {_yuan(voucher.account.balance_fen)} 元，"
                                      "请尽快使用。")
            if notices:
                log_append(events=[reminder_event(voucher, now=now, kind=kind, days_before=days), *notices],
                           now=now)
                sent += 1
    return sent


def vouchers_daily(*, today: date, now: datetime) -> dict:
    """The daily job: expire what is past its last valid day, then send due reminders."""
    return {"expired": vouchers_expire_due(today=today, now=now),
            "reminders": voucher_reminders_send(today=today, now=now)}


# --- settlement -----------------------------------------------------------------------------------------------


def settlement_create(*, provider, period_start_on: date, period_end_on: date, actor, now: datetime
                      ) -> SettlementStatement:
    """Finance's statement of the provider's confirmed, not yet settled redemptions confirmed up to the period end."""
    _require_roles(actor, FINANCE_ROLES)
    require_independent(actor, provider_case(provider), now=now)
    today = timezone.localdate(now)
    if period_end_on < period_start_on or period_end_on > today:
        raise DomainError(MSG_PERIOD_INVALID, code="settlement_period_invalid", field="period_end_on")
    end_moment = timezone.make_aware(datetime.combine(period_end_on + timedelta(days=1), datetime.min.time()))
    with transaction.atomic():
        # the provider's receivable account serialises its statements (and so their numbers)
        ledger: list[dict] = []
        accounts_lock(account_get_or_create(AccountKind.PROVIDER_RECEIVABLE, provider=provider, now=now,
                                            entries=ledger))
        redemptions = list(Redemption.objects.select_for_update().filter(
            provider=provider, status=RedemptionStatus.CONFIRMED, statement__isnull=True,
            decided_at__lt=end_moment).order_by("pk"))
        if not redemptions:
            raise DomainError(MSG_SETTLEMENT_EMPTY, code="settlement_empty")
        prefix = f"JS-{today.year}-{provider.pk:04d}-"
        sequence = SettlementStatement.objects.filter(number__startswith=prefix).count() + 1
        statement = SettlementStatement.objects.create(
            number=f"{prefix}{sequence:04d}", provider=provider,
            period_start_on=period_start_on, period_end_on=period_end_on,
            total_fen=sum(r.amount_fen for r in redemptions), redemption_count=len(redemptions),
            created_at=now, created_by=actor)
        Redemption.objects.filter(pk__in=[r.pk for r in redemptions]).update(statement=statement)
        log_append(events=[statement_created_event(statement, now=now, actor=actor,
                                                   redemption_ids=[r.pk for r in redemptions]), *ledger], now=now)
    return statement


def settlement_mark_paid(*, statement: SettlementStatement, payment_reference: str, actor,
                         now: datetime) -> SettlementStatement:
    """Finance records the payment of a statement: the total moves from receivable to settled. Four eyes: one
    person enters the payment reference, a second enters the same reference to confirm it."""
    _require_roles(actor, FINANCE_ROLES)
    payment_reference = _require_text(payment_reference, "payment_reference", MSG_PAYMENT_REFERENCE_REQUIRED, 100)
    require_independent(actor, settlement_case(statement), now=now)
    current = SettlementStatement.objects.values_list("status", flat=True).get(pk=statement.pk)
    if _allowed("pay", STATEMENT_TRANSITIONS, current) is None:
        raise Conflict(MSG_STATEMENT_PAID, code="statement_already_paid")
    return four_eyes(Step.SETTLEMENT_PAY, case=settlement_case(statement), actor=actor, now=now,
                     params={"payment_reference": payment_reference}, reason="",
                     execute=lambda entries: _statement_pay(statement, payment_reference, actor=actor, now=now,
                                                            entries=entries))


def settlement_pay_confirm(*, proposal, actor, now: datetime, note: str = "") -> SettlementStatement:
    """A second finance officer confirms a proposed payment (duties.services.proposal_confirm)."""
    statement = SettlementStatement.objects.get(pk=proposal.case_id)
    return settlement_mark_paid(statement=statement, payment_reference=proposal.params["payment_reference"],
                                actor=actor, now=now)


def _statement_pay(statement: SettlementStatement, payment_reference: str, *, actor, now: datetime,
                   entries: list[dict]) -> SettlementStatement:
    with transaction.atomic():
        locked = SettlementStatement.objects.select_for_update().select_related("provider").get(pk=statement.pk)
        target = _allowed("pay", STATEMENT_TRANSITIONS, locked.status)
        if target is None:
            raise Conflict(MSG_STATEMENT_PAID, code="statement_already_paid")
        ledger: list[dict] = []
        receivable = account_get_or_create(AccountKind.PROVIDER_RECEIVABLE, provider=locked.provider, now=now,
                                           entries=ledger)
        settled = account_get_or_create(AccountKind.PROVIDER_SETTLED, provider=locked.provider, now=now,
                                        entries=ledger)
        transfer = transfer_post(kind=TransferKind.SETTLE, from_account=receivable, to_account=settled,
                                 amount_fen=locked.total_fen, reason=f"结算单 {locked.number} 付款", actor=actor,
                                 now=now, statement=locked, entries=ledger)
        locked.status, locked.paid_at, locked.paid_by = target, now, actor
        locked.payment_reference = payment_reference
        locked.save(update_fields=["status", "paid_at", "paid_by", "payment_reference"])
        log_append(events=[*entries, statement_paid_event(locked, now=now, actor=actor, transfer_id=transfer.pk),
                           *ledger], now=now)
    return locked


# --- revocation and recovery ----------------------------------------------------------------------------------


def _revoke_roles(source: str) -> frozenset[str]:
    kind = (source or "").split(":", 1)[0]
    if kind not in REVOKE_ROLES:
        raise DomainError(MSG_REVOKE_SOURCE, code="revoke_source_invalid", field="source")
    return REVOKE_ROLES[kind]


def voucher_revoke(*, voucher: Voucher, reason: str, actor, now: datetime, source: str = "finance") -> Revocation:
    """Revoke a voucher: pending redemptions are cancelled, the balance is voided back to the budget at once, and
    the value already redeemed becomes a recovery claim on the enterprise. ``source`` is "finance" or
    "fraud_case[:<id>]". From finance it is a four-eyes step: one officer proposes, a second confirms (a fraud
    case's revocation follows a fraud finding that a second person already confirmed)."""
    _require_roles(actor, _revoke_roles(source))
    reason = _require_text(reason, "reason")
    case = voucher_case(voucher)
    require_independent(actor, case, now=now)
    if source.split(":", 1)[0] != "finance":
        return _voucher_revoke(voucher, reason=reason, actor=actor, now=now, source=source, entries=[])
    current = Voucher.objects.get(pk=voucher.pk)
    if _allowed("revoke", VOUCHER_TRANSITIONS, current.status) is None:
        raise Conflict(str(MSG_VOUCHER_NOT_REVOCABLE).format(status=current.get_status_display()),
                       code="voucher_not_revocable")
    return four_eyes(Step.VOUCHER_REVOKE, case=case, actor=actor, now=now, params={"source": source},
                     reason=reason, execute=lambda entries: _voucher_revoke(
                         voucher, reason=reason, actor=actor, now=now, source=source, entries=entries))


def voucher_revoke_confirm(*, proposal, actor, now: datetime, note: str = "") -> Revocation:
    """A second finance officer confirms a proposed revocation (duties.services.proposal_confirm)."""
    voucher = Voucher.objects.get(pk=proposal.case_id)
    return voucher_revoke(voucher=voucher, reason=note.strip() or proposal.reason, actor=actor, now=now,
                          source=proposal.params["source"])


def _voucher_revoke(voucher: Voucher, *, reason: str, actor, now: datetime, source: str,
                    entries: list[dict]) -> Revocation:
    with transaction.atomic():
        locked = Voucher.objects.select_for_update().select_related("account", "enterprise").get(pk=voucher.pk)
        target = _allowed("revoke", VOUCHER_TRANSITIONS, locked.status)
        if target is None:
            raise Conflict(str(MSG_VOUCHER_NOT_REVOCABLE).format(status=locked.get_status_display()),
                           code="voucher_not_revocable")
        cancelled = _close_pending(locked, action="cancel", now=now)
        ledger: list[dict] = []
        programme = account_get_or_create(AccountKind.PROGRAMME_BUDGET, year=locked.budget_year, now=now,
                                          entries=ledger)
        claims_raised = account_get_or_create(AccountKind.CLAIMS_RAISED, now=now, entries=ledger)
        recovery = account_get_or_create(AccountKind.RECOVERY_CLAIM, enterprise=locked.enterprise, now=now,
                                         entries=ledger)
        accounts_lock(locked.account, programme, claims_raised, recovery)
        locked.account.refresh_from_db()
        amounts = revocation_amounts(locked)
        voided, redeemed = amounts.voided_fen, amounts.claimed_fen
        revocation = Revocation.objects.create(voucher=locked, source=source, reason=reason, voided_fen=voided,
                                               claimed_fen=redeemed, revoked_at=now, revoked_by=actor)
        claim = None
        if redeemed > 0:
            claim = RecoveryClaim.objects.create(voucher=locked, enterprise=locked.enterprise, amount_fen=redeemed,
                                                 raised_at=now)
        transfers = []
        if voided > 0:
            transfers.append(transfer_post(
                kind=TransferKind.VOID, from_account=locked.account, to_account=programme, amount_fen=voided,
                reason=f"撤销算力券 {locked.number}，未使用余额作废", actor=actor, now=now, voucher=locked,
                entries=ledger))
        if claim is not None:
            transfers.append(transfer_post(
                kind=TransferKind.CLAIM, from_account=claims_raised, to_account=recovery, amount_fen=redeemed,
                reason=f"撤销算力券 {locked.number}，已核销金额形成追回债权", actor=actor, now=now, voucher=locked,
                claim=claim, entries=ledger))
        locked.status, locked.status_changed_at = target, now
        locked.save(update_fields=["status", "status_changed_at"])
        owed = f"已核销的 {_yuan(redeemed)} 元须退回" if redeemed else "无须退回款项"
        notices = _notify(voucher=locked, kind=NoticeKind.REVOKED, now=now,
                          message=f"算力券 {locked.number} 已被撤销：未使用余额 {_yuan(voided)} 元已作废，{owed}。"
                                  f"理由：{reason[:100]}")
        # cause first: the revocation, the claim it raises, the accounts and transfers it posts, its notice
        document = document_number_issue(kind=DocumentKind.REVOCATION, subject_id=revocation.pk, now=now)
        log_append(events=[
            *entries,
            revoked_event(revocation, claim=claim, cancelled=cancelled, transfer_ids=[t.pk for t in transfers],
                          actor=actor, document=document),
            *([claim_raised_event(claim)] if claim is not None else []), *ledger, *notices], now=now)
    return revocation


def recovery_repayment_record(*, claim: RecoveryClaim, amount_fen: int, reference: str, received_on: date, actor,
                              now: datetime) -> RecoveryRepayment:
    """Finance records money the enterprise paid back against a claim (idempotent on the receipt reference)."""
    _require_roles(actor, FINANCE_ROLES)
    _require_amount(amount_fen)
    reference = _require_text(reference, "reference", MSG_REPAYMENT_REFERENCE_REQUIRED, 100)
    require_independent(actor, voucher_case(claim.voucher), now=now)
    with transaction.atomic():
        locked = RecoveryClaim.objects.select_for_update().select_related("enterprise", "voucher").get(pk=claim.pk)
        existing = locked.repayments.filter(reference=reference).first()
        if existing is not None:
            if existing.amount_fen != amount_fen:
                raise Conflict(str(MSG_REPAYMENT_CONFLICT).format(reference=reference), code="repayment_conflict",
                               field="reference")
            return existing
        if amount_fen > locked.outstanding_fen:
            raise DomainError(str(MSG_REPAYMENT_TOO_MUCH).format(amount=_yuan(amount_fen),
                                                                 outstanding=_yuan(locked.outstanding_fen)),
                              code="repayment_exceeds_claim", field="amount")
        ledger: list[dict] = []
        recovery = account_get_or_create(AccountKind.RECOVERY_CLAIM, enterprise=locked.enterprise, now=now,
                                         entries=ledger)
        recovered = account_get_or_create(AccountKind.RECOVERED, now=now, entries=ledger)
        repayment = RecoveryRepayment.objects.create(claim=locked, amount_fen=amount_fen, reference=reference,
                                                     received_on=received_on, recorded_at=now, recorded_by=actor)
        transfer = transfer_post(kind=TransferKind.REPAY, from_account=recovery, to_account=recovered,
                                 amount_fen=amount_fen, reason=f"算力券 {locked.voucher.number} 追回还款 {reference}",
                                 actor=actor, now=now, voucher=locked.voucher, claim=locked, repayment=repayment,
                                 entries=ledger)
        locked.repaid_fen += amount_fen
        locked.save(update_fields=["repaid_fen"])
        log_append(events=[repayment_event(repayment, claim=locked, transfer_id=transfer.pk, actor=actor), *ledger],
                   now=now)
    return repayment
