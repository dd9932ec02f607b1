"""Each actor's day on fresh demo data, from the login and the workbench only (clicks, no typed URLs): the approver
approves from the workbench, the enterprise opens the decision from its inbox (消息) and follows it to the
application, then the provider, reviewer, finance, auditor and admin each reach their work from the workbench and the
navigation. The supplement answered with uploads is test_workbench_journey, the draw by button test_draw_journey."""

import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from yingdu.accounts.selectors import user_get_by_username
from yingdu.applications.models import Application, ApplicationStatus

from .conftest import assert_fits_width, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def nav(page, name: str):
    """A navigation link, opening the menu first where it is collapsed (390 px)."""
    link = page.locator("nav.nav").get_by_role("link", name=name)
    if not link.first.is_visible():
        page.get_by_role("button", name="菜单").click()
    return link.first


def staff_log_in(page, base: str, username: str, password: str) -> None:
    device = TOTPDevice.objects.get(user=user_get_by_username(username), confirmed=True)
    log_in(page, base, username, device=device, password=password)


@pytest.mark.parametrize("width", [1280, 390])
def test_each_actor_works_from_the_workbench_and_the_inbox(live_server, page, screenshot, settings, tmp_path, width):
    settings.VAR_DIR = tmp_path
    with open(os.devnull, "w") as quiet:
        call_command("demo", stdout=quiet, stderr=quiet)
    password = json.loads(Path(tmp_path / "demo_credentials.json").read_text())["password"]
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    application = Application.objects.get(status=ApplicationStatus.UNDER_REVIEW)

    # approver: the application awaiting approval is on the workbench; approve it after the confirmation
    staff_log_in(page, base, "approver", password)
    waiting = page.get_by_test_id("worklist-awaiting_approval")
    expect(waiting.get_by_test_id("worklist-count")).to_have_text("1")
    waiting.get_by_role("link", name=f"申请 {application.pk} ·").click()
    form = page.locator("form.action-form", has=page.get_by_role("heading", name="批准", exact=True))
    form.get_by_role("button", name="批准", exact=True).click()
    expect(page.get_by_test_id("confirmation")).to_contain_text("元")
    page.get_by_role("button", name="确认批准").click()
    expect(page.get_by_test_id("application-status")).to_have_text("已批准")

    # enterprise: the decision waits unread in 消息; opening it marks it read and leads to the application
    log_in(page, base, "huairou_film", password=password)
    inbox = nav(page, "消息")
    expect(inbox.get_by_test_id("nav-count")).to_be_visible()
    unread_before = int(inbox.get_by_test_id("nav-count").inner_text())
    inbox.click()
    expect(page.get_by_role("heading", name="消息", exact=True)).to_be_visible()
    assert_fits_width(page)
    screenshot(page, f"inbox-enterprise-{width}")
    page.get_by_test_id("inbox-item").filter(has_text="补贴申请已批准").first.click()
    expect(page.get_by_test_id("notification-subject")).to_contain_text(application.work.title)
    assert_fits_width(page)
    screenshot(page, f"inbox-notification-{width}")
    count_after = nav(page, "消息").get_by_test_id("nav-count")
    if unread_before == 1:
        expect(count_after).to_have_count(0)
    else:
        expect(count_after).to_have_text(str(unread_before - 1))
    page.get_by_test_id("notification-link").click()
    expect(page.get_by_test_id("application-status")).to_have_text("已批准")
    nav(page, "工作台").click()
    expect(page.get_by_test_id("worklist-vouchers_expiring")).to_be_visible()
    nav(page, "算力券钱包").click()
    expect(page.get_by_role("heading", name="算力券钱包")).to_be_visible()

    # provider operator: its redemptions from the navigation
    log_in(page, base, "provider_op", password=password)
    nav(page, "算力券核销").click()
    expect(page.get_by_role("heading", name="算力券核销")).to_be_visible()
    assert_fits_width(page)

    # reviewer: the queue on the workbench leads to an application; objections and quarantine are listed
    staff_log_in(page, base, "reviewer", password)
    expect(page.get_by_test_id("worklist-queue")).to_be_visible()
    expect(page.get_by_test_id("worklist-objections")).to_be_visible()
    nav(page, "审核队列").click()
    expect(page.get_by_role("heading", name="审核队列")).to_be_visible()

    # finance: statements to pay and claims on the workbench, the voucher overview in the navigation
    staff_log_in(page, base, "finance", password)
    expect(page.get_by_test_id("worklist-statements_to_pay")).to_be_visible()
    nav(page, "算力券").click()
    expect(page.get_by_role("heading", name="算力券预算与发放")).to_be_visible()
    assert_fits_width(page)

    # auditor: the cases on the workbench, spot checks in the navigation (the draw itself: test_draw_journey)
    staff_log_in(page, base, "auditor", password)
    expect(page.get_by_test_id("worklist-cases_due")).to_be_visible()
    nav(page, "监督抽查").click()
    expect(page.get_by_role("heading", name="监督抽查")).to_be_visible()

    # admin: users and roles from the navigation; the inbox is theirs alone
    staff_log_in(page, base, "admin", password)
    nav(page, "用户与角色").click()
    expect(page.get_by_role("heading", name="用户与角色")).to_be_visible()
    nav(page, "消息").click()
    expect(page.get_by_test_id("inbox-item").filter(has_text="补贴申请已批准")).to_have_count(0)
    assert_fits_width(page)
    screenshot(page, f"inbox-admin-{width}")
