"""Two people registering the same USCC at the same moment: exactly one enterprise exists afterwards."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from yingdu.enterprises.models import Enterprise
from yingdu.enterprises.services import enterprise_register
from yingdu.errors import DomainError
from yingdu.testing.factories import enterprise_details, licence_pdf, make_user, unique_uscc

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 6


def test_concurrent_registrations_of_one_uscc_create_exactly_one_enterprise():
    uscc = unique_uscc()
    members = [make_user() for _ in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def register(member):
        try:
            barrier.wait()
            enterprise_register(user=member, details=enterprise_details(uscc=uscc), licence=licence_pdf(),
                                now=timezone.now())
            result = "ok"
        except DomainError as error:
            result = error.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=register, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["uscc_taken"] * (WORKERS - 1)
    assert Enterprise.objects.filter(uscc=uscc).count() == 1
    winner = Enterprise.objects.get(uscc=uscc)
    losers = [m for m in members if m.pk != winner.registered_by_id]
    for loser in losers:
        loser.refresh_from_db()
        assert loser.organisation_id is None
