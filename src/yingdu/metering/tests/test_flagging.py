"""The anomaly task: every new record checked (no cap), late records compared with their neighbours, flags stored
once; the anomalies page reads them with keyset pagination and URL filters, for staff only."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.metering.flagging import anomalies_advance
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.metering.models import AnomalyFlag, UsageRecord
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
    first = make_enterprise(verified_by=reviewer)
    second = make_enterprise(verified_by=reviewer)
    work = make_work(first, tag="one", start=date(2026, 1, 1), end=date(2026, 12, 31))
    make_work(second, tag="two", start=date(2026, 1, 1), end=date(2026, 12, 31))
    meter = make_metering_provider(price_fen=1000)
    return reviewer, first, second, work, meter


def flags_of(kind: str) -> set[frozenset[str]]:
    return {frozenset(record_id for _pk, record_id in flag.records) for flag in AnomalyFlag.objects.filter(kind=kind)}


def test_every_record_is_checked_including_old_ones_across_chunks(setup):
    _reviewer, first, _second, _work, meter = setup
    # 60 days before it was received: outside the old 14 + 7 day window; many small ranges (chunk=2)
    old = usage_record(first.uscc, "one", record_id="old-impossible", quantity="100",
                       **at(NOW - timedelta(days=60)))
    ingest(meter, [*(usage_record(first.uscc, "one", quantity="1", **at(NOW - timedelta(hours=n)))
                     for n in range(1, 6)), old])
    anomalies_advance(now=NOW, chunk=2)
    assert flags_of("impossible_quantity") == {frozenset({"old-impossible"})}
    assert flags_of("late_arrival") == {frozenset({"old-impossible"})}


def test_the_task_is_idempotent_and_resumes(setup):
    _reviewer, first, _second, _work, meter = setup
    ingest(meter, [usage_record(first.uscc, "one", record_id="x", quantity="100", **at(NOW - timedelta(hours=3)))])
    first_mark = anomalies_advance(now=NOW)
    assert AnomalyFlag.objects.count() == 1
    assert anomalies_advance(now=NOW) == first_mark and AnomalyFlag.objects.count() == 1
    ingest(meter, [usage_record(first.uscc, "one", record_id="y", quantity="100", **at(NOW - timedelta(hours=2)))])
    assert anomalies_advance(now=NOW) > first_mark
    assert flags_of("impossible_quantity") == {frozenset({"x"}), frozenset({"y"})}


def test_a_late_record_is_compared_with_the_hardware_neighbours_stored_before_it(setup):
    _reviewer, first, second, _work, meter = setup
    ingest(meter, [usage_record(first.uscc, "one", record_id="early", gpu_id="g-1", quantity="1",
                                **at(NOW - timedelta(days=5), 2))])
    anomalies_advance(now=NOW)
    assert not AnomalyFlag.objects.filter(kind="shared_gpu").exists()
    ingest(meter, [usage_record(second.uscc, "two", record_id="late", gpu_id="g-1", quantity="1",
                                **at(NOW - timedelta(days=5, hours=-1), 2)),
                   usage_record(second.uscc, "two", record_id="other-gpu", gpu_id="g-2", quantity="1",
                                **at(NOW - timedelta(days=5), 2))])
    anomalies_advance(now=NOW)
    assert flags_of("shared_gpu") == {frozenset({"early", "late"})}
    anomalies_advance(now=NOW)
    assert AnomalyFlag.objects.filter(kind="shared_gpu").count() == 1


def test_a_late_record_raising_a_past_day_makes_it_a_spike_and_changes_the_days_after(setup):
    _reviewer, first, _second, _work, meter = setup
    day = NOW - timedelta(days=3)
    ingest(meter, [usage_record(first.uscc, "one", quantity="1", **at(day - timedelta(days=n))) for n in range(1, 8)])
    anomalies_advance(now=NOW)
    assert not AnomalyFlag.objects.filter(kind="daily_spike").exists()
    ingest(meter, [usage_record(first.uscc, "one", record_id="big", quantity="6", **at(day, 2))])
    anomalies_advance(now=NOW)
    [spike] = AnomalyFlag.objects.filter(kind="daily_spike")
    assert spike.day == day.date() and spike.records[0][1] == "big" and "倍" in spike.reason
    # a correction arriving later takes most of it back: the spike no longer holds and is removed
    ingest(meter, [usage_record(first.uscc, "one", record_id="big-fix", quantity="-5", corrects="big",
                                **at(day, 2))])
    anomalies_advance(now=NOW)
    assert not AnomalyFlag.objects.filter(kind="daily_spike").exists()


def test_an_attributed_record_is_checked_against_its_work_window(setup):
    reviewer, first, _second, work, meter = setup
    work.production_end_on = date(2026, 11, 1)
    work.save(update_fields=["production_end_on"])
    ingest(meter, [usage_record(first.uscc, "typo", record_id="q", quantity="1", **at(NOW - timedelta(days=2)))])
    anomalies_advance(now=NOW)
    assert not AnomalyFlag.objects.filter(kind="outside_production_window").exists()
    usage_record_attach(record=UsageRecord.objects.get(record_id="q"), work=work, actor=reviewer, reason="标签笔误",
                        now=NOW)
    anomalies_advance(now=NOW)
    assert flags_of("outside_production_window") == {frozenset({"q"})}


@pytest.fixture
def many_flags(setup):
    reviewer, first, second, _work, meter = setup
    ingest(meter, [usage_record(first.uscc, "one", record_id=f"a-{n}", quantity="100",
                                **at(NOW - timedelta(days=n % 3, hours=n + 1))) for n in range(7)]
           + [usage_record(second.uscc, "two", record_id=f"b-{n}", quantity="100",
                           **at(NOW - timedelta(hours=n + 1))) for n in range(3)])
    anomalies_advance(now=NOW)
    return reviewer, first, second, meter


def page(client, query=""):
    with time_machine.travel(NOW, tick=False):
        return client.get(f"/metering/monitor/anomalies/{query}")


def shown(response) -> list[int]:
    return [flag["id"] for flag in response.context["flags"]]


def test_the_page_pages_by_keyset_and_keeps_the_filters(many_flags, monkeypatch):
    reviewer, first, second, _meter = many_flags
    monkeypatch.setattr("yingdu.metering.monitoring.ANOMALY_PAGE_SIZE", 4)
    client = client_for(reviewer)
    everything = list(AnomalyFlag.objects.order_by("-pk").values_list("pk", flat=True))
    assert len(everything) == 10
    seen, query = [], "?kind=impossible_quantity"
    while True:
        response = page(client, query)
        assert response.status_code == 200
        seen += shown(response)
        if response.context["next_after"] is None:
            break
        assert "kind=impossible_quantity" in response.context["next_query"]
        query = "?" + response.context["next_query"]
    assert seen == everything  # newest first, each once
    only_second = page(client, f"?enterprise={second.uscc}")
    assert {f["enterprise_uscc"] for f in only_second.context["flags"]} == {second.uscc}
    assert len(shown(only_second)) == 3
    one_day = (NOW - timedelta(days=2)).date()
    by_day = page(client, f"?date={one_day:%Y-%m-%d}")
    assert shown(by_day) and all(f["day"] == one_day for f in by_day.context["flags"])
    assert shown(page(client, f"?provider={_meter.provider.pk}&kind=shared_gpu")) == []


def test_bad_page_input_is_refused_beside_the_field(many_flags):
    reviewer = many_flags[0]
    client = client_for(reviewer)
    for query in ("?after=abc", "?after=-1", "?date=2026-13-40", "?kind=nonsense", "?provider=999999"):
        response = page(client, query)
        assert response.status_code == 400, query
        assert 'role="alert"' in response.content.decode()


def test_the_live_fragment_shows_the_newest_flags_and_the_page_is_for_staff_only(many_flags):
    reviewer, first, _second, meter = many_flags
    with time_machine.travel(NOW, tick=False):
        live = client_for(reviewer).get("/metering/monitor/anomalies/", headers={"X-Requested-With": "fetch"})
    assert live.status_code == 200 and "<html" not in live.content.decode() and "数量超出时长允许的上限" in (
        live.content.decode())
    for outsider in (first.registered_by, meter.operator):
        assert page(client_for(outsider)).status_code == 403
    assert page(Client())["Location"].startswith("/accounts/login/")
    assert page(client_for(reviewer, two_factor=False))["Location"].startswith("/accounts/2fa/")


def test_the_worker_runs_the_task_while_the_log_has_grown(setup):
    from yingdu.metering.flagging import anomalies_behind
    from yingdu.metering.models import UsageRollup
    from yingdu.metering.tasks import monitoring_refresh
    from yingdu.periodic import periodic_tasks

    _reviewer, first, _second, _work, meter = setup
    [periodic] = [p for p in periodic_tasks() if p.task is monitoring_refresh]
    ingest(meter, [usage_record(first.uscc, "one", record_id="x", quantity="100", **at(NOW - timedelta(hours=3)))])
    assert periodic.when is anomalies_behind and anomalies_behind()
    with time_machine.travel(NOW, tick=False):
        monitoring_refresh.call()
    assert not anomalies_behind()
    assert UsageRollup.objects.exists() and flags_of("impossible_quantity") == {frozenset({"x"})}
