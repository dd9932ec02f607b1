"""Several worker runs issuing the proposed awards at the same moment: each award is issued exactly once."""

import threading

import pytest
from django.db import connection

from yingdu.accounts.models import Role
from yingdu.applications import services
from yingdu.applications.models import ApplicationStatus, ApplicationTransition
from yingdu.applications.tests.support import draft, eligible_works, under_review
from yingdu.publicity.services import publicity_awards_issue
from yingdu.publicity.tests.support import beijing, publicity_policy
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff
from yingdu.vouchers.models import Voucher

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 4


def test_concurrent_issuance_runs_issue_each_proposed_award_once():
    reviewer, approver = verified(make_staff(Role.REVIEWER)), verified(make_staff(Role.APPROVER))
    enterprise = make_enterprise(verified_by=reviewer)
    works = eligible_works(enterprise, make_metering_provider(), 2)
    publicity_policy(working_days=5)
    proposed_at = beijing(2026, 9, 30, 15)
    applications = [services.application_approve(
        application=under_review(draft(work, now=proposed_at), reviewer, now=proposed_at), actor=approver,
        now=proposed_at) for work in works]
    assert {a.status for a in applications} == {ApplicationStatus.PUBLICITY}
    run_at = beijing(2026, 10, 14, 0, 5)  # after the last working day of 公示, Tuesday 13 October
    barrier = threading.Barrier(WORKERS)
    issued: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait()
            count = publicity_awards_issue(now=run_at)
            with lock:
                issued.append(count)
        except BaseException as error:  # noqa: BLE001 - reported below
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sum(issued) == len(applications)
    for application in applications:
        assert Voucher.objects.filter(application_id=application.pk).count() == 1
        assert ApplicationTransition.objects.filter(application=application, action="publicity_conclude").count() == 1
