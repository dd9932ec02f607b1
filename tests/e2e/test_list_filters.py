"""Staff filter the work and notice lists from the filter form (the filters land in the URL, a bad date is refused
beside its field) and the forms fit a phone's width (issue 16.3)."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from yingdu.accounts.models import Role
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_staff, make_work

from .conftest import assert_fits_width, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_staff_filter_the_work_and_notice_lists(live_server, page, screenshot, width):
    reviewer = make_staff(Role.REVIEWER, "reviewer_lists")
    enterprise = make_enterprise(verified_by=verified(reviewer), name="怀柔筛选测试影业有限公司")
    for title in ("长城之春", "长城之夏", "雁栖湖畔"):
        make_work(enterprise, title=title)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, "reviewer_lists", device=TOTPDevice.objects.get(user=reviewer))

    page.goto(f"{live_server.url}/works/")
    filters = page.get_by_test_id("work-filters")
    filters.get_by_label("作品名称或项目标签").fill("长城")
    filters.get_by_label("企业名称或统一社会信用代码").fill(enterprise.uscc)
    filters.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"q=%E9%95%BF%E5%9F%8E"))
    expect(page.get_by_role("link", name="长城之春")).to_be_visible()
    expect(page.get_by_role("link", name="雁栖湖畔")).to_have_count(0)
    assert_fits_width(page)
    screenshot(page, f"list-filters-works-{width}")

    page.goto(f"{live_server.url}/metering/notices/?issued_from=2026-13-01&objection=open")
    expect(page.get_by_test_id("list-error")).to_be_visible()
    expect(page.get_by_test_id("notice-filters").locator(".has-error")).to_have_count(1)
    expect(page.get_by_test_id("notice-filters").get_by_label("异议")).to_have_value("open")
    assert_fits_width(page)
    screenshot(page, f"list-filters-notices-error-{width}")

    page.goto(f"{live_server.url}/applications/")
    page.get_by_test_id("application-filters").get_by_label("状态").select_option("submitted")
    page.get_by_test_id("application-filters").get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"status=submitted"))
    assert_fits_width(page)
    screenshot(page, f"list-filters-applications-{width}")
