"""What the wallet and the ledger say, in the page's language. Notices and transfer reasons are stored (and committed
to in the log) in Chinese as they were written; a page in another language builds the same sentence from the row's
kind and the rows it points to, at display time."""

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yingdu.rules.money import Money

from .models import NoticeKind, Redemption, TransferKind, VoucherNotice


def _chinese() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


def _yuan(fen: int) -> str:
    return Money(fen).format_display()


def transfer_text(transfer) -> str:
    """The reason of a ledger transfer: the stored Chinese text on a Chinese page, else built from its kind."""
    if _chinese():
        return transfer.reason
    voucher = transfer.voucher
    number = voucher.number if voucher is not None else ""
    if transfer.kind == TransferKind.ISSUE:
        return _("发放算力券 {number}").format(number=number)
    if transfer.kind == TransferKind.REDEEM and transfer.redemption is not None:
        return _("核销 {provider} 订单 {order}").format(provider=transfer.redemption.provider.name,
                                                       order=transfer.redemption.order_ref)
    if transfer.kind == TransferKind.EXPIRE:
        return _("算力券 {number} 到期，余额收回年度预算").format(number=number)
    if transfer.kind == TransferKind.SETTLE and transfer.statement is not None:
        return _("结算单 {number} 付款").format(number=transfer.statement.number)
    if transfer.kind == TransferKind.VOID:
        return _("撤销算力券 {number}，未使用余额作废").format(number=number)
    if transfer.kind == TransferKind.CLAIM:
        return _("撤销算力券 {number}，已核销金额形成追回债权").format(number=number)
    if transfer.kind == TransferKind.REPAY and transfer.repayment is not None:
        return _("算力券 {number} 追回还款 {reference}").format(number=transfer.repayment.claim.voucher.number,
                                                            reference=transfer.repayment.reference)
    return f"{transfer.get_kind_display()} {number}".strip()


def _redemption_notice(notice: VoucherNotice, voucher) -> str | None:
    redemption_id = notice.dedupe_key.partition(":")[2]
    redemption = (Redemption.objects.select_related("provider", "redemption_code")
                  .filter(pk=redemption_id if redemption_id.isdigit() else None, voucher=voucher).first())
    if redemption is None:
        return None
    code = getattr(redemption, "redemption_code", None)
    values = {"provider": redemption.provider.name, "code": code.pk if code else "", "number": voucher.number,
              "amount": _yuan(redemption.amount_fen), "order": redemption.order_ref}
    if notice.kind == NoticeKind.REDEEMED:
        return _("{provider} 凭核销码 #{code} 核销了算力券 {number} {amount} 元（订单 {order}）。").format(**values)
    return _("{provider} 凭核销码 #{code} 提交了算力券 {number} 的核销 {amount} 元（订单 {order}），"
             "请在钱包中确认或拒绝。").format(**values)


def _revoked_notice(voucher) -> str | None:
    revocation = getattr(voucher, "revocation", None)
    if revocation is None:
        return None
    owed = (_("已核销的 {amount} 元须退回").format(amount=_yuan(revocation.claimed_fen)) if revocation.claimed_fen
            else _("无须退回款项"))
    return _("算力券 {number} 已被撤销：未使用余额 {voided} 元已作废，{owed}。理由：{reason}").format(
        number=voucher.number, voided=_yuan(revocation.voided_fen), owed=owed, reason=revocation.reason[:100])


def notice_text(notice: VoucherNotice) -> str:
    """A wallet notice: the stored Chinese text on a Chinese page, else built from its kind and its voucher."""
    if _chinese():
        return notice.message
    voucher, text = notice.voucher, None
    if notice.kind == NoticeKind.ISSUED:
        validity = (_("，有效期至 {day}").format(day=voucher.expires_on.isoformat()) if voucher.expires_on else "")
        text = _("算力券 {number} 已发放，面额 {amount} 元{validity}。").format(
            number=voucher.number, amount=_yuan(voucher.amount_fen), validity=validity)
    elif notice.kind in {NoticeKind.REMINDER_30, NoticeKind.REMINDER_7} and voucher.expires_on:
        text = _("算力券 {number} 将于 {day} 到期，请尽快使用可用余额。").format(
            number=voucher.number, day=voucher.expires_on.isoformat())
    elif notice.kind == NoticeKind.EXPIRED and voucher.expires_on:
        returned = voucher.transfers.filter(kind=TransferKind.EXPIRE).first()
        text = _("算力券 {number} 已于 {day} 到期，未使用余额 {amount} 元已收回。").format(
            number=voucher.number, day=voucher.expires_on.isoformat(),
            amount=_yuan(returned.amount_fen if returned else 0))
    elif notice.kind == NoticeKind.REVOKED:
        text = _revoked_notice(voucher)
    elif notice.kind in {NoticeKind.REDEMPTION, NoticeKind.REDEEMED}:
        text = _redemption_notice(notice, voucher)
    return text or f"{notice.get_kind_display()}: {voucher.number}"
