"""Every row of the applications tables is recomputed from the log: an edit of any column, a deleted row and an
inserted row are each named by the database audit; and an approval's entry comes before its voucher's."""

import json
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone

from yingdu.applications import invoices, services
from yingdu.applications.events import TRANSITION_TYPES
from yingdu.applications.models import (
    Application,
    ApplicationInvoice,
    ApplicationMaterial,
    ApplicationStatus,
    ApplicationTransition,
    InvoiceWithdrawal,
    ReviewerReminder,
    SupplementRequest,
)
from yingdu.applications.reminders import application_reminders_send
from yingdu.applications.workflow import ApplicationAction
from yingdu.audits.dbaudit import db_audit
from yingdu.policy.selectors import work_calendar
from yingdu.testing.tamper import assert_tampering_is_named
from yingdu.transparency.catalogue import CATALOGUE
from yingdu.transparency.models import LogEntry

from .support import draft, eligible_works, member_of, pdf

pytestmark = pytest.mark.django_db

APPLICATIONS_TABLES = (Application, ApplicationTransition, SupplementRequest, ApplicationMaterial, ReviewerReminder,
                       ApplicationInvoice, InvoiceWithdrawal)
ACCEPTED_AT = datetime(2026, 9, 1, 2, 0, tzinfo=dt_timezone.utc)


def _reviewed(work, *, reviewer, now):
    application = services.application_submit(application=draft(work, now=now), actor=member_of(work.enterprise),
                                              now=now)
    services.application_accept(application=application, actor=reviewer, now=now)
    return services.application_start_review(application=application, actor=reviewer, now=now)


@pytest.fixture
def programme(enterprise, meter, reviewer, approver):
    """Applications through every step: approved after a supplement (then topped up), rejected with a supplement
    open, withdrawn, and one accepted and overdue enough for a reminder to its reviewer."""
    now = timezone.now()
    member = member_of(enterprise)
    approved_work, rejected_work, withdrawn_work, reminded_work = eligible_works(enterprise, meter, 4)
    approved = _reviewed(approved_work, reviewer=reviewer, now=now)
    approved = services.application_request_supplement(application=approved, actor=reviewer, items=["制作说明"],
                                                       message="请补充制作说明", now=now)
    services.application_material_upload(application=approved, code="authenticity_commitment",
                                         upload=pdf("承诺书（补充）.pdf"), actor=member, now=now)
    services.application_resubmit(application=approved, actor=member, now=now, response="已补充")
    approved = services.application_approve(application=approved, actor=approver, now=now, reason="符合条件")
    services.application_topup_create(base=approved, actor=member, now=now)
    rejected = _reviewed(rejected_work, reviewer=reviewer, now=now)
    services.application_request_supplement(application=rejected, actor=reviewer, items=["发行协议"],
                                            message="请补充发行协议", now=now)
    services.application_reject(application=rejected, actor=approver, reason="不符合条件", now=now)
    withdrawn = draft(withdrawn_work, now=now)
    for number, amount_fen in (("10000001", 1_000), ("10000002", 2_000)):
        invoice = invoices.application_invoice_declare(
            application=withdrawn, invoice_code="011002600111", invoice_number=number, issued_on=date(2026, 4, 1),
            seller_uscc=meter.provider.uscc, amount_fen=amount_fen, tax_fen=60, upload=pdf("发票.pdf"),
            actor=member, now=now)
    invoices.application_invoice_withdraw(invoice=invoice, reason="号码填错", actor=member, now=now)
    services.application_withdraw(application=withdrawn, actor=member, now=now, reason="不再申请")
    reminded = services.application_submit(application=draft(reminded_work, now=ACCEPTED_AT), actor=member,
                                           now=ACCEPTED_AT)
    reminded = services.application_accept(application=reminded, actor=reviewer, now=ACCEPTED_AT)
    due_soon = work_calendar().add_working_days(start_on=reminded.accepted_on,
                                                working_days=reminded.sla_working_days - 1)
    assert application_reminders_send(today=due_soon, now=ACCEPTED_AT) == 1
    return approved


def test_every_applications_column_is_recorded_by_an_entry(programme):
    report = db_audit()
    assert report.ok, report.summary()
    for model in APPLICATIONS_TABLES:
        table = model._meta.db_table
        assert report.rows_checked[table] > 0, table
        assert table not in report.not_in_entries, report.not_in_entries[table]
        assert table not in report.tables_unexplained


def test_applications_entries_match_their_declarations(programme):
    types = set()
    for event_type, entry in LogEntry.objects.filter(event_type__startswith="applications.").values_list(
            "event_type", "entry"):
        declared = CATALOGUE.validate(json.loads(bytes(entry)))
        assert declared.version == CATALOGUE[event_type].version
        types.add(event_type)
    assert types == {"applications.create", "applications.material_upload", "applications.reminder",
                     "applications.invoice_declare", "applications.invoice_withdraw",
                     *(f"applications.{action}" for action in ApplicationAction if action not in _PUBLICITY)}


# the 公示 steps need a version with a 公示 period: publicity/tests/test_publicity_flow.py appends and checks them
_PUBLICITY = {ApplicationAction.PROPOSE, ApplicationAction.PUBLICITY_CONCLUDE, ApplicationAction.PUBLICITY_RETURN}


def test_each_workflow_action_has_its_declared_entry_type():
    assert {declared.name for declared in TRANSITION_TYPES.values()} == {
        f"applications.{action.value}" for action in ApplicationAction}
    assert all(declared.projection == "applications" for declared in TRANSITION_TYPES.values())


def test_an_approval_is_logged_before_the_voucher_it_issues(enterprise, meter, reviewer, approver):
    [work] = eligible_works(enterprise, meter, 1)
    now = timezone.now()
    application = _reviewed(work, reviewer=reviewer, now=now)
    before = LogEntry.objects.count()
    application = services.application_approve(application=application, actor=approver, now=now)
    assert application.status == ApplicationStatus.APPROVED
    types = list(LogEntry.objects.filter(index__gte=before).order_by("index").values_list("event_type", flat=True))
    assert types[:2] == ["applications.approve", "vouchers.issue"]
    assert not any(event_type.startswith("applications.") for event_type in types[1:])


def test_a_rejection_closes_the_open_supplement_request_in_its_entry(programme):
    rejection = LogEntry.objects.filter(event_type="applications.reject").get()
    entry = json.loads(bytes(rejection.entry))
    request = SupplementRequest.objects.get(pk__in=entry["supplements_closed"])
    assert request.resumed_on is not None
    assert request.application.status == ApplicationStatus.REJECTED


def test_tampering_with_an_application_is_named(programme):
    assert_tampering_is_named(Application, status=ApplicationStatus.WITHDRAWN, topup_of_id=None)


def test_tampering_with_an_application_transition_is_named(programme):
    assert_tampering_is_named(ApplicationTransition)


def test_tampering_with_a_supplement_request_is_named(programme):
    assert_tampering_is_named(SupplementRequest)


def test_tampering_with_an_application_material_is_named(programme):
    assert_tampering_is_named(ApplicationMaterial)


def test_tampering_with_a_reviewer_reminder_is_named(programme):
    reminder = ReviewerReminder.objects.get()
    assert_tampering_is_named(ReviewerReminder, sent_on=reminder.sent_on + timedelta(days=1))


def test_tampering_with_an_application_invoice_is_named(programme):
    assert_tampering_is_named(ApplicationInvoice)


def test_tampering_with_an_invoice_withdrawal_is_named(programme):
    assert_tampering_is_named(InvoiceWithdrawal)
