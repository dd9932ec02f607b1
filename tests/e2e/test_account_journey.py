"""A provider operator created by an admin logs in with the generated password, is led to change it before anything
else, then sees and edits the profile — in Chinese, at desktop and phone widths."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yingdu.accounts.models import Role, User
from yingdu.metering.services import provider_register_with_operator
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_staff, unique_uscc

from .conftest import assert_fits_width

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots-acc")
NEW_PASSWORD = "Lantern-Quarry-5820"


@pytest.mark.parametrize("width", [1280, 390])
def test_generated_password_forced_change_then_profile(live_server, page, screenshot, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    base = live_server.url
    admin = verified(make_staff(Role.ADMIN, username=f"admin_{width}"))
    username = f"operator_{width}"
    _provider, password = provider_register_with_operator(
        name="怀柔智算中心", uscc=unique_uscc(), is_local=True, operator_username=username,
        operator_display_name="赵操作员", create_operator=True, actor=admin, now=timezone.now())

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    expect(page.get_by_test_id("forced-change")).to_be_visible()
    # every other page leads back here
    page.goto(f"{base}/metering/provider/")
    expect(page.get_by_test_id("forced-change")).to_be_visible()
    assert_fits_width(page)
    page.screenshot(path=str(SHOTS / f"forced-change-{width}.png"), full_page=True)

    page.get_by_label("原密码").fill(password)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_text("两次输入的新密码不一致")).to_be_visible()
    page.get_by_label("原密码").fill(password)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()

    expect(page.get_by_role("heading", name="个人资料")).to_be_visible()
    expect(page.get_by_text("密码已修改。")).to_be_visible()
    facts = page.get_by_test_id("profile-facts")
    expect(facts).to_contain_text(username)
    expect(facts).to_contain_text("怀柔智算中心")
    expect(facts).to_contain_text("算力服务商操作员")
    page.get_by_label("电话").fill("138 0000 0000")
    page.get_by_label("电子邮箱").fill("zhao@example.com")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("个人资料已保存。")).to_be_visible()
    assert_fits_width(page)
    page.screenshot(path=str(SHOTS / f"profile-{width}.png"), full_page=True)

    # the operator's own pages open now
    page.goto(f"{base}/metering/provider/")
    expect(page.get_by_test_id("forced-change")).to_have_count(0)
    user = User.objects.get(username=username)
    assert not user.must_change_password and user.check_password(NEW_PASSWORD)
    assert user.email == "zhao@example.com"
