"""The statutory public holidays (法定节假日) of a year, derived from the State Council's rules (pure, no Django).

A year whose official schedule (放假安排) is not yet published gets a *provisional* calendar from these rules: only
the statutory days themselves, with lunar dates from the lunar-python package. No bridging day, no adjusted working
weekend (调休) and no compensation for a holiday on a weekend is guessed: those are decided each year by the State
Council's notice, which replaces the provisional calendar when an admin imports it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from lunar_python import Lunar

from .workdays import DayKind, SpecialDay

__all__ = [
    "STATUTORY_RULES",
    "STATUTORY_SOURCE",
    "StatutoryHoliday",
    "statutory_holidays",
]

STATUTORY_SOURCE = "依《全国年节及纪念日放假办法》（2024 年修订）推算的预计日程，以国务院办公厅当年通知为准"
# the 2024 revision is in force from 2025-01-01; earlier years all have an official schedule
STATUTORY_RULES_FROM_YEAR = 2025


def _solar(month: int, day: int) -> Callable[[int], date]:
    return lambda year: date(year, month, day)


def _lunar(month: int, day: int) -> Callable[[int], date]:
    def first_day(year: int) -> date:
        solar = Lunar.fromYmd(year, month, day).getSolar()
        return date(solar.getYear(), solar.getMonth(), solar.getDay())
    return first_day


def _lunar_new_years_eve(year: int) -> date:
    # 除夕 is the last day of the twelfth lunar month of the previous lunar year: the day before 正月初一
    return _lunar(1, 1)(year) - timedelta(days=1)


def _qingming(year: int) -> date:
    # 清明 is a solar term, not a lunar date: the day the sun reaches 15° longitude (4–6 April)
    solar = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@dataclass(frozen=True, slots=True)
class StatutoryHoliday:
    """One festival of the statutory rules: its name, the date of its first day in a year, and how many days."""

    name: str
    first_day: Callable[[int], date]
    days: int


# 《全国年节及纪念日放假办法》第二条（2024 年 11 月修订，2025 年 1 月 1 日起施行）: 全体公民放假的节日
STATUTORY_RULES: tuple[StatutoryHoliday, ...] = (
    StatutoryHoliday("元旦", _solar(1, 1), 1),
    StatutoryHoliday("春节", _lunar_new_years_eve, 4),
    StatutoryHoliday("清明节", _qingming, 1),
    StatutoryHoliday("劳动节", _solar(5, 1), 2),
    StatutoryHoliday("端午节", _lunar(5, 5), 1),
    StatutoryHoliday("中秋节", _lunar(8, 15), 1),
    StatutoryHoliday("国庆节", _solar(10, 1), 3),
)


def statutory_holidays(year: int) -> list[SpecialDay]:
    """The statutory holidays of a Gregorian year, in date order, as provisional special days (all holidays).

    Every festival falls inside its year: 春节 of lunar year Y starts between 20 January and 19 February of Y.
    """
    if year < STATUTORY_RULES_FROM_YEAR:
        raise ValueError(f"the 2024 statutory rules apply from {STATUTORY_RULES_FROM_YEAR}, not to {year}")
    days: dict[date, str] = {}
    for holiday in STATUTORY_RULES:
        first = holiday.first_day(year)
        for offset in range(holiday.days):
            days.setdefault(first + timedelta(days=offset), holiday.name)
    return [SpecialDay(day_on, DayKind.HOLIDAY, name, STATUTORY_SOURCE) for day_on, name in sorted(days.items())]
