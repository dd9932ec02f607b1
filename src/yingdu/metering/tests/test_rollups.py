"""Usage rollups kept by the monitoring task: equal to the raw sums after ingestion, attribution and correction;
idempotent, resumable from the watermark; drift detected by the check command; the dashboard reads them."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, Sum

from yingdu.accounts.models import Role
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.metering.models import MonitorWatermark, RollupPeriod, UsageRecord, UsageRollup
from yingdu.metering.monitoring import provider_daily_charts, usage_totals
from yingdu.metering.rollups import ROLLUP_WATERMARK, log_tree_size, rollups_advance, rollups_check
from yingdu.metering.services import usage_record_attach
from yingdu.push import signed_batch
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_work, usage_record

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=CST)


def ingest(meter, records, now=NOW):
    body = signed_batch(records, meter.private_key)
    return usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                              batch_signature=body["batch_signature"], now=now)


def at(start: datetime, hours: float = 1) -> dict:
    return {"started_at": start.isoformat(), "ended_at": (start + timedelta(hours=hours)).isoformat()}


@pytest.fixture
def setup():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer, name="北京怀柔甲影视有限公司")
    work = make_work(enterprise, tag="jia", title="甲剧", start=datetime(2026, 1, 1).date(),
                     end=datetime(2026, 12, 31).date())
    meter = make_metering_provider(price_fen=1000)
    return reviewer, enterprise, work, meter


def stored_by(period: str, *fields) -> dict:
    rows = (UsageRollup.objects.filter(period=period).values(*fields)
            .annotate(c=Sum("cost_microfen"), n=Sum("record_count"), q=Sum("quantity")).order_by())
    return {tuple(row[f] for f in fields): (row["c"], row["n"], row["q"]) for row in rows}


def raw_by_work() -> dict:
    """Cost, count and quantity per counted work, summed from the raw rows (the independent truth)."""
    from yingdu.metering.counting import counted_work
    rows = (UsageRecord.objects.annotate(w=counted_work()).values("w")
            .annotate(c=Sum("cost_microfen"), n=Count("id"), q=Sum("quantity")).order_by())
    return {(row["w"],): (row["c"], row["n"], row["q"]) for row in rows}


def test_rollups_equal_raw_sums_after_ingestion_attribution_and_correction(setup):
    reviewer, enterprise, work, meter = setup
    ingest(meter, [usage_record(enterprise.uscc, "jia", record_id="a", quantity="2", **at(NOW - timedelta(hours=2))),
                   usage_record(enterprise.uscc, "typo", record_id="q", quantity="3", **at(NOW - timedelta(days=2))),
                   usage_record(enterprise.uscc, "jia", record_id="b", quantity="1", **at(NOW - timedelta(days=3)))])
    rollups_advance(now=NOW)
    assert stored_by(RollupPeriod.DAY, "work_id") == raw_by_work()
    assert stored_by(RollupPeriod.DAY, "work_id")[(None,)][:2] == (3 * 1000 * 1_000_000, 1)
    # a correction of the quarantined record (quarantined too, it follows its original), then the attribution
    ingest(meter, [usage_record(enterprise.uscc, "typo", record_id="q-fix", quantity="-1", corrects="q",
                                **at(NOW - timedelta(days=2)))])
    rollups_advance(now=NOW)
    assert stored_by(RollupPeriod.DAY, "work_id")[(None,)][:2] == (2 * 1000 * 1_000_000, 2)
    usage_record_attach(record=UsageRecord.objects.get(record_id="q"), work=work, actor=reviewer, reason="标签笔误",
                        now=NOW)
    rollups_advance(now=NOW)
    assert (None,) not in stored_by(RollupPeriod.DAY, "work_id")
    assert stored_by(RollupPeriod.DAY, "work_id") == raw_by_work()
    assert stored_by(RollupPeriod.DAY, "work_id")[(work.pk,)][:2] == (5 * 1000 * 1_000_000, 4)
    # a correction arriving after the attribution counts for the work too; hours and days agree
    ingest(meter, [usage_record(enterprise.uscc, "typo", record_id="q-fix-2", quantity="-0.5", corrects="q",
                                **at(NOW - timedelta(days=2)))])
    rollups_advance(now=NOW)
    assert stored_by(RollupPeriod.DAY, "work_id") == raw_by_work() == stored_by(RollupPeriod.HOUR, "work_id")
    assert rollups_check().ok


def test_an_attribution_and_the_records_it_moves_in_one_run_are_counted_once(setup):
    reviewer, enterprise, work, meter = setup
    ingest(meter, [usage_record(enterprise.uscc, "typo", record_id="q", quantity="3", **at(NOW - timedelta(days=1)))])
    usage_record_attach(record=UsageRecord.objects.get(record_id="q"), work=work, actor=reviewer, reason="标签笔误",
                        now=NOW)
    ingest(meter, [usage_record(enterprise.uscc, "typo", record_id="q-fix", quantity="-1", corrects="q",
                                **at(NOW - timedelta(days=1)))])
    rollups_advance(now=NOW, chunk=1)  # every entry in its own step: record, attribution, correction
    assert stored_by(RollupPeriod.DAY, "work_id") == raw_by_work() == {(work.pk,): (2_000_000_000, 2, 2)}
    UsageRollup.objects.all().delete()
    MonitorWatermark.objects.filter(name=ROLLUP_WATERMARK).update(tree_size=0)
    rollups_advance(now=NOW)  # all three in one range
    assert stored_by(RollupPeriod.DAY, "work_id") == raw_by_work()


def test_the_task_is_idempotent_and_resumes_from_its_watermark(setup):
    _reviewer, enterprise, _work, meter = setup
    ingest(meter, [usage_record(enterprise.uscc, "jia", quantity="1", **at(NOW - timedelta(hours=n)))
                   for n in range(1, 6)])
    size = log_tree_size()
    stopped_at = rollups_advance(now=NOW, until=size - 2)  # a run that stopped part way
    assert stopped_at == size - 2
    assert sum(r.record_count for r in UsageRollup.objects.filter(period=RollupPeriod.DAY)) == 3
    assert rollups_advance(now=NOW) == size
    once = stored_by(RollupPeriod.HOUR, "bucket_start", "work_id")
    assert rollups_advance(now=NOW) == size  # nothing new: nothing changes
    assert stored_by(RollupPeriod.HOUR, "bucket_start", "work_id") == once
    assert sum(n for _c, n, _q in once.values()) == 5
    assert rollups_check().ok


def test_the_check_reports_drift_and_repairs_it(setup):
    _reviewer, enterprise, _work, meter = setup
    ingest(meter, [usage_record(enterprise.uscc, "jia", quantity="1", **at(NOW - timedelta(hours=3)))])
    rollups_advance(now=NOW)
    UsageRollup.objects.filter(period=RollupPeriod.DAY).update(cost_microfen=1)
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("usage_rollup_check", stdout=out)
    assert "1 rollup rows differ" in out.getvalue()
    call_command("usage_rollup_check", "--repair", stdout=StringIO())
    assert rollups_check().ok
    call_command("usage_rollup_check", stdout=StringIO())  # clean now: no exit


def test_the_dashboard_reads_the_rollups(setup):
    reviewer, enterprise, work, meter = setup
    ingest(meter, [usage_record(enterprise.uscc, "jia", quantity="2", **at(NOW - timedelta(hours=2))),
                   usage_record(enterprise.uscc, "jia", quantity="1", **at(NOW - timedelta(days=3))),
                   usage_record(enterprise.uscc, "jia", quantity="7", **at(NOW - timedelta(days=40)))])
    assert usage_totals(now=NOW)["enterprises"] == []  # the task has not run: the page shows the rollups only
    rollups_advance(now=NOW)
    [row] = usage_totals(now=NOW)["enterprises"]
    assert (row["records_24h"], row["cost_24h_yuan"], row["records_30d"], row["cost_30d_yuan"]) == (
        1, "20.00", 2, "30.00")
    [by_work] = usage_totals(now=NOW)["works"]
    assert by_work["effective_work_title"] == "甲剧" and by_work["quarantined_30d"] == 0
    cost = provider_daily_charts(now=NOW)["cost"]
    assert sum(float(v) for s in cost["series"] for v in s["data"]) == pytest.approx(30.0)
    with time_machine.travel(NOW, tick=False):
        live = client_for(reviewer).get("/metering/monitor/live/").content.decode()
    assert "甲剧" in live and "30.00" in live


def test_a_day_is_a_beijing_day(setup):
    _reviewer, enterprise, _work, meter = setup
    # 23:30 and 00:30 Beijing time are two days (15:30 and 16:30 UTC of one UTC day)
    ingest(meter, [usage_record(enterprise.uscc, "jia", quantity="1", **at(datetime(2026, 11, 18, 23, 30,
                                                                                   tzinfo=CST), 0.5)),
                   usage_record(enterprise.uscc, "jia", quantity="1", **at(datetime(2026, 11, 19, 0, 30,
                                                                                   tzinfo=CST), 0.5))])
    rollups_advance(now=NOW)
    days = sorted(r.bucket_start.astimezone(CST) for r in UsageRollup.objects.filter(period=RollupPeriod.DAY))
    assert days == [datetime(2026, 11, 18, tzinfo=CST), datetime(2026, 11, 19, tzinfo=CST)]


def test_the_dashboard_tables_sum_every_work_and_provider_of_a_row_and_rank_by_the_month_cost(setup):
    """The three tables come from one read of the window's rollups: an enterprise's row sums its works on every
    provider, a provider's row sums every enterprise, and each table is ranked by 30-day cost."""
    reviewer, enterprise, work, cheap = setup
    other_work = make_work(enterprise, tag="jia-two", title="甲剧二", start=datetime(2026, 1, 1).date(),
                           end=datetime(2026, 12, 31).date())
    second = make_enterprise(verified_by=reviewer, name="北京怀柔乙影视有限公司")
    make_work(second, tag="yi-drama", title="乙剧", start=datetime(2026, 1, 1).date(), end=datetime(2026, 12, 31).date())
    dear = make_metering_provider(price_fen=2500)
    with time_machine.travel(NOW, tick=False):
        ingest(cheap, [usage_record(enterprise.uscc, "jia", quantity="2", **at(NOW - timedelta(hours=2))),
                       usage_record(enterprise.uscc, "jia-two", quantity="1", **at(NOW - timedelta(days=3))),
                       usage_record(second.uscc, "yi-drama", quantity="1", **at(NOW - timedelta(days=40)))])
        ingest(dear, [usage_record(enterprise.uscc, "jia", quantity="1", **at(NOW - timedelta(hours=5))),
                      usage_record(second.uscc, "yi-drama", quantity="3", **at(NOW - timedelta(days=2)))])
        rollups_advance(now=NOW)
    totals = usage_totals(now=NOW)
    # yuan: cheap 10 and dear 25 per card-hour; the 40-day-old record is outside both windows
    assert [(row["enterprise_uscc"], row["records_24h"], row["cost_24h_yuan"], row["records_30d"],
             row["cost_30d_yuan"]) for row in totals["enterprises"]] == [
        (second.uscc, 0, "0.00", 1, "75.00"), (enterprise.uscc, 2, "45.00", 3, "55.00")]
    assert [(row["effective_work_id"], row["cost_24h_yuan"], row["cost_30d_yuan"]) for row in totals["works"]] == [
        (second.works.get().pk, "0.00", "75.00"), (work.pk, "45.00", "45.00"), (other_work.pk, "0.00", "10.00")]
    assert [(row["provider_id"], row["records_30d"], row["cost_30d_yuan"]) for row in totals["providers"]] == [
        (dear.provider.pk, 2, "100.00"), (cheap.provider.pk, 2, "30.00")]
