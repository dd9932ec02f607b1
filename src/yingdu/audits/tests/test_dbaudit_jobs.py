"""`yingdu audit db --jobs N`: worker processes find exactly what one process finds."""

import pytest
from django.db import connection

from yingdu.audits.dbaudit import db_audit
from yingdu.metering.models import UsageRecord
from yingdu.policy.models import PolicyVersion

from .dbaudit_support import build_programme

# Worker processes read committed data only: these tests commit (and the database is flushed after each).
pytestmark = pytest.mark.django_db(transaction=True)


def _signature(report):
    return sorted((m.table, str(m.row), m.kind, m.fields) for m in report.mismatches)


def test_a_parallel_audit_agrees_with_a_single_process_on_a_clean_database():
    build_programme(works=2, extra_usage=5)
    single = db_audit(jobs=1)
    for jobs in (2, 3, 4):
        parallel = db_audit(jobs=jobs)
        assert parallel.ok, parallel.summary()
        assert (parallel.entries_read, parallel.tree_size, parallel.checkpoint_size) == \
            (single.entries_read, single.tree_size, single.checkpoint_size)
        assert parallel.rows_checked == single.rows_checked
        assert parallel.not_in_entries == single.not_in_entries


def test_a_parallel_audit_names_the_same_tampering_as_one_process():
    build_programme(works=2, extra_usage=5)
    record = UsageRecord.objects.order_by("pk").first()
    UsageRecord.objects.filter(pk=record.pk).update(quantity=record.quantity + 1)
    PolicyVersion.objects.filter(status="published").update(regular_rate="0.9000")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM transparency_storedhash WHERE " + connection.ops.quote_name("index") + " = 3")
    single = db_audit(jobs=1)
    assert not single.ok
    for jobs in (2, 3):
        assert _signature(db_audit(jobs=jobs)) == _signature(single)
    tables = {m.table for m in single.mismatches}
    assert {"metering_usagerecord", "policy_policyversion", "transparency_storedhash"} <= tables
