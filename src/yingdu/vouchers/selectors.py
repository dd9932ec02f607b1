"""Reads of vouchers, redemptions, statements and claims, narrowed to what each user may see."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_roles
from yingdu.enterprises.selectors import enterprise_of_user
from yingdu.errors import NotFound
from yingdu.metering.models import Provider
from yingdu.metering.selectors import provider_of_user
from yingdu.policy.selectors import policy_version_in_force

from .models import (
    Account,
    AccountKind,
    RecoveryClaim,
    Redemption,
    RedemptionCode,
    RedemptionCodeStatus,
    RedemptionStatus,
    SettlementStatement,
    Transfer,
    TransferKind,
    Voucher,
    VoucherNotice,
    VoucherStatus,
)
from .numbers import voucher_number_normalise
from .workflow import FINANCE_ROLES, VOUCHER_READER_ROLES

MSG_VOUCHER_NOT_FOUND = "未找到该算力券。"
MSG_REDEMPTION_NOT_FOUND = "未找到该核销记录。"
MSG_STATEMENT_NOT_FOUND = "未找到该结算单。"
MSG_CLAIM_NOT_FOUND = "未找到该追回债权。"
MSG_CODE_NOT_FOUND = "未找到该核销码。"


def _is_reader(user) -> bool:
    return bool(user_roles(user) & VOUCHER_READER_ROLES)


def _member_enterprise(user):
    if Role.ENTERPRISE_MEMBER not in user_roles(user):
        return None
    return enterprise_of_user(user)


def vouchers_visible_to(user) -> QuerySet[Voucher]:
    """Programme staff see every voucher; an enterprise member their enterprise's; anyone else none."""
    queryset = Voucher.objects.select_related("account", "enterprise")
    if _is_reader(user):
        return queryset
    enterprise = _member_enterprise(user)
    return queryset.filter(enterprise=enterprise) if enterprise is not None else queryset.none()


def voucher_get_for(user, number: str) -> Voucher:
    """One voucher the user may see; another enterprise's is "not found", never "forbidden"."""
    number = voucher_number_normalise(number) or (number or "").strip().upper()
    voucher = vouchers_visible_to(user).filter(number=number).first()
    if voucher is None:
        raise NotFound(MSG_VOUCHER_NOT_FOUND, code="voucher_not_found")
    return voucher


def voucher_pending_by_voucher(vouchers) -> dict[int, int]:
    rows = (Redemption.objects.filter(voucher__in=vouchers, status=RedemptionStatus.PENDING).values("voucher")
            .annotate(total=Sum("amount_fen")).values_list("voucher", "total"))
    return dict(rows)


@dataclass(frozen=True)
class RevocationAmounts:
    """What revoking a voucher moves: its balance, voided back to the budget, and the value already redeemed,
    claimed back from the enterprise."""

    voided_fen: int
    claimed_fen: int


def revocation_amounts(voucher: Voucher) -> RevocationAmounts:
    """The one definition of a revocation's amounts (read with the voucher and its account locked)."""
    redeemed = Transfer.objects.filter(voucher=voucher, kind=TransferKind.REDEEM).aggregate(
        total=Sum("amount_fen"))["total"] or 0
    balance = Account.objects.filter(pk=voucher.account_id).values_list("balance_fen", flat=True).get()
    return RevocationAmounts(voided_fen=balance, claimed_fen=redeemed)


@dataclass(frozen=True)
class VoucherView:
    voucher: Voucher
    balance_fen: int
    pending_fen: int
    redeemed_fen: int

    @property
    def available_fen(self) -> int:
        if self.voucher.status != VoucherStatus.ACTIVE:
            return 0
        return max(self.balance_fen - self.pending_fen, 0)


def voucher_views(vouchers) -> list[VoucherView]:
    """Vouchers with balance (from the ledger), pending reservations, available and redeemed amounts."""
    vouchers = list(vouchers)
    pending = voucher_pending_by_voucher(vouchers)
    redeemed = dict(Transfer.objects.filter(voucher__in=vouchers, kind=TransferKind.REDEEM).values("voucher")
                    .annotate(total=Sum("amount_fen")).values_list("voucher", "total"))
    return [VoucherView(voucher, voucher.account.balance_fen, pending.get(voucher.pk, 0), redeemed.get(voucher.pk, 0))
            for voucher in vouchers]


def voucher_history(voucher: Voucher) -> QuerySet[Transfer]:
    """The transfers into and out of the voucher's account, oldest first."""
    return (Transfer.objects.filter(Q(from_account=voucher.account) | Q(to_account=voucher.account))
            .select_related("from_account", "to_account", "redemption").order_by("pk"))


def enterprise_history(enterprise) -> QuerySet[Transfer]:
    return (Transfer.objects.filter(Q(from_account__enterprise=enterprise) | Q(to_account__enterprise=enterprise))
            .select_related("from_account", "to_account", "voucher", "redemption").order_by("-pk"))


# what a code's holder sees: the stored status, or "expired" for an active code past its moment
CODE_EXPIRED = "expired"
CODE_STATUS_LABELS = {**dict(RedemptionCodeStatus.choices), CODE_EXPIRED: _("已过期")}


@dataclass(frozen=True)
class CodeView:
    code: RedemptionCode
    status: str

    @property
    def status_label(self) -> str:
        return CODE_STATUS_LABELS[self.status]


def redemption_code_views(codes, *, now) -> list[CodeView]:
    """Redemption codes with the status their holder sees at ``now`` (active, used, expired, revoked)."""
    return [CodeView(code, CODE_EXPIRED if code.is_expired(now) else str(code.status)) for code in codes]


def redemption_codes_visible_to(user) -> QuerySet[RedemptionCode]:
    """An enterprise member sees the codes of its enterprise's vouchers; programme staff see every code (never a
    code itself: only its hash is stored); anyone else none."""
    queryset = RedemptionCode.objects.select_related("voucher", "provider", "redemption")
    if _is_reader(user):
        return queryset
    enterprise = _member_enterprise(user)
    return queryset.filter(voucher__enterprise=enterprise) if enterprise is not None else queryset.none()


def redemption_code_get_for(user, code_id: int) -> RedemptionCode:
    code = redemption_codes_visible_to(user).filter(pk=code_id).first()
    if code is None:
        raise NotFound(MSG_CODE_NOT_FOUND, code="redemption_code_not_found")
    return code


def local_providers() -> QuerySet:
    """The providers a code may be bound to: those registered as local."""
    return Provider.objects.filter(is_local=True).order_by("name")


def redemptions_visible_to(user) -> QuerySet[Redemption]:
    """Finance and programme staff see all; a provider its own; an enterprise those against its vouchers."""
    queryset = Redemption.objects.select_related("voucher", "provider")
    if _is_reader(user):
        return queryset
    provider = provider_of_user(user)
    if provider is not None:
        return queryset.filter(provider=provider)
    enterprise = _member_enterprise(user)
    return queryset.filter(voucher__enterprise=enterprise) if enterprise is not None else queryset.none()


def redemption_get_for(user, redemption_id: int) -> Redemption:
    redemption = redemptions_visible_to(user).filter(pk=redemption_id).first()
    if redemption is None:
        raise NotFound(MSG_REDEMPTION_NOT_FOUND, code="redemption_not_found")
    return redemption


def redemptions_of_provider(provider) -> QuerySet[Redemption]:
    return Redemption.objects.select_related("voucher").filter(provider=provider)


def redemption_get_for_provider(provider, redemption_id: int) -> Redemption:
    redemption = redemptions_of_provider(provider).filter(pk=redemption_id).first()
    if redemption is None:
        raise NotFound(MSG_REDEMPTION_NOT_FOUND, code="redemption_not_found")
    return redemption


def statements_of_provider(provider) -> QuerySet[SettlementStatement]:
    return SettlementStatement.objects.select_related("provider").filter(provider=provider)


def statements_visible_to(user) -> QuerySet[SettlementStatement]:
    """Finance sees every statement; a provider its own; anyone else none."""
    if user_roles(user) & FINANCE_ROLES:
        return SettlementStatement.objects.select_related("provider")
    provider = provider_of_user(user)
    return statements_of_provider(provider) if provider is not None else SettlementStatement.objects.none()


def statement_get_for(user, statement_id: int) -> SettlementStatement:
    statement = statements_visible_to(user).filter(pk=statement_id).first()
    if statement is None:
        raise NotFound(MSG_STATEMENT_NOT_FOUND, code="statement_not_found")
    return statement


def statement_lines(statement: SettlementStatement) -> QuerySet[Redemption]:
    return statement.redemptions.select_related("voucher", "voucher__enterprise").order_by("decided_at", "pk")


def claims_visible_to(user) -> QuerySet[RecoveryClaim]:
    """Finance and programme staff see every recovery claim; an enterprise member their own."""
    queryset = RecoveryClaim.objects.select_related("voucher", "enterprise")
    if _is_reader(user):
        return queryset
    enterprise = _member_enterprise(user)
    return queryset.filter(enterprise=enterprise) if enterprise is not None else queryset.none()


def claim_get_for(user, claim_id: int) -> RecoveryClaim:
    claim = claims_visible_to(user).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound(MSG_CLAIM_NOT_FOUND, code="claim_not_found")
    return claim


def notices_of(enterprise, *, limit: int = 20) -> list[VoucherNotice]:
    return list(VoucherNotice.objects.filter(enterprise=enterprise).select_related("voucher")[:limit])


@dataclass(frozen=True)
class BudgetYear:
    year: int
    budget_fen: int | None
    policy_version: str | None
    issued_fen: int
    expired_fen: int
    voided_fen: int
    redeemed_fen: int
    voucher_count: int

    @property
    def used_fen(self) -> int:
        return self.issued_fen - self.expired_fen - self.voided_fen

    @property
    def remaining_fen(self) -> int | None:
        return None if self.budget_fen is None else self.budget_fen - self.used_fen


def budget_overview(*, today: date) -> list[BudgetYear]:
    """Per budget year (the current one first): budget from the policy, issued, returned and redeemed value."""
    years = set(Account.objects.filter(kind=AccountKind.PROGRAMME_BUDGET).values_list("year", flat=True))
    years.add(today.year)
    rows = []
    for year in sorted(years, reverse=True):
        policy = policy_version_in_force(on=min(today, date(year, 12, 31)))
        totals = dict(Transfer.objects.filter(
            Q(from_account__kind=AccountKind.PROGRAMME_BUDGET, from_account__year=year)
            | Q(to_account__kind=AccountKind.PROGRAMME_BUDGET, to_account__year=year))
            .values("kind").annotate(total=Sum("amount_fen")).values_list("kind", "total"))
        redeemed = Transfer.objects.filter(kind=TransferKind.REDEEM, voucher__budget_year=year).aggregate(
            total=Sum("amount_fen"))["total"] or 0
        rows.append(BudgetYear(
            year=year, budget_fen=policy.annual_budget_fen if policy else None,
            policy_version=policy.version_id if policy else None, issued_fen=totals.get(TransferKind.ISSUE, 0),
            expired_fen=totals.get(TransferKind.EXPIRE, 0), voided_fen=totals.get(TransferKind.VOID, 0),
            redeemed_fen=redeemed, voucher_count=Voucher.objects.filter(budget_year=year).count()))
    return rows


def provider_totals(provider) -> dict:
    """A provider's confirmed-but-unpaid (receivable) and paid (settled) totals, from the ledger."""
    balances = dict(Account.objects.filter(provider=provider).values_list("kind", "balance_fen"))
    return {"receivable_fen": balances.get(AccountKind.PROVIDER_RECEIVABLE, 0),
            "settled_fen": balances.get(AccountKind.PROVIDER_SETTLED, 0)}
