"""A work goes from declaration to approval in the browser, in Chinese: the applicant declares and releases it, sees
the pre-check, submits; a reviewer accepts, starts the review and asks for a supplement; the applicant resubmits;
an approver (not the reviewer: four-eyes) approves."""

import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yingdu.accounts.models import Role
from yingdu.applications.models import Application, ApplicationStatus
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.policy.selectors import work_calendar
from yingdu.policy.services import calendar_year_publish
from yingdu.push import signed_batch
from yingdu.rules.workdays import DayKind, SpecialDay
from yingdu.testing.clients import verified
from yingdu.testing.factories import (
    PDF_BYTES,
    PNG_BYTES,
    make_enterprise,
    make_metering_provider,
    make_staff,
    usage_record,
)
from yingdu.works.models import Work

from .conftest import assert_fits_width, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def publish_next_year_schedule() -> None:
    """Test data: a schedule for the year after this one (an admin loads the State Council's each November), so the
    deadline of an application accepted today can be computed."""
    year = timezone.localdate().year + 1
    if year in work_calendar().published_years:
        return
    admin = verified(make_staff(Role.ADMIN))
    calendar_year_publish(year=year, special_days=[SpecialDay(date(year, 1, 1), DayKind.HOLIDAY, "元旦", "e2e")],
                          source="e2e test schedule", actor=admin, now=timezone.now())


def act(page, label: str, **fields) -> None:
    form = page.locator("form.action-form", has=page.get_by_role("heading", name=label, exact=True))
    for field_label, value in fields.items():
        form.get_by_label(re.compile(field_label)).fill(value)
    form.get_by_role("button", name=label, exact=True).click()


@pytest.mark.parametrize("width", [1280, 390])
def test_declare_precheck_submit_accept_supplement_resubmit_approve(live_server, page, screenshot, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 900})
    base = live_server.url
    reviewer = make_staff(Role.REVIEWER, username="reviewer_journey")
    approver = make_staff(Role.APPROVER, username="approver_journey")
    enterprise = make_enterprise(verified_by=verified(reviewer))
    member = enterprise.registered_by
    meter = make_metering_provider()
    publish_next_year_schedule()
    shot = tmp_path / "上线截图.png"
    shot.write_bytes(PNG_BYTES)
    commitment = tmp_path / "真实性承诺书.pdf"
    commitment.write_bytes(PDF_BYTES)

    # the applicant declares the work; the form check explains a wrong episode length
    log_in(page, base, member.username)
    page.goto(f"{base}/works/new/")
    page.get_by_label("作品名称").fill("星河迷途")
    page.get_by_label("作品形式").select_option("micro_drama")
    page.get_by_label("计量项目标签").fill("xinghe-journey")
    page.get_by_label("制作开始日期").fill("2026-01-05")
    page.get_by_label("制作结束日期").fill("2026-10-31")
    page.get_by_label("集数").fill("80")
    page.get_by_label("最短单集时长（秒）").fill("60")
    page.get_by_label("最长单集时长（秒）").fill("1080")
    page.get_by_label("画幅").select_option("9:16")
    page.get_by_label("剧本生成").check()
    page.get_by_label("视频生成").check()
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_text("最长一集为 18 分钟")).to_be_visible()
    screenshot(page, f"journey-form-check-{width}")
    page.get_by_label("最长单集时长（秒）").fill("150")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_text("作品已登记")).to_be_visible()
    work = Work.objects.get(project_tag="xinghe-journey")

    # the provider meters compute for the work
    body = signed_batch([usage_record(enterprise.uscc, "xinghe-journey", quantity="1000",
                                      started_at="2026-03-20T09:00:00+08:00", ended_at="2026-03-20T11:00:00+08:00")],
                        meter.private_key)
    usage_batch_ingest(provider=meter.provider, key_id=meter.signing_key.key_id, records=body["records"],
                       batch_signature=body["batch_signature"], now=timezone.now())

    # the release with its permit number and screenshot
    page.locator("summary", has_text="登记上线记录").click()
    release = page.locator("form[action$='/releases/']")
    release.get_by_label("上线平台").select_option("hongguo")
    release.get_by_label("作品链接").fill("https://hongguo.example.cn/drama/xinghe")
    release.get_by_label(re.compile("^上线日期")).fill("2026-04-20")
    release.get_by_label("上线备案号或发行许可证号").fill("（京）网剧审字（2026）第018号")
    release.get_by_label("上线页面截图").set_input_files(str(shot))
    release.get_by_role("button", name="登记上线记录").click()
    expect(page.get_by_text("上线记录已登记")).to_be_visible()
    assert_fits_width(page)

    # the pre-check names the missing material; after the upload every condition passes
    page.get_by_role("button", name="申请补贴并查看条件自检").click()
    expect(page.get_by_test_id("precheck-summary")).to_have_text("有 1 项条件未满足")
    expect(page.get_by_text("缺少：申报材料真实性承诺书")).to_be_visible()
    page.get_by_label("上传申报材料真实性承诺书").set_input_files(str(commitment))
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_test_id("precheck-summary")).to_have_text("全部条件已满足")
    screenshot(page, f"journey-precheck-{width}")
    assert_fits_width(page)
    act(page, "提交申请")
    expect(page.get_by_test_id("application-status")).to_have_text("已提交")
    application = Application.objects.get(work=work)

    # the reviewer accepts (the clock starts), starts the review (amount computed), asks for a supplement
    log_in(page, base, "reviewer_journey", device=reviewer.totpdevice_set.get())
    page.goto(f"{base}/applications/queue/")
    page.get_by_role("link", name=f"申请 #{application.pk}").click()
    act(page, "受理")
    expect(page.get_by_test_id("application-status")).to_have_text("已受理")
    act(page, "开始审核")
    expect(page.get_by_test_id("application-status")).to_have_text("审核中")
    expect(page.get_by_test_id("review-amount")).to_have_text("2,400.00 元")
    act(page, "要求补充材料", 需补充的材料="上线页面截图（含备案号）", 说明="截图未显示许可证号，请补充")
    expect(page.get_by_test_id("application-status")).to_have_text("待补充材料")
    expect(page.get_by_test_id("sla-badge")).to_contain_text("已暂停")
    screenshot(page, f"journey-supplement-{width}")

    # the applicant answers
    log_in(page, base, member.username)
    page.goto(f"{base}/applications/{application.pk}/")
    expect(page.get_by_test_id("supplement")).to_contain_text("截图未显示许可证号，请补充")
    act(page, "提交补充材料", 补充说明="已在作品页更正上线记录并附新截图")
    expect(page.get_by_test_id("application-status")).to_have_text("审核中")

    # an approver who did not review approves; the amount is fixed
    log_in(page, base, "approver_journey", device=approver.totpdevice_set.get())
    page.goto(f"{base}/applications/{application.pk}/")
    act(page, "批准", 理由="符合达标即享条件")
    expect(page.get_by_test_id("confirmation")).to_contain_text("2,400.00 元")  # asked first, with the amount
    page.get_by_role("button", name="确认批准").click()
    expect(page.get_by_test_id("application-status")).to_have_text("已批准")
    expect(page.get_by_test_id("approved-amount")).to_have_text("2,400.00 元")
    expect(page.get_by_test_id("timeline")).to_contain_text("批准")
    assert_fits_width(page)
    screenshot(page, f"journey-approved-{width}")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.approved_amount_fen == 240_000
    assert [t.action for t in application.transitions.all()] == [
        "submit", "accept", "start_review", "request_supplement", "resubmit", "approve"]
