"""The finance page shows the latest ledger check, run by the worker, instead of recomputing the ledger per view
(issue 18, item 1)."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yingdu.testing.clients import client_for
from yingdu.transparency.models import LogEntry
from yingdu.vouchers.ledger import ledger_check_latest, ledger_check_record
from yingdu.vouchers.models import Account, LedgerCheckRun
from yingdu.vouchers.tasks import ledger_check_run

from .conftest import at, issue

pytestmark = pytest.mark.django_db


def ticking(start):
    """A clock that advances one second per reading."""
    moments = (start + timedelta(seconds=n) for n in range(1_000))
    return lambda: next(moments)


def test_the_finance_page_shows_the_latest_run_with_its_time_not_a_fresh_recomputation(voucher_policy, finance,
                                                                                       approver, enterprise):
    issue(enterprise, approver, now=at(date(2030, 3, 1)))
    client = client_for(finance)
    page = client.get(reverse("vouchers:finance")).content.decode()
    assert "尚未核对" in page

    run = ledger_check_record(clock=ticking(at(date(2030, 3, 2), 9)))
    assert run.ok and run.transfers >= 1 and run.finished_at - run.started_at == timedelta(seconds=1)
    page = client.get(reverse("vouchers:finance")).content.decode()
    assert "通过（" in page and "核对时间 2030-03-02 09:00" in page

    # someone edits a cached balance in the database: the page keeps showing the last run until the next one
    account = Account.objects.filter(balance_fen__gt=0).order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Account._meta.db_table} SET balance_fen = balance_fen + 1 WHERE id = %s",
                       [account.pk])
    assert "通过（" in client.get(reverse("vouchers:finance")).content.decode()
    with mock.patch("django.utils.timezone.now", return_value=at(date(2030, 3, 2), 10)):
        assert ledger_check_run.call() is False
    latest = ledger_check_latest()
    assert not latest.ok and any(f"account {account.key}" in problem for problem in latest.problems)
    page = client.get(reverse("vouchers:finance")).content.decode()
    assert "发现" in page and "核对时间 2030-03-02 10:00" in page
    assert LedgerCheckRun.objects.count() == 2


def test_the_finance_page_reads_no_more_as_transfers_grow(voucher_policy, finance, approver, enterprise):
    issue(enterprise, approver, now=at(date(2030, 3, 1)))
    ledger_check_record(clock=ticking(at(date(2030, 3, 1), 12)))
    client = client_for(finance)
    client.get(reverse("vouchers:finance"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("vouchers:finance"))
    for day in range(2, 6):
        issue(enterprise, approver, amount_fen=10_000, now=at(date(2030, 3, day)))
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("vouchers:finance"))
    # the page runs no ledger check: it reads no log entries
    assert not [q["sql"] for q in after.captured_queries if LogEntry._meta.db_table in q["sql"]]
    assert len(after.captured_queries) <= len(before.captured_queries)
