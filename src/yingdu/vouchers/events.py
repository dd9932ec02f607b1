"""Log entries of the voucher app: the ledger (accounts and transfers), vouchers, redemptions, settlement,
revocation and recovery, and the notices sent to enterprises. Free text only appears as salted commitments (the
enterprise's salt).

Who recomputes what. The ledger and its documents (accounts with their balances, transfers, vouchers, redemptions)
are recomputed by the hand-written projection ``yingdu.audits.projections.vouchers`` (``projection="vouchers"``);
statements, recovery claims and repayments, revocations and notices by the ``Row`` declarations below.

Causal order. The entries of one transaction are appended cause first:

1. the entry of the decision (``vouchers.issue``, ``vouchers.redeem``, ``vouchers.expire``,
   ``vouchers.settlement_paid``, ``vouchers.revoke``, ``vouchers.recovery_repayment``…);
2. the documents it raises (``vouchers.recovery_claim`` after the ``vouchers.revoke`` that raises it);
3. the ledger entries it causes: the accounts it opens (``vouchers.account_open``, each before the first transfer
   that moves it) and the transfers it posts (``vouchers.transfer``) — a transfer names its cause (voucher,
   redemption, statement, claim, repayment), which is always already in the log;
4. the notice it sends to the enterprise (``vouchers.notice``, or ``vouchers.reminder`` then its notice).

A redemption with a code (issue 13) is ``vouchers.redemption_submit``, then ``vouchers.redemption_code_use`` (the
code it used), then — when the code's limit confirmed it in advance — ``vouchers.redeem`` with its account and
transfer entries, then its notice. The code itself never enters the log: ``vouchers.redemption_code_create``
carries a commitment (the enterprise's salt) to the SHA-256 the platform keeps.

So a revocation is ``vouchers.revoke``, [``vouchers.recovery_claim``], [``vouchers.account_open``…], the void
and claim ``vouchers.transfer`` entries, ``vouchers.notice``. A revocation caused by a confirmed fraud finding comes
after the ``audits.fraud_confirm`` entry that causes it (see ``yingdu.audits.events``).

The platform acting by itself (expiry, reminders) is the actor ``"system"``; entries written before issue 12 have
null there. A redemption submitted through the API has no person as actor (null) and names its API key.
"""

from yingdu.actors import SYSTEM_REF, actor_ref
from yingdu.documents.entries import document_fields, document_row, document_values
from yingdu.documents.models import DocumentKind, IssuedDocument
from yingdu.enterprises.models import Enterprise
from yingdu.transparency.catalogue import Committed, Const, Field, Kind, Row, declare, not_audited
from yingdu.transparency.services import commitment, event_time

from .models import (
    Account,
    LedgerCheckRun,
    RecoveryClaim,
    RecoveryRepayment,
    Redemption,
    RedemptionCode,
    RedemptionCodeStatus,
    Revocation,
    SettlementStatement,
    StatementStatus,
    Transfer,
    Voucher,
    VoucherNotice,
)

AT = Field(Kind.TIME, "when it happened")
# the documents a transfer may name as its cause (one per transfer kind), as the transfer's foreign keys
CAUSE_FIELDS = ("voucher", "redemption", "statement", "claim", "repayment")
ACTOR = Field(Kind.ACTOR, "the user who acted, or system (null in entries written before issue 12)", null=True)

# --- the ledger -----------------------------------------------------------------------------------------------

ACCOUNT_OPEN = declare(
    "vouchers.account_open",
    doc="An empty ledger account was opened, by the operation that first needs it (it moves no value).",
    fields={
        "at": AT,
        "account": Field(Kind.INT, "account id"),
        "key": Field(Kind.STR, "the account's unique key, as transfers name it (e.g. programme_budget:2026)"),
        "kind": Field(Kind.STR, "programme_budget|voucher|provider_receivable|provider_settled|claims_raised|"
                                "recovery_claim|recovered"),
        "side": Field(Kind.STR, "not_negative|not_positive: the side of zero its balance stays on"),
        "year": Field(Kind.INT, "budget year (programme budget accounts)", null=True),
        "enterprise": Field(Kind.INT, "enterprise id (voucher and recovery claim accounts)", null=True),
        "provider": Field(Kind.INT, "provider id (provider receivable and settled accounts)", null=True),
    },
    projection="vouchers",
)

TRANSFER = declare(
    "vouchers.transfer",
    doc="Value moved between two ledger accounts; every balance is the sum of the transfers in and out.",
    fields={
        "at": AT,
        "transfer": Field(Kind.INT, "transfer id"),
        "kind": Field(Kind.STR, "issue|redeem|expire|void|settle|claim|repay"),
        "from": Field(Kind.STR, "key of the account the amount leaves"),
        "to": Field(Kind.STR, "key of the account the amount enters"),
        "amount_fen": Field(Kind.INT, "amount in fen (> 0)"),
        "reason": Field(Kind.STR, "the ledger line's text"),
        "cause": Field(Kind.JSON, "the document that caused it: {voucher|redemption|statement|claim|repayment: id}"),
        "actor": ACTOR,
    },
    projection="vouchers",
)

# --- vouchers -------------------------------------------------------------------------------------------------

ISSUE = declare(
    "vouchers.issue", version=2,
    doc="A voucher was issued to an enterprise for an approved application, on the terms of the policy in force.",
    fields={
        "at": AT,
        "voucher": Field(Kind.INT, "voucher id"),
        "number": Field(Kind.STR, "voucher number (its account is voucher:<number>)"),
        "enterprise": Field(Kind.INT, "enterprise id"),
        "work": Field(Kind.INT, "work id"),
        "application": Field(Kind.INT, "application id"),
        "amount_fen": Field(Kind.INT, "face value in fen"),
        "budget_year": Field(Kind.INT, "the programme budget year it is charged to"),
        "issued_on": Field(Kind.DATE, "issue date (Asia/Shanghai)"),
        "expires_on": Field(Kind.DATE, "last valid day; null when the policy sets no validity", null=True),
        "policy_version": Field(Kind.STR, "the policy version in force on the issue date"),
        "eligible_service_categories": Field(Kind.STRS, "service categories it may pay for"),
        "actor": ACTOR,
        "transfer": Field(Kind.INT, "the issue transfer (its entry follows)"),
        **document_fields(since=2),
    },
    rows=[document_row(DocumentKind.VOUCHER, subject="voucher")],
    projection="vouchers",
)

EXPIRE = declare(
    "vouchers.expire",
    doc="A voucher past its last valid day expired: its pending redemptions lapsed and its balance returned to "
        "the budget.",
    fields={
        "at": AT,
        "voucher": Field(Kind.INT),
        "number": Field(Kind.STR),
        "expires_on": Field(Kind.DATE, "its last valid day"),
        "expired_fen": Field(Kind.INT, "balance returned to the budget"),
        "lapsed_redemptions": Field(Kind.INTS, "pending redemptions that lapsed"),
        "transfer": Field(Kind.INT, "the expire transfer (null when the balance was 0)", null=True),
    },
    projection="vouchers",
)

REMINDER = declare(
    "vouchers.reminder",
    doc="An enterprise was reminded that a voucher with balance left expires soon (once per voucher and kind).",
    fields={
        "at": AT,
        "voucher": Field(Kind.INT),
        "kind": Field(Kind.STR, "reminder_30|reminder_7"),
        "days_before": Field(Kind.INT, "the reminder's distance from the last valid day"),
        "expires_on": Field(Kind.DATE),
    },
    not_projected="the decision to remind; the notice row it writes is recomputed from the vouchers.notice entry "
                  "that follows it",
)

# --- redemptions ----------------------------------------------------------------------------------------------

_REDEMPTION_FIELDS = {
    "at": AT,
    "redemption": Field(Kind.INT, "redemption id"),
    "voucher": Field(Kind.INT),
    "provider": Field(Kind.INT, "provider id"),
    "order_ref": Field(Kind.STR, "the provider's order reference (unique per provider)"),
    "category": Field(Kind.STR, "service category"),
    "amount_fen": Field(Kind.INT),
    "status": Field(Kind.STR, "the redemption's status after this entry"),
    "actor": Field(Kind.ACTOR, "who acted; null for a submission through the API (see api_key)", null=True),
    "api_key": Field(Kind.INT, "the provider's API key used, if any", null=True),
}

REDEMPTION_SUBMIT = declare(
    "vouchers.redemption_submit", version=2,
    doc="A provider asked to redeem part of a voucher for one order; the amount is reserved until the enterprise "
        "decides.",
    fields={**_REDEMPTION_FIELDS,
            "description_commitment": Field(Kind.DIGEST, "commitment to the order description", since=2)},
    projection="vouchers",
)

REDEEM = declare(
    "vouchers.redeem",
    doc="The enterprise confirmed a pending redemption (in its wallet, or in advance by giving the provider a "
        "redemption code limited to an amount; then the actor is the member who created the code): the amount "
        "moves from the voucher to the provider.",
    fields={**_REDEMPTION_FIELDS, "transfer": Field(Kind.INT, "the redeem transfer (its entry follows)")},
    projection="vouchers",
)

REDEMPTION_REJECT = declare(
    "vouchers.redemption_reject",
    doc="The enterprise rejected a pending redemption; the reserved amount is available again.",
    fields={**_REDEMPTION_FIELDS, "reason_commitment": Field(Kind.DIGEST, "commitment to the reason")},
    projection="vouchers",
)

# --- redemption codes (issue 13) -------------------------------------------------------------------------------

_ENTERPRISE_SALT = {"salt_model": Enterprise, "salt_key": "enterprise"}

REDEMPTION_CODE_CREATE = declare(
    "vouchers.redemption_code_create",
    doc="An enterprise member created a one-time redemption code for one of its vouchers, to give to a provider; "
        "the code's hash appears only as a commitment (the enterprise's salt), never the code.",
    fields={
        "at": AT,
        "code": Field(Kind.INT, "redemption code id"),
        "voucher": Field(Kind.INT),
        "enterprise": Field(Kind.INT, "the voucher's enterprise (whose salt the commitment uses)"),
        "provider": Field(Kind.INT, "the only provider that may use it (null: any local provider)", null=True),
        "max_amount_fen": Field(Kind.INT, "the most it lets the provider redeem, confirmed in advance (null: no "
                                          "limit, the enterprise confirms the redemption in its wallet)", null=True),
        "expires_at": Field(Kind.TIME, "the moment it stops being valid"),
        "code_hash_commitment": Field(Kind.DIGEST, "commitment to the SHA-256 of the code's symbols"),
        "actor": Field(Kind.ACTOR, "the enterprise member"),
    },
    rows=[Row(RedemptionCode, key="code", columns={
        "voucher_id": "voucher", "provider_id": "provider", "max_amount_fen": "max_amount_fen",
        "status": Const(RedemptionCodeStatus.ACTIVE.value), "created_at": "at", "created_by_id": "actor",
        "expires_at": "expires_at", "redemption_id": Const(None), "used_at": Const(None),
        "revoked_at": Const(None), "revoked_by_id": Const(None),
        "code_hash": Committed("code_hash_commitment", {"code_hash": "code_hash"}, **_ENTERPRISE_SALT)})],
)

REDEMPTION_CODE_USE = declare(
    "vouchers.redemption_code_use",
    doc="A provider used a redemption code for the redemption submitted just before; the code cannot be used again.",
    fields={
        "at": AT,
        "code": Field(Kind.INT, "redemption code id"),
        "voucher": Field(Kind.INT),
        "redemption": Field(Kind.INT, "the redemption it authorised (its vouchers.redemption_submit precedes)"),
        "provider": Field(Kind.INT),
        "confirmed_in_advance": Field(Kind.BOOL, "true when the code's limit confirmed the redemption at once"),
    },
    rows=[Row(RedemptionCode, key="code", action="update", columns={
        "status": Const(RedemptionCodeStatus.USED.value), "used_at": "at", "redemption_id": "redemption"})],
)

REDEMPTION_CODE_REVOKE = declare(
    "vouchers.redemption_code_revoke",
    doc="An enterprise member revoked an unused redemption code.",
    fields={"at": AT, "code": Field(Kind.INT, "redemption code id"), "voucher": Field(Kind.INT),
            "actor": Field(Kind.ACTOR, "the enterprise member")},
    rows=[Row(RedemptionCode, key="code", action="update", columns={
        "status": Const(RedemptionCodeStatus.REVOKED.value), "revoked_at": "at", "revoked_by_id": "actor"})],
)

# --- settlement -----------------------------------------------------------------------------------------------

_STATEMENT_FIELDS = {
    "at": AT,
    "statement": Field(Kind.INT, "statement id"),
    "number": Field(Kind.STR, "statement number"),
    "provider": Field(Kind.INT),
    "period_start_on": Field(Kind.DATE),
    "period_end_on": Field(Kind.DATE),
    "total_fen": Field(Kind.INT, "sum of its redemptions"),
    "redemption_count": Field(Kind.INT),
    "status": Field(Kind.STR, "open|paid"),
    "actor": Field(Kind.ACTOR, "the finance officer"),
}

SETTLEMENT_CREATE = declare(
    "vouchers.settlement_create",
    doc="Finance drew up a provider's statement of confirmed, not yet settled redemptions up to the period's end.",
    fields={**_STATEMENT_FIELDS, "redemptions": Field(Kind.INTS, "the redemptions it settles")},
    rows=[Row(SettlementStatement, key="statement", columns={
        "number": "number", "provider_id": "provider", "period_start_on": "period_start_on",
        "period_end_on": "period_end_on", "total_fen": "total_fen", "redemption_count": "redemption_count",
        "status": "status", "created_at": "at", "created_by_id": "actor", "paid_at": Const(None),
        "paid_by_id": Const(None), "payment_reference": Const("")})],
    projection="vouchers",
)

SETTLEMENT_PAID = declare(
    "vouchers.settlement_paid",
    doc="Finance recorded the payment of a statement: its total moves from receivable to settled.",
    fields={**_STATEMENT_FIELDS, "transfer": Field(Kind.INT, "the settle transfer (its entry follows)"),
            "payment_reference": Field(Kind.STR, "the payment's voucher number at the bank")},
    rows=[Row(SettlementStatement, key="statement", action="update", columns={
        "status": Const(StatementStatus.PAID.value), "paid_at": "at", "paid_by_id": "actor",
        "payment_reference": "payment_reference"})],
)

# --- revocation and recovery ----------------------------------------------------------------------------------

REVOKE = declare(
    "vouchers.revoke", version=3,
    doc="A voucher was revoked: pending redemptions cancelled, its balance voided back to the budget, the value "
        "already redeemed claimed back from the enterprise.",
    fields={
        "at": AT,
        "voucher": Field(Kind.INT),
        "number": Field(Kind.STR),
        "source": Field(Kind.STR, "finance, or fraud_case:<case id>"),
        "reason_commitment": Field(Kind.DIGEST, "commitment to the reason"),
        "voided_fen": Field(Kind.INT, "balance voided back to the budget"),
        "claimed_fen": Field(Kind.INT, "value already redeemed, now owed back"),
        "claim": Field(Kind.INT, "the recovery claim raised (null when nothing was redeemed)", null=True),
        "cancelled_redemptions": Field(Kind.INTS, "pending redemptions cancelled"),
        "transfers": Field(Kind.INTS, "the void and claim transfers (their entries follow)"),
        "actor": Field(Kind.ACTOR),
        "revocation": Field(Kind.INT, "revocation id", since=2),
        "enterprise": Field(Kind.INT, "the voucher's enterprise (whose salt the commitment uses)", since=2),
        **document_fields(since=3),
    },
    rows=[document_row(DocumentKind.REVOCATION, subject="revocation"), Row(Revocation, key="revocation", columns={
        "voucher_id": "voucher", "source": "source", "voided_fen": "voided_fen", "claimed_fen": "claimed_fen",
        "revoked_at": "at", "revoked_by_id": "actor",
        "reason": Committed("reason_commitment", {"reason": "reason"}, **_ENTERPRISE_SALT)})],
    projection="vouchers",
)

RECOVERY_CLAIM = declare(
    "vouchers.recovery_claim",
    doc="A revocation raised a claim on the enterprise for the value already redeemed from the voucher.",
    fields={"at": AT, "claim": Field(Kind.INT, "claim id"), "voucher": Field(Kind.INT),
            "enterprise": Field(Kind.INT), "amount_fen": Field(Kind.INT, "amount owed back")},
    rows=[Row(RecoveryClaim, key="claim", columns={
        "voucher_id": "voucher", "enterprise_id": "enterprise", "amount_fen": "amount_fen",
        "repaid_fen": Const(0), "raised_at": "at"})],
)

RECOVERY_REPAYMENT = declare(
    "vouchers.recovery_repayment", version=2,
    doc="Finance recorded money the enterprise paid back against a recovery claim.",
    fields={
        "at": AT,
        "claim": Field(Kind.INT),
        "voucher": Field(Kind.INT),
        "repayment": Field(Kind.INT, "repayment id"),
        "amount_fen": Field(Kind.INT),
        "reference": Field(Kind.STR, "the receipt reference (unique per claim)"),
        "received_on": Field(Kind.DATE),
        "outstanding_fen": Field(Kind.INT, "still owed after it"),
        "transfer": Field(Kind.INT, "the repay transfer (its entry follows)"),
        "actor": Field(Kind.ACTOR, "the finance officer"),
        "repaid_fen": Field(Kind.INT, "repaid on the claim in all, after it", since=2),
    },
    rows=[
        Row(RecoveryRepayment, key="repayment", columns={
            "claim_id": "claim", "amount_fen": "amount_fen", "reference": "reference", "received_on": "received_on",
            "recorded_at": "at", "recorded_by_id": "actor"}),
        Row(RecoveryClaim, key="claim", action="update", columns={"repaid_fen": "repaid_fen"}),
    ],
)

# --- notices --------------------------------------------------------------------------------------------------

NOTICE = declare(
    "vouchers.notice",
    doc="An in-app notice (and e-mail) was sent to an enterprise about one of its vouchers; its text appears only "
        "as a commitment.",
    fields={
        "at": AT,
        "notice": Field(Kind.INT, "notice id"),
        "voucher": Field(Kind.INT),
        "enterprise": Field(Kind.INT),
        "kind": Field(Kind.STR, "issued|reminder_30|reminder_7|expired|revoked|redemption|redeemed"),
        "dedupe_key": Field(Kind.STR, "sent once per key"),
        "message_commitment": Field(Kind.DIGEST, "commitment to the message"),
    },
    rows=[Row(VoucherNotice, key="notice", columns={
        "voucher_id": "voucher", "enterprise_id": "enterprise", "kind": "kind", "dedupe_key": "dedupe_key",
        "created_at": "at", "message": Committed("message_commitment", {"message": "message"}, **_ENTERPRISE_SALT)})],
)

not_audited(LedgerCheckRun, reason="results of the ledger check (a report about the ledger, recomputed from the "
                                   "transfers and the log on each run), not a record of the programme")

not_audited(VoucherNotice, columns={
    "emailed": "set after the transaction commits, once the mail server accepted the e-mail; delivery is not "
               "recorded in the log",
})


# --- builders -------------------------------------------------------------------------------------------------


def _text_commitment(enterprise: Enterprise, key: str, text: str) -> str:
    return commitment(salt=enterprise.commitment_salt, values={key: text})


def free_text_commitment(voucher: Voucher, text: str) -> str:
    """A salted commitment (the enterprise's salt) to staff-written text, so that entries carry no free text."""
    return _text_commitment(voucher.enterprise, "reason", text)


def account_opened_event(account: Account) -> dict:
    return ACCOUNT_OPEN.build(at=event_time(account.created_at), account=account.pk, key=account.key,
                              kind=str(account.kind), side=str(account.side), year=account.year,
                              enterprise=account.enterprise_id, provider=account.provider_id)


def transfer_event(transfer: Transfer) -> dict:
    """vouchers.transfer: enough to recompute the transfer row and every balance from the log."""
    return TRANSFER.build(
        at=event_time(transfer.created_at), transfer=transfer.pk, kind=str(transfer.kind),
        amount_fen=transfer.amount_fen, reason=transfer.reason,
        cause={name: getattr(transfer, f"{name}_id") for name in CAUSE_FIELDS if getattr(transfer, f"{name}_id")},
        actor=transfer.actor_id if transfer.actor_id is not None else SYSTEM_REF,
        **{"from": transfer.from_account.key, "to": transfer.to_account.key})


def voucher_issued_event(voucher: Voucher, *, actor, transfer_id: int, document: IssuedDocument) -> dict:
    return ISSUE.build(**document_values(document),
        at=event_time(voucher.issued_at), voucher=voucher.pk, number=voucher.number,
        enterprise=voucher.enterprise_id, work=voucher.work_id, application=voucher.application_id,
        amount_fen=voucher.amount_fen, budget_year=voucher.budget_year, issued_on=voucher.issued_on.isoformat(),
        expires_on=voucher.expires_on.isoformat() if voucher.expires_on else None,
        policy_version=voucher.policy_version, eligible_service_categories=list(voucher.eligible_service_categories),
        actor=actor_ref(actor), transfer=transfer_id)


def voucher_expired_event(voucher: Voucher, *, now, expired_fen: int, lapsed: list[int], transfer_id: int | None
                          ) -> dict:
    return EXPIRE.build(at=event_time(now), voucher=voucher.pk, number=voucher.number,
                        expires_on=voucher.expires_on.isoformat(), expired_fen=expired_fen, lapsed_redemptions=lapsed,
                        transfer=transfer_id)


def reminder_event(voucher: Voucher, *, now, kind: str, days_before: int) -> dict:
    return REMINDER.build(at=event_time(now), voucher=voucher.pk, kind=str(kind), days_before=days_before,
                          expires_on=voucher.expires_on.isoformat())


def _redemption_fields(redemption: Redemption, *, now, actor) -> dict:
    return {"at": event_time(now), "redemption": redemption.pk, "voucher": redemption.voucher_id,
            "provider": redemption.provider_id, "order_ref": redemption.order_ref,
            "category": str(redemption.category), "amount_fen": redemption.amount_fen,
            "status": str(redemption.status), "actor": actor_ref(actor) if actor is not None else None,
            "api_key": redemption.api_key_id}


def redemption_submitted_event(redemption: Redemption, *, now, actor) -> dict:
    return REDEMPTION_SUBMIT.build(
        **_redemption_fields(redemption, now=now, actor=actor),
        description_commitment=_text_commitment(redemption.voucher.enterprise, "description",
                                                redemption.description))


def redemption_confirmed_event(redemption: Redemption, *, now, actor, transfer_id: int) -> dict:
    return REDEEM.build(**_redemption_fields(redemption, now=now, actor=actor), transfer=transfer_id)


def redemption_rejected_event(redemption: Redemption, *, now, actor, reason: str) -> dict:
    return REDEMPTION_REJECT.build(**_redemption_fields(redemption, now=now, actor=actor),
                                   reason_commitment=free_text_commitment(redemption.voucher, reason))


def redemption_code_created_event(code: RedemptionCode, *, actor) -> dict:
    voucher = code.voucher
    return REDEMPTION_CODE_CREATE.build(
        at=event_time(code.created_at), code=code.pk, voucher=voucher.pk, enterprise=voucher.enterprise_id,
        provider=code.provider_id, max_amount_fen=code.max_amount_fen, expires_at=event_time(code.expires_at),
        code_hash_commitment=_text_commitment(voucher.enterprise, "code_hash", code.code_hash), actor=actor_ref(actor))


def redemption_code_used_event(code: RedemptionCode, *, now, confirmed_in_advance: bool) -> dict:
    return REDEMPTION_CODE_USE.build(at=event_time(now), code=code.pk, voucher=code.voucher_id,
                                     redemption=code.redemption_id, provider=code.redemption.provider_id,
                                     confirmed_in_advance=confirmed_in_advance)


def redemption_code_revoked_event(code: RedemptionCode, *, actor) -> dict:
    return REDEMPTION_CODE_REVOKE.build(at=event_time(code.revoked_at), code=code.pk, voucher=code.voucher_id,
                                        actor=actor_ref(actor))


def _statement_fields(statement: SettlementStatement, *, now, actor) -> dict:
    return {"at": event_time(now), "statement": statement.pk, "number": statement.number,
            "provider": statement.provider_id, "period_start_on": statement.period_start_on.isoformat(),
            "period_end_on": statement.period_end_on.isoformat(), "total_fen": statement.total_fen,
            "redemption_count": statement.redemption_count, "status": str(statement.status),
            "actor": actor_ref(actor)}


def statement_created_event(statement: SettlementStatement, *, now, actor, redemption_ids: list[int]) -> dict:
    return SETTLEMENT_CREATE.build(**_statement_fields(statement, now=now, actor=actor), redemptions=redemption_ids)


def statement_paid_event(statement: SettlementStatement, *, now, actor, transfer_id: int) -> dict:
    return SETTLEMENT_PAID.build(**_statement_fields(statement, now=now, actor=actor), transfer=transfer_id,
                                 payment_reference=statement.payment_reference)


def revoked_event(revocation: Revocation, *, claim: RecoveryClaim | None, cancelled: list[int],
                  transfer_ids: list[int], actor, document: IssuedDocument) -> dict:
    voucher = revocation.voucher
    return REVOKE.build(**document_values(document),
        at=event_time(revocation.revoked_at), voucher=voucher.pk, number=voucher.number, source=revocation.source,
        reason_commitment=free_text_commitment(voucher, revocation.reason), voided_fen=revocation.voided_fen,
        claimed_fen=revocation.claimed_fen, claim=claim.pk if claim else None, cancelled_redemptions=cancelled,
        transfers=transfer_ids, actor=actor_ref(actor), revocation=revocation.pk, enterprise=voucher.enterprise_id)


def claim_raised_event(claim: RecoveryClaim) -> dict:
    return RECOVERY_CLAIM.build(at=event_time(claim.raised_at), claim=claim.pk, voucher=claim.voucher_id,
                                enterprise=claim.enterprise_id, amount_fen=claim.amount_fen)


def repayment_event(repayment: RecoveryRepayment, *, claim: RecoveryClaim, transfer_id: int, actor) -> dict:
    return RECOVERY_REPAYMENT.build(
        at=event_time(repayment.recorded_at), claim=claim.pk, voucher=claim.voucher_id, repayment=repayment.pk,
        amount_fen=repayment.amount_fen, reference=repayment.reference,
        received_on=repayment.received_on.isoformat(), outstanding_fen=claim.outstanding_fen, transfer=transfer_id,
        actor=actor_ref(actor), repaid_fen=claim.repaid_fen)


def notice_event(notice: VoucherNotice) -> dict:
    return NOTICE.build(at=event_time(notice.created_at), notice=notice.pk, voucher=notice.voucher_id,
                        enterprise=notice.enterprise_id, kind=str(notice.kind), dedupe_key=notice.dedupe_key,
                        message_commitment=_text_commitment(notice.enterprise, "message", notice.message))
