"""The calendar's yearly life cycle for admins: the banner and the daily e-mail from 1 November, the import page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from yingdu.accounts.models import Role
from yingdu.policy import selectors, services
from yingdu.policy.models import CalendarKind, CalendarReminder, CalendarYearVersion
from yingdu.rules.statutory import statutory_holidays
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import calendar_from_year_cleared, make_staff
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def admin():
    calendar_from_year_cleared(2027)
    user = verified(make_staff(Role.ADMIN))
    user.email = "admin@hr.example.cn"
    user.save(update_fields=["email"])
    return user


def test_next_year_is_due_from_the_first_of_november_until_imported(admin):
    assert selectors.calendar_next_year_due(today=date(2026, 10, 31)) is None
    assert selectors.calendar_next_year_due(today=date(2026, 11, 1)) == 2027
    # a provisional calendar does not make the official one any less due
    services.calendar_year_provisional_derive(year=2027, now=at("2026-11-01T08:00"))
    assert selectors.calendar_next_year_due(today=date(2026, 12, 31)) == 2027
    # on 1 January without the schedule the year is still due
    assert selectors.calendar_next_year_due(today=date(2027, 1, 1)) == 2027
    services.calendar_year_publish(year=2027, special_days=statutory_holidays(2027), source="https://www.gov.cn/x",
                                   actor=admin, now=at("2026-11-20T10:00"))
    assert selectors.calendar_next_year_due(today=date(2026, 11, 21)) is None
    assert [v.kind for v in CalendarYearVersion.objects.filter(year=2027)] == [CalendarKind.PROVISIONAL,
                                                                             CalendarKind.OFFICIAL]


def test_admins_get_one_reminder_a_day_with_where_the_notice_is_published(admin):
    assert services.calendar_reminder_send(today=date(2026, 10, 31), now=at("2026-10-31T09:00")) is None
    reminder = services.calendar_reminder_send(today=date(2026, 11, 2), now=at("2026-11-02T09:00"))
    assert isinstance(reminder, CalendarReminder) and reminder.year == 2027 and reminder.recipients == 1
    assert services.calendar_reminder_send(today=date(2026, 11, 2), now=at("2026-11-02T10:00")) is None
    [message] = mail.outbox
    assert message.to == ["admin@hr.example.cn"] and "2027" in message.subject
    assert services.STATE_COUNCIL_NOTICES_URL in message.body
    assert LogEntry.objects.filter(event_type="calendar.reminder_sent").count() == 1
    services.calendar_reminder_send(today=date(2026, 11, 3), now=at("2026-11-03T09:00"))
    assert len(mail.outbox) == 2


def test_the_banner_shows_to_admins_only_and_the_provisional_year_page_says_so(admin):
    services.calendar_year_provisional_derive(year=2027, now=at("2026-11-01T08:00"))
    reviewer = make_staff(Role.REVIEWER)
    with time_machine.travel(at("2026-11-15T10:00"), tick=False):
        page = client_for(admin).get("/policy/").content.decode()
        assert 'data-testid="calendar-banner"' in page and "2027 年的官方放假安排尚未导入" in page
        assert 'data-testid="calendar-banner"' not in client_for(reviewer).get("/policy/").content.decode()
        year_page = client_for(admin).get("/policy/calendar/2027/").content.decode()
        assert 'data-testid="calendar-provisional"' in year_page and "春节" in year_page
        assert services.STATE_COUNCIL_NOTICES_URL in client_for(admin).get("/policy/calendar/import/").content.decode()
    with time_machine.travel(at("2026-10-15T10:00"), tick=False):
        assert 'data-testid="calendar-banner"' not in client_for(admin).get("/policy/").content.decode()


def test_the_workdays_api_labels_provisional_answers(admin):
    services.calendar_year_provisional_derive(year=2027, now=at("2026-11-01T08:00"))
    from django.test import Client

    added = Client().get("/api/v1/workdays/add", {"start": "2026-12-30", "n": 2}).json()
    assert added == {"start": "2026-12-30", "working_days": 2, "result": "2027-01-04", "provisional": True}
    inside = Client().get("/api/v1/workdays/add", {"start": "2026-12-01", "n": 2}).json()
    assert inside["provisional"] is False
    assert Client().get("/api/v1/workdays/is", {"day": "2027-02-08"}).json() == {
        "day": "2027-02-08", "kind": "holiday", "provisional": True}
