"""The one definition of the records that count for a work (metering.counting)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from yingdu.accounts.models import Role
from yingdu.errors import DomainError
from yingdu.metering.corrections import CorrectionRequest, usage_corrections_append
from yingdu.metering.counting import (
    counted_totals_by_work,
    work_counted_cost_microfen,
    work_counted_originals,
    work_counted_records,
)
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.metering.models import RecordStatus, UsageRecord
from yingdu.metering.selectors import usage_records_visible_to
from yingdu.metering.services import MSG_ATTRIBUTE_CORRECTION, usage_record_attach
from yingdu.push import signed_batch
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user, make_work
from yingdu.testing.factories import usage_record as raw_record
from yingdu.transparency.models import LogEntry
from yingdu.works.models import Work

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 9, 28, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def setup():
    reviewer = verified(make_staff(Role.REVIEWER))
    member = make_user(email="member@drama.example.cn")
    enterprise = make_enterprise(member=member, verified_by=reviewer)
    work = make_work(enterprise, tag="drama-a", start=date(2026, 9, 5), end=date(2026, 9, 25))
    other = make_work(enterprise, tag="drama-b", start=date(2026, 9, 1), end=date(2026, 9, 30))
    meter = make_metering_provider(price_fen=800)
    return reviewer, verified(member), enterprise, work, other, meter


def ingest(meter, enterprise, specs, *, now=NOW) -> list[UsageRecord]:
    """specs: (record id, project tag, quantity, day of September 2026, hour) each; the stored rows in order."""
    raw = [raw_record(enterprise.uscc, tag, record_id=record_id, quantity=quantity,
                      started_at=f"2026-09-{day:02d}T{hour:02d}:00:00+08:00",
                      ended_at=f"2026-09-{day:02d}T{hour:02d}:30:00+08:00")
           for record_id, tag, quantity, day, hour in specs]
    body = signed_batch(raw, meter.private_key)
    usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                       batch_signature=body["batch_signature"], now=now)
    return [UsageRecord.objects.get(provider=meter.provider, record_id=r["record_id"]) for r in raw]


def test_accepted_and_attributed_records_in_the_window_count_and_nothing_else(setup):
    reviewer, _member, enterprise, work, other, meter = setup
    rows = ingest(meter, enterprise, [
        ("in", "drama-a", "1", 10, 9),
        # 5 Sep 00:30 Beijing time is 4 Sep in UTC: inside the window, which is in Beijing dates
        ("first-day", "drama-a", "2", 5, 0),
        ("before", "drama-a", "4", 4, 23),
        ("after", "drama-a", "8", 26, 0),
        ("other-work", "drama-b", "16", 10, 9),
        ("typo", "drama-typo", "32", 11, 9),
        ("typo-unattributed", "drama-typo", "64", 11, 9),
    ])
    by_id = {row.record_id: row for row in rows}
    assert by_id["typo"].status == RecordStatus.QUARANTINED
    usage_record_attach(record=by_id["typo"], work=work, actor=reviewer, reason="标签笔误", now=NOW)
    counted = list(work_counted_records(work).values_list("record_id", flat=True))
    assert sorted(counted) == ["first-day", "in", "typo"]
    assert work_counted_cost_microfen(work) == 35_000_000 * 800
    assert sorted(work_counted_records(other).values_list("record_id", flat=True)) == ["other-work"]
    totals = counted_totals_by_work(Work.objects.filter(pk__in=[work.pk, other.pk]))
    assert (totals[work.pk].record_count, totals[work.pk].cost_microfen) == (3, 35_000_000 * 800)
    assert totals[other.pk].cost_microfen == 16_000_000 * 800
    # a period narrows the window, it never widens it
    assert list(work_counted_records(work, start_on=date(2026, 9, 1), end_on=date(2026, 9, 10))
                .values_list("record_id", flat=True)) == ["in", "first-day"]


def test_an_attribution_after_the_tree_size_is_not_in_that_state_of_the_log(setup):
    reviewer, _member, enterprise, work, _other, meter = setup
    [typo] = ingest(meter, enterprise, [("typo", "drama-typo", "3", 10, 9)])
    tree_size = LogEntry.objects.count()
    usage_record_attach(record=typo, work=work, actor=reviewer, reason="标签笔误", now=NOW)
    assert not work_counted_records(work, tree_size=tree_size).exists()
    assert list(work_counted_records(work, tree_size=tree_size + 1)) == [typo]


def test_a_correction_of_an_attributed_record_counts_for_the_attributed_work(setup):
    reviewer, member, enterprise, work, _other, meter = setup
    [typo] = ingest(meter, enterprise, [("typo", "drama-typo", "10", 10, 9)])
    usage_record_attach(record=typo, work=work, actor=reviewer, reason="标签笔误", now=NOW)
    [correction] = usage_corrections_append(requests=[CorrectionRequest(original=typo,
                                                                        corrected_quantity=Decimal("7.5"))],
                                            objection_id=1, actor=reviewer, now=NOW)
    # the correction row copies the original's empty work: counting follows the original instead
    assert correction.work is None and correction.corrects == typo
    assert set(work_counted_records(work)) == {typo, correction}
    assert work_counted_cost_microfen(work) == 7_500_000 * 800
    [original] = work_counted_originals(work)
    assert (original.effective_quantity, original.effective_cost_microfen) == (Decimal("7.5"), 7_500_000 * 800)
    totals = counted_totals_by_work(Work.objects.filter(pk=work.pk))
    assert (totals[work.pk].record_count, totals[work.pk].cost_microfen) == (2, 7_500_000 * 800)
    # the enterprise sees the correction of its attributed record
    assert correction in usage_records_visible_to(member)


def test_effective_quantities_net_each_original_of_its_corrections(setup):
    reviewer, _member, enterprise, work, _other, meter = setup
    first, second = ingest(meter, enterprise, [("a", "drama-a", "4", 10, 9), ("b", "drama-a", "2.5", 11, 9)])
    tree_size = LogEntry.objects.count()
    usage_corrections_append(requests=[CorrectionRequest(original=first, corrected_quantity=Decimal("1.25"))],
                             objection_id=1, actor=reviewer, now=NOW)
    effective = {row.record_id: (row.effective_quantity, row.effective_cost_microfen)
                 for row in work_counted_originals(work)}
    assert effective == {"a": (Decimal("1.25"), 1_250_000 * 800), "b": (Decimal("2.5"), 2_500_000 * 800)}
    assert sum(cost for _q, cost in effective.values()) == work_counted_cost_microfen(work)
    before = {row.record_id: row.effective_quantity for row in work_counted_originals(work, tree_size=tree_size)}
    assert before == {"a": Decimal(4), "b": Decimal("2.5")}
    assert second.pk in set(work_counted_records(work).values_list("pk", flat=True))


@pytest.mark.parametrize("count", [1, 20])
def test_the_selector_is_one_query_whatever_the_number_of_records(setup, count, django_assert_num_queries):
    reviewer, _member, enterprise, work, _other, meter = setup
    rows = ingest(meter, enterprise, [(f"r{n}", "drama-a" if n % 2 else "drama-typo", "1", 10, 9)
                                      for n in range(count)])
    for row in rows:
        if row.status == RecordStatus.QUARANTINED:
            usage_record_attach(record=row, work=work, actor=reviewer, reason="标签笔误", now=NOW)
    usage_corrections_append(requests=[CorrectionRequest(original=row, corrected_quantity=Decimal("0.5"))
                                       for row in rows], objection_id=1, actor=reviewer, now=NOW)
    with django_assert_num_queries(1):
        assert len(list(work_counted_records(work))) == 2 * count
    with django_assert_num_queries(1):
        assert len(list(work_counted_originals(work))) == count
    with django_assert_num_queries(1):
        assert work_counted_cost_microfen(work) == count * 500_000 * 800
    with django_assert_num_queries(1):
        assert counted_totals_by_work(Work.objects.filter(pk=work.pk))[work.pk].record_count == 2 * count


def test_the_origin_index_is_used_on_postgresql(setup):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    _reviewer, _member, _enterprise, work, _other, _meter = setup
    sql, params = work_counted_records(work).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "usage_record_origin" in plan



def test_a_providers_correction_of_a_quarantined_record_follows_its_original_and_is_not_attributed_alone(setup):
    reviewer, _member, enterprise, work, _other, meter = setup
    [typo] = ingest(meter, enterprise, [("typo", "drama-typo", "10", 10, 9)])
    body = signed_batch([raw_record(enterprise.uscc, "drama-typo", record_id="typo-fix", quantity="-4",
                                    corrects="typo", started_at="2026-09-10T09:00:00+08:00",
                                    ended_at="2026-09-10T09:30:00+08:00")], meter.private_key)
    usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                       batch_signature=body["batch_signature"], now=NOW)
    fix = UsageRecord.objects.get(record_id="typo-fix")
    assert fix.status == RecordStatus.QUARANTINED and fix.corrects == typo
    with pytest.raises(DomainError) as refused:
        usage_record_attach(record=fix, work=work, actor=reviewer, reason="随原记录", now=NOW)
    assert refused.value.code == "record_is_correction" and refused.value.message == MSG_ATTRIBUTE_CORRECTION
    assert work_counted_cost_microfen(work) == 0
    usage_record_attach(record=typo, work=work, actor=reviewer, reason="标签笔误", now=NOW)
    assert set(work_counted_records(work)) == {typo, fix}
    assert work_counted_cost_microfen(work) == 6_000_000 * 800
