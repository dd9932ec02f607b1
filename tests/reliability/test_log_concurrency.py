"""Concurrent appends: one sequencer, so no two entries ever share an index and the root covers every entry."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from yingdu.testing.events import sample_entries
from yingdu.tlog import root_hash
from yingdu.transparency.models import LogEntry, LogHead
from yingdu.transparency.services import log_append

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 4
BATCHES = 5


def test_concurrent_writers_get_distinct_consecutive_indexes():
    base = LogHead.objects.get().tree_size
    barrier = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def writer(number: int):
        try:
            barrier.wait()
            for batch in range(BATCHES):
                log_append(events=sample_entries(3, start=3 * batch, group=number), now=timezone.now())
        except BaseException as error:  # reported below; a thread must not swallow it
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    total = WRITERS * BATCHES * 3
    indexes = list(LogEntry.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(base + total))
    head = LogHead.objects.get()
    assert head.tree_size == base + total
    leaf_hashes = [bytes(h) for h in LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)]
    assert bytes(head.root_hash) == root_hash(leaf_hashes)
    # Each batch of three stays contiguous: a batch is appended under one lock.
    rows = list(LogEntry.objects.filter(index__gte=base).order_by("index").values_list("entry", flat=True))
    import json
    decoded = [json.loads(bytes(row)) for row in rows]
    for start in range(0, total, 3):
        batch = decoded[start:start + 3]
        # group is the writer, n the batch (three consecutive numbers per batch)
        assert {(e["group"], e["n"] // 3) for e in batch} == {(batch[0]["group"], batch[0]["n"] // 3)}
