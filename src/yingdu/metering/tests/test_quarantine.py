"""Attributing quarantined records to a work: a new row and a log entry, never an edit of the record."""

import json
from datetime import UTC, date, datetime

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.errors import DomainError
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.metering.models import RecordStatus, UsageAttribution, UsageRecord
from yingdu.metering.selectors import usage_records_visible_to, work_verified_cost_microfen
from yingdu.metering.services import (
    MSG_ATTRIBUTE_NOT_QUARANTINED,
    MSG_ATTRIBUTE_OTHER_ENTERPRISE,
    MSG_ATTRIBUTE_TWICE,
    usage_record_attach,
)
from yingdu.push import signed_batch
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import (
    make_enterprise,
    make_metering_provider,
    make_staff,
    make_work,
    unique_uscc,
    usage_record,
)
from yingdu.transparency.models import LogEntry
from yingdu.transparency.services import commitment

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer)
    work = make_work(enterprise, tag="drama-main", start=date(2026, 1, 1), end=date(2026, 12, 31))
    meter = make_metering_provider(price_fen=1000)
    body = signed_batch([
        usage_record(enterprise.uscc, "drama-main", record_id="ok", quantity="1"),
        usage_record(enterprise.uscc, "drama-typo", record_id="typo", quantity="2"),
    ], meter.private_key)
    usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                       batch_signature=body["batch_signature"], now=timezone.now())
    quarantined = UsageRecord.objects.get(record_id="typo")
    assert quarantined.status == RecordStatus.QUARANTINED and quarantined.quarantine_reason == "work_unknown"
    return reviewer, enterprise, work, meter, quarantined


def attributed_entries() -> int:
    return LogEntry.objects.filter(event_type="metering.usage_attributed").count()


def test_attaching_adds_the_record_to_the_verified_cost_without_editing_it(setup):
    reviewer, enterprise, work, _meter, record = setup
    before_row = model_to_dict(UsageRecord.objects.get(pk=record.pk))
    assert work_verified_cost_microfen(work) == 1_000_000 * 1000
    attribution = usage_record_attach(record=record, work=work, actor=reviewer, reason="服务商确认标签填错",
                                      now=timezone.now())
    assert work_verified_cost_microfen(work) == 3_000_000 * 1000
    after_row = model_to_dict(UsageRecord.objects.get(pk=record.pk))
    # only the derived columns (whose members see the record) change; the record as signed and logged does not
    assert (before_row.pop("attributed_work"), after_row.pop("attributed_work")) == (None, work.pk)
    assert (before_row.pop("attributed_enterprise"), after_row.pop("attributed_enterprise")) == (enterprise.pk,
                                                                                               enterprise.pk)
    assert after_row == before_row
    assert (attribution.work, attribution.enterprise, attribution.actor) == (work, enterprise, reviewer)
    [entry] = LogEntry.objects.filter(event_type="metering.usage_attributed")
    assert entry.index == attribution.log_index
    event = json.loads(bytes(entry.entry))
    assert (event["record"], event["work"], event["actor"]) == (record.pk, work.pk, reviewer.pk)
    assert "服务商确认标签填错" not in bytes(entry.entry).decode()
    assert event["reason_commitment"] == commitment(salt=attribution.commitment_salt,
                                                    values={"reason": "服务商确认标签填错"})


def test_attribution_outside_the_production_window_does_not_count(setup):
    reviewer, enterprise, _work, _meter, record = setup
    later = make_work(enterprise, tag="drama-later", start=date(2027, 1, 1), end=date(2027, 6, 30))
    usage_record_attach(record=record, work=later, actor=reviewer, reason="归属到续集", now=timezone.now())
    assert work_verified_cost_microfen(later) == 0


def test_attaching_to_a_work_of_another_enterprise_is_refused(setup):
    reviewer, _enterprise, _work, _meter, record = setup
    other = make_work(make_enterprise(verified_by=reviewer), tag="drama-main")
    with pytest.raises(DomainError) as refused:
        usage_record_attach(record=record, work=other, actor=reviewer, reason="试图归属", now=timezone.now())
    assert refused.value.code == "attribution_enterprise_mismatch"
    assert refused.value.message == MSG_ATTRIBUTE_OTHER_ENTERPRISE
    assert not UsageAttribution.objects.exists() and attributed_entries() == 0
    assert work_verified_cost_microfen(other) == 0


def test_attaching_twice_is_refused(setup):
    reviewer, enterprise, work, _meter, record = setup
    usage_record_attach(record=record, work=work, actor=reviewer, reason="第一次", now=timezone.now())
    second = make_work(enterprise, tag="drama-second")
    with pytest.raises(DomainError) as refused:
        usage_record_attach(record=record, work=second, actor=reviewer, reason="第二次", now=timezone.now())
    assert refused.value.code == "record_already_attributed" and refused.value.message == MSG_ATTRIBUTE_TWICE
    assert UsageAttribution.objects.get().work == work and attributed_entries() == 1


def test_attaching_an_accepted_record_is_refused(setup):
    reviewer, _enterprise, work, _meter, _record = setup
    accepted = UsageRecord.objects.get(record_id="ok")
    with pytest.raises(DomainError) as refused:
        usage_record_attach(record=accepted, work=work, actor=reviewer, reason="重复计入", now=timezone.now())
    assert refused.value.code == "record_not_quarantined" and refused.value.message == MSG_ATTRIBUTE_NOT_QUARANTINED
    assert attributed_entries() == 0


@pytest.mark.parametrize("who", ["auditor", "enterprise_member", "reviewer_without_two_factor"])
def test_only_reviewers_and_admins_may_attach(setup, who):
    reviewer, enterprise, work, _meter, record = setup
    actor = {"auditor": lambda: verified(make_staff(Role.AUDITOR)),
             "enterprise_member": lambda: enterprise.registered_by,
             "reviewer_without_two_factor": lambda: make_staff(Role.REVIEWER)}[who]()
    with pytest.raises(DomainError) as refused:
        usage_record_attach(record=record, work=work, actor=actor, reason="越权", now=timezone.now())
    assert refused.value.code == "role_not_allowed" and attributed_entries() == 0


def test_an_empty_reason_is_refused(setup):
    reviewer, _enterprise, work, _meter, record = setup
    with pytest.raises(DomainError) as refused:
        usage_record_attach(record=record, work=work, actor=reviewer, reason="  ", now=timezone.now())
    assert refused.value.code == "field_required" and attributed_entries() == 0


def test_the_quarantine_page_attaches_and_the_enterprise_then_sees_the_record(setup):
    reviewer, enterprise, work, _meter, record = setup
    client = client_for(reviewer)
    page = client.get("/metering/quarantine/").content.decode()
    assert "typo" in page and "项目标签未对应作品" in page and "归属到该作品" in page
    assert not usage_records_visible_to(enterprise.registered_by).filter(pk=record.pk, work__isnull=False).exists()
    response = client.post(f"/metering/quarantine/{record.pk}/attach/", {"work": work.pk, "reason": "标签笔误"},
                           follow=True)
    assert "已归属到作品" in response.content.decode()
    assert UsageAttribution.objects.get().reason == "标签笔误"
    assert "typo" not in client.get("/metering/quarantine/").content.decode().split("最近的归属")[0]
    live = client_for(enterprise.registered_by).get("/metering/usage/live/").content.decode()
    assert "30.00" in live  # 1 + 2 card-hours at 10.00 yuan, all counted for the work


def test_the_quarantine_page_shows_a_refusal_next_to_nothing_changed(setup):
    reviewer, _enterprise, _work, _meter, record = setup
    other = make_work(make_enterprise(verified_by=reviewer), tag="drama-x")
    response = client_for(reviewer).post(f"/metering/quarantine/{record.pk}/attach/",
                                         {"work": other.pk, "reason": "错误归属"}, follow=True)
    assert str(MSG_ATTRIBUTE_OTHER_ENTERPRISE) in response.content.decode()
    assert not UsageAttribution.objects.exists()


def test_who_can_reach_the_quarantine_pages(setup):
    reviewer, enterprise, work, meter, record = setup
    auditor = make_staff(Role.AUDITOR)
    assert client_for(auditor).get("/metering/quarantine/").status_code == 200
    assert "只有审核员或系统管理员可以归属" in client_for(auditor).get("/metering/quarantine/").content.decode()
    assert client_for(auditor).post(f"/metering/quarantine/{record.pk}/attach/",
                                    {"work": work.pk, "reason": "x"}).status_code == 403
    for user in (enterprise.registered_by, meter.operator):
        assert client_for(user).get("/metering/quarantine/").status_code == 403
        assert client_for(user).post(f"/metering/quarantine/{record.pk}/attach/",
                                     {"work": work.pk, "reason": "x"}).status_code == 403
    assert Client().get("/metering/quarantine/").status_code == 302
    assert client_for(reviewer, two_factor=False).get("/metering/quarantine/")["Location"].startswith(
        "/accounts/2fa/")
    assert not UsageAttribution.objects.exists()


def test_the_attribution_api(setup):
    reviewer, enterprise, work, _meter, record = setup
    url = f"/api/v1/metering/usage-records/{record.pk}/attribution"
    body = {"work_id": work.pk, "reason": "接口归属"}
    assert client_for(enterprise.registered_by).post(url, body, content_type="application/json").status_code == 403
    response = client_for(reviewer).post(url, body, content_type="application/json")
    assert response.status_code == 201 and response.json()["work"] == work.pk
    again = client_for(reviewer).post(url, body, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "record_already_attributed"


def test_the_quarantine_list_filters_and_pages_by_keyset(setup, monkeypatch):
    reviewer, enterprise, _work, meter, _quarantined = setup
    stranger = unique_uscc()
    body = signed_batch([usage_record(enterprise.uscc, f"drama-typo-{n}", record_id=f"typo-{n}", quantity="1")
                         for n in range(2)] + [usage_record(stranger, "x", record_id="nobody", quantity="1")],
                        meter.private_key)
    usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                       batch_signature=body["batch_signature"], now=datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    monkeypatch.setattr("yingdu.metering.monitor_views.QUARANTINE_PAGE_SIZE", 2)
    client = client_for(reviewer)

    def ids(response):
        return [row["record"].record_id for row in response.context["rows"]]

    first = client.get("/metering/quarantine/", {"reason": "work_unknown"})
    assert ids(first) == ["typo-1", "typo-0"]
    last = client.get("/metering/quarantine/", {"reason": "work_unknown",
                                                "after": first.context["listing"].keyset.next_after})
    assert ids(last) == ["typo"] and last.context["listing"].keyset.next_after is None
    assert ids(client.get("/metering/quarantine/", {"reason": "enterprise_unknown"})) == ["nobody"]
    assert ids(client.get("/metering/quarantine/", {"enterprise_uscc": stranger.lower()})) == ["nobody"]
    assert ids(client.get("/metering/quarantine/", {"record_id": "typo-0"})) == ["typo-0"]
    bad = client.get("/metering/quarantine/", {"reason": "lost"})
    assert bad.status_code == 400 and ids(bad) == [] and "reason" in bad.context["listing"].form.errors
