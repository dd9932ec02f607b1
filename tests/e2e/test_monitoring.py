"""A reviewer opens the live monitoring dashboard: charts are drawn by the local ECharts, the page fits a phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import totp
from playwright.sync_api import expect

from yingdu.accounts.models import Role
from yingdu.metering.flagging import anomalies_advance
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.push import signed_batch
from yingdu.testing.clients import verified
from yingdu.testing.factories import (
    PASSWORD,
    make_enterprise,
    make_metering_provider,
    make_staff,
    make_work,
    usage_record,
)

from .conftest import assert_fits_width

pytestmark = pytest.mark.django_db(transaction=True)

PAINTED_PIXELS = """(selector) => {
  const canvas = document.querySelector(selector);
  if (!canvas) { return 0; }
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted++; } }
  return painted;
}"""


def seed_usage(reviewer):
    enterprise = make_enterprise(verified_by=reviewer, name="北京怀柔星河AI影视有限公司")
    make_work(enterprise, tag="xinghe-01", title="星河")
    meter = make_metering_provider(price_fen=1200)
    now = timezone.now()
    records = [usage_record(enterprise.uscc, "xinghe-01", quantity=str(day % 4 + 1),
                            started_at=(now - timedelta(days=day, hours=2)).isoformat(),
                            ended_at=(now - timedelta(days=day, hours=1)).isoformat()) for day in range(10)]
    records.append(usage_record(enterprise.uscc, "xinghe-01", quantity="50", record_id="impossible-e2e",
                                started_at=(now - timedelta(hours=3)).isoformat(),
                                ended_at=(now - timedelta(hours=2)).isoformat()))
    body = signed_batch(records, meter.private_key)
    usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                       batch_signature=body["batch_signature"], now=now)
    anomalies_advance(now=now)  # the worker's monitoring task: rollups, then anomaly flags
    return meter


@pytest.mark.parametrize("width", [1280, 390])
def test_reviewer_sees_live_totals_charts_and_anomalies(live_server, page, screenshot, width):
    reviewer = make_staff(Role.REVIEWER, username=f"monitor_e2e_{width}")
    meter = seed_usage(verified(reviewer))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(reviewer.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    device = reviewer.totpdevice_set.get()
    page.get_by_label("动态验证码").fill(str(totp(device.bin_key, step=device.step, t0=device.t0,
                                                  digits=device.digits)).zfill(6))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()

    page.goto(f"{live_server.url}/metering/monitor/")
    expect(page.get_by_role("heading", name="算力监测")).to_be_visible()
    expect(page.get_by_test_id("totals-providers")).to_contain_text(meter.provider.name)
    expect(page.locator('[data-testid="chart-cost"][data-chart-drawn] canvas')).to_have_count(1)
    expect(page.locator('[data-testid="chart-quantity"][data-chart-drawn] canvas')).to_have_count(1)
    assert page.evaluate(PAINTED_PIXELS, '[data-testid="chart-cost"] canvas') > 1000
    box = page.locator('[data-testid="chart-cost"] canvas').bounding_box()
    assert box["width"] > 200 and box["x"] + box["width"] <= width
    anomalies = page.get_by_test_id("anomalies")
    impossible = anomalies.locator('[data-anomaly="impossible_quantity"]', has_text="impossible-e2e")
    expect(impossible).to_contain_text("数量超出时长允许的上限")
    expect(impossible.get_by_role("link", name="impossible-e2e")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, f"monitor-{width}")

    anomalies.get_by_role("link", name="全部异常标记（可按类型、服务商、企业、日期筛选）").click()
    expect(page.get_by_role("heading", name="异常标记")).to_be_visible()
    page.get_by_label("类型").select_option("impossible_quantity")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"kind=impossible_quantity"))
    listed = page.get_by_test_id("anomalies").locator('[data-anomaly="impossible_quantity"]', has_text="impossible-e2e")
    expect(listed).to_be_visible()
    assert_fits_width(page)

    listed.get_by_role("link", name="impossible-e2e").click()
    expect(page.get_by_role("heading", name="用量记录 impossible-e2e")).to_be_visible()
    assert_fits_width(page)
