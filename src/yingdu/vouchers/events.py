"""Log entries of the voucher app (besides vouchers.transfer, written by the ledger): free text only as commitments."""

from yingdu.transparency.services import commitment, event_time

from .models import Redemption, SettlementStatement, Voucher


def voucher_issued_event(voucher: Voucher, *, transfer_id: int) -> dict:
    return {
        "type": "vouchers.issue", "at": event_time(voucher.issued_at), "voucher": voucher.pk,
        "number": voucher.number, "enterprise": voucher.enterprise_id, "work": voucher.work_id,
        "application": voucher.application_id, "amount_fen": voucher.amount_fen, "budget_year": voucher.budget_year,
        "issued_on": voucher.issued_on.isoformat(),
        "expires_on": voucher.expires_on.isoformat() if voucher.expires_on else None,
        "policy_version": voucher.policy_version,
        "eligible_service_categories": list(voucher.eligible_service_categories),
        "actor": voucher.issued_by_id, "transfer": transfer_id,
    }


def redemption_event(redemption: Redemption, *, event_type: str, now, actor, transfer_id: int | None = None,
                     reason: str = "") -> dict:
    event = {
        "type": event_type, "at": event_time(now), "redemption": redemption.pk, "voucher": redemption.voucher_id,
        "provider": redemption.provider_id, "order_ref": redemption.order_ref, "category": redemption.category,
        "amount_fen": redemption.amount_fen, "status": redemption.status,
        "actor": actor.pk if actor is not None else None, "api_key": redemption.api_key_id,
    }
    if transfer_id is not None:
        event["transfer"] = transfer_id
    if reason:
        event["reason_commitment"] = commitment(salt=redemption.voucher.enterprise.commitment_salt,
                                                values={"reason": reason})
    return event


def statement_event(statement: SettlementStatement, *, event_type: str, now, actor, transfer_id: int | None = None,
                    redemption_ids: list[int] | None = None) -> dict:
    event = {
        "type": event_type, "at": event_time(now), "statement": statement.pk, "number": statement.number,
        "provider": statement.provider_id, "period_start_on": statement.period_start_on.isoformat(),
        "period_end_on": statement.period_end_on.isoformat(), "total_fen": statement.total_fen,
        "redemption_count": statement.redemption_count, "status": statement.status, "actor": actor.pk,
    }
    if redemption_ids is not None:
        event["redemptions"] = redemption_ids
    if transfer_id is not None:
        event["transfer"] = transfer_id
        event["payment_reference"] = statement.payment_reference
    return event


def free_text_commitment(voucher: Voucher, text: str) -> str:
    """A salted commitment (the enterprise's salt) to staff-written text, so that entries carry no free text."""
    return commitment(salt=voucher.enterprise.commitment_salt, values={"reason": text})
