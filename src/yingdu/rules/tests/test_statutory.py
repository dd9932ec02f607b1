"""The statutory holidays, checked against the State Council's published schedules and known lunar dates."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingdu.rules import statutory
from yingdu.rules.statutory import STATUTORY_RULES_FROM_YEAR, statutory_holidays
from yingdu.rules.workdays import DayKind, WorkCalendar, chinese_calendar_schedule


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_derived_day_is_a_holiday_in_the_official_schedule(year):
    # the official schedules (国办发明电〔2024〕12 号 and 〔2025〕7 号) contain every statutory day plus bridging days
    official = {day.day_on for day in chinese_calendar_schedule(year) if day.kind is DayKind.HOLIDAY}
    derived = statutory_holidays(year)
    assert len(derived) == 13
    assert {day.day_on for day in derived} <= official


def test_2027_follows_the_lunar_calendar():
    days = {day.day_on: day.name for day in statutory_holidays(2027)}
    # 2027 Spring Festival is 6 February (除夕 5 February), Dragon Boat 9 June, Mid-Autumn 15 September, Qingming 5 April
    assert [d for d, name in days.items() if name == "春节"] == [date(2027, 2, d) for d in (5, 6, 7, 8)]
    assert days[date(2027, 6, 9)] == "端午节" and days[date(2027, 9, 15)] == "中秋节"
    assert days[date(2027, 4, 5)] == "清明节"
    assert [d for d, name in days.items() if name == "国庆节"] == [date(2027, 10, 1), date(2027, 10, 2),
                                                               date(2027, 10, 3)]


# the lunar conversion is slow on a loaded machine; the property, not the speed, is under test
@settings(deadline=None)
@given(st.integers(min_value=STATUTORY_RULES_FROM_YEAR, max_value=2099))
def test_any_year_has_its_thirteen_statutory_days_in_the_year_and_no_adjusted_workday(year):
    days = statutory_holidays(year)
    # 13 days, or 12 when 中秋 falls within 国庆 (2028-10-03): a day is one holiday, whatever its festivals
    assert len({day.day_on for day in days}) == len(days) in (12, 13)
    assert {day.name for day in days} == {rule.name for rule in statutory.STATUTORY_RULES}
    assert all(day.day_on.year == year and day.kind is DayKind.HOLIDAY for day in days)
    assert "以国务院办公厅当年通知为准" in days[0].source
    # a calendar accepts it as a provisional year
    WorkCalendar(schedules={}, provisional={year: days})


def test_years_before_the_2024_revision_are_refused():
    with pytest.raises(ValueError):
        statutory_holidays(STATUTORY_RULES_FROM_YEAR - 1)


def test_a_provisional_year_is_labelled_and_replaced_by_the_official_one():
    calendar = WorkCalendar(schedules={2026: chinese_calendar_schedule(2026)},
                            provisional={2026: [], 2027: statutory_holidays(2027)})
    assert calendar.published_years == {2026} and calendar.provisional_years == {2027}
    assert not calendar.is_provisional(date(2026, 1, 5), date(2026, 12, 31))
    assert calendar.is_provisional(date(2026, 12, 31), date(2027, 1, 4))
    assert calendar.add_working_days(start_on=date(2026, 12, 31), working_days=1) == date(2027, 1, 4)
    official = calendar.with_year(year=2027, special_days=statutory_holidays(2027))
    assert official.published_years == {2026, 2027} and not official.is_provisional(date(2027, 1, 4))


def test_the_module_has_no_django_import():
    assert "django" not in open(statutory.__file__, encoding="utf-8").read()
