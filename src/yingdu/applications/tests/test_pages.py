"""Pages and API of works and applications: Chinese forms, errors beside the field, the queue and its export."""

from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from yingdu.applications import services
from yingdu.applications.models import Application, ApplicationStatus
from yingdu.testing.clients import client_for, verified
from yingdu.works.models import Work, WorkRelease

from .support import draft, eligible_works, pdf, png

pytestmark = pytest.mark.django_db

DECLARE = {"title": "星河迷途", "form": "micro_drama", "project_tag": "xinghe-01", "production_start_on": "2026-01-01",
           "production_end_on": "2026-06-30", "episode_count": "80", "episode_min_seconds": "60",
           "episode_max_seconds": "1080", "aspect_ratio": "9:16", "ai_techniques": ["script_generation"]}


def test_declaring_a_micro_drama_with_18_minute_episodes_shows_the_reason_and_writes_nothing(enterprise):
    client = client_for(enterprise.registered_by)
    response = client.post("/works/new/", DECLARE)
    assert response.status_code == 200
    assert "最长一集为 18 分钟" in response.content.decode()
    assert not Work.objects.exists()
    response = client.post("/works/new/", {**DECLARE, "episode_max_seconds": "150", "aspect_ratio": "16:9"})
    assert "AI微短剧应为竖屏 9:16画幅，申报的画幅为横屏 16:9" in response.content.decode()
    response = client.post("/works/new/", {**DECLARE, "episode_max_seconds": "150"})
    work = Work.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/works/{work.pk}/"
    assert work.details_revisions.get().episode_max_seconds == 150


def test_the_api_refuses_a_horizontal_micro_drama_with_the_code(enterprise):
    client = client_for(enterprise.registered_by)
    payload = {**DECLARE, "episode_count": 80, "episode_min_seconds": 60, "episode_max_seconds": 120,
               "aspect_ratio": "16:9"}
    response = client.post("/api/v1/works", data=payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "aspect_ratio_mismatch"
    assert response.json()["detail"]["field"] == "aspect_ratio"


def test_a_release_with_a_malformed_permit_number_is_refused_beside_the_field(enterprise, meter):
    [work] = eligible_works(enterprise, meter, 1)
    client = client_for(enterprise.registered_by)
    response = client.post(f"/works/{work.pk}/releases/", {
        "release-platform": "douyin", "release-url": "https://douyin.example/1", "release-went_live_on": "2026-05-01",
        "release-licence_number": "网剧审字2026第1号", "release-screenshot": png()})
    assert response.status_code == 400 and "发行许可证号格式应为" in response.content.decode()
    assert work.releases.count() == 1


def test_a_correction_supersedes_the_release_and_keeps_it(enterprise, meter):
    [work] = eligible_works(enterprise, meter, 1)
    original = work.releases.get()
    client = client_for(enterprise.registered_by)
    response = client.post(f"/works/{work.pk}/releases/", {
        "release-platform": "hongguo", "release-url": "https://hongguo.example/2", "release-went_live_on": "2026-05-01",
        "release-licence_number": "（京）网剧审字（2026）第019号", "release-screenshot": png(),
        "release-supersedes": str(original.pk), "release-reason": "许可证号填错"})
    assert response.status_code == 302
    assert WorkRelease.objects.filter(work=work).count() == 2
    assert work.releases.get(supersedes=original).licence_number == "（京）网剧审字（2026）第019号"
    page = client.get(f"/works/{work.pk}/").content.decode()
    assert "已被更正" in page and "许可证号填错" in page


def test_member_journey_pages_and_staff_queue_with_export(enterprise, meter, reviewer):
    [work] = eligible_works(enterprise, meter, 1)
    member = client_for(enterprise.registered_by)
    response = member.post("/applications/new/", {"work_id": work.pk})
    application = Application.objects.get()
    assert response["Location"] == f"/applications/{application.pk}/"
    page = member.get(f"/applications/{application.pk}/").content.decode()
    assert "条件自检" in page and "有 1 项条件未满足" in page and "缺少：申报材料真实性承诺书" in page
    member.post(f"/applications/{application.pk}/materials/",
                {"code": "authenticity_commitment", "upload": pdf("承诺书.pdf")})
    page = member.get(f"/applications/{application.pk}/").content.decode()
    assert "全部条件已满足" in page and "作品已上线并有备案号或发行许可证号" in page
    member.post(f"/applications/{application.pk}/submit/")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    staff = client_for(reviewer)
    staff.post(f"/applications/{application.pk}/accept/")
    queue = staff.get("/applications/queue/").content.decode()
    assert f"申请 #{application.pk}" in queue and "个工作日" in queue or "日历未发布" in queue
    export = staff.get("/applications/export/queue.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.content)).active
    assert sheet["A1"].value == "申请编号" and sheet["A2"].value == application.pk
    timeline = member.get(f"/api/v1/applications/{application.pk}/timeline").json()
    assert [s["label"] for s in timeline["steps"]][:3] == ["创建草稿", "提交申请", "受理（审核时限开始计算）"]


def test_api_workflow_errors_use_the_error_shape(enterprise, meter, reviewer):
    [work] = eligible_works(enterprise, meter, 1)
    application = draft(work)
    services.application_submit(application=application, actor=verified(enterprise.registered_by),
                                now=timezone.now())
    staff = client_for(reviewer)
    response = staff.post(f"/api/v1/applications/{application.pk}/approve", data={}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "role_not_allowed"
    response = staff.post(f"/api/v1/applications/{application.pk}/start_review", data={},
                          content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"
    response = staff.post(f"/api/v1/applications/{application.pk}/accept", data={}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
