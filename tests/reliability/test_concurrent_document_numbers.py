"""Documents issued at the same moment by several workers get distinct numbers, with no gap in the sequence."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from yingdu.documents.models import DocumentKind, IssuedDocument
from yingdu.documents.services import document_number_issue

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 4
EACH = 3
NOW = datetime(2026, 9, 21, 2, tzinfo=UTC)


def test_concurrent_issuances_get_distinct_numbers_without_gaps():
    barrier = threading.Barrier(WORKERS)
    failures: list[BaseException] = []

    def issue(worker: int):
        try:
            barrier.wait()
            for step in range(EACH):
                with transaction.atomic():
                    document_number_issue(kind=DocumentKind.DECISION, subject_id=worker * 100 + step, now=NOW)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(worker,)) for worker in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    rows = list(IssuedDocument.objects.filter(kind=DocumentKind.DECISION, year=2026).values_list("sequence", "number"))
    assert sorted(sequence for sequence, _number in rows) == list(range(1, WORKERS * EACH + 1))
    assert len({number for _sequence, number in rows}) == WORKERS * EACH


def test_a_rolled_back_issuance_leaves_no_gap():
    with transaction.atomic():
        document_number_issue(kind=DocumentKind.VOUCHER, subject_id=1, now=NOW)
        transaction.set_rollback(True)
    assert document_number_issue(kind=DocumentKind.VOUCHER, subject_id=2, now=NOW).number == "怀影算券〔2026〕1号"
