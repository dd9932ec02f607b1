from datetime import date

import pytest
from django.core import mail

from yingdu.accounts.models import Role
from yingdu.errors import DomainError
from yingdu.metering.models import RecordOrigin, UsageRecord
from yingdu.metering.selectors import work_verified_cost_microfen
from yingdu.notices import services
from yingdu.notices.models import DeliveryChannel, ObjectionStatus
from yingdu.rules.workdays import CalendarYearMissing
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_staff
from yingdu.transparency.models import LogEntry

from .conftest import at, evidence

pytestmark = pytest.mark.django_db


def issue(world, now="2026-09-24 10:00"):
    return services.data_notice_issue(work=world.work, period_start_on=date(2026, 9, 1),
                                      period_end_on=date(2026, 9, 23), actor=world.reviewer, now=at(now))


def file(world, notice, now, claims=()):
    return services.objection_file(notice=notice, explanation="第 1 条记录的节点当日停机维护，实际只用了 7 卡时。",
                                   evidence=[evidence()], claims=list(claims), actor=world.member, now=at(now))


def events(kind):
    return [e for e in LogEntry.objects.filter(event_type=kind).order_by("index")]


def test_a_notice_has_totals_records_and_the_signed_checkpoint_and_is_delivered_by_email(world):
    before = LogEntry.objects.count()
    notice = issue(world)
    assert notice.record_count == 3
    assert notice.cost_microfen == 16_500_000 * 800
    assert set(notice.records.all()) == set(world.records)
    assert notice.checkpoint_tree_size <= before and notice.checkpoint_tree_size >= max(
        r.log_index for r in world.records) + 1
    assert notice.delivered_via == DeliveryChannel.EMAIL
    assert notice.delivered_at == at("2026-09-24 10:00")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["contact@drama.example.cn"]
    assert "2026-10-09" in mail.outbox[0].body and "132.00" in mail.outbox[0].body
    assert [e.event_type for e in LogEntry.objects.filter(index__gte=before)] == ["notices.issued",
                                                                               "notices.delivered"]


def test_the_objection_window_crosses_mid_autumn_and_national_day(world):
    notice = issue(world)
    # 2026-09-24 (Thu) + 5 working days: Mid-Autumn 25–27 Sep, then 28, 29, 30 Sep, National Day 1–7 Oct, 8, 9 Oct
    assert notice.objection_deadline_on == date(2026, 10, 9)
    assert file(world, notice, "2026-10-09 23:59").status == ObjectionStatus.OPEN


def test_an_objection_on_the_adjusted_working_saturday_after_the_deadline_is_late(world):
    notice = issue(world)
    with pytest.raises(DomainError) as refused:
        file(world, notice, "2026-10-10 09:00")
    assert refused.value.code == "objection_late"
    assert "2026-10-09" in str(refused.value.message)
    assert not events("objections.filed")


def test_delivery_is_recorded_once_and_never_changes(world):
    notice = issue(world)
    shown = services.data_notice_show_to(notice=notice, user=world.member, now=at("2026-09-28 10:00"))
    assert shown.delivered_at == at("2026-09-24 10:00") and shown.delivered_via == DeliveryChannel.EMAIL
    assert len(events("notices.delivered")) == 1


def test_without_a_contact_email_the_first_showing_to_a_member_delivers(world):
    world.member.email = ""
    world.member.save()
    notice = issue(world)
    assert notice.delivered_at is None and not mail.outbox
    services.data_notice_show_to(notice=notice, user=world.reviewer, now=at("2026-09-25 10:00"))
    notice.refresh_from_db()
    assert notice.delivered_at is None
    shown = services.data_notice_show_to(notice=notice, user=world.member, now=at("2026-09-30 10:00"))
    assert shown.delivered_via == DeliveryChannel.IN_APP
    # 30 Sep + 5 working days: 8, 9, 10 (adjusted Saturday), 12, 13 Oct
    assert shown.objection_deadline_on == date(2026, 10, 13)


def test_a_notice_whose_deadline_has_no_calendar_is_not_issued_but_never_guessed(world, monkeypatch):
    from yingdu.rules.workdays import WorkCalendar
    monkeypatch.setattr(services, "work_calendar", lambda: WorkCalendar(schedules={2025: []}))
    with pytest.raises(services.NoticeCalendarPending) as refused:
        issue(world)
    assert refused.value.code == "notice_calendar_pending" and refused.value.detail == {"year": 2026}
    assert not events("notices.issued")
    with pytest.raises(CalendarYearMissing):
        services.objection_window_for(delivered_on=date(2026, 9, 24))


def test_upholding_appends_corrections_and_lowers_the_verified_cost_exactly(world):
    notice = issue(world)
    original = world.records[0]
    frozen = UsageRecord.objects.filter(pk__in=[r.pk for r in world.records]).values()
    frozen = sorted(frozen, key=lambda row: row["id"])
    cost_before = work_verified_cost_microfen(world.work)
    objection = file(world, notice, "2026-09-28 10:00", claims=[(original.pk, "7")])
    decided = services.objection_decide(objection=objection, decision="uphold", reason="运维记录证实停机。",
                                        actor=world.reviewer, now=at("2026-10-12 10:00"))
    assert decided.status == ObjectionStatus.UPHELD
    correction = UsageRecord.objects.get(corrects=original)
    assert correction.origin == RecordOrigin.OBJECTION and correction.signing_key is None
    assert str(correction.quantity.normalize()) == "-3"
    assert correction.cost_microfen == -3_000_000 * 800
    assert work_verified_cost_microfen(world.work) == cost_before - 3_000_000 * 800
    assert sorted(UsageRecord.objects.filter(pk__in=[r.pk for r in world.records]).values(),
                  key=lambda row: row["id"]) == frozen
    [corrected] = events("metering.usage_corrected")
    assert corrected.index == correction.log_index
    assert b'"origin":"objection"' in bytes(corrected.entry) and b'"signed_by":"platform"' in bytes(corrected.entry)
    assert events("objections.upheld")
    assert "已采纳" in mail.outbox[-1].subject and "-24.00" in mail.outbox[-1].body


def test_rejecting_changes_no_usage_and_tells_the_enterprise(world):
    notice = issue(world)
    objection = file(world, notice, "2026-09-28 10:00", claims=[(world.records[1].pk, "1")])
    count, cost = UsageRecord.objects.count(), work_verified_cost_microfen(world.work)
    with pytest.raises(DomainError) as refused:
        services.objection_decide(objection=objection, decision="reject", reason=" ", actor=world.reviewer,
                                  now=at("2026-10-12 10:00"))
    assert refused.value.code == "objection_reason_required"
    services.objection_decide(objection=objection, decision="reject", reason="服务商作业日志显示用量属实。",
                              actor=world.reviewer, now=at("2026-10-12 10:00"))
    assert (UsageRecord.objects.count(), work_verified_cost_microfen(world.work)) == (count, cost)
    assert events("objections.rejected") and not events("metering.usage_corrected")
    assert "未采纳" in mail.outbox[-1].subject and "作业日志" in mail.outbox[-1].body


def test_a_second_objection_while_one_is_open_is_refused(world):
    notice = issue(world)
    file(world, notice, "2026-09-28 10:00")
    with pytest.raises(DomainError) as refused:
        file(world, notice, "2026-09-29 10:00")
    assert refused.value.code == "objection_already_open"
    assert len(events("objections.filed")) == 1


def test_only_a_reviewer_decides(world):
    notice = issue(world)
    objection = file(world, notice, "2026-09-28 10:00")
    for actor in (world.member, world.meter.operator, verified(make_staff(Role.AUDITOR)), None):
        with pytest.raises(DomainError) as refused:
            services.objection_decide(objection=objection, decision="reject", reason="x", actor=actor,
                                      now=at("2026-10-12 10:00"))
        assert refused.value.status == 403


def test_an_objection_needs_an_explanation_and_evidence_and_claims_only_records_of_the_notice(world):
    notice = issue(world)
    with pytest.raises(DomainError) as refused:
        services.objection_file(notice=notice, explanation="说明", evidence=[], claims=[], actor=world.member,
                                now=at("2026-09-28 10:00"))
    assert refused.value.code == "objection_evidence_required"
    for claims, code in (([(999999, "1")], "claim_record_invalid"), ([(world.records[0].pk, "-1")],
                                                                    "claim_quantity_invalid"),
                         ([(world.records[0].pk, "10")], "claim_unchanged")):
        with pytest.raises(DomainError) as refused:
            file(world, notice, "2026-09-28 10:00", claims=claims)
        assert refused.value.code == code
