"""Many providers redeeming one voucher at the same moment: exactly as many succeed as it can afford."""

import os
import queue
import threading
from collections import Counter

import pytest
from django.db import connection

from yingdu.errors import DomainError
from yingdu.testing.redemptions import code_for, redeem_with_code
from yingdu.vouchers import redemptions
from yingdu.vouchers.ledger import ledger_check
from yingdu.vouchers.models import RedemptionStatus

from .conftest import at, issue

pytestmark = pytest.mark.django_db(transaction=True)

SHARE_FEN = 10_000


def _race(*, voucher, metered, member, requests: int, workers: int) -> Counter:
    """``requests`` redemptions of one share each, submitted and confirmed by ``workers`` threads at once."""
    work: queue.Queue[int] = queue.Queue()
    for number in range(requests):
        work.put(number)
    barrier = threading.Barrier(workers)
    outcomes: Counter = Counter()
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            while True:
                try:
                    number = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    result = redeem_with_code(provider=metered.provider, voucher=voucher,
                                              order_ref=f"RACE-{number}", amount_fen=SHARE_FEN,
                                              now=at(voucher.issued_on, 12))
                    redemptions.redemption_confirm(redemption=result.redemption, actor=member,
                                                now=at(voucher.issued_on, 12))
                    outcome = "confirmed"
                except DomainError as refused:
                    outcome = refused.code
                with lock:
                    outcomes[outcome] += 1
        except BaseException as error:  # reported below; a thread must not swallow it
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return outcomes


def _assert_exactly(voucher, outcomes: Counter, *, affordable: int, requests: int) -> None:
    assert outcomes == Counter({"confirmed": affordable, "voucher_insufficient_balance": requests - affordable})
    voucher.account.refresh_from_db()
    assert voucher.account.balance_fen == 0
    assert voucher.redemptions.filter(status=RedemptionStatus.CONFIRMED).count() == affordable
    assert voucher.redemptions.count() == affordable
    report = ledger_check()
    assert report.ok, report.problems


@pytest.mark.postgres_only
def test_hundred_concurrent_redemptions_against_a_voucher_affording_ten(voucher_policy, enterprise, approver, member,
                                                                         metered):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite runs the smaller variant below")
    voucher = issue(enterprise, approver, 10 * SHARE_FEN)
    # PostgreSQL's default max_connections (100) is shared with other suites: 100 requests from 30 connections
    workers = int(os.environ.get("YINGDU_VOUCHER_RACE_WORKERS", "30"))
    outcomes = _race(voucher=voucher, metered=metered, member=member, requests=100, workers=workers)
    _assert_exactly(voucher, outcomes, affordable=10, requests=100)


def test_concurrent_redemptions_never_overspend_on_any_database(voucher_policy, enterprise, approver, member,
                                                                 metered):
    voucher = issue(enterprise, approver, 4 * SHARE_FEN)
    outcomes = _race(voucher=voucher, metered=metered, member=member, requests=16, workers=6)
    _assert_exactly(voucher, outcomes, affordable=4, requests=16)


def test_one_code_sent_by_many_requests_at_once_redeems_exactly_once(voucher_policy, enterprise, approver, member,
                                                                     metered):
    """The code is single-use under concurrency: of eight requests with one code (distinct orders), one redeems
    and seven are refused with the same answer as any invalid code."""
    voucher = issue(enterprise, approver, 10 * SHARE_FEN)
    now = at(voucher.issued_on, 12)
    code = code_for(voucher, now=now, max_amount_fen=SHARE_FEN)
    workers = 8
    barrier = threading.Barrier(workers)
    outcomes: Counter = Counter()
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker(number: int):
        try:
            barrier.wait()
            try:
                redemptions.redemption_submit(provider=metered.provider, voucher_number=voucher.number, code=code,
                                              order_ref=f"SAME-CODE-{number}", category="compute",
                                              amount_fen=SHARE_FEN, now=now)
                outcome = "redeemed"
            except DomainError as refused:
                outcome = refused.code
            with lock:
                outcomes[outcome] += 1
        except BaseException as error:  # reported below; a thread must not swallow it
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert outcomes == Counter({"redeemed": 1, "voucher_or_code_invalid": workers - 1})
    [redemption] = voucher.redemptions.all()
    assert redemption.status == RedemptionStatus.CONFIRMED
    voucher.account.refresh_from_db()
    assert voucher.account.balance_fen == 9 * SHARE_FEN
    report = ledger_check()
    assert report.ok, report.problems
