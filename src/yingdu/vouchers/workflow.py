"""Allowed status transitions of vouchers, redemptions and statements, and which roles act on the money."""

from yingdu.accounts.models import Role

from .models import AccountKind, BalanceSide, RedemptionStatus, StatementStatus, TransferKind, VoucherStatus

# action → (statuses it may start from, status it leads to)
VOUCHER_TRANSITIONS = {
    "expire": (frozenset({VoucherStatus.ACTIVE}), VoucherStatus.EXPIRED),
    # an expired voucher can still be revoked: its redeemed value becomes a recovery claim
    "revoke": (frozenset({VoucherStatus.ACTIVE, VoucherStatus.EXPIRED}), VoucherStatus.REVOKED),
}

REDEMPTION_TRANSITIONS = {
    "confirm": (frozenset({RedemptionStatus.PENDING}), RedemptionStatus.CONFIRMED),
    "reject": (frozenset({RedemptionStatus.PENDING}), RedemptionStatus.REJECTED),
    "lapse": (frozenset({RedemptionStatus.PENDING}), RedemptionStatus.LAPSED),
    "cancel": (frozenset({RedemptionStatus.PENDING}), RedemptionStatus.CANCELLED),
}

STATEMENT_TRANSITIONS = {
    "pay": (frozenset({StatementStatus.OPEN}), StatementStatus.PAID),
}

# the one table of which account kinds a transfer of each kind moves value from and to
TRANSFER_ROUTES = {
    TransferKind.ISSUE: (AccountKind.PROGRAMME_BUDGET, AccountKind.VOUCHER),
    TransferKind.REDEEM: (AccountKind.VOUCHER, AccountKind.PROVIDER_RECEIVABLE),
    TransferKind.EXPIRE: (AccountKind.VOUCHER, AccountKind.PROGRAMME_BUDGET),
    TransferKind.VOID: (AccountKind.VOUCHER, AccountKind.PROGRAMME_BUDGET),
    TransferKind.SETTLE: (AccountKind.PROVIDER_RECEIVABLE, AccountKind.PROVIDER_SETTLED),
    TransferKind.CLAIM: (AccountKind.CLAIMS_RAISED, AccountKind.RECOVERY_CLAIM),
    TransferKind.REPAY: (AccountKind.RECOVERY_CLAIM, AccountKind.RECOVERED),
}

# the programme budget and the source of claims are issuers: their balance is ≤ 0 (−balance = value put out)
ACCOUNT_SIDES = {
    AccountKind.PROGRAMME_BUDGET: BalanceSide.NOT_POSITIVE,
    AccountKind.CLAIMS_RAISED: BalanceSide.NOT_POSITIVE,
    AccountKind.VOUCHER: BalanceSide.NOT_NEGATIVE,
    AccountKind.PROVIDER_RECEIVABLE: BalanceSide.NOT_NEGATIVE,
    AccountKind.PROVIDER_SETTLED: BalanceSide.NOT_NEGATIVE,
    AccountKind.RECOVERY_CLAIM: BalanceSide.NOT_NEGATIVE,
    AccountKind.RECOVERED: BalanceSide.NOT_NEGATIVE,
}

ISSUE_ROLES = frozenset({Role.APPROVER, Role.ADMIN})
FINANCE_ROLES = frozenset({Role.FINANCE})
# who may revoke, by where the revocation comes from
REVOKE_ROLES = {
    "finance": frozenset({Role.FINANCE}),
    "fraud_case": frozenset({Role.AUDITOR, Role.ADMIN}),
}
# staff who may read every voucher (pages and API)
VOUCHER_READER_ROLES = frozenset({Role.FINANCE, Role.APPROVER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN})
