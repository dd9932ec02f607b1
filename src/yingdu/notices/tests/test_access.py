import json
from datetime import date
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.metering.models import UsageRecord
from yingdu.metering.selectors import work_verified_cost_microfen
from yingdu.notices import services
from yingdu.notices.models import DataNotice, Objection, ObjectionStatus
from yingdu.testing.clients import client_for
from yingdu.testing.factories import make_enterprise, make_staff, make_user
from yingdu.transparency.models import LogEntry

from .conftest import at, evidence

pytestmark = pytest.mark.django_db


def frozen(text):
    """Patch the clock the views and API read (timezone.now)."""
    return mock.patch("django.utils.timezone.now", return_value=at(text))


def issue(world):
    return services.data_notice_issue(work=world.work, period_start_on=date(2026, 9, 1),
                                      period_end_on=date(2026, 9, 23), actor=world.reviewer, now=at("2026-09-24 10:00"))


def post_objection(client, notice, **extra):
    return client.post(f"/api/v1/notices/{notice.pk}/objections",
                       data={"explanation": "记录有误", "evidence": [evidence()], **extra})


def test_staff_issue_a_notice_through_the_api_and_the_enterprise_sees_it(world):
    staff = client_for(world.reviewer)
    with frozen("2026-09-24 10:00"):
        response = staff.post("/api/v1/notices", data={"work_id": world.work.pk, "period_start_on": "2026-09-01",
                                                        "period_end_on": "2026-09-23"}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["record_count"] == 3 and body["cost_yuan"] == "132.00"
    assert body["objection_deadline_on"] == "2026-10-09" and body["delivered_via"] == "email"
    assert len(body["records"]) == 3 and body["totals"][0]["quantity"] == "16.5"
    member = client_for(world.member)
    assert [n["id"] for n in member.get("/api/v1/notices").json()] == [body["id"]]
    assert member.get(f"/api/v1/notices/{body['id']}").status_code == 200
    assert "用量数据告知书" in member.get("/metering/notices/").content.decode()


def test_an_enterprise_member_cannot_issue_a_notice(world):
    response = client_for(world.member).post("/api/v1/notices", data={
        "work_id": world.work.pk, "period_start_on": "2026-09-01", "period_end_on": "2026-09-23"},
        content_type="application/json")
    assert response.status_code in (403, 404)
    assert not DataNotice.objects.exists()


def test_staff_issue_a_notice_from_the_page(world):
    staff = client_for(world.reviewer)
    with frozen("2026-09-24 10:00"):
        response = staff.post("/metering/notices/new/", data={"work": world.work.pk,
                                                              "period_start_on": "2026-09-01",
                                                              "period_end_on": "2026-09-23"})
    notice = DataNotice.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/metering/notices/{notice.pk}/"
    page = staff.get(response["Location"]).content.decode()
    assert "132.00" in page and "2026-10-09" in page and str(notice.checkpoint_tree_size) in page


def test_another_enterprise_cannot_see_or_object_to_the_notice(world):
    notice = issue(world)
    other = make_user(email="other@example.cn")
    make_enterprise(member=other, verified_by=world.reviewer)
    client = client_for(other)
    assert client.get(f"/metering/notices/{notice.pk}/").status_code == 404
    assert client.get(f"/api/v1/notices/{notice.pk}").status_code == 404
    assert client.get("/api/v1/notices").json() == []
    with frozen("2026-09-28 10:00"):
        assert post_objection(client, notice).status_code == 404
        page = client.post(f"/metering/notices/{notice.pk}/objections/",
                           data={"explanation": "x", "evidence": [evidence()]})
        assert page.status_code == 404
    assert not Objection.objects.exists()


def test_a_member_objects_through_the_api_with_claims_and_evidence(world):
    notice = issue(world)
    client = client_for(world.member)
    with frozen("2026-10-09 20:00"):
        response = post_objection(client, notice, claims=json.dumps([{"record": world.records[0].pk,
                                                                      "quantity": "7"}]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open" and body["claims"][0]["claimed_quantity"] == "7"
    assert len(body["evidence_sha256"]) == 1
    with frozen("2026-10-09 21:00"):
        second = post_objection(client, notice)
    assert second.status_code == 409 and second.json()["code"] == "objection_already_open"


def test_a_late_objection_through_the_api_names_the_deadline(world):
    notice = issue(world)
    with frozen("2026-10-10 09:00"):
        response = post_objection(client_for(world.member), notice)
    body = response.json()
    assert response.status_code == 409 and body["code"] == "objection_late"
    assert "2026-10-09" in body["message"] and body["detail"]["objection_deadline_on"] == "2026-10-09"


def test_a_member_objects_from_the_page(world):
    notice = issue(world)
    client = client_for(world.member)
    with frozen("2026-09-28 10:00"):
        page = client.get(f"/metering/notices/{notice.pk}/").content.decode()
        assert "提出异议" in page
        response = client.post(f"/metering/notices/{notice.pk}/objections/", data={
            "explanation": "第一条记录多计了 3 卡时", "evidence": [evidence(), evidence("截图.pdf")],
            f"claim-{world.records[0].pk}": "7"})
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.evidence.count() == 2 and objection.claims.get().record == world.records[0]
    evidence_file = objection.evidence.first()
    download = client.get(f"/metering/notices/objections/{objection.pk}/evidence/{evidence_file.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_provider_or_anonymous_user_cannot_decide(world):
    notice = issue(world)
    objection = services.objection_file(notice=notice, explanation="有误", evidence=[evidence()], claims=[],
                                        actor=world.member, now=at("2026-09-28 10:00"))
    url = f"/api/v1/objections/{objection.pk}/decision"
    data = {"decision": "uphold", "reason": ""}
    assert Client().post(url, data=data, content_type="application/json").status_code == 401
    provider = client_for(world.meter.operator)
    assert provider.post(url, data=data, content_type="application/json").status_code in (403, 404)
    member = client_for(world.member)
    assert member.post(url, data=data, content_type="application/json").status_code == 403
    auditor = client_for(make_staff(Role.AUDITOR))
    assert auditor.post(url, data=data, content_type="application/json").status_code == 403
    page = f"/metering/notices/objections/{objection.pk}/decision/"
    assert Client().post(page, data=data).status_code == 302
    assert provider.post(page, data=data).status_code == 403
    # a staff session without two-factor is not a reviewer yet
    assert client_for(world.reviewer, two_factor=False).post(url, data=data,
                                                            content_type="application/json").status_code in (403, 404)
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN


def test_a_reviewer_upholds_through_the_api_and_the_enterprise_is_told(world):
    notice = issue(world)
    objection = services.objection_file(notice=notice, explanation="有误", evidence=[evidence()],
                                        claims=[(world.records[1].pk, "0.5")], actor=world.member,
                                        now=at("2026-09-28 10:00"))
    cost = work_verified_cost_microfen(world.work)
    with frozen("2026-10-12 10:00"):
        response = client_for(world.reviewer).post(f"/api/v1/objections/{objection.pk}/decision",
                                                   data={"decision": "uphold", "reason": "属实"},
                                                   content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "upheld" and response.json()["claims"][0]["correction_id"]
    assert work_verified_cost_microfen(world.work) == cost - 2_000_000 * 800
    assert UsageRecord.objects.filter(corrects=world.records[1]).count() == 1
    assert mail.outbox[-1].to == ["contact@drama.example.cn"] and "已采纳" in mail.outbox[-1].subject
    page = client_for(world.member).get(f"/metering/notices/{notice.pk}/").content.decode()
    assert "已采纳" in page and "属实" in page


def test_every_write_is_a_log_entry(world):
    start = LogEntry.objects.count()
    notice = issue(world)
    objection = services.objection_file(notice=notice, explanation="有误", evidence=[evidence()],
                                        claims=[(world.records[2].pk, "3")], actor=world.member,
                                        now=at("2026-09-28 10:00"))
    services.objection_decide(objection=objection, decision="uphold", reason="", actor=world.reviewer,
                              now=at("2026-09-29 10:00"))
    second = services.objection_file(notice=notice, explanation="仍有误", evidence=[evidence()], claims=[],
                                     actor=world.member, now=at("2026-09-30 10:00"))
    services.objection_decide(objection=second, decision="reject", reason="无新证据", actor=world.reviewer,
                              now=at("2026-10-08 10:00"))
    assert [e.event_type for e in LogEntry.objects.filter(index__gte=start).order_by("index")] == [
        "notices.issued", "notices.delivered", "objections.filed", "objections.evidence_added", "objections.upheld",
        "metering.usage_corrected", "objections.claims_corrected", "objections.filed", "objections.evidence_added",
        "objections.rejected"]


def test_a_reviewer_rejects_from_the_page_and_a_reason_is_required(world):
    notice = issue(world)
    objection = services.objection_file(notice=notice, explanation="有误", evidence=[evidence()], claims=[],
                                        actor=world.member, now=at("2026-09-28 10:00"))
    staff = client_for(world.reviewer)
    assert "提交处理结果" in staff.get(f"/metering/notices/{notice.pk}/").content.decode()
    url = f"/metering/notices/objections/{objection.pk}/decision/"
    refused = staff.post(url, data={"decision": "reject", "reason": ""})
    assert refused.status_code == 400 and str(services.MSG_REASON_REQUIRED) in refused.content.decode()
    assert staff.post(url, data={"decision": "reject", "reason": "用量属实"}).status_code == 302
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.REJECTED
    assert "未采纳" in mail.outbox[-1].subject
