"""The voucher app's tables are projections of the log: built through the services, every table audits clean; an
edit of any audited column, a deleted row and an inserted copy are each named by the database audit. Entries of one
transaction are appended cause first."""

import json
from datetime import date

import pytest

from yingdu.accounts.models import Role
from yingdu.audits.dbaudit import db_audit
from yingdu.errors import SecondPersonRequired
from yingdu.testing.clients import verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import make_staff
from yingdu.testing.redemptions import code_for, redeem_with_code
from yingdu.testing.tamper import audited_columns, tamper_table, undeclared_columns
from yingdu.transparency.catalogue import CATALOGUE
from yingdu.transparency.models import LogEntry
from yingdu.vouchers import redemptions, services
from yingdu.vouchers.models import (
    Account,
    AccountKind,
    RecoveryClaim,
    RecoveryRepayment,
    Redemption,
    RedemptionCode,
    RedemptionCodeStatus,
    RedemptionStatus,
    Revocation,
    SettlementStatement,
    Transfer,
    Voucher,
    VoucherNotice,
)

from .conftest import at, issue

pytestmark = pytest.mark.django_db

TABLES = [Account, Transfer, Voucher, Redemption, SettlementStatement, RecoveryClaim, RecoveryRepayment, Revocation,
          VoucherNotice, RedemptionCode]


def _submit(metered, voucher, order_ref, amount_fen, day, description=""):
    return redeem_with_code(provider=metered.provider, voucher=voucher, order_ref=order_ref, amount_fen=amount_fen,
                            description=description, actor=metered.operator, now=at(day)).redemption


def _types_since(start: int) -> list[str]:
    return list(LogEntry.objects.filter(index__gte=start).order_by("index").values_list("event_type", flat=True))


@pytest.fixture
def ledger(voucher_policy, enterprise, approver, member, metered, finance):
    """Every kind of row of the voucher app, written through the services."""
    first, second, third = (issue(enterprise, approver, 1_000_000) for _ in range(3))
    confirmed = _submit(metered, first, "A", 250_000, date(2030, 3, 10), description="渲染 100 小时")
    redemptions.redemption_confirm(redemption=confirmed, actor=member, now=at(date(2030, 3, 10), 12))
    rejected = _submit(metered, first, "B", 100_000, date(2030, 3, 10), description="不符的订单")
    redemptions.redemption_reject(redemption=rejected, reason="订单不符", actor=member, now=at(date(2030, 3, 10), 13))
    _submit(metered, third, "C", 50_000, date(2030, 3, 10))
    # a code limited to an amount confirms its redemption at once; another code is revoked unused
    in_advance = redeem_with_code(provider=metered.provider, voucher=second, order_ref="D", amount_fen=20_000,
                                  max_amount_fen=30_000, actor=metered.operator, now=at(date(2030, 3, 10), 14))
    assert in_advance.redemption.status == RedemptionStatus.CONFIRMED
    code_for(second, now=at(date(2030, 3, 10), 15), provider=metered.provider, max_amount_fen=1_000)
    unused = RedemptionCode.objects.filter(status=RedemptionCodeStatus.ACTIVE).latest("pk")
    redemptions.redemption_code_revoke(code=unused, actor=member, now=at(date(2030, 3, 10), 16))
    statement = services.settlement_create(provider=metered.provider, period_start_on=date(2030, 3, 1),
                                           period_end_on=date(2030, 3, 11), actor=finance, now=at(date(2030, 3, 11)))
    second_finance = verified(make_staff(Role.FINANCE))
    two_people(services.settlement_mark_paid, first=finance, second=second_finance, statement=statement,
               payment_reference="PAY-1", now=at(date(2030, 3, 11), 15))
    two_people(services.voucher_revoke, first=finance, second=second_finance, voucher=first, reason="虚报算力用量",
               now=at(date(2030, 3, 12)))
    claim = RecoveryClaim.objects.get()
    services.recovery_repayment_record(claim=claim, amount_fen=100_000, reference="R-1",
                                       received_on=date(2030, 3, 20), actor=finance, now=at(date(2030, 3, 20)))
    assert services.voucher_reminders_send(today=date(2030, 4, 1), now=at(date(2030, 4, 1))) == 2
    assert services.voucher_expire(voucher=third, today=date(2030, 4, 30), now=at(date(2030, 4, 30)))
    return {"vouchers": [first, second, third], "rejected": rejected, "statement": statement, "claim": claim,
            "used_code": in_advance.redemption.redemption_code}


def test_every_entry_type_of_the_app_is_declared_and_written(ledger):
    written = set(LogEntry.objects.filter(event_type__startswith="vouchers.").values_list("event_type", flat=True))
    declared = {event_type.name for event_type in CATALOGUE if event_type.name.startswith("vouchers.")}
    assert written == declared
    for entry in LogEntry.objects.filter(event_type__startswith="vouchers."):
        CATALOGUE.validate(json.loads(bytes(entry.entry)), writing=True)


def test_the_voucher_tables_audit_clean_and_every_column_is_recorded(ledger):
    report = db_audit()
    assert report.ok, report.summary()
    for model in TABLES:
        assert report.rows_checked.get(model._meta.db_table, 0) > 0, model.__name__
    assert undeclared_columns(report, TABLES) == {}
    assert Redemption.objects.filter(status=RedemptionStatus.LAPSED).exists()


def test_an_api_redemption_and_a_system_expiry_encode_their_actors(ledger, metered, enterprise, approver):
    voucher = ledger["vouchers"][1]
    code = code_for(voucher, now=at(date(2030, 3, 21)))
    start = LogEntry.objects.count()
    redemptions.redemption_submit(provider=metered.provider, voucher_number=voucher.number, code=code,
                                  order_ref="API-1", category="compute", amount_fen=1_000, api_key=None,
                                  now=at(date(2030, 3, 21)))
    services.voucher_expire(voucher=voucher, today=date(2030, 4, 30), now=at(date(2030, 4, 30)))
    entries = [json.loads(bytes(e.entry)) for e in LogEntry.objects.filter(index__gte=start).order_by("index")]
    assert [e["type"] for e in entries] == ["vouchers.redemption_submit", "vouchers.redemption_code_use",
                                            "vouchers.notice", "vouchers.expire", "vouchers.transfer",
                                            "vouchers.notice"]
    assert entries[0]["actor"] is None and entries[4]["actor"] == "system"
    assert db_audit().ok


def test_a_revocation_is_appended_cause_first(voucher_policy, enterprise, approver, member, metered, finance):
    voucher = issue(enterprise, approver, 1_000_000)
    redemption = _submit(metered, voucher, "A", 250_000, date(2030, 3, 10))
    redemptions.redemption_confirm(redemption=redemption, actor=member, now=at(date(2030, 3, 10), 12))
    with pytest.raises(SecondPersonRequired):
        services.voucher_revoke(voucher=voucher, reason="虚报", actor=finance, now=at(date(2030, 3, 12)))
    second = verified(make_staff(Role.FINANCE))
    start = LogEntry.objects.count()
    services.voucher_revoke(voucher=voucher, reason="虚报", actor=second, now=at(date(2030, 3, 12)))
    entries = [json.loads(bytes(e.entry)) for e in LogEntry.objects.filter(index__gte=start).order_by("index")]
    assert [e["type"] for e in entries] == [
        "duties.proposal_decided", "vouchers.revoke", "vouchers.recovery_claim", "vouchers.account_open", "vouchers.account_open",
        "vouchers.transfer", "vouchers.transfer", "vouchers.notice"]
    revoke, claim = entries[1], entries[2]
    assert [e["kind"] for e in entries if e["type"] == "vouchers.transfer"] == ["void", "claim"]
    assert revoke["transfers"] == [e["transfer"] for e in entries if e["type"] == "vouchers.transfer"]
    assert revoke["claim"] == claim["claim"] and revoke["revocation"] == Revocation.objects.get().pk
    assert [e["key"] for e in entries if e["type"] == "vouchers.account_open"] == [
        "claims_raised", f"recovery_claim:{enterprise.pk}"]


def test_an_issue_and_a_confirmation_are_appended_before_the_transfers_they_cause(
        voucher_policy, enterprise, approver, member, metered):
    start = LogEntry.objects.count()
    voucher = issue(enterprise, approver, 1_000_000)
    assert _types_since(start) == ["vouchers.issue", "vouchers.account_open", "vouchers.account_open",
                                   "vouchers.transfer", "vouchers.notice"]
    redemption = _submit(metered, voucher, "A", 1_000, date(2030, 3, 10))
    start = LogEntry.objects.count()
    redemptions.redemption_confirm(redemption=redemption, actor=member, now=at(date(2030, 3, 10), 12))
    assert _types_since(start) == ["vouchers.redeem", "vouchers.account_open", "vouchers.transfer"]


@pytest.mark.parametrize("model", TABLES, ids=lambda model: model.__name__)
def test_tampering_with_any_voucher_table_is_named(ledger, model):
    rows = {
        Voucher: ledger["vouchers"][0].pk,
        Redemption: ledger["rejected"].pk,
        SettlementStatement: ledger["statement"].pk,
        RecoveryClaim: ledger["claim"].pk,
        # a provider's receivable: moving it to another provider must not go unseen
        Account: Account.objects.get(kind=AccountKind.PROVIDER_RECEIVABLE).pk,
        RedemptionCode: ledger["used_code"].pk,
    }
    assert db_audit().ok
    report = tamper_table(model, row_id=rows.get(model))
    assert not report.missed, report.missed
    assert len(report.checked) + len(report.refused) == len(audited_columns(model)) + 2
    # an account's side can only change with its balance's sign: the CHECK constraint refuses it alone
    assert set(report.refused) <= ({"side"} if model is Account else set())
    assert db_audit().ok, "the savepoints rolled every change back"


def test_a_redemption_with_a_limited_code_is_appended_submission_code_confirmation_transfer(
        voucher_policy, enterprise, approver, member, metered):
    voucher = issue(enterprise, approver, 1_000_000)
    code = code_for(voucher, now=at(date(2030, 3, 10)), max_amount_fen=5_000)
    start = LogEntry.objects.count()
    redemptions.redemption_submit(provider=metered.provider, voucher_number=voucher.number, code=code,
                                  order_ref="A", category="compute", amount_fen=5_000, now=at(date(2030, 3, 10)))
    entries = [json.loads(bytes(e.entry)) for e in LogEntry.objects.filter(index__gte=start).order_by("index")]
    assert [e["type"] for e in entries] == ["vouchers.redemption_submit", "vouchers.redemption_code_use",
                                            "vouchers.redeem", "vouchers.account_open", "vouchers.transfer",
                                            "vouchers.notice"]
    # the confirmation in advance is the code's creator's; the code itself appears nowhere in the log
    assert entries[2]["actor"] == member.pk and entries[1]["confirmed_in_advance"] is True
    created = LogEntry.objects.filter(event_type="vouchers.redemption_code_create").latest("index")
    assert code.encode() not in bytes(created.entry) and code.replace("-", "").encode() not in bytes(created.entry)
    assert RedemptionCode.objects.get().code_hash.encode() not in bytes(created.entry)
