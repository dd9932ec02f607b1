"""Registration and an application completed with the keyboard alone: Tab to move, typing, Space and Enter to act,
never the mouse. On a phone, the menu opens from its button and says so (aria-expanded)."""

import re

import pytest
from playwright.sync_api import expect

from yingdu.accounts.models import Role
from yingdu.applications.models import Application, ApplicationStatus
from yingdu.applications.tests.support import eligible_works
from yingdu.enterprises.models import Enterprise
from yingdu.testing.clients import verified
from yingdu.testing.factories import PASSWORD, PDF_BYTES, make_enterprise, make_metering_provider, make_staff

from .conftest import assert_fits_width

pytestmark = pytest.mark.django_db(transaction=True)

FOCUSED_NAME = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) { return ""; }
  const labels = e.labels && e.labels.length ? [...e.labels].map(l => l.textContent).join(" ") : "";
  return (e.getAttribute("aria-label") || labels || e.textContent || e.value || "").replace(/\\s+/g, " ").trim();
}"""


def tab_to(page, name: str, *, limit: int = 150) -> None:
    """Press Tab until the focused element's accessible name matches ``name`` (a regular expression)."""
    names = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_NAME)
        if re.search(name, focused):
            return
        names.append(focused)
    raise AssertionError(f"Tab never reached {name!r}; it went through {names[:60]}")


def press_enter_and_wait(page) -> None:
    """Enter on a focused link or submit button, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page, name: str, text: str) -> None:
    tab_to(page, name)
    page.keyboard.type(text)


def choose_file_by_keyboard(page, name: str, path) -> None:
    tab_to(page, name)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(path))


def sign_in_by_keyboard(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    tab_to(page, "^登录$")
    press_enter_and_wait(page)
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    type_into(page, "用户名", username)
    type_into(page, "^密码", PASSWORD)
    press_enter_and_wait(page)
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(live_server, page):
    page.goto(f"{live_server.url}/policy/")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_NAME) == "跳到正文"
    expect(page.get_by_role("link", name="跳到正文")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_on_a_phone_the_menu_opens_from_its_button_by_keyboard(live_server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    menu = page.get_by_role("button", name="菜单")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="政策与测算器")).to_be_hidden()
    tab_to(page, "菜单")
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    tab_to(page, "政策与测算器")
    press_enter_and_wait(page)
    expect(page.get_by_role("heading", name=re.compile("政策"))).to_be_visible()


def test_a_newcomer_registers_an_enterprise_with_the_keyboard_alone(live_server, page, tmp_path):
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(PDF_BYTES)
    page.goto(f"{live_server.url}/")
    tab_to(page, "^企业注册$")
    press_enter_and_wait(page)
    expect(page.get_by_role("heading", name=re.compile("企业注册"))).to_be_visible()
    type_into(page, "登录用户名", "keyboard_newcomer")
    type_into(page, "您的姓名", "陈晓")
    type_into(page, "^密码", "Yingdu-Keyboard-2026")
    type_into(page, "再次输入密码", "Yingdu-Keyboard-2026")
    type_into(page, "企业名称", "北京怀柔键盘影视有限公司")
    type_into(page, "统一社会信用代码", "91110116MA01ABCD11")
    type_into(page, "注册地址", "北京市怀柔区杨宋镇影都路8号")
    type_into(page, "法定代表人", "陈晓")
    type_into(page, "^联系人", "王芳")
    type_into(page, "联系电话", "13911112222")
    choose_file_by_keyboard(page, "营业执照", licence)
    tab_to(page, "^(注册|提交)")
    press_enter_and_wait(page)
    expect(page.get_by_text("北京怀柔键盘影视有限公司").first).to_be_visible()
    enterprise = Enterprise.objects.get(uscc="91110116MA01ABCD11")
    assert enterprise.name == "北京怀柔键盘影视有限公司"
    assert enterprise.registered_by.username == "keyboard_newcomer"


def test_an_applicant_applies_for_a_released_work_with_the_keyboard_alone(live_server, page, tmp_path):
    reviewer = verified(make_staff(Role.REVIEWER, username="keyboard_reviewer"))
    enterprise = make_enterprise(verified_by=reviewer)
    [work] = eligible_works(enterprise, make_metering_provider(), 1)
    commitment = tmp_path / "真实性承诺书.pdf"
    commitment.write_bytes(PDF_BYTES)

    sign_in_by_keyboard(page, live_server.url, enterprise.registered_by.username)
    tab_to(page, "^作品$")
    press_enter_and_wait(page)
    tab_to(page, re.escape(work.title))
    press_enter_and_wait(page)
    expect(page.get_by_role("heading", name=re.compile(re.escape(work.title)))).to_be_visible()
    tab_to(page, "申请补贴并查看条件自检")
    press_enter_and_wait(page)
    expect(page.get_by_test_id("precheck-summary")).to_have_text("有 1 项条件未满足")
    choose_file_by_keyboard(page, "上传申报材料真实性承诺书", commitment)
    tab_to(page, "^上传$")
    press_enter_and_wait(page)
    expect(page.get_by_test_id("precheck-summary")).to_have_text("全部条件已满足")
    tab_to(page, "^提交申请$")
    press_enter_and_wait(page)
    expect(page.get_by_test_id("application-status")).to_have_text("已提交")
    assert Application.objects.get(work=work).status == ApplicationStatus.SUBMITTED
    assert_fits_width(page)
