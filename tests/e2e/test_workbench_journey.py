"""From the workbench only (no typed URLs): the reviewer asks for a new commitment letter and a new release
screenshot, the enterprise answers each item with an upload, the reviewer sees the answer item by item."""

import pytest
from playwright.sync_api import expect

from yingdu.accounts.models import Role
from yingdu.applications.models import ApplicationStatus
from yingdu.applications.tests.support import draft, eligible_works, under_review
from yingdu.testing.clients import verified
from yingdu.testing.factories import PDF_BYTES, PNG_BYTES, make_enterprise, make_metering_provider, make_staff

from .conftest import assert_fits_width, log_in
from .test_application_journey import act, publish_next_year_schedule

pytestmark = pytest.mark.django_db(transaction=True)


def go_to_workbench(page) -> None:
    """Follow the navigation's 工作台 link (at phone width, behind the menu button)."""
    toggle = page.locator("button.nav-toggle")
    if toggle.is_visible():
        toggle.click()
    page.locator("nav.nav").get_by_role("link", name="工作台").click()


@pytest.mark.parametrize("width", [1280, 390])
def test_supplement_asked_and_answered_with_uploads_from_the_workbench(live_server, browser, screenshot, tmp_path,
                                                                        width):
    # two browsers side by side: the staff session stays open (a TOTP code is accepted once)
    staff_page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    base = live_server.url
    reviewer = make_staff(Role.REVIEWER, username="reviewer_workbench")
    enterprise = make_enterprise(verified_by=verified(reviewer))
    publish_next_year_schedule()
    [work] = eligible_works(enterprise, make_metering_provider(), 1)
    application = under_review(draft(work), verified(reviewer))
    [old_release] = work.releases.all()
    letter = tmp_path / "新承诺书.pdf"
    letter.write_bytes(PDF_BYTES)
    shot = tmp_path / "新上线截图.png"
    shot.write_bytes(PNG_BYTES)

    # the reviewer finds the application on the workbench and asks for two uploads and one answer
    log_in(staff_page, base, "reviewer_workbench", device=reviewer.totpdevice_set.get())
    queue = staff_page.get_by_test_id("worklist-queue")
    expect(queue.get_by_test_id("worklist-count")).to_have_text("1")
    queue.get_by_role("link", name=f"申请 {application.pk} ·").click()
    form = staff_page.locator("form.action-form", has=staff_page.get_by_role("heading", name="要求补充材料", exact=True))
    form.get_by_label("申报材料真实性承诺书").check()
    form.get_by_label("上线页面截图（替换现有上线记录的截图）").check()
    act(staff_page, "要求补充材料", 需补充的材料="说明剧本来源", 说明="截图未显示备案号，请更换截图并补充承诺书")
    expect(staff_page.get_by_test_id("application-status")).to_have_text("待补充材料")
    expect(staff_page.get_by_test_id("supplement-item")).to_have_count(3)

    # the enterprise sees it waiting on its workbench, with the count in the navigation, and answers item by item
    log_in(page, base, enterprise.registered_by.username)
    expect(page.locator("nav a", has_text="工作台").get_by_test_id("nav-count")).to_have_text("2")
    supplements = page.get_by_test_id("worklist-supplements_due")
    expect(supplements.get_by_test_id("worklist-count")).to_have_text("1")
    assert_fits_width(page)
    screenshot(page, f"workbench-enterprise-{width}")
    supplements.get_by_role("link", name=f"申请 {application.pk} ·").click()
    answer = page.get_by_test_id("supplement-answer")
    expect(answer).to_contain_text("说明剧本来源")
    # without the screenshot, the refusal is shown beside its item and nothing is recorded
    answer.locator("#upload-0").set_input_files(str(letter))
    answer.get_by_label("补充说明").fill("剧本为原创，承诺书与新截图见附件")
    answer.get_by_role("button", name="提交补充材料").click()
    expect(page.locator("fieldset.has-error")).to_contain_text("请为第 2 项“上线页面截图（替换现有上线记录的截图）”提供所需的文件")
    assert_fits_width(page)
    screenshot(page, f"supplement-answer-error-{width}")
    answer = page.get_by_test_id("supplement-answer")
    answer.locator("#upload-0").set_input_files(str(letter))
    answer.get_by_label("要更换截图的上线记录").select_option(str(old_release.pk))
    answer.locator("#upload-1").set_input_files(str(shot))
    answer.get_by_label("补充说明").fill("剧本为原创，承诺书与新截图见附件")
    answer.get_by_role("button", name="提交补充材料").click()
    expect(page.get_by_test_id("application-status")).to_have_text("审核中")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert work.releases.get(supersedes=old_release).screenshot_filename == "新上线截图.png"

    # the reviewer, from the workbench again, sees what answered each item
    go_to_workbench(staff_page)
    staff_page.get_by_test_id("worklist-queue").get_by_role("link", name=f"申请 {application.pk} ·").click()
    items = staff_page.get_by_test_id("supplement-item")
    expect(items.nth(0)).to_contain_text("新承诺书.pdf")
    expect(items.nth(1)).to_contain_text("新上线截图.png")
    expect(items.nth(1)).to_contain_text("已替换原上线记录")
    expect(staff_page.get_by_test_id("supplement-response")).to_contain_text("剧本为原创")
    assert_fits_width(staff_page)
    screenshot(staff_page, f"supplement-answered-reviewer-{width}")
    go_to_workbench(staff_page)
    assert_fits_width(staff_page)
    screenshot(staff_page, f"workbench-reviewer-{width}")
