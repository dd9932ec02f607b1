"""Notices across the year boundary: provisional objection deadlines, owed notices, recomputation on publication."""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from yingdu.accounts.models import Role
from yingdu.actors import SYSTEM
from yingdu.notices import services
from yingdu.notices.models import ObjectionStatus, PendingNotice
from yingdu.policy.models import CalendarKind, CalendarYearVersion
from yingdu.policy.selectors import work_calendar
from yingdu.policy.services import calendar_year_provisional_derive, calendar_year_publish
from yingdu.rules.statutory import statutory_holidays
from yingdu.rules.workdays import DayKind, SpecialDay
from yingdu.testing.clients import verified
from yingdu.testing.factories import calendar_from_year_cleared, make_staff
from yingdu.transparency.models import LogEntry

from .conftest import at, evidence

pytestmark = pytest.mark.django_db

YEAR = 2027


@pytest.fixture
def only_provisional_2027():
    """2027 has no official schedule, only the provisional one derived from the statutory holidays."""
    calendar_from_year_cleared(YEAR)
    calendar_year_provisional_derive(year=YEAR, now=at("2026-11-01 09:00"))
    calendar = work_calendar()
    assert YEAR in calendar.provisional_years and YEAR not in calendar.published_years


def official_2027(admin, now):
    """The official 2027 schedule as the State Council would publish it: the provisional days plus a bridging
    holiday 2027-01-04 (a Monday) worked back on Saturday 2027-01-09 (invented for the test)."""
    days = [SpecialDay(d.day_on, d.kind, d.name, "国办发明电〔2026〕") for d in statutory_holidays(YEAR)]
    days += [SpecialDay(date(2027, 1, 4), DayKind.HOLIDAY, "元旦", "国办发明电〔2026〕"),
             SpecialDay(date(2027, 1, 9), DayKind.WORKDAY, "元旦", "国办发明电〔2026〕")]
    return calendar_year_publish(year=YEAR, special_days=days, source="https://www.gov.cn/2027", actor=admin,
                                 now=now)


def request_notice(world, now):
    return services.data_notice_request(work=world.work, period_start_on=date(2026, 9, 1),
                                        period_end_on=date(2026, 9, 23), actor=SYSTEM, now=at(now))


def test_a_notice_due_across_an_unpublished_year_is_owed_then_issued_when_the_year_is_published(
        world, only_provisional_2027):
    # 2026-12-28 + 5 working days runs into 2027: the deadline could only be provisional, so the notice is owed
    owed = request_notice(world, "2026-12-28 10:00")
    assert isinstance(owed, PendingNotice) and owed.notice is None and "2027" in owed.reason
    assert request_notice(world, "2026-12-28 11:00").pk == owed.pk, "one owed notice per work and period"
    assert not world.work.data_notices.exists()
    assert [e.event_type for e in LogEntry.objects.filter(event_type__startswith="notices.")] == ["notices.deferred"]
    assert services.data_notices_issue_pending(now=at("2026-12-29 09:00")) == []

    mail.outbox.clear()
    admin = verified(make_staff(Role.ADMIN))
    official_2027(admin, now=at("2026-12-30 09:00"))
    owed.refresh_from_db()
    notice = owed.notice
    assert notice is not None and notice.work == world.work and owed.issued_at == at("2026-12-30 09:00")
    # delivered by e-mail on 2026-12-30: 31 Dec, then (1 Jan holiday, 4 Jan the bridging holiday) 5, 6, 7, 8 Jan
    assert notice.objection_deadline_on == date(2027, 1, 8) and not notice.objection_deadline_provisional
    assert any("用量数据告知书" in m.subject for m in mail.outbox)


def test_a_provisional_objection_deadline_is_labelled_never_enforced_and_recomputed(world, only_provisional_2027):
    notice = services.data_notice_issue(work=world.work, period_start_on=date(2026, 9, 1),
                                        period_end_on=date(2026, 9, 23), actor=world.reviewer, now=at("2026-12-01 10:00"))
    # issued in 2026 but only viewed by the enterprise (no e-mail delivered) on 2026-12-29
    assert notice.delivered_at is not None
    notice.refresh_from_db()
    assert notice.objection_deadline_on == date(2026, 12, 8) and not notice.objection_deadline_provisional

    late_notice = _undelivered_notice(world, now="2026-12-02 10:00")
    shown = services.data_notice_show_to(notice=late_notice, user=world.member, now=at("2026-12-29 10:00"))
    # provisional 2027: 30, 31 Dec, (1 Jan holiday), 4, 5, 6 Jan
    assert shown.objection_deadline_on == date(2027, 1, 6) and shown.objection_deadline_provisional
    delivered = LogEntry.objects.filter(event_type="notices.delivered").order_by("-index").first()
    assert b'"objection_deadline_provisional":true' in bytes(delivered.entry)

    # after the provisional date, but the deadline is not official: the objection is accepted
    objection = services.objection_file(notice=shown, explanation="节点停机维护。", evidence=[evidence()], claims=[],
                                        actor=world.member, now=at("2027-01-07 10:00"))
    assert objection.status == ObjectionStatus.OPEN

    world.member.email = "contact@drama.example.cn"
    world.member.save(update_fields=["email"])
    mail.outbox.clear()
    admin = verified(make_staff(Role.ADMIN))
    admin.email = "admin@hr.example.cn"
    admin.save(update_fields=["email"])
    published = official_2027(admin, now=at("2027-01-08 09:00"))
    shown.refresh_from_db()
    # official: 30, 31 Dec, 5, 6, 7 Jan (4 Jan is the bridging holiday)
    assert shown.objection_deadline_on == date(2027, 1, 7) and not shown.objection_deadline_provisional
    recomputed = LogEntry.objects.get(event_type="notices.objection_deadline_recomputed")
    assert b'"previous_on":"2027-01-06"' in bytes(recomputed.entry)
    [result] = published.recomputed
    [move] = [m for m in result.moves if m.url == reverse("notices:detail", args=[shown.pk])]
    assert (move.previous_on, move.deadline_on, move.late) == (date(2027, 1, 6), date(2027, 1, 7), ())
    to_enterprise = [m for m in mail.outbox if "异议期截止日已按官方日历确定" in m.subject]
    assert to_enterprise and "2027-01-07" in to_enterprise[0].body
    assert any("admin@hr.example.cn" in m.to and "重新计算" in m.subject for m in mail.outbox)


def test_an_official_deadline_is_still_enforced(world, only_provisional_2027):
    notice = _undelivered_notice(world, now="2026-12-02 10:00")
    shown = services.data_notice_show_to(notice=notice, user=world.member, now=at("2026-12-03 10:00"))
    assert shown.objection_deadline_on == date(2026, 12, 10) and not shown.objection_deadline_provisional
    with pytest.raises(services.DomainError) as late:
        services.objection_file(notice=shown, explanation="x", evidence=[evidence()], claims=[], actor=world.member,
                                now=at("2026-12-11 00:05"))
    assert late.value.code == "objection_late"


def _undelivered_notice(world, *, now):
    """A notice issued while the enterprise has no e-mail address, so that it is delivered on first viewing."""
    world.member.email = ""
    world.member.save(update_fields=["email"])
    notice = services.data_notice_issue(work=world.work, period_start_on=date(2026, 9, 1),
                                        period_end_on=date(2026, 9, 23), actor=world.reviewer, now=at(now))
    assert notice.delivered_at is None
    return notice


def test_provisional_calendars_are_their_own_kind_and_derived_once(only_provisional_2027):
    versions = CalendarYearVersion.objects.filter(year=YEAR)
    assert [v.kind for v in versions] == [CalendarKind.PROVISIONAL]
    assert calendar_year_provisional_derive(year=YEAR, now=at("2026-11-02 09:00")) is None
    assert LogEntry.objects.filter(event_type="calendar.year_provisional").count() >= 1


def test_only_staff_may_ask_for_a_notice_and_a_refusal_queues_nothing(world, only_provisional_2027):
    with pytest.raises(services.Forbidden):
        services.data_notice_request(work=world.work, period_start_on=date(2026, 9, 1),
                                     period_end_on=date(2026, 9, 23), actor=world.member, now=at("2026-12-28 10:00"))
    with pytest.raises(services.DomainError) as future:
        services.data_notice_request(work=world.work, period_start_on=date(2026, 9, 1),
                                     period_end_on=date(2026, 12, 31), actor=world.reviewer,
                                     now=at("2026-12-28 10:00"))
    assert future.value.code == "notice_period_future"
    assert not PendingNotice.objects.exists()
    assert not LogEntry.objects.filter(event_type="notices.deferred").exists()
