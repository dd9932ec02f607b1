"""Test helpers for redemptions behind the provider boundary (issue 13): the enterprise hands out a code, the
provider redeems with it."""

from datetime import datetime

from yingdu.vouchers.redemptions import RedemptionResult, redemption_code_create, redemption_submit


def code_for(voucher, *, now: datetime, provider=None, max_amount_fen: int | None = None, member=None) -> str:
    """A new redemption code for ``voucher``, created by a member of its enterprise (its registrant by default)."""
    member = member or voucher.enterprise.registered_by
    return redemption_code_create(voucher=voucher, actor=member, now=now, provider=provider,
                                  max_amount_fen=max_amount_fen).text


def redeem_with_code(*, provider, voucher, order_ref: str, amount_fen: int, now: datetime, category: str = "compute",
                     description: str = "", actor=None, api_key=None,
                     max_amount_fen: int | None = None) -> RedemptionResult:
    """The enterprise gives ``provider`` a code for ``voucher`` (bound to it; without a limit the redemption waits
    for the enterprise's confirmation, with one it is confirmed at once) and the provider submits with it."""
    code = code_for(voucher, now=now, provider=provider, max_amount_fen=max_amount_fen)
    return redemption_submit(provider=provider, voucher_number=voucher.number, code=code, order_ref=order_ref,
                             category=category, amount_fen=amount_fen, description=description, actor=actor,
                             api_key=api_key, now=now)
