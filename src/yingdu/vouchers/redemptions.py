"""Redemption of vouchers by providers, behind the provider boundary of issue 13.

A provider learns nothing about a voucher its holder has not shown it: a redemption needs the voucher's number and
a one-time redemption code that the enterprise created in its wallet and gave the provider. Without a valid code,
every refusal is the same (``voucher_or_code_invalid``, 404), whatever the reason (no such number, wrong, used,
expired or revoked code, a code bound to another provider, a voucher no longer active), and a provider that keeps
entering wrong codes is locked out for a while. A code limited to an amount confirms the redemption in advance;
without a limit the enterprise still confirms it in its wallet (docs/decisions.md, "Provider boundary").
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_roles
from yingdu.enterprises.selectors import enterprise_of_user
from yingdu.errors import Conflict, DomainError, Forbidden, NotFound
from yingdu.metering.models import ServiceCategory
from yingdu.transparency.services import log_append

from .events import (
    redemption_code_created_event,
    redemption_code_revoked_event,
    redemption_code_used_event,
    redemption_confirmed_event,
    redemption_rejected_event,
    redemption_submitted_event,
)
from .ledger import account_get_or_create, transfer_post
from .models import (
    AccountKind,
    NoticeKind,
    Redemption,
    RedemptionCode,
    RedemptionCodeStatus,
    TransferKind,
    Voucher,
    VoucherStatus,
)
from .numbers import redemption_code_hash, redemption_code_new, voucher_number_normalise
from .selectors import voucher_pending_by_voucher
from .services import (
    MSG_VOUCHER_EXPIRED,
    _notify,
    _refuse_unless,
    _require_amount,
    _require_text,
    _yuan,
    voucher_is_past_expiry,
)

# Operating constants (not programme policy), each a trade-off written down in docs/decisions.md:
# how long a new code stays valid — long enough to hand it to a provider and place an order, short enough that a
# forgotten code does not linger;
CODE_VALIDITY = timedelta(hours=72)
# how many wrong codes one provider may enter within one window before it is locked out until the window ends —
# with 80-bit codes a few guesses per window never find one, and a provider's honest typos stay well below.
CODE_FAILURE_LIMIT = 10
CODE_FAILURE_WINDOW = timedelta(minutes=15)

MSG_VOUCHER_OR_CODE_INVALID = _("券号或核销码无效。请向持券企业核对券号，并请其在算力券钱包中生成新的核销码。")
MSG_NUMBER_MALFORMED = _("券号格式不正确或校验位不符，请核对是否输错（如 HR-2026-XXXX-XXXX-XXXXX）。")
MSG_CODE_REQUIRED = _("请填写持券企业提供的核销码。")
MSG_CODE_LOCKED = _("核销码错误次数过多，请 {minutes} 分钟后再试。")
MSG_CODE_LIMIT_EXCEEDED = _("核销金额超过该核销码允许的金额。")
MSG_INSUFFICIENT = _("核销金额超过该算力券的可用余额。")
MSG_PROVIDER_NOT_LOCAL = _("算力券只能在本地注册的服务商处核销。")
MSG_CATEGORY_UNKNOWN = _("服务类别不正确，应为：算力服务、模型服务或数据产品。")
MSG_CATEGORY_INELIGIBLE = _("该算力券不能用于“{category}”类服务（政策 {policy} 可抵扣：{allowed}）。")
MSG_ORDER_REF_INVALID = _("订单号应为 1–100 位字母、数字或 - _ . / : 字符。")
MSG_DESCRIPTION_TOO_LONG = _("订单说明不能超过 200 字。")
MSG_ORDER_CONFLICT = _("订单号 {order_ref} 已提交过内容不同的核销，未作修改。")
MSG_REDEMPTION_NOT_FOUND = _("未找到该核销记录。")
MSG_VOUCHER_NOT_FOUND = _("未找到该算力券。")
MSG_VOUCHER_NOT_ACTIVE = _("该算力券当前状态为“{status}”，不能生成核销码。")
MSG_CODE_LIMIT_ABOVE_AVAILABLE = _("限额 {limit} 元超过该算力券当前可用余额 {available} 元。")
MSG_CODE_PROVIDER_NOT_LOCAL = _("只能指定本地注册的服务商。")
MSG_CODE_NOT_FOUND = _("未找到该核销码。")
MSG_CODE_NOT_ACTIVE = _("该核销码当前状态为“{status}”，不能作废。")

_ORDER_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_./:]{0,99}$")


class InsufficientBalance(DomainError):
    code = "voucher_insufficient_balance"
    status = 409


class VoucherOrCodeInvalid(NotFound):
    code = "voucher_or_code_invalid"


# --- redemption codes (the enterprise) ------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    """A new redemption code: the stored row and the code itself, which is shown once and never stored."""

    code: RedemptionCode
    text: str


def _require_member_of(voucher: Voucher, actor) -> None:
    enterprise = enterprise_of_user(actor)
    if Role.ENTERPRISE_MEMBER not in user_roles(actor) or enterprise is None or enterprise.pk != voucher.enterprise_id:
        raise NotFound(MSG_VOUCHER_NOT_FOUND, code="voucher_not_found")


def redemption_code_create(*, voucher: Voucher, actor, now: datetime, provider=None,
                           max_amount_fen: int | None = None) -> IssuedCode:
    """An enterprise member creates a one-time code for one active voucher, optionally bound to one provider and
    limited to an amount (then it confirms the redemption in advance); valid for CODE_VALIDITY."""
    _require_member_of(voucher, actor)
    if max_amount_fen is not None:
        _require_amount(max_amount_fen, field="max_amount")
    if provider is not None and not provider.is_local:
        raise DomainError(MSG_CODE_PROVIDER_NOT_LOCAL, code="provider_not_local", field="provider")
    with transaction.atomic():
        locked = Voucher.objects.select_for_update().select_related("account", "enterprise").get(pk=voucher.pk)
        if locked.status != VoucherStatus.ACTIVE or voucher_is_past_expiry(locked, today=timezone.localdate(now)):
            status = VoucherStatus.EXPIRED.label if locked.status == VoucherStatus.ACTIVE else locked.get_status_display()
            raise Conflict(str(MSG_VOUCHER_NOT_ACTIVE).format(status=status), code="voucher_not_active")
        available = locked.account.balance_fen - voucher_pending_by_voucher([locked]).get(locked.pk, 0)
        if max_amount_fen is not None and max_amount_fen > available:
            raise DomainError(str(MSG_CODE_LIMIT_ABOVE_AVAILABLE).format(limit=_yuan(max_amount_fen),
                                                                         available=_yuan(max(available, 0))),
                              code="redemption_code_limit_above_available", field="max_amount")
        while True:
            text = redemption_code_new()
            try:
                with transaction.atomic():
                    code = RedemptionCode.objects.create(
                        voucher=locked, code_hash=redemption_code_hash(text), provider=provider,
                        max_amount_fen=max_amount_fen, created_at=now, created_by=actor,
                        expires_at=now + CODE_VALIDITY)
                break
            except IntegrityError:  # an 80-bit collision: draw again
                continue
        log_append(events=[redemption_code_created_event(code, actor=actor)], now=now)
    return IssuedCode(code=code, text=text)


def redemption_code_revoke(*, code: RedemptionCode, actor, now: datetime) -> RedemptionCode:
    """An enterprise member revokes an unused code of one of its vouchers."""
    with transaction.atomic():
        locked = RedemptionCode.objects.select_for_update().select_related("voucher").filter(pk=code.pk).first()
        if locked is None:
            raise NotFound(MSG_CODE_NOT_FOUND, code="redemption_code_not_found")
        try:
            _require_member_of(locked.voucher, actor)
        except NotFound:
            raise NotFound(MSG_CODE_NOT_FOUND, code="redemption_code_not_found") from None
        if locked.status != RedemptionCodeStatus.ACTIVE:
            raise Conflict(str(MSG_CODE_NOT_ACTIVE).format(status=locked.get_status_display()),
                           code="redemption_code_not_active")
        locked.status, locked.revoked_at, locked.revoked_by = RedemptionCodeStatus.REVOKED, now, actor
        locked.save(update_fields=["status", "revoked_at", "revoked_by"])
        log_append(events=[redemption_code_revoked_event(locked, actor=actor)], now=now)
    return locked


# --- wrong codes: a lockout per provider ----------------------------------------------------------------------


def _failures_key(provider) -> str:
    return f"vouchers:redemption-code-failures:{provider.pk}"


def _refuse_if_locked_out(provider) -> None:
    if cache.get(_failures_key(provider), 0) >= CODE_FAILURE_LIMIT:
        minutes = int(CODE_FAILURE_WINDOW.total_seconds() // 60)
        raise DomainError(str(MSG_CODE_LOCKED).format(minutes=minutes), code="redemption_code_locked", status=429,
                          detail={"retry_after_seconds": int(CODE_FAILURE_WINDOW.total_seconds())})


def _count_failure(provider) -> None:
    """One more wrong code in the provider's current window (the window starts at its first failure)."""
    key = _failures_key(provider)
    timeout = int(CODE_FAILURE_WINDOW.total_seconds())
    cache.add(key, 0, timeout=timeout)
    try:
        cache.incr(key)
    except ValueError:  # the window ended between the two calls
        cache.set(key, 1, timeout=timeout)


# --- redemption (the provider) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedemptionResult:
    redemption: Redemption
    created: bool


def _same_request(redemption: Redemption, *, voucher_number: str, category: str, amount_fen: int,
                  description: str) -> bool:
    return (redemption.voucher.number, redemption.category, redemption.amount_fen, redemption.description) == (
        voucher_number, category, amount_fen, description)


def _replay(provider, order_ref: str, **request) -> RedemptionResult | None:
    existing = (Redemption.objects.select_related("voucher").filter(provider=provider, order_ref=order_ref).first())
    if existing is None:
        return None
    if not _same_request(existing, **request):
        raise Conflict(str(MSG_ORDER_CONFLICT).format(order_ref=order_ref), code="redemption_conflict",
                       field="order_ref", detail={"redemption": existing.pk})
    return RedemptionResult(existing, created=False)


def _code_admits(code: RedemptionCode | None, voucher: Voucher | None, *, provider, now: datetime) -> bool:
    """Whether a code found for the voucher lets this provider redeem it now (the one test behind every refusal
    that must look the same)."""
    return (code is not None and voucher is not None and code.status == RedemptionCodeStatus.ACTIVE
            and not code.is_expired(now) and code.provider_id in (None, provider.pk)
            and voucher.status == VoucherStatus.ACTIVE
            and not voucher_is_past_expiry(voucher, today=timezone.localdate(now)))


def _validated(*, order_ref: str, category: str, amount_fen: int, description: str) -> tuple[str, str]:
    order_ref = (order_ref or "").strip()
    if not _ORDER_REF.match(order_ref):
        raise DomainError(MSG_ORDER_REF_INVALID, code="order_ref_invalid", field="order_ref")
    if category not in ServiceCategory.values:
        raise DomainError(MSG_CATEGORY_UNKNOWN, code="category_invalid", field="category")
    _require_amount(amount_fen)
    description = (description or "").strip()
    if len(description) > 200:
        raise DomainError(MSG_DESCRIPTION_TOO_LONG, code="description_too_long", field="description")
    return order_ref, description


def redemption_submit(*, provider, voucher_number: str, code: str, order_ref: str, category: str, amount_fen: int,
                      description: str = "", actor=None, api_key=None, now: datetime) -> RedemptionResult:
    """A provider redeems part of a voucher for one order with the holder's one-time code; idempotent on
    (provider, order_ref). A code with a limit confirms the redemption at once; without one it waits for the
    enterprise's confirmation."""
    order_ref, description = _validated(order_ref=order_ref, category=category, amount_fen=amount_fen,
                                        description=description)
    number = voucher_number_normalise(voucher_number)
    if number is None:
        raise DomainError(MSG_NUMBER_MALFORMED, code="voucher_number_invalid", field="voucher_number")
    if not provider.is_local:
        raise Forbidden(MSG_PROVIDER_NOT_LOCAL, code="provider_not_local")
    if not (code or "").strip():
        raise DomainError(MSG_CODE_REQUIRED, code="redemption_code_required", field="code")
    request = {"voucher_number": number, "category": category, "amount_fen": amount_fen, "description": description}
    with transaction.atomic():
        replay = _replay(provider, order_ref, **request)
        if replay is not None:
            return replay
        _refuse_if_locked_out(provider)
        code_hash = redemption_code_hash(code)
        voucher = (Voucher.objects.select_for_update().select_related("account", "enterprise")
                   .filter(number=number).first())
        replay = _replay(provider, order_ref, **request)
        if replay is not None:
            return replay
        # the voucher row is locked: of two requests with one code, the second finds it used
        found = None
        if voucher is not None and code_hash is not None:
            found = RedemptionCode.objects.select_for_update().filter(voucher=voucher, code_hash=code_hash).first()
        if not _code_admits(found, voucher, provider=provider, now=now):
            _count_failure(provider)
            raise VoucherOrCodeInvalid(MSG_VOUCHER_OR_CODE_INVALID, field="code")
        _require_redeemable(voucher, found, category=category, amount_fen=amount_fen)
        try:
            with transaction.atomic():
                redemption = Redemption.objects.create(
                    provider=provider, voucher=voucher, order_ref=order_ref, category=category,
                    amount_fen=amount_fen, description=description, submitted_at=now, submitted_by=actor,
                    api_key=api_key)
        except IntegrityError:
            # the same order reference was submitted at the same moment for another voucher
            replay = _replay(provider, order_ref, **request)
            if replay is None:
                raise
            return replay
        events = [redemption_submitted_event(redemption, now=now, actor=actor)]
        found.status, found.used_at, found.redemption = RedemptionCodeStatus.USED, now, redemption
        found.save(update_fields=["status", "used_at", "redemption"])
        in_advance = found.max_amount_fen is not None
        events.append(redemption_code_used_event(found, now=now, confirmed_in_advance=in_advance))
        if in_advance:
            events += _confirm_locked(voucher, redemption, actor=found.created_by, now=now)
            notices = _notify(voucher=voucher, kind=NoticeKind.REDEEMED, now=now,
                              dedupe_key=f"redeemed:{redemption.pk}",
                              message=f"{provider.name} 凭核销码 #{found.pk} 核销了算力券 {voucher.number} "
                                      f"{_yuan(amount_fen)} 元（订单 {order_ref}）。")
        else:
            notices = _notify(voucher=voucher, kind=NoticeKind.REDEMPTION, now=now,
                              dedupe_key=f"redemption:{redemption.pk}",
                              message=f"{provider.name} 凭核销码 #{found.pk} 提交了算力券 {voucher.number} 的核销 "
                                      f"{_yuan(amount_fen)} 元（订单 {order_ref}），请在钱包中确认或拒绝。")
        log_append(events=[*events, *notices], now=now)
    return RedemptionResult(redemption, created=True)


def _require_redeemable(voucher: Voucher, code: RedemptionCode, *, category: str, amount_fen: int) -> None:
    """With a valid code: the category, the code's limit and the voucher's available balance (never its figure)."""
    if category not in voucher.eligible_service_categories:
        allowed = "、".join(str(ServiceCategory(value).label) for value in voucher.eligible_service_categories)
        raise DomainError(str(MSG_CATEGORY_INELIGIBLE).format(
            category=ServiceCategory(category).label, policy=voucher.policy_version, allowed=allowed or "无"),
            code="redemption_category_ineligible", field="category")
    if code.max_amount_fen is not None and amount_fen > code.max_amount_fen:
        raise DomainError(MSG_CODE_LIMIT_EXCEEDED, code="redemption_code_limit_exceeded", field="amount", status=409)
    available = voucher.account.balance_fen - voucher_pending_by_voucher([voucher]).get(voucher.pk, 0)
    if amount_fen > available:
        raise InsufficientBalance(MSG_INSUFFICIENT, field="amount")


# --- the enterprise's decision --------------------------------------------------------------------------------


def _lock_redemption_of_member(redemption: Redemption, actor) -> tuple[Voucher, Redemption]:
    """The voucher and redemption, locked in that order; NotFound unless the actor is a member of the enterprise."""
    voucher = Voucher.objects.select_for_update().select_related("enterprise").get(pk=redemption.voucher_id)
    enterprise = enterprise_of_user(actor)
    if Role.ENTERPRISE_MEMBER not in user_roles(actor) or enterprise is None or enterprise.pk != voucher.enterprise_id:
        raise NotFound(MSG_REDEMPTION_NOT_FOUND, code="redemption_not_found")
    locked = Redemption.objects.select_for_update().select_related("provider").get(pk=redemption.pk)
    locked.voucher = voucher
    return voucher, locked


def _confirm_locked(voucher: Voucher, redemption: Redemption, *, actor, now: datetime) -> list[dict]:
    """Move a pending redemption's amount from the voucher to the provider (both rows locked); its entries."""
    target = _refuse_unless("confirm", redemption)
    ledger: list[dict] = []
    receivable = account_get_or_create(AccountKind.PROVIDER_RECEIVABLE, provider=redemption.provider, now=now,
                                       entries=ledger)
    transfer = transfer_post(
        kind=TransferKind.REDEEM, from_account=voucher.account, to_account=receivable,
        amount_fen=redemption.amount_fen, reason=f"核销 {redemption.provider.name} 订单 {redemption.order_ref}",
        actor=actor, now=now, voucher=voucher, redemption=redemption, entries=ledger)
    redemption.status, redemption.decided_at, redemption.decided_by = target, now, actor
    redemption.save(update_fields=["status", "decided_at", "decided_by"])
    return [redemption_confirmed_event(redemption, now=now, actor=actor, transfer_id=transfer.pk), *ledger]


def redemption_confirm(*, redemption: Redemption, actor, now: datetime) -> Redemption:
    """The enterprise confirms a pending redemption: only now does value move from the voucher to the provider."""
    with transaction.atomic():
        voucher, locked = _lock_redemption_of_member(redemption, actor)
        _refuse_unless("confirm", locked)
        if voucher_is_past_expiry(voucher, today=timezone.localdate(now)):
            raise DomainError(str(MSG_VOUCHER_EXPIRED).format(expires_on=voucher.expires_on.isoformat()),
                              code="voucher_expired", status=409)
        log_append(events=_confirm_locked(voucher, locked, actor=actor, now=now), now=now)
    return locked


def redemption_reject(*, redemption: Redemption, reason: str, actor, now: datetime) -> Redemption:
    """The enterprise rejects a pending redemption; its reserved amount is available again (its code stays used)."""
    reason = _require_text(reason, "reason", max_length=200)
    with transaction.atomic():
        _voucher, locked = _lock_redemption_of_member(redemption, actor)
        target = _refuse_unless("reject", locked)
        locked.status, locked.decided_at, locked.decided_by, locked.decision_reason = target, now, actor, reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        log_append(events=[redemption_rejected_event(locked, now=now, actor=actor, reason=reason)], now=now)
    return locked
