"""Oversight's tables are projections of the log: built through the services, every table audits clean; an edit of
any audited column, a deleted row and an inserted copy are each named by the database audit. A confirmed fraud
finding is appended before the revocations and the disqualification it causes."""

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yingdu.actors import SYSTEM
from yingdu.audits import draws, services
from yingdu.audits.dbaudit import db_audit
from yingdu.audits.models import (
    AuditNotice,
    CaseCheckItem,
    CaseEvidence,
    CaseFinding,
    CaseNote,
    CaseResponse,
    FindingStatus,
    SpotCheckCase,
    SpotCheckDraw,
)
from yingdu.testing.clients import verified
from yingdu.testing.factories import PDF_BYTES, make_metering_provider
from yingdu.testing.redemptions import redeem_with_code
from yingdu.testing.tamper import audited_columns, tamper_table, undeclared_columns
from yingdu.transparency.catalogue import CATALOGUE
from yingdu.transparency.models import LogEntry
from yingdu.vouchers.models import Voucher
from yingdu.vouchers.redemptions import redemption_confirm

from .conftest import AFTER_Q3, at

pytestmark = pytest.mark.django_db

LATER = at(date(2026, 10, 12))
TABLES = [SpotCheckDraw, SpotCheckCase, CaseCheckItem, CaseEvidence, CaseNote, CaseResponse, CaseFinding, AuditNotice]


def pdf(name="证明.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def _redeemed(voucher, amount_fen=300_000):
    meter = make_metering_provider()
    result = redeem_with_code(provider=meter.provider, voucher=voucher, order_ref="ORD-FRAUD-1",
                              amount_fen=amount_fen, actor=meter.operator, now=at(date(2026, 9, 1)))
    redemption_confirm(redemption=result.redemption, actor=verified(voucher.enterprise.registered_by),
                       now=at(date(2026, 9, 2)))


def _entries_since(start: int) -> list[dict]:
    return [json.loads(bytes(e.entry)) for e in LogEntry.objects.filter(index__gte=start).order_by("index")]


@pytest.fixture
def oversight(q3_works, auditor, admin, settings, tmp_path):
    """Every kind of row of oversight, written through the services."""
    from yingdu.testing.witnesses import witness_serving
    from yingdu.tlog import CosignerKey
    from yingdu.transparency.keys import signing_key

    key = CosignerKey.from_seed(name="finance.example/w", seed=bytes([23]) * 32)
    with witness_serving(cosigner_key=key, log_keys=[signing_key().verifier_key], state_path=tmp_path / "w.json",
                         clock=AFTER_Q3.timestamp) as (url, _witness):
        # a witness's commitment to the next quarter's value; this quarter's draw is made without witnesses
        settings.LOG_WITNESSES, settings.LOG_WITNESS_QUORUM = [f"{url} {key.verifier_key.format()}"], 0
        assert len(draws.draw_commitments_collect(quarter="2026Q4", now=AFTER_Q3)) == 1
    draw = draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    first, second, third = SpotCheckCase.objects.filter(draw=draw).order_by("rank")[:3]
    member = verified(first.enterprise.registered_by)
    item = services.case_check_update(case=first, code="invoices", result="ok", note="发票齐全", actor=auditor,
                                      now=LATER)
    services.case_evidence_upload(case=first, upload=pdf(), check_code="invoices", actor=auditor, now=LATER)
    services.case_note_add(case=first, text="约谈企业", actor=auditor, now=LATER)
    services.case_response_file(case=first, text="说明如下", evidence=[pdf("发票.pdf")], actor=member, now=LATER)
    services.case_finding_record(case=first, outcome="issues", summary="部分不符", corrective_action="补交发票",
                                 actor=auditor, now=LATER)
    declined = services.case_finding_record(case=second, outcome="fraud", summary="疑似", actor=auditor, now=LATER)
    services.case_fraud_decline(finding=declined, reason="证据不足", actor=admin, now=LATER)
    # a case whose dates rested on a provisional calendar (set behind the log's back here; the recomputation's
    # entry then records the official dates and the flags cleared, so the table matches the log again)
    SpotCheckCase.objects.filter(pk=third.pk).update(due_on_provisional=True)
    assert len(services.case_deadlines_recompute(now=LATER)) == 1
    _redeemed(Voucher.objects.filter(enterprise=first.enterprise).order_by("id").first())
    fraud = services.case_finding_record(case=third, outcome="fraud", summary="用量造假", actor=auditor, now=LATER)
    services.case_fraud_confirm(finding=fraud, reason="证据确凿", actor=admin, now=LATER)
    return {"draw": draw, "case": first, "item": item, "fraud": fraud}


def test_every_entry_type_of_the_app_is_declared_and_written(oversight):
    written = set(LogEntry.objects.filter(event_type__startswith="audits.").values_list("event_type", flat=True))
    declared = {event_type.name for event_type in CATALOGUE if event_type.name.startswith("audits.")}
    assert written == declared
    for entry in LogEntry.objects.filter(event_type__startswith="audits."):
        CATALOGUE.validate(json.loads(bytes(entry.entry)), writing=True)


def test_the_oversight_tables_audit_clean_and_every_column_is_recorded(oversight):
    report = db_audit()
    assert report.ok, report.summary()
    for model in TABLES:
        assert report.rows_checked.get(model._meta.db_table, 0) > 0, model.__name__
    assert undeclared_columns(report, TABLES) == {}


def test_the_draw_publishes_the_index_of_its_own_entry(oversight):
    draw = oversight["draw"]
    entry = LogEntry.objects.get(index=draw.log_index)
    assert entry.event_type == "audits.draw" and json.loads(bytes(entry.entry))["log_index"] == draw.log_index


def test_a_draw_is_appended_before_the_cases_it_opens_each_before_its_notice(q3_works):
    start = LogEntry.objects.count()
    draw = draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    entries = _entries_since(start)
    assert [e["type"] for e in entries] == ["audits.draw", *["audits.case_open", "audits.notice"] * len(draw.chosen_ids)]
    assert entries[0]["actor"] == "system" and draw.drawn_by_id is None


def test_a_fraud_confirmation_is_appended_before_the_revocations_and_the_disqualification(q3_works, auditor, admin):
    draw = draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    case = SpotCheckCase.objects.filter(draw=draw).order_by("rank").first()
    vouchers = list(Voucher.objects.filter(enterprise=case.enterprise).order_by("id"))
    _redeemed(vouchers[0])
    finding = services.case_finding_record(case=case, outcome="fraud", summary="用量造假", actor=auditor, now=LATER)
    start = LogEntry.objects.count()
    services.case_fraud_confirm(finding=finding, reason="证据确凿", actor=admin, now=LATER)
    entries = _entries_since(start)
    types = [e["type"] for e in entries]
    # the decision, with everything it will do worked out first
    assert types[0] == "audits.fraud_confirm"
    decision = entries[0]
    assert decision["revoked_vouchers"] == [v.number for v in vouchers] and decision["disqualified"] is True
    assert decision["claimed_fen"] == 300_000 and decision["voided_fen"] == sum(v.amount_fen for v in vouchers) - 300_000
    # then each revocation (cause first within it: the revocation, its claim, its accounts, its transfers, its
    # notice), then the disqualification, then the notice of the decision
    first_revocation = ["vouchers.revoke", "vouchers.recovery_claim", "vouchers.account_open",
                        "vouchers.account_open", "vouchers.transfer", "vouchers.transfer", "vouchers.notice"]
    other_revocation = ["vouchers.revoke", "vouchers.transfer", "vouchers.notice"]
    revocations = first_revocation + other_revocation * (len(vouchers) - 1)
    assert types[1:1 + len(revocations)] == revocations
    disqualification = types[1 + len(revocations):-1]
    assert disqualification[0] == "enterprises.disqualify" and not any(
        t.startswith(("vouchers.", "audits.")) for t in disqualification)
    assert types[-1] == "audits.notice"
    assert [e["number"] for e in entries if e["type"] == "vouchers.revoke"] == decision["revoked_vouchers"]


@pytest.mark.parametrize("model", TABLES, ids=lambda model: model.__name__)
def test_tampering_with_any_oversight_table_is_named(oversight, model):
    rows = {
        SpotCheckCase: oversight["case"].pk,
        CaseCheckItem: oversight["item"].pk,
        CaseFinding: oversight["fraud"].pk,
    }
    assert db_audit().ok
    report = tamper_table(model, row_id=rows.get(model))
    assert not report.missed, report.missed
    assert len(report.checked) + len(report.refused) == len(audited_columns(model)) + 2
    assert not report.refused
    assert db_audit().ok, "the savepoints rolled every change back"


def test_a_declined_fraud_finding_reopens_the_case_in_the_log(oversight):
    declined = CaseFinding.objects.get(status=FindingStatus.DECLINED)
    entry = LogEntry.objects.filter(event_type="audits.fraud_decline").get()
    assert json.loads(bytes(entry.entry))["finding"] == declined.pk
    assert db_audit().ok
