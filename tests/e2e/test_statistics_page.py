"""The public statistics page: charts drawn by the local ECharts under the CSP, fits 1280 and 390 px, no login."""

import pytest
from playwright.sync_api import expect

from yingdu.accounts.models import Role
from yingdu.applications.models import ApplicationKind
from yingdu.publicity.services import statistics_snapshot_take
from yingdu.publicity.tests.support import application_row, beijing
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_staff, make_work
from yingdu.works.models import Work

from .conftest import assert_fits_width
from .test_monitoring import PAINTED_PIXELS

pytestmark = pytest.mark.django_db(transaction=True)


def seed_awards():
    enterprise = make_enterprise(name="北京怀柔星河AI影视有限公司", verified_by=verified(make_staff(Role.REVIEWER)))
    micro, short = make_work(enterprise, title="星河"), make_work(enterprise, title="长河")
    Work.objects.filter(pk=short.pk).update(form="short_drama")
    first = application_row(micro, amount_fen=1_234_567, decided_at=beijing(2026, 5, 4))
    application_row(short, amount_fen=2_000_000, decided_at=beijing(2026, 6, 1))
    application_row(micro, kind=ApplicationKind.OVERSEAS_TOPUP, overseas=True, topup_of=first, amount_fen=600_000,
                    decided_at=beijing(2026, 6, 2))
    return statistics_snapshot_take(now=beijing(2026, 6, 20))


@pytest.mark.parametrize("width", [1280, 390])
def test_anyone_sees_the_statistics_with_charts(live_server, page, screenshot, width):
    snapshot = seed_awards()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/")
    expect(page.locator('nav a[href="/transparency/statistics/"]')).to_have_count(1)  # public navigation
    page.goto(f"{live_server.url}/transparency/statistics/")
    expect(page.get_by_role("heading", name="项目统计", level=1)).to_be_visible()
    expect(page.get_by_test_id("checkpoint-size")).to_have_text(str(snapshot.tree_size))
    expect(page.get_by_test_id("approved-yuan")).to_contain_text("38,345.67")
    for chart in ("months", "works", "forms", "overseas"):
        element = page.get_by_test_id(f"chart-{chart}")
        expect(element).to_have_attribute("data-chart-drawn", "1")
        assert page.evaluate(PAINTED_PIXELS, f'[data-testid="chart-{chart}"] canvas') > 500
    assert_fits_width(page)
    assert violations == []
    screenshot(page, f"statistics-{width}")
