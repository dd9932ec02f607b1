"""An admin logs in with two-factor, finds a user on the users-and-roles page and deactivates them with a reason;
the user's open session ends at once."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from yingdu.accounts.models import AccountStatusChange, Role, User
from yingdu.testing.factories import PASSWORD, make_staff, make_user

from .conftest import assert_fits_width, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_admin_finds_a_user_and_deactivates_them(live_server, browser, page, screenshot, width):
    admin = make_staff(Role.ADMIN, "chief")
    for number in range(3):
        make_user(f"colleague{number}", display_name=f"同事{number}")
    make_user("liu_leaving", display_name="刘离职")

    leaver_context = browser.new_context()
    leaver = leaver_context.new_page()
    leaver.goto(f"{live_server.url}/accounts/login/")
    leaver.get_by_label("用户名").fill("ＬＩＵ_ＬＥＡＶＩＮＧ")  # full-width capitals sign in as liu_leaving
    leaver.get_by_label("密码").fill(PASSWORD)
    leaver.get_by_role("button", name="登录").click()
    expect(leaver.get_by_text("刘离职")).to_be_visible()  # signed in: a newcomer is offered enterprise registration

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, "chief", device=TOTPDevice.objects.get(user=admin))
    if width < 700:
        page.get_by_role("button", name="菜单").click()  # the menu is folded on a phone
    page.get_by_role("link", name="用户与角色").first.click()
    expect(page.get_by_role("heading", name="用户与角色")).to_be_visible()
    filters = page.get_by_test_id("user-filters")
    filters.get_by_label("用户名、姓名或机构").fill("刘离职")
    filters.get_by_label("状态").select_option(label="正常")
    filters.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"q=%E5%88%98%E7%A6%BB%E8%81%8C.*&active=yes"))
    expect(page.get_by_test_id("users").get_by_role("link")).to_have_count(1)
    assert_fits_width(page)
    screenshot(page, f"admin-users-search-{width}")

    page.get_by_role("link", name="liu_leaving").click()
    expect(page.get_by_test_id("user-state")).to_have_text("正常")
    form = page.get_by_test_id("deactivate-form")
    form.get_by_role("button", name="停用").click()
    expect(form.get_by_text("请填写理由")).to_be_visible()  # the refusal beside the field
    form = page.get_by_test_id("deactivate-form")
    form.get_by_label("理由").fill("合同到期，已办理离职交接")
    form.get_by_role("button", name="停用").click()
    expect(page.get_by_test_id("user-state")).to_have_text("已停用")
    expect(page.get_by_text("账户已停用，其登录会话已全部结束。")).to_be_visible()
    expect(page.get_by_test_id("history")).to_contain_text("合同到期，已办理离职交接")
    assert_fits_width(page)
    screenshot(page, f"admin-user-deactivated-{width}")

    assert not User.objects.get(username="liu_leaving").is_active
    assert AccountStatusChange.objects.get().actor_id == admin.pk
    leaver.goto(f"{live_server.url}/dashboard/")
    expect(leaver.get_by_role("heading", name="登录")).to_be_visible()  # the old session cookie is anonymous
    expect(leaver.get_by_text("刘离职")).to_have_count(0)
    leaver_context.close()
