"""Random sequences of issue / redeem / confirm / reject / expire / revoke / settle / repay keep the ledger sound."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from yingdu.accounts.models import Role
from yingdu.errors import DomainError
from yingdu.testing.clients import verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import make_staff
from yingdu.testing.redemptions import redeem_with_code
from yingdu.vouchers import redemptions, services
from yingdu.vouchers.ledger import ledger_check
from yingdu.vouchers.models import (
    Account,
    AccountKind,
    BalanceSide,
    Redemption,
    RedemptionStatus,
    Voucher,
    VoucherStatus,
)
from yingdu.vouchers.selectors import voucher_views

from .conftest import BUDGET_FEN, at

pytestmark = pytest.mark.django_db

AMOUNTS = st.integers(min_value=1, max_value=4_000_000)
SHARES = st.integers(min_value=1, max_value=800_000)


def make_machine(*, enterprise, approver, member, metered, finance):  # noqa: C901 (one state machine, its rules inline)
    second_finance = verified(make_staff(Role.FINANCE))  # four eyes: revocations and payments need two people
    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            # each example runs in a transaction that is rolled back at teardown
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            self.today = date(2030, 2, 1)
            self.applications = 0
            self.orders = 0
            self.repayments = 0
            self.expected_balance: dict[int, int] = {}
            self.budget_used: dict[int, int] = {}

        def teardown(self):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

        def _vouchers(self):
            return list(Voucher.objects.order_by("pk"))

        def _pick(self, items, index):
            return items[index % len(items)] if items else None

        @initialize(amount=st.integers(min_value=500_000, max_value=4_000_000))
        def issue_first(self, amount):
            self.issue(amount)

        @initialize(amount=st.integers(min_value=500_000, max_value=4_000_000))
        def issue_second(self, amount):
            self.issue(amount)

        @rule(amount=AMOUNTS)
        def issue(self, amount):
            self.applications += 1
            try:
                voucher = services.voucher_issue(enterprise=enterprise, work_id=1, application_id=self.applications,
                                                 amount_fen=amount, actor=approver, now=at(self.today))
            except services.BudgetExceeded:
                assert self.budget_used.get(self.today.year, 0) + amount > BUDGET_FEN
                return
            self.budget_used[voucher.budget_year] = self.budget_used.get(voucher.budget_year, 0) + amount
            self.expected_balance[voucher.pk] = amount

        @rule(index=st.integers(0, 20), amount=SHARES,
              category=st.sampled_from(["compute", "model_service", "data_product"]))
        def submit(self, index, amount, category):
            # mostly active vouchers (where redemptions can succeed), sometimes any voucher
            active = [v for v in self._vouchers() if v.status == VoucherStatus.ACTIVE]
            voucher = self._pick(active if index % 4 else self._vouchers(), index)
            if voucher is None:
                return
            self.orders += 1
            [view] = voucher_views([voucher])
            try:
                redeem_with_code(provider=metered.provider, voucher=voucher, order_ref=f"O-{self.orders}",
                                 category=category, amount_fen=amount, now=at(self.today))
            except DomainError as refused:
                assert refused.code in {"voucher_insufficient_balance", "redemption_category_ineligible",
                                        "voucher_not_active", "voucher_or_code_invalid"}
                return
            assert category != "data_product" and amount <= view.available_fen

        @rule(index=st.integers(0, 20), confirm=st.booleans())
        def decide(self, index, confirm):
            pending = list(voucher_pending())
            redemption = self._pick(pending, index)
            if redemption is None:
                return
            if confirm:
                redemptions.redemption_confirm(redemption=redemption, actor=member, now=at(self.today, 11))
                self.expected_balance[redemption.voucher_id] -= redemption.amount_fen
            else:
                redemptions.redemption_reject(redemption=redemption, reason="不认可", actor=member,
                                           now=at(self.today, 11))

        @rule(days=st.integers(1, 30))
        def pass_days(self, days):
            self.today += timedelta(days=days)
            expired = services.vouchers_daily(today=self.today, now=at(self.today, 0, 5))["expired"]
            for voucher in Voucher.objects.filter(number__in=expired):
                self.budget_used[voucher.budget_year] -= self.expected_balance[voucher.pk]
                self.expected_balance[voucher.pk] = 0

        @rule(index=st.integers(0, 20))
        def revoke(self, index):
            # the newest vouchers first, so that revocation does not always hit the first one issued
            voucher = self._pick(self._vouchers()[::-1], index)
            if voucher is None or voucher.status == VoucherStatus.REVOKED:
                return
            revocation = two_people(services.voucher_revoke, first=finance, second=second_finance, voucher=voucher,
                                    reason="测试撤销", now=at(self.today, 15))
            assert revocation.voided_fen == self.expected_balance[voucher.pk]
            self.budget_used[voucher.budget_year] -= revocation.voided_fen
            self.expected_balance[voucher.pk] = 0

        @rule(pay=st.booleans())
        def settle(self, pay):
            try:
                statement = services.settlement_create(provider=metered.provider, period_start_on=date(2030, 1, 1),
                                                       period_end_on=self.today, actor=finance,
                                                       now=at(self.today, 16))
            except DomainError as refused:
                assert refused.code == "settlement_empty"
                return
            if pay:
                two_people(services.settlement_mark_paid, first=finance, second=second_finance, statement=statement,
                           payment_reference=f"PAY-{statement.pk}", now=at(self.today, 17))

        @rule(index=st.integers(0, 20), amount=AMOUNTS)
        def repay(self, index, amount):
            claims = [voucher.recovery_claim for voucher in self._vouchers() if hasattr(voucher, "recovery_claim")]
            claim = self._pick([c for c in claims if c.outstanding_fen > 0], index)
            if claim is None:
                return
            amount = min(amount, claim.outstanding_fen)
            # each receipt has its own reference: one reference with two amounts is refused, rightly
            self.repayments += 1
            services.recovery_repayment_record(claim=claim, amount_fen=amount, reference=f"R-{self.repayments}",
                                               received_on=self.today, actor=finance, now=at(self.today, 18))

        @invariant()
        def ledger_balances(self):
            report = ledger_check()
            assert report.ok, report.problems
            for account in Account.objects.all():
                if account.side == BalanceSide.NOT_NEGATIVE:
                    assert account.balance_fen >= 0
                else:
                    assert account.balance_fen <= 0
            for view in voucher_views(Voucher.objects.select_related("account")):
                assert view.balance_fen == self.expected_balance[view.voucher.pk]
                assert view.pending_fen <= view.balance_fen
            for year, balance in Account.objects.filter(kind=AccountKind.PROGRAMME_BUDGET).values_list(
                    "year", "balance_fen"):
                assert -balance == self.budget_used.get(year, 0) <= BUDGET_FEN

    return LedgerMachine


def voucher_pending():
    return Redemption.objects.filter(status=RedemptionStatus.PENDING).order_by("pk")


def test_random_sequences_keep_the_ledger_balanced_and_never_negative(voucher_policy, enterprise, approver, member,
                                                                       metered, finance):
    machine = make_machine(enterprise=enterprise, approver=approver, member=member, metered=metered, finance=finance)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=30, stateful_step_count=30, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
