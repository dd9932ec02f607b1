"""The auditor's quarterly draw on fresh demo data: log in, open 季度抽签 from the navigation, open the ended quarter,
confirm, and see the chosen work, the seed and the command that recomputes the draw (issue 16 item 4)."""

import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from yingdu.accounts.selectors import user_get_by_username
from yingdu.audits.models import SpotCheckCase

from .conftest import assert_fits_width

pytestmark = pytest.mark.django_db(transaction=True)


def _nav(page, name: str):
    """A navigation link, opening the menu first where it is collapsed (390 px)."""
    link = page.locator("nav.nav").get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        page.get_by_role("button", name="菜单").click()
    return link


@pytest.mark.parametrize("width", [1280, 390])
def test_the_auditor_draws_the_demo_quarter_by_button(live_server, page, screenshot, settings, tmp_path, width):
    settings.VAR_DIR = tmp_path
    with open(os.devnull, "w") as quiet:
        call_command("demo", stdout=quiet, stderr=quiet)
    password = json.loads(Path(tmp_path / "demo_credentials.json").read_text())["password"]
    device = TOTPDevice.objects.get(user=user_get_by_username("auditor"), confirmed=True)
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("auditor")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="双因素认证")).to_be_visible()
    page.get_by_label("动态验证码").fill(str(totp(device.bin_key, step=device.step, t0=device.t0,
                                                   digits=device.digits)).zfill(6))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()

    _nav(page, "季度抽签").click()
    expect(page.get_by_role("heading", name="季度抽签")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, f"draw-list-{width}")
    page.get_by_test_id("draw-quarters").get_by_role("link", name="查看并抽签").first.click()
    expect(page.get_by_test_id("draw-candidates")).to_contain_text("《云端来信》")
    expect(page.get_by_test_id("draw-candidates")).to_contain_text("北京怀柔光影智能科技有限公司")
    assert_fits_width(page)
    screenshot(page, f"draw-quarter-{width}")

    page.get_by_test_id("draw-start").click()
    expect(page.get_by_test_id("draw-confirm")).to_contain_text("不可撤销，每季度只能抽一次")
    assert_fits_width(page)
    screenshot(page, f"draw-confirm-{width}")
    page.get_by_test_id("draw-confirm-button").click()

    result = page.get_by_test_id("draw-result")
    expect(result).to_be_visible()
    case = SpotCheckCase.objects.select_related("draw", "work").order_by("pk").first()
    expect(result).to_contain_text(f"《{case.work.title}》")  # the chosen works (the demo's quarter has several)
    expect(page.get_by_test_id("draw-seed")).to_have_text(case.draw.seed_hex)
    expect(page.get_by_test_id("verify-command")).to_contain_text(
        f"yingdu-verify draw draw-{case.draw.quarter}.json --key")
    assert_fits_width(page)
    screenshot(page, f"draw-done-{width}")

    result.get_by_role("link", name=f"案件 {case.pk}（检查中）").click()
    expect(page.get_by_role("heading", name=f"抽查案件 {case.pk}")).to_be_visible()
