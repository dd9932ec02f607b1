"""Two auditors (or one double click) confirming the same quarter's draw at the same moment: exactly one draw."""

import threading

import pytest
import time_machine
from django.db import connection

from yingdu.accounts.models import Role
from yingdu.audits.models import SpotCheckCase, SpotCheckDraw
from yingdu.audits.tests.conftest import AFTER_Q3, Q3_LAST_HOUR, supported_work
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_staff, make_user
from yingdu.transparency.services import checkpoint_sign

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 4


def test_concurrent_confirmations_of_one_quarter_make_exactly_one_draw():
    approver = verified(make_staff(Role.APPROVER))
    enterprise = make_enterprise(member=make_user(), verified_by=verified(make_staff(Role.REVIEWER)))
    for _ in range(4):
        supported_work(enterprise, approver)
    checkpoint_sign(now=Q3_LAST_HOUR)
    auditors = [make_staff(Role.AUDITOR) for _ in range(WORKERS)]
    clients = [client_for(auditor) for auditor in auditors]
    barrier = threading.Barrier(WORKERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def confirm(client):
        try:
            barrier.wait()
            status = client.post("/audits/draws/2026Q3/run").status_code
        finally:
            connection.close()
        with lock:
            statuses.append(status)

    with time_machine.travel(AFTER_Q3, tick=False):
        threads = [threading.Thread(target=confirm, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [302] * WORKERS  # each is sent back to the quarter's page, the losers with the reason
    draw = SpotCheckDraw.objects.get()
    assert draw.drawn_by_id in {auditor.pk for auditor in auditors}
    assert SpotCheckCase.objects.count() == len(draw.chosen_ids) == 3
