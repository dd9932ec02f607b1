"""Spot-check cases: checklist, evidence, notes, the enterprise's response, findings, and the fraud decision with
four eyes, voucher clawback and disqualification. Every write is a log entry."""

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.actors import SYSTEM
from yingdu.applications import services as applications
from yingdu.applications.eligibility import precheck
from yingdu.applications.tests.support import draft, eligible_works
from yingdu.audits import draws, services
from yingdu.audits.models import AuditNotice, CaseStatus, FindingStatus, SpotCheckCase
from yingdu.enterprises.models import EnterpriseState
from yingdu.errors import DomainError
from yingdu.testing.clients import verified
from yingdu.testing.factories import PDF_BYTES, make_metering_provider, make_staff
from yingdu.testing.redemptions import redeem_with_code
from yingdu.transparency.models import LogEntry
from yingdu.vouchers.models import RecoveryClaim, Revocation, Voucher, VoucherStatus
from yingdu.vouchers.redemptions import redemption_confirm

from .conftest import AFTER_Q3, at

pytestmark = pytest.mark.django_db

LATER = at(date(2026, 10, 12))


def pdf(name="证明.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@pytest.fixture
def case(q3_works):
    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    return SpotCheckCase.objects.select_related("enterprise", "work").order_by("rank").first()


def _redeemed(voucher, amount_fen=300_000):
    meter = make_metering_provider()
    result = redeem_with_code(provider=meter.provider, voucher=voucher, order_ref="ORD-FRAUD-1",
                              amount_fen=amount_fen, actor=meter.operator, now=at(date(2026, 9, 1)))
    redemption_confirm(redemption=result.redemption, actor=verified(voucher.enterprise.registered_by),
                       now=at(date(2026, 9, 2)))


def _balances(enterprise):
    return {v.number: (v.status, v.account.balance_fen) for v in
            Voucher.objects.filter(enterprise=enterprise).select_related("account")}


def test_a_case_is_due_in_working_days_with_the_policy_response_window(case):
    assert case.status == CaseStatus.OPEN
    assert case.opened_on == date(2026, 10, 9)
    # official working days after Friday 9 October 2026; Saturday 10 October is an adjusted working day (调休上班):
    # 20 for the case, and the default policy's 5-day objection window for the enterprise's response
    assert case.due_on == date(2026, 11, 5)
    assert case.response_deadline_on == date(2026, 10, 15)
    assert [item.code for item in case.check_items.all()] == [
        "usage_vs_provider_logs", "release_evidence", "overseas_evidence", "invoices"]


def test_every_case_step_is_a_log_entry(case, auditor):
    member = verified(case.enterprise.registered_by)
    steps = [
        ("audits.check", lambda: services.case_check_update(case=case, code="invoices", result="ok", note="发票齐全",
                                                            actor=auditor, now=LATER)),
        ("audits.evidence", lambda: services.case_evidence_upload(case=case, upload=pdf(), check_code="invoices",
                                                                  actor=auditor, now=LATER)),
        ("audits.note", lambda: services.case_note_add(case=case, text="约谈企业", actor=auditor, now=LATER)),
        ("audits.response", lambda: services.case_response_file(case=case, text="说明如下", evidence=[],
                                                                actor=member, now=LATER)),
        (("audits.finding", "audits.notice"), lambda: services.case_finding_record(
            case=case, outcome="compliant", summary="相符", actor=auditor, now=LATER)),
    ]
    for event_types, step in steps:
        before = LogEntry.objects.count()
        step()
        expected = list(event_types) if isinstance(event_types, tuple) else [event_types]
        assert list(LogEntry.objects.filter(index__gte=before).values_list("event_type", flat=True)) == expected
    entry = json.loads(bytes(LogEntry.objects.filter(event_type="audits.note").get().entry))
    assert "约谈企业" not in json.dumps(entry, ensure_ascii=False) and entry["text_commitment"]


def test_compliant_and_issues_findings_close_the_case_and_tell_the_enterprise(case, auditor):
    with pytest.raises(DomainError) as refused:
        services.case_finding_record(case=case, outcome="issues", summary="发票缺失", actor=auditor, now=LATER)
    assert refused.value.code == "corrective_action_required"
    services.case_finding_record(case=case, outcome="issues", summary="发票缺失", corrective_action="30 日内补交发票",
                                 actor=auditor, now=LATER)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED_ISSUES
    assert "30 日内补交发票" in AuditNotice.objects.get(case=case, kind="finding").message


def test_a_late_or_foreign_response_is_refused(case, enterprise, approver):
    member = verified(case.enterprise.registered_by)
    with pytest.raises(DomainError) as late:
        services.case_response_file(case=case, text="迟到的说明", evidence=[], actor=member,
                                    now=at(date(2026, 10, 19)))
    assert late.value.code == "response_late"
    from yingdu.testing.factories import make_enterprise

    other = make_enterprise(verified_by=verified(make_staff(Role.REVIEWER)))
    with pytest.raises(DomainError) as foreign:
        services.case_response_file(case=case, text="别家的说明", evidence=[], actor=verified(other.registered_by),
                                    now=LATER)
    assert foreign.value.status == 403


def test_a_fraud_finding_without_a_second_confirmation_does_nothing(case, auditor):
    voucher = Voucher.objects.filter(enterprise=case.enterprise).first()
    _redeemed(voucher)
    before = _balances(case.enterprise)
    finding = services.case_finding_record(case=case, outcome="fraud", summary="用量造假", actor=auditor, now=LATER)
    case.refresh_from_db()
    case.enterprise.refresh_from_db()
    assert finding.status == FindingStatus.PENDING_CONFIRMATION and case.status == CaseStatus.FRAUD_PENDING
    assert _balances(case.enterprise) == before
    assert not RecoveryClaim.objects.exists() and not Revocation.objects.exists()
    assert case.enterprise.state == EnterpriseState.VERIFIED
    assert not AuditNotice.objects.filter(kind="fraud_confirmed").exists()


def test_a_self_confirmation_is_refused(case, auditor):
    finding = services.case_finding_record(case=case, outcome="fraud", summary="用量造假", actor=auditor, now=LATER)
    with pytest.raises(DomainError) as refused:
        services.case_fraud_confirm(finding=finding, reason="同意", actor=auditor, now=LATER)
    assert refused.value.code == "four_eyes"
    assert not Revocation.objects.exists()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.PENDING_CONFIRMATION


def test_staff_other_than_auditors_and_admins_cannot_confirm(case, auditor, approver):
    finding = services.case_finding_record(case=case, outcome="fraud", summary="用量造假", actor=auditor, now=LATER)
    with pytest.raises(DomainError) as refused:
        services.case_fraud_confirm(finding=finding, reason="同意", actor=approver, now=LATER)
    assert refused.value.status == 403


def test_a_confirmed_fraud_revokes_every_voucher_and_disqualifies_the_enterprise(case, auditor, admin):
    meter = make_metering_provider()
    [work] = eligible_works(case.enterprise, meter, 1)
    application = draft(work)
    assert precheck(application, today=timezone.localdate()).failed == []
    vouchers = list(Voucher.objects.filter(enterprise=case.enterprise).order_by("id"))
    _redeemed(vouchers[0], amount_fen=300_000)

    finding = services.case_finding_record(case=case, outcome="fraud", summary="用量造假", actor=auditor, now=LATER)
    before = LogEntry.objects.count()
    services.case_fraud_confirm(finding=finding, reason="证据确凿", actor=admin, now=LATER)

    finding.refresh_from_db()
    case.refresh_from_db()
    enterprise = case.enterprise
    enterprise.refresh_from_db()
    assert finding.status == FindingStatus.CONFIRMED and case.status == CaseStatus.CLOSED_FRAUD
    assert finding.revoked_vouchers == [v.number for v in vouchers]
    for voucher in vouchers:
        voucher.refresh_from_db()
        voucher.account.refresh_from_db()
        assert voucher.status == VoucherStatus.REVOKED and voucher.account.balance_fen == 0
        assert voucher.revocation.source == f"fraud_case:{case.pk}"
    claim = RecoveryClaim.objects.get()
    assert (claim.voucher_id, claim.amount_fen) == (vouchers[0].pk, 300_000)
    assert enterprise.state == EnterpriseState.DISQUALIFIED
    change = enterprise.state_changes.get(action="disqualify")
    assert change.effective_on == date(2026, 10, 12) and "用量造假" in change.reason and change.actor_id == admin.pk
    assert AuditNotice.objects.filter(case=case, kind="fraud_confirmed").exists()

    types = list(LogEntry.objects.filter(index__gte=before).values_list("event_type", flat=True))
    # cause first: the decision, then each revocation it causes, then the disqualification, then the notice
    decisions = {"audits.fraud_confirm", "vouchers.revoke", "enterprises.disqualify", "audits.notice"}
    assert [t for t in types if t in decisions] == ["audits.fraud_confirm", *["vouchers.revoke"] * len(vouchers),
                                                    "enterprises.disqualify", "audits.notice"]

    with pytest.raises(DomainError) as refused:
        applications.application_submit(application=application, actor=verified(enterprise.registered_by),
                                        now=timezone.now())
    assert [c["code"] for c in refused.value.detail["failed"]] == ["enterprise_verified"]


def test_a_declined_fraud_finding_reopens_the_case_and_changes_nothing(case, auditor, second_auditor):
    finding = services.case_finding_record(case=case, outcome="fraud", summary="疑似造假", actor=auditor, now=LATER)
    services.case_fraud_decline(finding=finding, reason="证据不足", actor=second_auditor, now=LATER)
    case.refresh_from_db()
    case.enterprise.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.enterprise.state == EnterpriseState.VERIFIED
    assert not Revocation.objects.exists()
    assert LogEntry.objects.filter(event_type="audits.fraud_decline").count() == 1


def test_a_finding_recorded_from_an_english_page_is_sent_in_chinese_and_shown_in_english(case, auditor):
    """The notice is stored (and committed to in the log) as sent, in Chinese; an English page builds its own."""
    from django.utils import translation

    from yingdu.audits.texts import notice_text

    with translation.override("en"):
        services.case_finding_record(case=case, outcome="compliant", summary="材料相符", actor=auditor, now=LATER)
        notice = AuditNotice.objects.get(case=case, kind="finding")
        assert "检查结论：合规。" in notice.message
        assert notice_text(notice) == (f'Spot-check case {case.pk} (work "{case.work.title}") has a finding: see '
                                       '"Finding" on this page.')
