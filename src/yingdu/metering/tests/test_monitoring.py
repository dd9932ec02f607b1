"""The staff monitoring dashboard: live totals and chart data, reachable only by staff; the enterprise's chart."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.metering.monitoring import chart_days, provider_daily_charts, usage_totals
from yingdu.metering.rollups import rollups_advance
from yingdu.push import signed_batch
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_work, usage_record

pytestmark = pytest.mark.django_db


def ingest(meter, records, now):
    body = signed_batch(records, meter.private_key)
    return usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                              batch_signature=body["batch_signature"], now=now)


def record_at(enterprise, tag, start, *, hours=1, quantity="1", **extra):
    return usage_record(enterprise.uscc, tag, quantity=quantity, started_at=start.isoformat(),
                        ended_at=(start + timedelta(hours=hours)).isoformat(), **extra)


@pytest.fixture
def usage():
    """Two enterprises, two providers; usage 2 hours ago, 3 days ago and 40 days ago."""
    reviewer = verified(make_staff(Role.REVIEWER))
    first = make_enterprise(verified_by=reviewer, name="北京怀柔甲影视有限公司")
    second = make_enterprise(verified_by=reviewer, name="北京怀柔乙影视有限公司")
    make_work(first, tag="jia-drama", title="甲剧")
    make_work(second, tag="yi-drama", title="乙剧")
    cheap = make_metering_provider(price_fen=1000)   # 10.00 yuan per card-hour
    dear = make_metering_provider(price_fen=2500)    # 25.00 yuan per card-hour
    now = timezone.now()
    ingest(cheap, [record_at(first, "jia-drama", now - timedelta(hours=2), quantity="2"),
                   record_at(first, "jia-drama", now - timedelta(days=3), quantity="1"),
                   record_at(first, "jia-drama", now - timedelta(days=40), quantity="7"),
                   record_at(first, "unknown-tag", now - timedelta(hours=3), quantity="1")], now)
    ingest(dear, [record_at(second, "yi-drama", now - timedelta(days=3), quantity="4")], now)
    rollups_advance(now=now)  # the monitoring task's step the dashboard reads
    return reviewer, first, second, cheap, dear, now


def test_totals_per_enterprise_work_and_provider_for_24_hours_and_30_days(usage):
    _reviewer, first, second, cheap, dear, now = usage
    totals = usage_totals(now=now)
    by_enterprise = {row["enterprise_uscc"]: row for row in totals["enterprises"]}
    assert (by_enterprise[first.uscc]["records_24h"], by_enterprise[first.uscc]["cost_24h_yuan"]) == (2, "30.00")
    assert (by_enterprise[first.uscc]["records_30d"], by_enterprise[first.uscc]["cost_30d_yuan"]) == (3, "40.00")
    assert by_enterprise[first.uscc]["quarantined_30d"] == 1
    assert by_enterprise[first.uscc]["enterprise_name"] == "北京怀柔甲影视有限公司"
    assert (by_enterprise[second.uscc]["cost_24h_yuan"], by_enterprise[second.uscc]["cost_30d_yuan"]) == (
        "0.00", "100.00")
    by_work = {row["project_tag"]: row for row in totals["works"]}
    assert by_work["jia-drama"]["effective_work_title"] == "甲剧" and by_work["jia-drama"]["cost_30d_yuan"] == "30.00"
    assert by_work["unknown-tag"]["effective_work_title"] is None
    by_provider = {row["provider_id"]: row for row in totals["providers"]}
    assert by_provider[cheap.provider.pk]["cost_30d_yuan"] == "40.00"
    assert by_provider[dear.provider.pk]["cost_30d_yuan"] == "100.00"


def test_daily_charts_have_30_days_of_cost_and_quantity_per_provider(usage):
    _reviewer, _first, _second, cheap, dear, now = usage
    charts = provider_daily_charts(now=now)
    days = chart_days(now=now)
    assert len(charts["cost"]["days"]) == 30 and charts["cost"]["days"][-1] == f"{days[-1]:%Y-%m-%d}"
    cost = {s["name"]: s["data"] for s in charts["cost"]["series"]}
    three_days_ago = charts["cost"]["days"].index(f"{timezone.localtime(now - timedelta(days=3)):%Y-%m-%d}")
    assert cost[dear.provider.name][three_days_ago] == "100.00"
    assert sum(float(v) for v in cost[cheap.provider.name]) == pytest.approx(40.0)
    quantity = {s["name"]: s["data"] for s in charts["quantity"]["series"]}
    assert f"{dear.provider.name} · 卡时" in quantity
    assert quantity[f"{dear.provider.name} · 卡时"][three_days_ago] == "4.000000"


def test_the_dashboard_and_its_live_parts_are_for_staff(usage):
    reviewer, first, _second, cheap, _dear, _now = usage
    for staff in (reviewer, make_staff(Role.AUDITOR), make_staff(Role.FINANCE)):
        client = client_for(staff)
        page = client.get("/metering/monitor/").content.decode()
        assert "算力监测" in page and "vendor/echarts/echarts.min.js" in page and "yingdu/charts.js" in page
        live = client.get("/metering/monitor/live/").content.decode()
        assert "北京怀柔甲影视有限公司" in live and "甲剧" in live and cheap.provider.name in live
        assert 'id="monitor-chart-data"' in live
        assert client.get("/metering/monitor/anomalies/").status_code == 200
    for url in ("/metering/monitor/", "/metering/monitor/live/", "/metering/monitor/anomalies/"):
        assert client_for(first.registered_by).get(url).status_code == 403
        assert client_for(cheap.operator).get(url).status_code == 403
        assert Client().get(url)["Location"].startswith("/accounts/login/")
        assert client_for(reviewer, two_factor=False).get(url)["Location"].startswith("/accounts/2fa/")


def test_the_live_chart_json_is_embedded_safely(usage):
    reviewer = usage[0]
    live = client_for(reviewer).get("/metering/monitor/live/").content.decode()
    raw = live.split('<script id="monitor-chart-data" type="application/json">')[1].split("</script>")[0]
    data = json.loads(raw)
    assert set(data) == {"cost", "quantity"} and len(data["cost"]["days"]) == 30


def test_the_enterprise_usage_chart_shows_only_its_own_works(usage):
    _reviewer, first, second, _cheap, _dear, _now = usage
    page = client_for(first.registered_by).get("/metering/usage/").content.decode()
    assert 'data-chart-source="usage-chart-data"' in page
    live = client_for(first.registered_by).get("/metering/usage/live/").content.decode()
    raw = live.split('<script id="usage-chart-data" type="application/json">')[1].split("</script>")[0]
    names = {s["name"] for s in json.loads(raw)["cost"]["series"]}
    assert names == {"甲剧", "（待归属）"}
    other = client_for(second.registered_by).get("/metering/usage/live/").content.decode()
    assert "甲剧" not in other


def test_a_record_page_is_visible_only_to_whom_the_record_belongs(usage):
    reviewer, first, second, cheap, dear, _now = usage
    from yingdu.metering.models import UsageRecord
    record = UsageRecord.objects.filter(provider=cheap.provider, work__isnull=False).first()
    assert client_for(reviewer).get(f"/metering/records/{record.pk}/").status_code == 200
    assert client_for(first.registered_by).get(f"/metering/records/{record.pk}/").status_code == 200
    assert client_for(cheap.operator).get(f"/metering/records/{record.pk}/").status_code == 200
    assert client_for(second.registered_by).get(f"/metering/records/{record.pk}/").status_code == 404
    assert client_for(dear.operator).get(f"/metering/records/{record.pk}/").status_code == 404
