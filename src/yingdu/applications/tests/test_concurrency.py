"""The annual limit holds when colleagues submit at the same moment: 4 works counted, 20 racing → exactly 1 more."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from yingdu.applications import invoices, services
from yingdu.applications.models import Application, ApplicationStatus
from yingdu.errors import DomainError
from yingdu.testing.clients import verified

from .support import draft, eligible_works

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 20


def test_twenty_concurrent_submissions_with_four_works_counted_admit_exactly_one(enterprise, meter):
    works = eligible_works(enterprise, meter, 4 + RACERS)
    member = verified(enterprise.registered_by)
    for work in works[:4]:
        services.application_submit(application=draft(work), actor=member, now=timezone.now())
    drafts = [draft(work) for work in works[4:]]
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(application):
        try:
            actor = verified(type(member).objects.get(pk=member.pk))
            barrier.wait()
            services.application_submit(application=application, actor=actor, now=timezone.now())
            result = "submitted"
        except DomainError as error:
            result = error.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(application,)) for application in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["annual_limit_reached"] * (RACERS - 1) + ["submitted"]
    assert Application.objects.filter(enterprise=enterprise, status=ApplicationStatus.SUBMITTED).count() == 5


def test_one_invoice_declared_at_the_same_moment_by_several_enterprises_is_held_by_exactly_one(reviewer, meter):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from yingdu.applications.models import ApplicationInvoice
    from yingdu.testing.factories import make_enterprise

    from .support import pdf

    now = datetime(2026, 9, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    racers = 8
    drafts = []
    for _ in range(racers):
        [work] = eligible_works(make_enterprise(verified_by=reviewer), meter, 1)
        drafts.append(draft(work, now=now))
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def declare(application):
        try:
            member = application.enterprise.registered_by
            actor = verified(type(member).objects.get(pk=member.pk))
            barrier.wait()
            invoices.application_invoice_declare(
                application=application, invoice_code="", invoice_number="26117000000000000001",
                issued_on=date(2026, 4, 1), seller_uscc=meter.provider.uscc, amount_fen=100_000, tax_fen=6_000,
                upload=pdf("发票.pdf"), actor=actor, now=now)
            result = "declared"
        except DomainError as error:
            result = error.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=declare, args=(application,)) for application in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["declared"] + ["invoice_duplicate"] * (racers - 1)
    assert ApplicationInvoice.objects.filter(invoice_number="26117000000000000001").count() == 1
