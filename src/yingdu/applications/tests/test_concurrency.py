"""The annual limit holds when colleagues submit at the same moment: 4 works counted, 20 racing → exactly 1 more."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from yingdu.applications import services
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
