"""Supplements that can be answered: the request lists each item; the applicant answers each with its upload (a
checklist material, or a new release screenshot that supersedes the old release), plus a message; the reviewer
sees the answer item by item."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from yingdu.applications import services
from yingdu.applications.models import ApplicationStatus
from yingdu.errors import DomainError
from yingdu.testing.clients import client_for
from yingdu.testing.factories import make_enterprise, pdf_bytes
from yingdu.transparency.models import LogEntry

from .support import draft, eligible_works, member_of, pdf, png

pytestmark = pytest.mark.django_db

# a fixed moment (Beijing, Monday 2026-09-21 10:00); the views read the clock, frozen here
NOW = datetime(2026, 9, 21, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
# the work, its release and the first materials are recorded the working day before the request
EARLIER = datetime(2026, 9, 18, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _under_review(enterprise, meter, reviewer):
    with time_machine.travel(EARLIER, tick=False):
        [work] = eligible_works(enterprise, meter, 1)
        member = member_of(enterprise)
        application = draft(work, now=EARLIER)
        application = services.application_submit(application=application, actor=member, now=EARLIER)
        application = services.application_accept(application=application, actor=reviewer, now=EARLIER)
        return services.application_start_review(application=application, actor=reviewer, now=EARLIER,
                                                 issue_data_notice=False)


@pytest.fixture
def requested(enterprise, meter, reviewer):
    """An application whose reviewer asked for a new commitment letter, a new release screenshot and an answer."""
    application = _under_review(enterprise, meter, reviewer)
    return services.application_request_supplement(
        application=application, actor=reviewer, items=["说明剧本来源"], message="请补充以下材料",
        needs=["material:authenticity_commitment", "release"], now=NOW)


def _entry(event_type: str) -> dict:
    return json.loads(bytes(LogEntry.objects.filter(event_type=event_type).order_by("-index").first().entry))


def test_the_request_lists_each_item_with_what_answers_it(requested):
    request = requested.supplement_requests.get()
    assert request.items == ["申报材料真实性承诺书", "上线页面截图（替换现有上线记录的截图）", "说明剧本来源"]
    assert request.needs == ["material:authenticity_commitment", "release", ""]
    entry = _entry("applications.request_supplement")
    assert entry["detail"]["needs"] == request.needs and entry["detail"]["items"] == request.items


def test_a_reviewer_cannot_ask_for_an_automatic_or_unknown_material(enterprise, meter, reviewer):
    application = _under_review(enterprise, meter, reviewer)
    for need in ("material:business_licence", "material:nonsense", "screenshot"):
        with pytest.raises(DomainError) as refused:
            services.application_request_supplement(application=application, actor=reviewer, items=[],
                                                     message="请补充", needs=[need], now=NOW)
        assert refused.value.code == "supplement_need_unknown"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW and not application.supplement_requests.exists()


def test_the_member_answers_each_item_on_the_page_and_the_reviewer_sees_it_item_by_item(requested, reviewer):
    work = requested.work
    [old_release] = work.releases.all()
    client = client_for(requested.enterprise.registered_by)
    page = client.get(f"/applications/{requested.pk}/").content.decode()
    assert 'data-testid="supplement-answer"' in page and 'name="upload-0"' in page and 'name="release-1"' in page
    response = client.post(f"/applications/{requested.pk}/supplement/answer/", {
        "upload-0": pdf("新承诺书.pdf", pdf_bytes("new")), "upload-1": png("新截图.png"),
        "release-1": str(old_release.pk), "message": "剧本为原创，见承诺书"})
    assert response.status_code == 302
    requested.refresh_from_db()
    assert requested.status == ApplicationStatus.UNDER_REVIEW
    request = requested.supplement_requests.get()
    new_release = work.releases.get(supersedes=old_release)
    material = requested.materials.filter(filename="新承诺书.pdf").get()
    assert request.answers == [{"item": 0, "material": material.pk}, {"item": 1, "release": new_release.pk}]
    assert request.response == "剧本为原创，见承诺书"
    # the new release keeps the old one's facts; only the screenshot changed
    assert (new_release.url, new_release.licence_number, new_release.went_live_on) == (
        old_release.url, old_release.licence_number, old_release.went_live_on)
    assert list(work.releases.filter(superseded_by__isnull=True)) == [new_release]
    # uploads before the resubmission that cites them
    types = list(LogEntry.objects.order_by("-index").values_list("event_type", flat=True)[:3])
    assert types == ["applications.resubmit", "works.release_record", "applications.material_upload"]
    assert _entry("applications.resubmit")["detail"]["answers"] == request.answers
    staff_page = client_for(reviewer).get(f"/applications/{requested.pk}/").content.decode()
    assert "新承诺书.pdf" in staff_page and "新截图.png" in staff_page and "已替换原上线记录" in staff_page
    assert staff_page.count('data-testid="supplement-item"') == 3


def test_an_item_without_its_upload_is_refused_beside_it_and_nothing_changes(requested):
    client = client_for(requested.enterprise.registered_by)
    [release] = requested.work.releases.all()
    materials = requested.materials.count()
    response = client.post(f"/applications/{requested.pk}/supplement/answer/", {
        "upload-0": pdf("新承诺书.pdf", pdf_bytes("new")), "release-1": str(release.pk), "message": "见附件"})
    assert response.status_code == 400
    assert "请为第 2 项“上线页面截图（替换现有上线记录的截图）”提供所需的文件" in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == ApplicationStatus.SUPPLEMENT_REQUESTED
    assert requested.materials.count() == materials and requested.work.releases.count() == 1


def test_a_wrong_file_type_for_the_screenshot_is_refused_and_the_material_is_not_kept(requested):
    client = client_for(requested.enterprise.registered_by)
    [release] = requested.work.releases.all()
    materials = requested.materials.count()
    response = client.post(f"/applications/{requested.pk}/supplement/answer/", {
        "upload-0": pdf("新承诺书.pdf", pdf_bytes("new")), "upload-1": pdf("不是图片.pdf"),
        "release-1": str(release.pk), "message": "见附件"})
    assert response.status_code == 400
    requested.refresh_from_db()
    assert requested.status == ApplicationStatus.SUPPLEMENT_REQUESTED and requested.materials.count() == materials


def test_a_release_of_another_work_cannot_be_replaced(requested, meter, reviewer):
    other = make_enterprise(verified_by=reviewer)
    [foreign_work] = eligible_works(other, meter, 1)
    client = client_for(requested.enterprise.registered_by)
    response = client.post(f"/applications/{requested.pk}/supplement/answer/", {
        "upload-0": pdf("新承诺书.pdf", pdf_bytes("new")), "upload-1": png(),
        "release-1": str(foreign_work.releases.get().pk), "message": "x"})
    assert response.status_code == 400
    assert foreign_work.releases.count() == 1 and requested.work.releases.count() == 1


def test_another_enterprise_and_staff_cannot_answer(requested, reviewer):
    outsider = make_enterprise(verified_by=reviewer).registered_by
    body = {"upload-0": pdf(), "upload-1": png(), "message": "x"}
    assert client_for(outsider).post(f"/applications/{requested.pk}/supplement/answer/", body).status_code == 404
    assert client_for(reviewer).post(f"/applications/{requested.pk}/supplement/answer/", body).status_code == 403
    requested.refresh_from_db()
    assert requested.status == ApplicationStatus.SUPPLEMENT_REQUESTED


def test_resubmitting_without_answering_a_structured_item_is_refused(requested):
    with pytest.raises(DomainError) as refused:
        services.application_resubmit(application=requested, actor=member_of(requested.enterprise), now=NOW,
                                      response="好了")
    assert refused.value.code == "supplement_item_unanswered"


def test_the_api_takes_structured_items_and_refuses_an_unanswered_resubmission(enterprise, meter, reviewer):
    application = _under_review(enterprise, meter, reviewer)
    staff = client_for(reviewer)
    response = staff.post(f"/api/v1/applications/{application.pk}/request_supplement", content_type="application/json",
                          data={"reason": "请补充", "needs": ["material:authenticity_commitment"]})
    assert response.status_code == 200, response.content
    member = client_for(enterprise.registered_by)
    response = member.post(f"/api/v1/applications/{application.pk}/resubmit", content_type="application/json",
                           data={"reason": "好了"})
    assert response.status_code == 409 and response.json()["code"] == "supplement_item_unanswered"
    member.post(f"/api/v1/applications/{application.pk}/materials",
                data={"code": "authenticity_commitment", "upload": pdf("新.pdf", pdf_bytes("api"))})
    response = member.post(f"/api/v1/applications/{application.pk}/resubmit", content_type="application/json",
                           data={"reason": "好了"})
    assert response.status_code == 200 and response.json()["status"] == ApplicationStatus.UNDER_REVIEW


def test_on_the_english_page_the_unanswered_item_is_named_as_the_page_names_it(requested):
    """The refusal names the item by its number and its label, translated where the catalogue knows the stored
    Chinese label (as the item's own legend is), never a Chinese label inside an English sentence."""
    import re

    from yingdu.portal.tests.test_english import english

    client = english(client_for(requested.enterprise.registered_by))
    response = client.post(f"/applications/{requested.pk}/supplement/answer/", {
        "upload-1": png(), "release-1": str(requested.work.releases.get().pk), "message": "see attached"})
    assert response.status_code == 400 and response["Content-Language"] == "en"
    html = response.content.decode()
    assert "Please provide the file for item 1 (“Declaration that the materials are true”)" in html
    assert "申报材料真实性承诺书" not in html
    errors = re.findall(r'<p class="error" role="alert">(.*?)</p>', html)
    assert errors and not any(re.search(r"[\u4e00-\u9fff]", error) for error in errors), errors
