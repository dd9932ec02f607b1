import json
import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import DatabaseError, transaction

from yingdu.accounts.models import Role
from yingdu.errors import DomainError, Forbidden, NotFound, SecondPersonRequired
from yingdu.testing.clients import verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import make_enterprise, make_staff, make_user
from yingdu.testing.redemptions import code_for, redeem_with_code
from yingdu.transparency.models import LogEntry
from yingdu.vouchers import redemptions, services
from yingdu.vouchers.ledger import account_balance_derived, ledger_check
from yingdu.vouchers.models import (
    Account,
    AccountKind,
    NoticeKind,
    RedemptionStatus,
    StatementStatus,
    Transfer,
    TransferKind,
    VoucherNotice,
    VoucherStatus,
)
from yingdu.vouchers.selectors import budget_overview, voucher_views

from .conftest import BUDGET_FEN, ISSUE_NOW, at, issue

pytestmark = pytest.mark.django_db

REDEEM_DAY = date(2030, 3, 10)


def log_types_since(start: int) -> list[str]:
    return list(LogEntry.objects.filter(index__gte=start).order_by("index").values_list("event_type", flat=True))


def log_size() -> int:
    return LogEntry.objects.count()


def submit(metered, voucher, order_ref="ORD-1", amount_fen=100_000, category="compute", now=None, **extra):
    return redeem_with_code(provider=metered.provider, voucher=voucher, order_ref=order_ref,
                                      category=category, amount_fen=amount_fen, actor=metered.operator,
                                      now=now or at(REDEEM_DAY), **extra)


# --- issuance -------------------------------------------------------------------------------------------------


def test_issue_creates_a_numbered_voucher_with_validity_and_one_balanced_transfer(voucher_policy, enterprise,
                                                                                   approver):
    start = log_size()
    voucher = issue(enterprise, approver, 1_234_500)
    assert re.fullmatch(r"HR-2030-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", voucher.number)
    assert voucher.issued_on == date(2030, 3, 1) and voucher.expires_on == date(2030, 4, 29)
    assert voucher.policy_version == "vouchers-test-2030"
    assert voucher.account.balance_fen == 1_234_500
    programme = Account.objects.get(key="programme_budget:2030")
    assert programme.balance_fen == -1_234_500
    assert log_types_since(start) == ["vouchers.issue", "vouchers.account_open", "vouchers.account_open", "vouchers.transfer", "vouchers.notice"]
    assert VoucherNotice.objects.filter(voucher=voucher, kind=NoticeKind.ISSUED).exists()
    assert ledger_check().ok


def test_issue_is_idempotent_on_the_application(voucher_policy, enterprise, approver):
    first = issue(enterprise, approver, 500_000, application_id=77)
    again = issue(enterprise, approver, 500_000, application_id=77)
    assert again.pk == first.pk and Transfer.objects.filter(kind=TransferKind.ISSUE).count() == 1
    with pytest.raises(DomainError) as refused:
        issue(enterprise, approver, 600_000, application_id=77)
    assert refused.value.code == "voucher_application_conflict"


def test_issue_beyond_the_year_budget_is_refused_in_chinese(voucher_policy, enterprise, approver):
    issue(enterprise, approver, BUDGET_FEN - 100)
    start = log_size()
    with pytest.raises(services.BudgetExceeded) as refused:
        issue(enterprise, approver, 101)
    assert refused.value.code == "voucher_budget_exceeded"
    assert "超出 2030 年度算力券专项预算" in str(refused.value.message) and "剩余 1.00 元" in str(refused.value.message)
    assert log_size() == start
    issue(enterprise, approver, 100)  # exactly the remainder is fine
    assert Account.objects.get(key="programme_budget:2030").balance_fen == -BUDGET_FEN


def test_expired_balance_returns_to_the_budget_and_can_be_issued_again(voucher_policy, enterprise, approver):
    voucher = issue(enterprise, approver, BUDGET_FEN)
    services.vouchers_expire_due(today=voucher.expires_on + timedelta(days=1), now=at(date(2030, 4, 30), 0, 5))
    [year] = [row for row in budget_overview(today=date(2030, 5, 1)) if row.year == 2030]
    assert year.issued_fen == BUDGET_FEN and year.expired_fen == BUDGET_FEN and year.remaining_fen == BUDGET_FEN
    issue(enterprise, approver, BUDGET_FEN, now=at(date(2030, 5, 1)))


def test_only_approvers_issue_and_only_to_verified_enterprises(voucher_policy, enterprise, approver):
    with pytest.raises(Forbidden):
        issue(enterprise, verified(make_staff(Role.FINANCE)))
    pending = make_enterprise()
    with pytest.raises(DomainError) as refused:
        issue(pending, approver)
    assert refused.value.code == "enterprise_not_verified"


# --- redemption -----------------------------------------------------------------------------------------------


def test_redemption_moves_value_only_when_the_enterprise_confirms(voucher_policy, enterprise, approver, member,
                                                                   metered):
    voucher = issue(enterprise, approver, 1_000_000)
    result = submit(metered, voucher, amount_fen=300_000)
    assert result.created and result.redemption.status == RedemptionStatus.PENDING
    voucher.account.refresh_from_db()
    assert voucher.account.balance_fen == 1_000_000
    [view] = voucher_views([voucher])
    assert view.available_fen == 700_000
    start = log_size()
    redemptions.redemption_confirm(redemption=result.redemption, actor=member, now=at(REDEEM_DAY, 11))
    assert log_types_since(start) == ["vouchers.redeem", "vouchers.account_open", "vouchers.transfer"]
    voucher.account.refresh_from_db()
    assert voucher.account.balance_fen == 700_000
    receivable = Account.objects.get(kind=AccountKind.PROVIDER_RECEIVABLE, provider=metered.provider)
    assert receivable.balance_fen == 300_000
    assert ledger_check().ok


def test_same_order_reference_twice_is_one_redemption_and_different_content_is_a_conflict(
        voucher_policy, enterprise, approver, metered):
    voucher = issue(enterprise, approver)
    first = submit(metered, voucher, order_ref="ORD-42", amount_fen=100_000)
    again = submit(metered, voucher, order_ref="ORD-42", amount_fen=100_000)
    assert again.redemption.pk == first.redemption.pk and not again.created
    with pytest.raises(DomainError) as conflict:
        submit(metered, voucher, order_ref="ORD-42", amount_fen=100_001)
    assert conflict.value.code == "redemption_conflict" and conflict.value.status == 409
    assert voucher.redemptions.count() == 1


def test_pending_redemptions_reserve_the_balance(voucher_policy, enterprise, approver, metered):
    voucher = issue(enterprise, approver, 200_000)
    submit(metered, voucher, order_ref="A", amount_fen=150_000)
    with pytest.raises(redemptions.InsufficientBalance) as refused:
        submit(metered, voucher, order_ref="B", amount_fen=60_000)
    # a valid code's holder learns that the amount is too much, never the balance
    assert refused.value.detail == {} and "50" not in str(refused.value.message)
    submit(metered, voucher, order_ref="C", amount_fen=50_000)


def test_rejected_redemption_frees_its_reservation(voucher_policy, enterprise, approver, member, metered):
    voucher = issue(enterprise, approver, 200_000)
    pending = submit(metered, voucher, order_ref="A", amount_fen=200_000).redemption
    redemptions.redemption_reject(redemption=pending, reason="未购买该服务", actor=member, now=at(REDEEM_DAY))
    submit(metered, voucher, order_ref="B", amount_fen=200_000)
    with pytest.raises(DomainError) as refused:
        redemptions.redemption_confirm(redemption=pending, actor=member, now=at(REDEEM_DAY))
    assert refused.value.code == "redemption_not_pending"


def test_a_provider_cannot_redeem_for_an_ineligible_category(voucher_policy, enterprise, approver, metered):
    voucher = issue(enterprise, approver)
    with pytest.raises(DomainError) as refused:
        submit(metered, voucher, category="data_product")
    assert refused.value.code == "redemption_category_ineligible"
    assert "数据产品" in str(refused.value.message)
    assert voucher.redemptions.count() == 0


def test_a_provider_cannot_redeem_after_the_last_valid_day(voucher_policy, enterprise, approver, metered):
    voucher = issue(enterprise, approver)
    submit(metered, voucher, order_ref="LAST-DAY", now=at(voucher.expires_on, 23, 59))
    code = code_for(voucher, now=at(voucher.expires_on, 23, 59))
    with pytest.raises(DomainError) as refused:
        redemptions.redemption_submit(provider=metered.provider, voucher_number=voucher.number, code=code,
                                      order_ref="NEXT-DAY", category="compute", amount_fen=1,
                                      now=at(voucher.expires_on + timedelta(days=1), 0, 0))
    assert refused.value.code == "voucher_or_code_invalid" and refused.value.status == 404
    with pytest.raises(DomainError) as refused:
        code_for(voucher, now=at(voucher.expires_on + timedelta(days=1), 0, 0))
    assert refused.value.code == "voucher_not_active"


def test_only_a_member_of_the_enterprise_confirms(voucher_policy, enterprise, approver, metered):
    voucher = issue(enterprise, approver)
    pending = submit(metered, voucher).redemption
    other = make_enterprise(member=make_user(), verified_by=verified(make_staff(Role.REVIEWER)))
    for actor in (verified(other.registered_by), metered.operator, verified(make_staff(Role.FINANCE))):
        with pytest.raises(NotFound):
            redemptions.redemption_confirm(redemption=pending, actor=actor, now=at(REDEEM_DAY))


def test_bad_redemption_input_is_refused_and_changes_nothing(voucher_policy, enterprise, approver, metered):
    voucher = issue(enterprise, approver)
    code = code_for(voucher, now=at(REDEEM_DAY))
    start = log_size()
    for kwargs, error in [({"order_ref": ""}, "order_ref_invalid"), ({"amount_fen": 0}, "amount_invalid"),
                          ({"category": "gpu"}, "category_invalid"),
                          ({"amount_fen": 10**9}, "voucher_insufficient_balance"),
                          ({"code": " "}, "redemption_code_required"),
                          ({"voucher_number": voucher.number[:-1] + "?"}, "voucher_number_invalid")]:
        with pytest.raises(DomainError) as refused:
            redemptions.redemption_submit(**{
                "provider": metered.provider, "voucher_number": voucher.number, "code": code, "order_ref": "ORD-1",
                "category": "compute", "amount_fen": 100, "now": at(REDEEM_DAY), **kwargs})
        assert refused.value.code == error
    with pytest.raises(NotFound):
        redemptions.redemption_submit(provider=metered.provider, voucher_number="HR-2030-999999", code="X" * 16,
                                      order_ref="X", category="compute", amount_fen=1, now=at(REDEEM_DAY))
    assert log_size() == start and voucher.redemptions.count() == 0


# --- expiry and reminders -------------------------------------------------------------------------------------


def test_expiry_lapses_pending_redemptions_and_returns_the_balance(voucher_policy, enterprise, approver, member,
                                                                    metered):
    voucher = issue(enterprise, approver, 500_000)
    confirmed = submit(metered, voucher, order_ref="A", amount_fen=100_000).redemption
    redemptions.redemption_confirm(redemption=confirmed, actor=member, now=at(REDEEM_DAY))
    pending = submit(metered, voucher, order_ref="B", amount_fen=100_000).redemption
    last_day = voucher.expires_on
    assert services.vouchers_expire_due(today=last_day, now=at(last_day, 23, 0)) == []
    start = log_size()
    next_day = last_day + timedelta(days=1)
    expired = services.vouchers_expire_due(today=next_day, now=at(next_day, 0, 5))
    assert expired == [voucher.number]
    assert log_types_since(start) == ["vouchers.expire", "vouchers.transfer", "vouchers.notice"]
    voucher.refresh_from_db()
    pending.refresh_from_db()
    assert voucher.status == VoucherStatus.EXPIRED and voucher.account.balance_fen == 0
    assert pending.status == RedemptionStatus.LAPSED
    assert Account.objects.get(key="programme_budget:2030").balance_fen == -100_000
    assert services.vouchers_expire_due(today=last_day + timedelta(days=2), now=at(last_day + timedelta(days=2))) == []
    assert ledger_check().ok


def test_reminders_go_out_30_and_7_days_before_expiry_once_each(voucher_policy, enterprise, approver,
                                                                 django_capture_on_commit_callbacks):
    voucher = issue(enterprise, approver)
    expires_on = voucher.expires_on
    mail.outbox.clear()
    assert services.voucher_reminders_send(today=expires_on - timedelta(days=31), now=ISSUE_NOW) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.voucher_reminders_send(today=expires_on - timedelta(days=30), now=ISSUE_NOW) == 1
        assert services.voucher_reminders_send(today=expires_on - timedelta(days=29), now=ISSUE_NOW) == 0
        assert services.voucher_reminders_send(today=expires_on - timedelta(days=7), now=ISSUE_NOW) == 1
        assert services.voucher_reminders_send(today=expires_on - timedelta(days=6), now=ISSUE_NOW) == 0
    kinds = set(VoucherNotice.objects.filter(voucher=voucher).values_list("kind", flat=True))
    assert {NoticeKind.REMINDER_30, NoticeKind.REMINDER_7} <= kinds
    assert [message.to for message in mail.outbox] == [["member@example.com"]] * 2
    assert "将于" in mail.outbox[0].body and voucher.number in mail.outbox[0].subject


def test_vouchers_without_validity_never_expire(enterprise, approver):
    voucher = issue(enterprise, approver, now=at(date(2026, 11, 27)))  # the default policy: no validity
    assert voucher.expires_on is None
    assert services.vouchers_daily(today=date(2040, 1, 1), now=at(date(2040, 1, 1))) == {"expired": [],
                                                                                          "reminders": 0}


# --- settlement -----------------------------------------------------------------------------------------------


def _confirmed(metered, voucher, member, order_ref, amount_fen, day=REDEEM_DAY):
    redemption = submit(metered, voucher, order_ref=order_ref, amount_fen=amount_fen, now=at(day)).redemption
    return redemptions.redemption_confirm(redemption=redemption, actor=member, now=at(day, 12))


def test_settlement_lists_confirmed_redemptions_and_payment_moves_receivable_to_settled(
        voucher_policy, enterprise, approver, member, metered, finance):
    voucher = issue(enterprise, approver)
    _confirmed(metered, voucher, member, "A", 100_000, date(2030, 3, 5))
    _confirmed(metered, voucher, member, "B", 200_000, date(2030, 3, 20))
    submit(metered, voucher, order_ref="PENDING", amount_fen=50_000, now=at(date(2030, 3, 21)))
    statement = services.settlement_create(provider=metered.provider, period_start_on=date(2030, 3, 1),
                                           period_end_on=date(2030, 3, 15), actor=finance, now=at(date(2030, 4, 1)))
    assert statement.total_fen == 100_000 and statement.redemption_count == 1
    later = services.settlement_create(provider=metered.provider, period_start_on=date(2030, 3, 16),
                                       period_end_on=date(2030, 3, 31), actor=finance, now=at(date(2030, 4, 1)))
    assert later.total_fen == 200_000 and later.number != statement.number
    with pytest.raises(DomainError) as empty:
        services.settlement_create(provider=metered.provider, period_start_on=date(2030, 3, 1),
                                   period_end_on=date(2030, 3, 31), actor=finance, now=at(date(2030, 4, 1)))
    assert empty.value.code == "settlement_empty"
    paid = two_people(services.settlement_mark_paid, first=finance, second=verified(make_staff(Role.FINANCE)),
                      statement=statement, payment_reference="BANK-2030-0001", now=at(date(2030, 4, 2)))
    assert paid.status == StatementStatus.PAID
    with pytest.raises(DomainError) as twice:
        services.settlement_mark_paid(statement=statement, payment_reference="BANK-2", actor=finance,
                                      now=at(date(2030, 4, 2)))
    assert twice.value.code == "statement_already_paid"
    balances = dict(Account.objects.filter(provider=metered.provider).values_list("kind", "balance_fen"))
    assert balances == {AccountKind.PROVIDER_RECEIVABLE: 200_000, AccountKind.PROVIDER_SETTLED: 100_000}
    assert ledger_check().ok


def test_finance_only_actions_are_refused_for_other_roles(voucher_policy, enterprise, approver, member, metered):
    voucher = issue(enterprise, approver)
    _confirmed(metered, voucher, member, "A", 100_000)
    for actor in (approver, member, metered.operator, verified(make_staff(Role.AUDITOR)),
                  make_staff(Role.FINANCE)):  # the last one without two-factor
        with pytest.raises(Forbidden):
            services.settlement_create(provider=metered.provider, period_start_on=date(2030, 3, 1),
                                       period_end_on=date(2030, 3, 31), actor=actor, now=at(date(2030, 4, 1)))
        with pytest.raises(Forbidden):
            services.voucher_revoke(voucher=voucher, reason="测试", actor=actor, now=at(date(2030, 4, 1)))


# --- revocation and recovery ----------------------------------------------------------------------------------


def test_revocation_voids_the_rest_and_turns_redeemed_value_into_a_claim(
        voucher_policy, enterprise, approver, member, metered, finance, django_capture_on_commit_callbacks):
    voucher = issue(enterprise, approver, 1_000_000)
    _confirmed(metered, voucher, member, "A", 250_000)
    pending = submit(metered, voucher, order_ref="B", amount_fen=100_000).redemption
    mail.outbox.clear()
    second = verified(make_staff(Role.FINANCE))
    with pytest.raises(SecondPersonRequired):
        services.voucher_revoke(voucher=voucher, reason="虚报算力用量", actor=finance, now=at(date(2030, 3, 12)))
    start = log_size()
    with django_capture_on_commit_callbacks(execute=True):
        revocation = services.voucher_revoke(voucher=voucher, reason="虚报算力用量", actor=second,
                                             now=at(date(2030, 3, 12)))
    assert (revocation.voided_fen, revocation.claimed_fen) == (750_000, 250_000)
    # cause first: the revocation, the claim it raises, the accounts it opens, its void and claim transfers, the notice
    assert log_types_since(start) == ["duties.proposal_decided", "vouchers.revoke", "vouchers.recovery_claim", "vouchers.account_open",
                                      "vouchers.account_open", "vouchers.transfer", "vouchers.transfer",
                                      "vouchers.notice"]
    revoke_entry = json.loads(bytes(LogEntry.objects.filter(event_type="vouchers.revoke").get().entry))
    assert "虚报" not in json.dumps(revoke_entry, ensure_ascii=False) and revoke_entry["reason_commitment"]
    voucher.refresh_from_db()
    pending.refresh_from_db()
    assert voucher.status == VoucherStatus.REVOKED and voucher.account.balance_fen == 0
    assert pending.status == RedemptionStatus.CANCELLED
    claim = voucher.recovery_claim
    assert claim.outstanding_fen == 250_000
    assert VoucherNotice.objects.filter(voucher=voucher, kind=NoticeKind.REVOKED).exists()
    assert len(mail.outbox) == 1 and "已被撤销" in mail.outbox[0].body
    with pytest.raises(DomainError) as again:
        services.voucher_revoke(voucher=voucher, reason="再次", actor=finance, now=at(date(2030, 3, 12)))
    assert again.value.code == "voucher_not_revocable"
    with pytest.raises(DomainError):
        submit(metered, voucher, order_ref="C", amount_fen=1)

    services.recovery_repayment_record(claim=claim, amount_fen=100_000, reference="RCV-1", received_on=date(2030, 4, 1),
                                       actor=finance, now=at(date(2030, 4, 1)))
    again = services.recovery_repayment_record(claim=claim, amount_fen=100_000, reference="RCV-1",
                                               received_on=date(2030, 4, 1), actor=finance, now=at(date(2030, 4, 1)))
    claim.refresh_from_db()
    assert claim.outstanding_fen == 150_000 and claim.repayments.count() == 1 and again.amount_fen == 100_000
    with pytest.raises(DomainError) as too_much:
        services.recovery_repayment_record(claim=claim, amount_fen=150_001, reference="RCV-2",
                                           received_on=date(2030, 4, 2), actor=finance, now=at(date(2030, 4, 2)))
    assert too_much.value.code == "repayment_exceeds_claim"
    assert ledger_check().ok


def test_a_fraud_case_revokes_through_an_auditor(voucher_policy, enterprise, approver):
    voucher = issue(enterprise, approver)
    auditor = verified(make_staff(Role.AUDITOR))
    revocation = services.voucher_revoke(voucher=voucher, reason="抽查发现虚假材料", actor=auditor,
                                         now=at(date(2030, 3, 2)), source="fraud_case:17")
    assert revocation.source == "fraud_case:17" and revocation.claimed_fen == 0
    assert not hasattr(voucher, "recovery_claim") or voucher.recovery_claim is None


# --- the ledger itself ----------------------------------------------------------------------------------------


def test_transfers_cannot_be_updated_in_the_database(voucher_policy, enterprise, approver):
    issue(enterprise, approver)
    transfer = Transfer.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).update(amount_fen=1)
    assert Transfer.objects.get().amount_fen == transfer.amount_fen


def test_ledger_check_detects_a_cached_balance_that_disagrees_with_the_transfers(voucher_policy, enterprise,
                                                                                  approver):
    voucher = issue(enterprise, approver, 500_000)
    Account.objects.filter(pk=voucher.account_id).update(balance_fen=400_000)
    report = ledger_check()
    assert not report.ok and any("cached balance 400000" in problem for problem in report.problems)
    assert account_balance_derived(voucher.account) == 500_000


def test_confirmation_after_the_last_valid_day_is_refused(voucher_policy, enterprise, approver, member, metered):
    voucher = issue(enterprise, approver)
    pending = submit(metered, voucher, now=at(voucher.expires_on, 20)).redemption
    with pytest.raises(DomainError) as refused:
        redemptions.redemption_confirm(redemption=pending, actor=member, now=at(voucher.expires_on + timedelta(days=1)))
    assert refused.value.code == "voucher_expired"


def test_a_provider_that_is_not_local_cannot_redeem(voucher_policy, enterprise, approver, metered):
    voucher = issue(enterprise, approver)
    code = code_for(voucher, now=at(REDEEM_DAY))
    metered.provider.is_local = False
    with pytest.raises(Forbidden) as refused:
        redemptions.redemption_submit(provider=metered.provider, voucher_number=voucher.number, code=code,
                                      order_ref="ORD-1", category="compute", amount_fen=1, now=at(REDEEM_DAY))
    assert refused.value.code == "provider_not_local"


def test_ledger_check_command_reports_tampering(voucher_policy, enterprise, approver):
    from django.core.management import CommandError, call_command

    voucher = issue(enterprise, approver, 500_000)
    call_command("ledger_check")
    Account.objects.filter(pk=voucher.account_id).update(balance_fen=1)
    with pytest.raises(CommandError):
        call_command("ledger_check")
