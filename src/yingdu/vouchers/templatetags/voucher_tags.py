from django import template

from yingdu.rules.money import Money
from yingdu.vouchers import texts

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Integer fen shown as yuan with thousands separators: 123456 → "1,234.56"."""
    if fen is None or fen == "":
        return "—"
    return Money(int(fen)).format_display()


_STATE_CLASSES = {"active": "state-verified", "expired": "state-pending", "revoked": "state-rejected",
                  "open": "state-pending", "paid": "state-verified"}


@register.filter
def state_class(status: str) -> str:
    """The shared badge colour for a voucher or statement status."""
    return _STATE_CLASSES.get(status, "")


@register.filter
def transfer_text(transfer) -> str:
    """A ledger transfer's reason in the page's language (vouchers.texts)."""
    return texts.transfer_text(transfer)


@register.filter
def notice_text(notice) -> str:
    """A wallet notice in the page's language (vouchers.texts)."""
    return texts.notice_text(notice)
