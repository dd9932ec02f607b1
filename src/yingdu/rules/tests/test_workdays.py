"""The working-day calendar: State Council 2026 known answers, missing years, schedule files, properties."""

import json
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingdu.rules import workdays
from yingdu.rules.workdays import (
    MSG_CALENDAR_YEAR_MISSING,
    CalendarYearMissing,
    DayKind,
    ScheduleFileError,
    SpecialDay,
    WorkCalendar,
    chinese_calendar_schedule,
    chinese_calendar_years,
    diff_schedules,
    parse_schedule_file,
)

# 国务院办公厅关于2026年部分节假日安排的通知 (State Council notice for 2026), typed in independently
NOTICE_2026_HOLIDAY_RANGES = [
    ((1, 1), (1, 3)),
    ((2, 15), (2, 23)),
    ((4, 4), (4, 6)),
    ((5, 1), (5, 5)),
    ((6, 19), (6, 21)),
    ((9, 25), (9, 27)),
    ((10, 1), (10, 7)),
]
NOTICE_2026_WORKING_WEEKENDS = {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
                                date(2026, 9, 20), date(2026, 10, 10)}

# A made-up 2027 schedule for import tests only (New Year's Day Friday 1 to Sunday 3 January); not the official one.
FIXTURE_2027_CSV = """date,kind,name,source_url
2027-01-01,holiday,元旦,https://example.test/2027
2027-01-02,holiday,元旦,https://example.test/2027
2027-01-03,holiday,元旦,https://example.test/2027
"""

CALENDAR = WorkCalendar(schedules={year: chinese_calendar_schedule(year) for year in chinese_calendar_years()})
FIRST_COVERED_ON = date(chinese_calendar_years().start, 1, 1)
LAST_COVERED_ON = date(chinese_calendar_years().stop - 1, 12, 31)


def _notice_2026_holidays() -> set[date]:
    days = set()
    for (first_month, first_day), (last_month, last_day) in NOTICE_2026_HOLIDAY_RANGES:
        day_on = date(2026, first_month, first_day)
        while day_on <= date(2026, last_month, last_day):
            days.add(day_on)
            day_on += timedelta(days=1)
    return days


def _naive_add_working_days(calendar: WorkCalendar, start_on: date, working_days: int) -> date:
    day_on, counted = start_on, 0
    while counted < working_days:
        day_on += timedelta(days=1)
        counted += calendar.is_working_day(day_on)
    return day_on


def test_public_surface_is_pinned():
    assert sorted(workdays.__all__) == sorted([
        "MSG_CALENDAR_YEAR_MISSING",
        "CalendarYearMissing",
        "DayKind",
        "ScheduleDiff",
        "ScheduleFileError",
        "ScheduleProblem",
        "SpecialDay",
        "WorkCalendar",
        "chinese_calendar_schedule",
        "chinese_calendar_years",
        "diff_schedules",
        "parse_schedule_file",
    ])


def test_package_schedule_for_2026_matches_the_state_council_notice():
    schedule = chinese_calendar_schedule(2026)
    assert {day.day_on for day in schedule if day.kind is DayKind.HOLIDAY} == _notice_2026_holidays()
    assert {day.day_on for day in schedule if day.kind is DayKind.WORKDAY} == NOTICE_2026_WORKING_WEEKENDS
    assert [day.day_on for day in schedule] == sorted(day.day_on for day in schedule)


def test_package_schedule_names_and_source():
    by_day = {day.day_on: day for day in chinese_calendar_schedule(2026)}
    assert by_day[date(2026, 10, 1)].name == "国庆节"
    assert by_day[date(2026, 2, 14)].name == "春节"
    assert by_day[date(2026, 2, 14)].kind is DayKind.WORKDAY
    assert {day.source for day in by_day.values()} == {f"chinese-calendar {chinese_calendar.__version__}"}


def test_package_covers_2004_to_2026_and_refuses_other_years():
    assert chinese_calendar_years() == range(2004, 2027)
    for year in (2003, 2027):
        with pytest.raises(CalendarYearMissing) as caught:
            chinese_calendar_schedule(year)
        assert caught.value.year == year


def test_calendar_agrees_with_the_package_on_every_covered_day():
    day_on = FIRST_COVERED_ON
    while day_on <= LAST_COVERED_ON:
        assert CALENDAR.is_working_day(day_on) == chinese_calendar.is_workday(day_on), day_on
        day_on += timedelta(days=1)


@pytest.mark.parametrize(
    ("start_on", "working_days", "expected_on"),
    [
        (date(2026, 2, 10), 30, date(2026, 3, 30)),
        (date(2026, 9, 24), 5, date(2026, 10, 9)),
        (date(2026, 9, 24), 1, date(2026, 9, 28)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 4, 30), 4, date(2026, 5, 9)),
        (date(2026, 4, 30), 5, date(2026, 5, 11)),
        (date(2025, 12, 31), 1, date(2026, 1, 4)),
        (date(2026, 10, 1), 0, date(2026, 10, 1)),
    ],
)
def test_add_working_days_known_answers(start_on, working_days, expected_on):
    assert CALENDAR.add_working_days(start_on=start_on, working_days=working_days) == expected_on


def test_working_days_between_known_answers():
    assert CALENDAR.working_days_between(start_on=date(2026, 9, 24), end_on=date(2026, 10, 9)) == 5
    assert CALENDAR.working_days_between(start_on=date(2026, 10, 9), end_on=date(2026, 9, 24)) == -5
    assert CALENDAR.working_days_between(start_on=date(2026, 10, 1), end_on=date(2026, 10, 7)) == 0
    assert CALENDAR.working_days_between(start_on=date(2026, 3, 3), end_on=date(2026, 3, 3)) == 0


@pytest.mark.parametrize(
    ("day_on", "kind"),
    [
        (date(2026, 10, 10), DayKind.WORKDAY),
        (date(2026, 2, 28), DayKind.WORKDAY),
        (date(2026, 10, 1), DayKind.HOLIDAY),
        (date(2026, 10, 3), DayKind.HOLIDAY),
        (date(2026, 10, 11), DayKind.WEEKEND),
        (date(2026, 10, 12), DayKind.WORKDAY),
    ],
)
def test_day_kind(day_on, kind):
    assert CALENDAR.day_kind(day_on) == kind
    assert CALENDAR.day_kind(day_on) == str(kind)
    assert CALENDAR.is_working_day(day_on) == (kind is DayKind.WORKDAY)


def test_special_day_names_the_holiday():
    assert CALENDAR.special_day(date(2026, 10, 10)).name == "国庆节"
    assert CALENDAR.special_day(date(2026, 10, 12)) is None


def test_a_2027_date_raises_until_2027_is_imported_and_then_works():
    for compute in (
        lambda calendar: calendar.is_working_day(date(2027, 1, 4)),
        lambda calendar: calendar.day_kind(date(2027, 1, 4)),
        lambda calendar: calendar.add_working_days(start_on=date(2026, 12, 20), working_days=30),
        lambda calendar: calendar.add_working_days(start_on=date(2026, 12, 31), working_days=1),
        lambda calendar: calendar.working_days_between(start_on=date(2026, 12, 31), end_on=date(2027, 1, 4)),
    ):
        with pytest.raises(CalendarYearMissing) as caught:
            compute(CALENDAR)
        assert caught.value.code == "calendar_year_missing"
        assert caught.value.year == 2027
        assert str(caught.value) == MSG_CALENDAR_YEAR_MISSING.format(year=2027)
        assert "2027" in str(caught.value)

    calendar = CALENDAR.with_year(year=2027, special_days=parse_schedule_file(text=FIXTURE_2027_CSV, fmt="csv"))
    assert calendar.published_years == CALENDAR.published_years | {2027}
    assert calendar.is_working_day(date(2027, 1, 4))
    assert calendar.day_kind(date(2027, 1, 1)) == "holiday"
    assert calendar.add_working_days(start_on=date(2026, 12, 31), working_days=1) == date(2027, 1, 4)
    assert calendar.working_days_between(start_on=date(2026, 12, 31), end_on=date(2027, 1, 4)) == 1
    assert 2027 not in CALENDAR.published_years


def test_add_working_days_stays_inside_the_last_year_when_it_can():
    assert CALENDAR.add_working_days(start_on=date(2026, 12, 30), working_days=1) == date(2026, 12, 31)


def test_a_gap_year_is_never_skipped():
    calendar = WorkCalendar(schedules={2024: chinese_calendar_schedule(2024), 2026: chinese_calendar_schedule(2026)})
    with pytest.raises(CalendarYearMissing) as caught:
        calendar.add_working_days(start_on=date(2024, 12, 20), working_days=30)
    assert caught.value.year == 2025
    with pytest.raises(CalendarYearMissing) as caught:
        calendar.working_days_between(start_on=date(2024, 12, 31), end_on=date(2026, 1, 5))
    assert caught.value.year == 2025
    with pytest.raises(CalendarYearMissing) as caught:
        calendar.working_days_between(start_on=date(2026, 1, 5), end_on=date(2024, 12, 31))
    assert caught.value.year == 2025


def test_a_year_before_the_first_published_one_raises():
    with pytest.raises(CalendarYearMissing) as caught:
        CALENDAR.add_working_days(start_on=date(2003, 12, 31), working_days=1)
    assert caught.value.year == 2003


def test_large_additions_are_exact_and_fast():
    start_on = FIRST_COVERED_ON
    total_working_days = CALENDAR.working_days_between(start_on=start_on, end_on=LAST_COVERED_ON)
    assert CALENDAR.add_working_days(start_on=start_on, working_days=total_working_days) == date(2026, 12, 31)
    with pytest.raises(CalendarYearMissing):
        CALENDAR.add_working_days(start_on=start_on, working_days=total_working_days + 1)
    for _ in range(20_000):
        CALENDAR.add_working_days(start_on=start_on, working_days=total_working_days)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(start_on=date(2026, 1, 5), working_days=-1)
    with pytest.raises(TypeError):
        CALENDAR.add_working_days(start_on=datetime(2026, 1, 5, 9), working_days=1)
    with pytest.raises(TypeError):
        CALENDAR.is_working_day(datetime(2026, 1, 5, 9))
    with pytest.raises(TypeError):
        CALENDAR.add_working_days(start_on=date(2026, 1, 5), working_days=1.0)


covered_days = st.dates(min_value=FIRST_COVERED_ON, max_value=LAST_COVERED_ON)


@given(covered_days, st.integers(min_value=0, max_value=400))
def test_add_then_count_gives_back_the_same_number(start_on, working_days):
    try:
        end_on = CALENDAR.add_working_days(start_on=start_on, working_days=working_days)
    except CalendarYearMissing:
        return
    assert CALENDAR.working_days_between(start_on=start_on, end_on=end_on) == working_days
    assert end_on == _naive_add_working_days(CALENDAR, start_on, working_days)
    if working_days > 0:
        assert CALENDAR.is_working_day(end_on)


@given(covered_days, covered_days)
def test_count_then_add_reaches_the_last_working_day_on_or_before_the_end(start_on, end_on):
    count = CALENDAR.working_days_between(start_on=start_on, end_on=end_on)
    if end_on < start_on:
        assert count <= 0
        return
    reached_on = CALENDAR.add_working_days(start_on=start_on, working_days=count)
    assert reached_on <= end_on
    assert CALENDAR.working_days_between(start_on=reached_on, end_on=end_on) == 0


@given(covered_days, covered_days, covered_days)
def test_counts_add_up_across_a_midpoint(first_on, middle_on, last_on):
    assert CALENDAR.working_days_between(start_on=first_on, end_on=last_on) == (
        CALENDAR.working_days_between(start_on=first_on, end_on=middle_on)
        + CALENDAR.working_days_between(start_on=middle_on, end_on=last_on)
    )


def test_csv_schedule_file_parses():
    # byte-order mark, header in mixed case with spaces, CRLF line ends, a blank line, rows out of order
    text = (
        "\ufeffDate, Kind ,name,source_url\r\n"
        "2027-01-02,holiday,元旦,https://example.test\r\n"
        "\r\n"
        "2027-01-01,Holiday,元旦,https://example.test\r\n"
        "2027-02-06,workday,春节,https://example.test\r\n"
    )
    days = parse_schedule_file(text=text, fmt="csv", year=2027)
    assert days == [
        SpecialDay(date(2027, 1, 1), DayKind.HOLIDAY, "元旦", "https://example.test"),
        SpecialDay(date(2027, 1, 2), DayKind.HOLIDAY, "元旦", "https://example.test"),
        SpecialDay(date(2027, 2, 6), DayKind.WORKDAY, "春节", "https://example.test"),
    ]


def test_json_schedule_file_parses():
    text = json.dumps([
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "source_url": "https://example.test"},
        {"date": "2027-02-06", "kind": "workday", "name": "春节", "source_url": "https://example.test"},
    ], ensure_ascii=False)
    days = parse_schedule_file(text=text, fmt="json")
    assert [(day.day_on, day.kind) for day in days] == [
        (date(2027, 1, 1), DayKind.HOLIDAY),
        (date(2027, 2, 6), DayKind.WORKDAY),
    ]


def _problem_codes(text: str, fmt: str, year: int | None = None) -> list[str]:
    with pytest.raises(ScheduleFileError) as caught:
        parse_schedule_file(text=text, fmt=fmt, year=year)
    assert caught.value.code == "schedule_file_invalid"
    assert caught.value.detail["problems"]
    return [problem.code for problem in caught.value.problems]


HEADER = "date,kind,name,source_url\n"


@pytest.mark.parametrize(
    ("text", "fmt", "year", "codes"),
    [
        ("day,kind,name,source_url\n2027-01-01,holiday,元旦,u\n", "csv", None, ["schedule_bad_header"]),
        ("", "csv", None, ["schedule_empty"]),
        (HEADER, "csv", None, ["schedule_empty"]),
        (HEADER + "2027-02-30,holiday,元旦,u\n", "csv", None, ["schedule_bad_date"]),
        (HEADER + "2027/01/01,holiday,元旦,u\n", "csv", None, ["schedule_bad_date"]),
        (HEADER + "2027-01-01,rest,元旦,u\n", "csv", None, ["schedule_bad_kind"]),
        (HEADER + "2027-01-01,weekend,元旦,u\n", "csv", None, ["schedule_bad_kind"]),
        (HEADER + "2027-01-01,holiday,,u\n", "csv", None, ["schedule_missing_value"]),
        (HEADER + "2027-01-01,holiday,元旦,\n", "csv", None, ["schedule_missing_value"]),
        (HEADER + "2027-01-01,holiday,元旦\n", "csv", None, ["schedule_bad_row"]),
        (HEADER + "2027-01-01,holiday,元旦,u\n2027-01-01,holiday,元旦,u\n", "csv", None,
         ["schedule_duplicate_date"]),
        (HEADER + "2027-01-01,holiday,元旦,u\n2028-01-01,holiday,元旦,u\n", "csv", None, ["schedule_wrong_year"]),
        (HEADER + "2027-01-01,holiday,元旦,u\n", "csv", 2028, ["schedule_wrong_year"]),
        (HEADER + "2027-01-04,workday,元旦,u\n", "csv", None, ["schedule_workday_not_weekend"]),
        (HEADER + "2027-02-30,holiday,元旦,u\n2027-01-01,rest,元旦,u\n", "csv", None,
         ["schedule_bad_date", "schedule_bad_kind"]),
        ("{not json", "json", None, ["schedule_bad_json"]),
        ('{"date": "2027-01-01"}', "json", None, ["schedule_bad_json"]),
        ('["2027-01-01"]', "json", None, ["schedule_bad_json"]),
        ('[{"date": "2027-01-01", "kind": "holiday", "name": "元旦", "source_url": "u", "note": "x"}]', "json", None,
         ["schedule_unknown_key"]),
        ('[{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}]', "json", None, ["schedule_missing_value"]),
        ('[{"date": 20270101, "kind": "holiday", "name": "元旦", "source_url": "u"}]', "json", None,
         ["schedule_missing_value"]),
        ("[]", "json", None, ["schedule_empty"]),
        (HEADER, "xlsx", None, ["schedule_bad_format"]),
    ],
)
def test_bad_schedule_files_are_refused_with_every_problem_named(text, fmt, year, codes):
    assert _problem_codes(text, fmt, year) == codes


def test_problem_messages_name_the_line():
    with pytest.raises(ScheduleFileError) as caught:
        parse_schedule_file(text=HEADER + "2027-01-01,holiday,元旦,u\n2027-01-04,workday,元旦,u\n", fmt="csv")
    (problem,) = caught.value.problems
    assert problem.row == 3
    assert problem.message.startswith("第 3 行")
    assert "第 3 行" in str(caught.value)


def test_calendar_refuses_inconsistent_year_data():
    stray = SpecialDay(date(2027, 1, 1), DayKind.HOLIDAY, "元旦", "test")
    with pytest.raises(ScheduleFileError):
        WorkCalendar(schedules={2026: [stray]})
    with pytest.raises(ScheduleFileError):
        WorkCalendar(schedules={2027: [stray, stray]})
    with pytest.raises(ValueError):
        SpecialDay(date(2027, 1, 2), DayKind.WEEKEND, "周末", "test")


def test_a_published_year_without_special_days_counts_plain_weekdays():
    calendar = WorkCalendar(schedules={2030: []})
    # 2030-01-01 is a Tuesday; with no holidays published, the fifth working day after it is Tuesday 8 January
    assert calendar.add_working_days(start_on=date(2030, 1, 1), working_days=5) == date(2030, 1, 8)
    assert calendar.schedule(2030) == ()
    with pytest.raises(CalendarYearMissing):
        calendar.schedule(2031)


def test_diff_schedules_reports_added_removed_and_changed_days():
    current = chinese_calendar_schedule(2026)
    by_day = {day.day_on: day for day in current}
    proposed = [day for day in current if day.day_on != date(2026, 10, 7)]
    proposed = [
        SpecialDay(day.day_on, day.kind, "劳动节调整", day.source) if day.day_on == date(2026, 5, 9) else day
        for day in proposed
    ]
    proposed.append(SpecialDay(date(2026, 12, 31), DayKind.HOLIDAY, "元旦", "test"))
    diff = diff_schedules(current=current, proposed=proposed)
    assert diff.added == (SpecialDay(date(2026, 12, 31), DayKind.HOLIDAY, "元旦", "test"),)
    assert diff.removed == (by_day[date(2026, 10, 7)],)
    assert [(old.day_on, new.name) for old, new in diff.changed] == [(date(2026, 5, 9), "劳动节调整")]
    assert not diff.is_empty


def test_a_different_source_alone_is_not_a_change():
    current = chinese_calendar_schedule(2026)
    republished = [SpecialDay(day.day_on, day.kind, day.name, "https://www.gov.cn/") for day in current]
    assert diff_schedules(current=current, proposed=republished).is_empty
