"""The DB-backed working-day calendar: seeded years, known answers, imports as new versions, log entries."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.utils import timezone

from yingdu.errors import Conflict, Forbidden
from yingdu.policy import selectors, services
from yingdu.policy.events import special_days_sha256
from yingdu.policy.models import CalendarSpecialDay, CalendarYearVersion
from yingdu.rules.workdays import (
    CalendarYearMissing,
    DayKind,
    ScheduleFileError,
    SpecialDay,
    chinese_calendar_schedule,
    chinese_calendar_years,
)

from .support import CALENDAR_2027_CSV, log_entries_from, log_size

pytestmark = pytest.mark.django_db

# 国务院办公厅关于2026年部分节假日安排的通知, typed in independently of the chinese-calendar package
NOTICE_2026_HOLIDAYS = [((1, 1), (1, 3)), ((2, 15), (2, 23)), ((4, 4), (4, 6)), ((5, 1), (5, 5)), ((6, 19), (6, 21)),
                        ((9, 25), (9, 27)), ((10, 1), (10, 7))]
NOTICE_2026_WORKING_WEEKENDS = [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]


def _publish_2027(actor, **overrides):
    preview = services.calendar_year_import_preview(text=CALENDAR_2027_CSV, fmt="csv", actor=actor)
    return services.calendar_year_publish(year=preview.year, special_days=preview.special_days,
                                          source=overrides.pop("source", "2027.csv"), actor=actor,
                                          now=timezone.now(), **overrides)


def test_every_year_of_the_package_is_seeded_once_as_version_one():
    years = list(chinese_calendar_years())
    assert years[0] == 2004 and years[-1] == 2026
    seeded = CalendarYearVersion.objects.order_by("year")
    assert [(row.year, row.version) for row in seeded] == [(year, 1) for year in years]
    assert all(row.published_by is None and row.source.startswith("chinese-calendar") for row in seeded)
    assert CalendarSpecialDay.objects.count() == sum(len(chinese_calendar_schedule(year)) for year in years)


def test_seeding_again_writes_nothing():
    now = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    services.policy_seed(now=now)
    before = (log_size(), CalendarYearVersion.objects.count(), CalendarSpecialDay.objects.count())
    services.policy_seed(now=now)
    assert (log_size(), CalendarYearVersion.objects.count(), CalendarSpecialDay.objects.count()) == before


def test_the_2026_notice_through_the_database_calendar():
    calendar = selectors.work_calendar()
    for (first_month, first_day), (last_month, last_day) in NOTICE_2026_HOLIDAYS:
        for ordinal in range(date(2026, first_month, first_day).toordinal(),
                             date(2026, last_month, last_day).toordinal() + 1):
            assert calendar.day_kind(date.fromordinal(ordinal)) is DayKind.HOLIDAY
    for month, day in NOTICE_2026_WORKING_WEEKENDS:
        assert calendar.day_kind(date(2026, month, day)) is DayKind.WORKDAY
    assert calendar.add_working_days(start_on=date(2026, 2, 10), working_days=30) == date(2026, 3, 30)
    assert calendar.add_working_days(start_on=date(2026, 9, 24), working_days=5) == date(2026, 10, 9)
    assert calendar.working_days_between(start_on=date(2026, 9, 24), end_on=date(2026, 10, 9)) == 5
    assert calendar.day_kind(date(2026, 10, 11)) is DayKind.WEEKEND


def test_the_database_calendar_agrees_with_the_package_on_sampled_days():
    calendar = selectors.work_calendar()
    for ordinal in range(date(2004, 1, 1).toordinal(), date(2026, 12, 31).toordinal() + 1, 7):
        day_on = date.fromordinal(ordinal)
        assert calendar.is_working_day(day_on) == chinese_calendar.is_workday(day_on), day_on


def test_a_2027_date_raises_until_2027_is_imported_then_works(admin):
    with pytest.raises(CalendarYearMissing) as missing:
        selectors.work_calendar().add_working_days(start_on=date(2026, 12, 28), working_days=10)
    assert missing.value.year == 2027 and "2027" in str(missing.value)
    with pytest.raises(CalendarYearMissing):
        selectors.work_calendar().is_working_day(date(2027, 1, 4))

    _publish_2027(admin)

    calendar = selectors.work_calendar()
    assert calendar.day_kind(date(2027, 1, 1)) is DayKind.HOLIDAY
    assert calendar.is_working_day(date(2027, 1, 4))
    # 2026-12-31 is a Thursday: Fri 1 Jan is a holiday, the weekend is off, Mon 4 Jan is the first working day
    assert calendar.add_working_days(start_on=date(2026, 12, 31), working_days=1) == date(2027, 1, 4)


def test_the_cached_calendar_is_replaced_when_a_year_is_republished(admin):
    first = selectors.work_calendar()
    assert selectors.work_calendar() is first
    _publish_2027(admin)
    second = selectors.work_calendar()
    assert second is not first and 2027 in second.published_years

    text = CALENDAR_2027_CSV + "2027-01-09,workday,元旦调休,https://example.test/2027\n"
    preview = services.calendar_year_import_preview(text=text, fmt="csv", actor=admin)
    republished = services.calendar_year_publish(year=2027, special_days=preview.special_days, source="2027b.csv",
                                                 actor=admin, now=timezone.now(), based_on_version=1)
    assert republished.version == 2
    assert selectors.work_calendar().day_kind(date(2027, 1, 9)) is DayKind.WORKDAY
    # the first version stays as history; the year in force is the highest version
    assert list(selectors.calendar_year_versions(2027).values_list("version", flat=True)) == [2, 1]
    assert selectors.calendar_year_in_force(2027).pk == republished.pk


def test_preview_diffs_against_the_year_in_force_and_writes_nothing(admin):
    before = (log_size(), CalendarYearVersion.objects.count())
    text = ("date,kind,name,source_url\n2026-01-01,holiday,元旦,https://example.test/x\n"
            "2026-01-02,holiday,新年,https://example.test/x\n")
    preview = services.calendar_year_import_preview(text=text, fmt="csv", actor=admin)
    assert (log_size(), CalendarYearVersion.objects.count()) == before
    assert preview.year == 2026 and preview.base_version == 1
    assert preview.diff.added == ()
    assert [(old.day_on, new.name) for old, new in preview.diff.changed] == [(date(2026, 1, 2), "新年")]
    assert len(preview.diff.removed) == len(chinese_calendar_schedule(2026)) - 2


def test_publishing_a_year_appends_exactly_one_entry_with_every_special_day(admin):
    start = log_size()
    year_version = _publish_2027(admin, source="https://www.gov.cn/2027")
    [(event_type, event)] = log_entries_from(start)
    assert event_type == "calendar.year_published"
    assert event["year"] == 2027 and event["version"] == 1 and event["actor"] == admin.pk
    assert event["source"] == "https://www.gov.cn/2027"
    assert event["special_days"] == [
        {"date": f"2027-01-0{day}", "kind": "holiday", "name": "元旦", "source": "https://example.test/2027"}
        for day in (1, 2, 3)
    ]
    # the row can be recomputed from the entry
    recomputed = [SpecialDay(date.fromisoformat(day["date"]), day["kind"], day["name"], day["source"])
                  for day in event["special_days"]]
    assert special_days_sha256(recomputed) == event["days_sha256"] == year_version.days_sha256


def test_seeded_years_are_log_entries_by_the_system():
    from yingdu.transparency.models import LogEntry

    events = [entry for entry in LogEntry.objects.filter(event_type="calendar.year_published").order_by("index")]
    assert len(events) >= len(chinese_calendar_years())
    first = log_entries_from(events[0].index)[0][1]
    assert first["actor"] == "system" and first["year"] == 2004


def test_an_identical_republication_is_refused(admin):
    _publish_2027(admin)
    start = log_size()
    with pytest.raises(Conflict) as refused:
        _publish_2027(admin)
    assert refused.value.code == "calendar_year_unchanged"
    assert log_size() == start


def test_a_stale_preview_cannot_be_published(admin):
    preview = services.calendar_year_import_preview(text=CALENDAR_2027_CSV, fmt="csv", actor=admin)
    _publish_2027(admin)
    with pytest.raises(Conflict) as refused:
        services.calendar_year_publish(year=2027, special_days=preview.special_days[:2], source="x", actor=admin,
                                       now=timezone.now(), based_on_version=preview.base_version)
    assert refused.value.code == "calendar_year_changed"


@pytest.mark.parametrize("text", [
    "date,kind,name,source_url\n2027-01-04,workday,补班,https://example.test\n",  # a Monday is not a make-up day
    "date,kind,name,source_url\n2027-01-01,holiday,元旦,https://example.test\n2028-01-01,holiday,元旦,x\n",
    "date,kind,name\n2027-01-01,holiday,元旦\n",
    "[1, 2]",
])
def test_a_bad_schedule_file_is_refused_and_writes_nothing(admin, text):
    before = (log_size(), CalendarYearVersion.objects.count())
    with pytest.raises(ScheduleFileError) as refused:
        services.calendar_year_import_preview(text=text, fmt="json" if text.startswith("[") else "csv", actor=admin)
    assert refused.value.code == "schedule_file_invalid" and refused.value.problems
    assert (log_size(), CalendarYearVersion.objects.count()) == before


def test_only_an_admin_imports_a_calendar(reviewer):
    with pytest.raises(Forbidden):
        services.calendar_year_import_preview(text=CALENDAR_2027_CSV, fmt="csv", actor=reviewer)
    with pytest.raises(Forbidden):
        services.calendar_year_publish(year=2027, special_days=chinese_calendar_schedule(2026), source="x",
                                       actor=reviewer, now=timezone.now())
    assert not CalendarYearVersion.objects.filter(year=2027).exists()
