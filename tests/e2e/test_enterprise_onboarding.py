"""A newcomer registers an enterprise in Chinese; a reviewer logs in with two-factor and verifies it."""

import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from yingdu.accounts.models import Role
from yingdu.enterprises.models import Enterprise, EnterpriseState
from yingdu.testing.factories import PASSWORD, PDF_BYTES, make_staff, unique_uscc

from .conftest import assert_fits_width

pytestmark = pytest.mark.django_db(transaction=True)


def fill_registration(page, *, uscc: str, licence_path) -> None:
    page.get_by_label("登录用户名").fill("huairou_newcomer")
    page.get_by_label("您的姓名").fill("陈晓")
    page.get_by_label(re.compile(r"^密码")).fill("Yingdu-Newcomer-2026")
    page.get_by_label("再次输入密码").fill("Yingdu-Newcomer-2026")
    page.get_by_label("企业名称").fill("北京怀柔星河AI影视有限公司")
    page.get_by_label("统一社会信用代码").fill(uscc)
    page.get_by_label("注册地址").fill("北京市怀柔区杨宋镇影都路8号")
    page.get_by_label("法定代表人").fill("陈晓")
    page.get_by_label(re.compile(r"^联系人")).fill("王芳")
    page.get_by_label("联系电话").fill("13911112222")
    page.get_by_label("营业执照").set_input_files(str(licence_path))


@pytest.mark.parametrize("width", [1280, 390])
def test_newcomer_registers_and_reviewer_verifies_with_two_factor(live_server, page, screenshot, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 900})
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(PDF_BYTES)
    good_uscc = unique_uscc()
    bad_uscc = good_uscc[:-1] + ("0" if good_uscc[-1] != "0" else "1")

    page.goto(f"{live_server.url}/enterprises/register/")
    expect(page.get_by_role("heading", name="企业注册")).to_be_visible()
    assert_fits_width(page)
    fill_registration(page, uscc=bad_uscc, licence_path=licence)
    page.get_by_role("button", name="提交注册").click()
    expect(page.get_by_text("统一社会信用代码校验位不正确")).to_be_visible()
    screenshot(page, f"register-error-{width}")
    assert Enterprise.objects.count() == 0

    page.get_by_label(re.compile(r"^密码")).fill("Yingdu-Newcomer-2026")
    page.get_by_label("再次输入密码").fill("Yingdu-Newcomer-2026")
    page.get_by_label("统一社会信用代码").fill(good_uscc)
    page.get_by_label("营业执照").set_input_files(str(licence))
    page.get_by_role("button", name="提交注册").click()
    expect(page.get_by_test_id("enterprise-state")).to_have_text("待核验")
    expect(page.get_by_text("企业登记已提交")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, f"registered-pending-{width}")
    enterprise = Enterprise.objects.get(uscc=good_uscc)
    assert enterprise.state == EnterpriseState.PENDING

    page.context.clear_cookies()
    reviewer = make_staff(Role.REVIEWER, username="reviewer_e2e")
    device = reviewer.totpdevice_set.get()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("reviewer_e2e")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="双因素认证")).to_be_visible()
    screenshot(page, f"two-factor-{width}")
    code = str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)
    page.get_by_label("动态验证码").fill(code)
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()

    page.goto(f"{live_server.url}/enterprises/?state=pending")
    page.get_by_role("link", name="北京怀柔星河AI影视有限公司").click()
    assert_fits_width(page)
    verify_form = page.locator("form.action-form", has=page.get_by_role("heading", name="核验通过"))
    verify_form.get_by_role("button", name="核验通过").click()
    expect(page.get_by_text("请先核实该企业在怀柔区注册")).to_be_visible()
    verify_form = page.locator("form.action-form", has=page.get_by_role("heading", name="核验通过"))
    verify_form.get_by_label("已核实该企业在北京市怀柔区注册").check()
    verify_form.get_by_label("理由").fill("营业执照注册地为怀柔区杨宋镇")
    verify_form.get_by_role("button", name="核验通过").click()
    expect(page.get_by_test_id("enterprise-state")).to_have_text("已核验")
    expect(page.get_by_text("营业执照注册地为怀柔区杨宋镇")).to_be_visible()
    screenshot(page, f"verified-{width}")
    enterprise.refresh_from_db()
    assert enterprise.state == EnterpriseState.VERIFIED
    assert enterprise.state_changes.last().actor_id == reviewer.pk


def test_chinese_text_renders_with_a_cjk_font(live_server, page, screenshot):
    """Glyphs must not fall back to boxes: the CJK heading is as wide as real glyphs, not tofu."""
    page.goto(f"{live_server.url}/")
    screenshot(page, "home-1280")
    fonts = page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '影都')")
    assert fonts is True
