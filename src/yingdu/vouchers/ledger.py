"""The double-entry ledger: accounts, the one function that posts a transfer, and the check that recomputes it all.

Design: one row per transfer, moving ``amount_fen`` (> 0) from one account to another, so every transfer balances by
construction and Σ balances over all accounts is always 0. balance(account) = Σ amounts in − Σ amounts out. Each
account kind keeps its balance on one side of zero (see workflow.ACCOUNT_SIDES); the cached ``balance_fen`` is
updated in the same transaction as the transfer, guarded by a CHECK constraint, and recomputed by ``ledger_check``.
Transfers are never updated or deleted: no service does, and a database trigger refuses it. Every account opened is
a ``vouchers.account_open`` entry and every transfer a ``vouchers.transfer`` entry, in the same transaction: appended
at once, or (``entries=``) handed to the caller, who appends them after the entry of the decision that caused them
(the causal order of yingdu.vouchers.events).
"""

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext_lazy as _

from yingdu.actors import actor_user_id
from yingdu.errors import DomainError
from yingdu.transparency.selectors import entries_of_type
from yingdu.transparency.services import log_append

from .events import CAUSE_FIELDS, TRANSFER, account_opened_event, transfer_event
from .models import (
    Account,
    AccountKind,
    BalanceSide,
    LedgerCheckRun,
    RecoveryClaim,
    Redemption,
    RedemptionStatus,
    SettlementStatement,
    StatementStatus,
    Transfer,
    TransferKind,
    Voucher,
    VoucherStatus,
)
from .workflow import ACCOUNT_SIDES, TRANSFER_ROUTES

TRANSFER_EVENT = TRANSFER.name

MSG_LEDGER_SIDE = _("账户 {account} 的余额不能变为 {balance} 分，已拒绝该笔划转。")
MSG_TRANSFER_INVALID = _("划转不符合账务规则：{problem}")


class LedgerRefused(DomainError):
    code = "ledger_refused"
    status = 409


def _account_key(kind: str, *, year=None, enterprise=None, provider=None, voucher_number=None) -> str:
    if kind == AccountKind.PROGRAMME_BUDGET:
        return f"programme_budget:{year}"
    if kind == AccountKind.VOUCHER:
        return f"voucher:{voucher_number}"
    if kind in (AccountKind.PROVIDER_RECEIVABLE, AccountKind.PROVIDER_SETTLED):
        return f"{kind}:{provider.pk}"
    if kind == AccountKind.RECOVERY_CLAIM:
        return f"recovery_claim:{enterprise.pk}"
    return str(kind)


def _record(event: dict, *, entries: list | None, now) -> None:
    """Append a ledger entry now, or hand it to the caller's list (appended after the entry of its cause)."""
    if entries is None:
        log_append(events=[event], now=now)
    else:
        entries.append(event)


def account_get_or_create(kind: str, *, now, year=None, enterprise=None, provider=None,
                          voucher_number=None, entries: list | None = None) -> Account:
    """The account of a kind (and year, enterprise, provider or voucher), created empty on first use (and its
    vouchers.account_open entry appended, or added to ``entries``)."""
    key = _account_key(kind, year=year, enterprise=enterprise, provider=provider, voucher_number=voucher_number)
    account, created = Account.objects.get_or_create(key=key, defaults={
        "kind": kind, "side": ACCOUNT_SIDES[kind], "year": year, "enterprise": enterprise, "provider": provider,
        "created_at": now})
    if created:
        _record(account_opened_event(account), entries=entries, now=now)
    return account


def accounts_lock(*accounts: Account) -> dict[int, Account]:
    """Lock accounts for the rest of the transaction, in id order (so two writers never wait on each other)."""
    ids = sorted({account.pk for account in accounts})
    return {account.pk: account for account in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _on_its_side(side: str, balance_fen: int) -> bool:
    return balance_fen >= 0 if side == BalanceSide.NOT_NEGATIVE else balance_fen <= 0




def transfer_post(*, kind: str, from_account: Account, to_account: Account, amount_fen: int, reason: str, actor,
                  now, entries: list | None = None, **cause) -> Transfer:
    """Move ``amount_fen`` between two accounts, update both cached balances and append the log entry (or add it
    to ``entries``, for the caller to append after the entry of the transfer's cause). ``actor`` is a user or
    SYSTEM."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise LedgerRefused(str(MSG_TRANSFER_INVALID).format(problem=f"amount_fen={amount_fen!r}"),
                            code="ledger_transfer_invalid")
    if (from_account.kind, to_account.kind) != TRANSFER_ROUTES[kind] or from_account.pk == to_account.pk:
        raise LedgerRefused(str(MSG_TRANSFER_INVALID).format(
            problem=f"{kind}: {from_account.key} → {to_account.key}"), code="ledger_transfer_invalid")
    if set(cause) - set(CAUSE_FIELDS):
        raise TypeError(f"unknown cause {sorted(set(cause) - set(CAUSE_FIELDS))}")
    with transaction.atomic():
        locked = accounts_lock(from_account, to_account)
        source, target = locked[from_account.pk], locked[to_account.pk]
        for account, new_balance in ((source, source.balance_fen - amount_fen),
                                     (target, target.balance_fen + amount_fen)):
            if not _on_its_side(account.side, new_balance):
                raise LedgerRefused(str(MSG_LEDGER_SIDE).format(account=account.key, balance=new_balance),
                                    code="ledger_balance_side", detail={"account": account.key})
        Account.objects.filter(pk=source.pk).update(balance_fen=F("balance_fen") - amount_fen)
        Account.objects.filter(pk=target.pk).update(balance_fen=F("balance_fen") + amount_fen)
        source.balance_fen -= amount_fen
        target.balance_fen += amount_fen
        # the caller's instances show the new balances too
        from_account.balance_fen, to_account.balance_fen = source.balance_fen, target.balance_fen
        transfer = Transfer.objects.create(kind=kind, from_account=source, to_account=target, amount_fen=amount_fen,
                                           reason=reason, actor_id=actor_user_id(actor), created_at=now, **cause)
        _record(transfer_event(transfer), entries=entries, now=now)
    return transfer


def account_balance_derived(account: Account) -> int:
    """Σ transfers in − Σ transfers out, from the transfer rows (not the cached column)."""
    incoming = Transfer.objects.filter(to_account=account).aggregate(total=Sum("amount_fen"))["total"] or 0
    outgoing = Transfer.objects.filter(from_account=account).aggregate(total=Sum("amount_fen"))["total"] or 0
    return incoming - outgoing


@dataclass
class LedgerReport:
    accounts: int = 0
    transfers: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_check() -> LedgerReport:
    """Recompute every balance from the transfers and every transfer from the log, and check the invariants."""
    report = LedgerReport()
    problems = report.problems
    accounts = {account.pk: account for account in Account.objects.all()}
    derived: dict[int, int] = defaultdict(int)
    by_id: dict[int, Transfer] = {}
    for transfer in Transfer.objects.all().order_by("pk"):
        by_id[transfer.pk] = transfer
        derived[transfer.to_account_id] += transfer.amount_fen
        derived[transfer.from_account_id] -= transfer.amount_fen
        source, target = accounts[transfer.from_account_id], accounts[transfer.to_account_id]
        if transfer.amount_fen <= 0:
            problems.append(f"transfer {transfer.pk}: amount {transfer.amount_fen} is not positive")
        if (source.kind, target.kind) != TRANSFER_ROUTES.get(transfer.kind):
            problems.append(f"transfer {transfer.pk}: {transfer.kind} may not move {source.key} → {target.key}")
    report.accounts, report.transfers = len(accounts), len(by_id)
    for account in accounts.values():
        if account.balance_fen != derived[account.pk]:
            problems.append(f"account {account.key}: cached balance {account.balance_fen} ≠ derived "
                            f"{derived[account.pk]}")
        if not _on_its_side(account.side, derived[account.pk]) or account.side != ACCOUNT_SIDES[account.kind]:
            problems.append(f"account {account.key}: balance {derived[account.pk]} on the wrong side of zero")
    if sum(derived.values()) != 0:
        problems.append(f"balances sum to {sum(derived.values())}, not 0")
    _check_against_log(by_id, accounts, problems)
    _check_documents(derived, problems)
    return report


def ledger_check_record(*, clock: Callable[[], datetime]) -> LedgerCheckRun:
    """Run the ledger check and keep its result with its start and end times (``clock`` gives the time; the
    finance page shows the latest run instead of recomputing the whole ledger on every view)."""
    started_at = clock()
    report = ledger_check()
    return LedgerCheckRun.objects.create(started_at=started_at, finished_at=clock(), accounts=report.accounts,
                                         transfers=report.transfers, problems=report.problems)


def ledger_check_latest() -> LedgerCheckRun | None:
    """The latest recorded run of the ledger check, or None."""
    return LedgerCheckRun.objects.order_by("-finished_at", "-id").first()


def _check_against_log(by_id: dict[int, Transfer], accounts: dict[int, Account], problems: list[str]) -> None:
    logged: dict[int, dict] = {}
    for entry in entries_of_type(TRANSFER_EVENT):
        event = json.loads(bytes(entry.entry))
        logged[event["transfer"]] = event
    for transfer_id in sorted(set(by_id) - set(logged)):
        problems.append(f"transfer {transfer_id} has no log entry")
    for transfer_id in sorted(set(logged) - set(by_id)):
        problems.append(f"log entry of transfer {transfer_id} has no transfer row")
    for transfer_id in sorted(set(by_id) & set(logged)):
        transfer, event = by_id[transfer_id], logged[transfer_id]
        row = (transfer.kind, accounts[transfer.from_account_id].key, accounts[transfer.to_account_id].key,
               transfer.amount_fen)
        if row != (event["kind"], event["from"], event["to"], event["amount_fen"]):
            problems.append(f"transfer {transfer_id} differs from its log entry")


def _transfer_totals(kind: str, by: str) -> dict[int, int]:
    rows = Transfer.objects.filter(kind=kind).values(by).annotate(total=Sum("amount_fen")).values_list(by, "total")
    return dict(rows)


def _check_documents(derived: dict[int, int], problems: list[str]) -> None:
    issued = _transfer_totals(TransferKind.ISSUE, "voucher")
    pending = dict(Redemption.objects.filter(status=RedemptionStatus.PENDING).values("voucher")
                   .annotate(total=Sum("amount_fen")).values_list("voucher", "total"))
    for voucher in Voucher.objects.all():
        balance = derived[voucher.account_id]
        if issued.get(voucher.pk) != voucher.amount_fen:
            problems.append(f"voucher {voucher.number}: issued {issued.get(voucher.pk)} ≠ amount {voucher.amount_fen}")
        if voucher.status != VoucherStatus.ACTIVE and balance != 0:
            problems.append(f"voucher {voucher.number}: {voucher.status} but balance {balance}")
        if pending.get(voucher.pk, 0) > balance:
            problems.append(f"voucher {voucher.number}: pending {pending[voucher.pk]} exceeds balance {balance}")
    redeemed = _transfer_totals(TransferKind.REDEEM, "redemption")
    for redemption in Redemption.objects.filter(status=RedemptionStatus.CONFIRMED):
        if redeemed.get(redemption.pk) != redemption.amount_fen:
            problems.append(f"redemption {redemption.pk}: confirmed without its transfer")
    if set(redeemed) - set(Redemption.objects.filter(status=RedemptionStatus.CONFIRMED).values_list("pk", flat=True)):
        problems.append("a redeem transfer belongs to a redemption that is not confirmed")
    settled = _transfer_totals(TransferKind.SETTLE, "statement")
    for statement in SettlementStatement.objects.all():
        total = statement.redemptions.aggregate(total=Sum("amount_fen"))["total"] or 0
        if total != statement.total_fen:
            problems.append(f"statement {statement.number}: total {statement.total_fen} ≠ its redemptions {total}")
        expected = statement.total_fen if statement.status == StatementStatus.PAID else None
        if settled.get(statement.pk) != expected:
            problems.append(f"statement {statement.number}: settle transfer {settled.get(statement.pk)} ≠ {expected}")
    claimed = _transfer_totals(TransferKind.CLAIM, "claim")
    repaid = _transfer_totals(TransferKind.REPAY, "claim")
    outstanding: dict[int, int] = defaultdict(int)
    for claim in RecoveryClaim.objects.all():
        if claimed.get(claim.pk) != claim.amount_fen or repaid.get(claim.pk, 0) != claim.repaid_fen:
            problems.append(f"claim {claim.pk}: amounts differ from its transfers")
        outstanding[claim.enterprise_id] += claim.outstanding_fen
    for account in Account.objects.filter(kind=AccountKind.RECOVERY_CLAIM):
        if derived[account.pk] != outstanding[account.enterprise_id]:
            problems.append(f"account {account.key}: balance {derived[account.pk]} ≠ outstanding claims "
                            f"{outstanding[account.enterprise_id]}")
