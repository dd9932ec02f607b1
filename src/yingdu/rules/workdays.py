"""The official Chinese working-day calendar: weekdays, minus public holidays, plus adjusted working weekends (调休)."""

import csv
import io
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import chinese_calendar

from yingdu.errors import DomainError

__all__ = [
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
]

MSG_CALENDAR_YEAR_MISSING = "{year} 年的官方节假日安排尚未导入，无法按工作日计算；请管理员导入并发布 {year} 年的日程。"

SCHEDULE_COLUMNS = ("date", "kind", "name", "source_url")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SATURDAY = 5
_FIRST_YEAR = date.min.year
_LAST_YEAR = date.max.year


class DayKind(StrEnum):
    """What a day is in the official calendar; a special day is only ever a holiday or a workday."""

    WORKDAY = "workday"
    HOLIDAY = "holiday"
    WEEKEND = "weekend"


class CalendarYearMissing(DomainError, LookupError):
    """A computation touched a year whose official schedule has not been published into the calendar."""

    code = "calendar_year_missing"

    def __init__(self, year: int):
        super().__init__(MSG_CALENDAR_YEAR_MISSING.format(year=year), detail={"year": year})
        self.year = year


@dataclass(frozen=True, slots=True)
class ScheduleProblem:
    """One thing wrong with a schedule; ``row`` is the CSV line or 1-based JSON item, when there is one."""

    code: str
    message: str
    row: int | None = None


class ScheduleFileError(DomainError, ValueError):
    """A schedule file or year schedule that cannot be published; ``problems`` lists every fault found."""

    code = "schedule_file_invalid"

    def __init__(self, problems: Iterable[ScheduleProblem]):
        self.problems = tuple(problems)
        summary = "；".join(problem.message for problem in self.problems)
        super().__init__(
            f"日程数据有 {len(self.problems)} 处问题：{summary}",
            detail={
                "problems": [
                    {"code": problem.code, "message": problem.message, "row": problem.row}
                    for problem in self.problems
                ]
            },
        )


@dataclass(frozen=True, slots=True)
class SpecialDay:
    """A public holiday or an adjusted working day (调休上班) with its name and where it was published."""

    day_on: date
    kind: DayKind
    name: str
    source: str

    def __post_init__(self) -> None:
        if isinstance(self.day_on, datetime) or not isinstance(self.day_on, date):
            raise TypeError(f"SpecialDay.day_on must be a date, not {type(self.day_on).__name__}")
        kind = DayKind(self.kind)
        if kind is DayKind.WEEKEND:
            raise ValueError("a special day is a holiday or a workday, not a weekend")
        object.__setattr__(self, "kind", kind)


@dataclass(frozen=True, slots=True)
class ScheduleDiff:
    """What publishing a proposed year schedule would change against the current one."""

    added: tuple[SpecialDay, ...]
    removed: tuple[SpecialDay, ...]
    changed: tuple[tuple[SpecialDay, SpecialDay], ...]

    @property
    def is_empty(self) -> bool:
        """True when the proposed schedule has the same days, kinds and names."""
        return not (self.added or self.removed or self.changed)


def _require_date(value: object, argument: str) -> date:
    # a datetime is a date subclass; deadlines are calendar dates in Asia/Shanghai, so refuse it outright
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{argument} must be a date, not {type(value).__name__}")
    return value


def _schedule_problems(rows: list[tuple[int | None, SpecialDay]], *, year: int | None) -> list[ScheduleProblem]:
    """Check a year schedule: not empty, one year, no repeated date, adjusted working days on weekends."""
    if not rows:
        return [ScheduleProblem("schedule_empty", "没有任何节假日或调休上班日。")]
    problems = []
    expected_year = year if year is not None else rows[0][1].day_on.year
    first_row_on: dict[date, int | None] = {}
    for row, special_day in rows:
        where = f"第 {row} 行：" if row is not None else ""
        day_on = special_day.day_on
        if day_on.year != expected_year:
            problems.append(ScheduleProblem(
                "schedule_wrong_year",
                f"{where}{day_on.isoformat()} 不属于 {expected_year} 年；一份日程只能包含同一年的日期。",
                row,
            ))
        if day_on in first_row_on:
            earlier = first_row_on[day_on]
            earlier_text = f"（与第 {earlier} 行重复）" if earlier is not None else ""
            problems.append(ScheduleProblem(
                "schedule_duplicate_date", f"{where}{day_on.isoformat()} 出现了不止一次{earlier_text}。", row
            ))
        else:
            first_row_on[day_on] = row
        if special_day.kind is DayKind.WORKDAY and day_on.weekday() < _SATURDAY:
            problems.append(ScheduleProblem(
                "schedule_workday_not_weekend",
                f"{where}{day_on.isoformat()} 是周一至周五，本来就是工作日，不能登记为调休上班日。",
                row,
            ))
    return problems


class WorkCalendar:
    """Working days for the years whose official schedule is published, and for years with only a *provisional*
    schedule (derived from the statutory holidays, ``yingdu.rules.statutory``); any other year raises
    CalendarYearMissing. A result that depends on a provisional year is reported as such by ``is_provisional``:
    callers label it 预计 and never refuse an enterprise on it (DESIGN §5)."""

    __slots__ = ("_provisional_years", "_run_end_year", "_schedules", "_special_by_day", "_working_ordinals")

    def __init__(self, *, schedules: Mapping[int, Iterable[SpecialDay]],
                 provisional: Mapping[int, Iterable[SpecialDay]] | None = None):
        problems: list[ScheduleProblem] = []
        provisional = {year: days for year, days in (provisional or {}).items() if year not in schedules}
        self._provisional_years = frozenset(provisional)
        self._schedules: dict[int, tuple[SpecialDay, ...]] = {}
        for year, special_days in sorted({**schedules, **provisional}.items()):
            if isinstance(year, bool) or not isinstance(year, int) or not _FIRST_YEAR <= year <= _LAST_YEAR:
                raise ValueError(f"schedule year must be an integer between {_FIRST_YEAR} and {_LAST_YEAR}")
            days = tuple(sorted(special_days, key=lambda special_day: special_day.day_on))
            # a published year may legitimately have no special day at all, so only the other checks apply
            if days:
                problems += _schedule_problems([(None, special_day) for special_day in days], year=year)
            self._schedules[year] = days
        if problems:
            raise ScheduleFileError(problems)
        self._special_by_day = {
            special_day.day_on: special_day for days in self._schedules.values() for special_day in days
        }
        self._working_ordinals = self._build_working_ordinals()
        # _run_end_year[y] = the first year after y with no published schedule
        self._run_end_year: dict[int, int] = {}
        run_end = None
        for year in sorted(self._schedules, reverse=True):
            if year + 1 not in self._schedules:
                run_end = year + 1
            self._run_end_year[year] = run_end

    def _build_working_ordinals(self) -> list[int]:
        special_kind_by_ordinal = {day_on.toordinal(): special.kind for day_on, special in self._special_by_day.items()}
        working_ordinals = []
        for year in sorted(self._schedules):
            for ordinal in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1):
                # weekday of a proleptic Gregorian ordinal: (ordinal + 6) mod 7, Monday = 0
                kind = special_kind_by_ordinal.get(ordinal)
                if kind is DayKind.WORKDAY or (kind is None and (ordinal + 6) % 7 < _SATURDAY):
                    working_ordinals.append(ordinal)
        return working_ordinals

    @property
    def published_years(self) -> frozenset[int]:
        """The years whose official schedule this calendar holds."""
        return frozenset(self._schedules) - self._provisional_years

    @property
    def provisional_years(self) -> frozenset[int]:
        """The years this calendar answers for only provisionally (no official schedule yet)."""
        return self._provisional_years

    def is_provisional(self, *days: date) -> bool:
        """True when a result spanning these dates depends on a provisional year (any year from the earliest to the
        latest of them)."""
        if not days or not self._provisional_years:
            return False
        first_year, last_year = min(day.year for day in days), max(day.year for day in days)
        return any(first_year <= year <= last_year for year in self._provisional_years)

    def _official_schedules(self) -> dict[int, tuple[SpecialDay, ...]]:
        return {year: days for year, days in self._schedules.items() if year not in self._provisional_years}

    def schedule(self, year: int) -> tuple[SpecialDay, ...]:
        """The holidays and adjusted working days of a year (official or provisional), in date order."""
        if year not in self._schedules:
            raise CalendarYearMissing(year)
        return self._schedules[year]

    def with_year(self, *, year: int, special_days: Iterable[SpecialDay]) -> "WorkCalendar":
        """A new calendar with the year's official schedule added, or replacing a published or provisional one."""
        provisional = {y: days for y, days in self._schedules.items() if y in self._provisional_years and y != year}
        return WorkCalendar(schedules={**self._official_schedules(), year: tuple(special_days)},
                            provisional=provisional)

    def _require_years(self, first_year: int, last_year: int) -> None:
        if first_year not in self._schedules:
            raise CalendarYearMissing(first_year)
        run_end = self._run_end_year[first_year]
        if run_end <= last_year:
            raise CalendarYearMissing(run_end)

    def special_day(self, day_on: date) -> SpecialDay | None:
        """The holiday or adjusted working day on this date, or None for an ordinary weekday or weekend."""
        day_on = _require_date(day_on, "day_on")
        self._require_years(day_on.year, day_on.year)
        return self._special_by_day.get(day_on)

    def day_kind(self, day_on: date) -> DayKind:
        """Classify a day as workday, holiday or weekend; an adjusted working weekend day (调休上班) is a workday."""
        special = self.special_day(day_on)
        if special is not None:
            return special.kind
        return DayKind.WEEKEND if day_on.weekday() >= _SATURDAY else DayKind.WORKDAY

    def is_working_day(self, day_on: date) -> bool:
        """True on an official working day."""
        return self.day_kind(day_on) is DayKind.WORKDAY

    def add_working_days(self, *, start_on: date, working_days: int) -> date:
        """The Nth working day after start_on (start_on itself not counted); 0 returns start_on unchanged."""
        start_on = _require_date(start_on, "start_on")
        if isinstance(working_days, bool) or not isinstance(working_days, int):
            raise TypeError("working_days must be an int")
        if working_days < 0:
            raise ValueError("working_days must be zero or more")
        self._require_years(start_on.year, start_on.year)
        if working_days == 0:
            return start_on
        first_after = bisect_right(self._working_ordinals, start_on.toordinal())
        run_end = self._run_end_year[start_on.year]
        run_end_index = (
            bisect_left(self._working_ordinals, date(run_end, 1, 1).toordinal())
            if run_end <= _LAST_YEAR
            else len(self._working_ordinals)
        )
        result_index = first_after + working_days - 1
        if result_index >= run_end_index:
            raise CalendarYearMissing(run_end)
        return date.fromordinal(self._working_ordinals[result_index])

    def working_days_between(self, *, start_on: date, end_on: date) -> int:
        """Working days after start_on up to and including end_on; negative when end_on is before start_on."""
        start_on = _require_date(start_on, "start_on")
        end_on = _require_date(end_on, "end_on")
        earlier_on, later_on = sorted((start_on, end_on))
        self._require_years(earlier_on.year, later_on.year)
        # count of working days d with earlier < d <= later
        count = bisect_right(self._working_ordinals, later_on.toordinal()) - bisect_right(
            self._working_ordinals, earlier_on.toordinal()
        )
        return count if end_on >= start_on else -count


def chinese_calendar_years() -> range:
    """The years the installed chinese-calendar package has an official schedule for (2004–2026 in 1.11.0)."""
    years = {day_on.year for day_on in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def chinese_calendar_schedule(year: int) -> list[SpecialDay]:
    """A year's holidays and adjusted working days from the chinese-calendar package, as seed data."""
    if year not in chinese_calendar_years():
        raise CalendarYearMissing(year)
    source = f"chinese-calendar {chinese_calendar.__version__}"
    chinese_names = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
    special_days = [
        SpecialDay(day_on, kind, chinese_names.get(english_name, english_name), source)
        for kind, days in ((DayKind.HOLIDAY, chinese_calendar.holidays), (DayKind.WORKDAY, chinese_calendar.workdays))
        for day_on, english_name in days.items()
        if day_on.year == year
    ]
    return sorted(special_days, key=lambda special_day: special_day.day_on)


def _record_to_special_day(
    record: Mapping[str, object], row: int, where: str
) -> tuple[SpecialDay | None, list[ScheduleProblem]]:
    problems = []
    values = {}
    for column in SCHEDULE_COLUMNS:
        value = record.get(column)
        if not isinstance(value, str) or not value.strip():
            problems.append(ScheduleProblem("schedule_missing_value", f"{where}缺少 {column}（须为非空文本）。", row))
        else:
            values[column] = value.strip()
    day_on = None
    if "date" in values:
        text = values["date"]
        try:
            day_on = date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None
        except ValueError:
            day_on = None
        if day_on is None:
            problems.append(ScheduleProblem(
                "schedule_bad_date", f"{where}日期“{text}”无效，应为 YYYY-MM-DD，如 2027-01-01。", row
            ))
    kind = None
    if "kind" in values:
        kind_text = values["kind"].lower()
        if kind_text in (DayKind.HOLIDAY, DayKind.WORKDAY):
            kind = DayKind(kind_text)
        else:
            problems.append(ScheduleProblem(
                "schedule_bad_kind",
                f"{where}类型“{values['kind']}”无效，应为 holiday（放假）或 workday（调休上班）。",
                row,
            ))
    if problems:
        return None, problems
    return SpecialDay(day_on, kind, values["name"], values["source_url"]), []


def _csv_records(text: str) -> tuple[list[tuple[int, str, dict]], list[ScheduleProblem]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return [], []
    columns = [column.strip().lower() for column in header]
    missing = [column for column in SCHEDULE_COLUMNS if column not in columns]
    unknown = [column for column in columns if column not in SCHEDULE_COLUMNS]
    if missing or unknown or len(set(columns)) != len(columns):
        expected = ",".join(SCHEDULE_COLUMNS)
        return [], [ScheduleProblem(
            "schedule_bad_header", f"第 1 行：表头应为 {expected}，实际为 {','.join(header)}。", 1
        )]
    records, problems = [], []
    for fields in reader:
        row = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        if len(fields) != len(columns):
            problems.append(ScheduleProblem(
                "schedule_bad_row", f"第 {row} 行：应有 {len(columns)} 列，实际有 {len(fields)} 列。", row
            ))
            continue
        records.append((row, f"第 {row} 行：", dict(zip(columns, fields, strict=True))))
    return records, problems


def _json_records(text: str) -> tuple[list[tuple[int, str, dict]], list[ScheduleProblem]]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        return [], [ScheduleProblem("schedule_bad_json", f"不是有效的 JSON（第 {error.lineno} 行）：{error.msg}。")]
    if not isinstance(items, list):
        return [], [ScheduleProblem("schedule_bad_json", "JSON 顶层应为对象列表。")]
    records, problems = [], []
    for index, item in enumerate(items, start=1):
        where = f"第 {index} 项："
        if not isinstance(item, dict):
            problems.append(ScheduleProblem("schedule_bad_json", f"{where}应为对象。", index))
            continue
        unknown = sorted(key for key in item if key not in SCHEDULE_COLUMNS)
        if unknown:
            problems.append(ScheduleProblem(
                "schedule_unknown_key", f"{where}有未知字段 {', '.join(unknown)}。", index
            ))
        records.append((index, where, item))
    return records, problems


def parse_schedule_file(*, text: str, fmt: str, year: int | None = None) -> list[SpecialDay]:
    """Parse and check a year's schedule file (CSV with header date,kind,name,source_url, or a JSON list)."""
    if fmt not in ("csv", "json"):
        raise ScheduleFileError([ScheduleProblem("schedule_bad_format", f"不支持的文件格式“{fmt}”，应为 csv 或 json。")])
    # spreadsheet programs save UTF-8 with a byte-order mark
    text = text.removeprefix("\ufeff")
    records, problems = _csv_records(text) if fmt == "csv" else _json_records(text)
    rows: list[tuple[int | None, SpecialDay]] = []
    for row, where, record in records:
        special_day, record_problems = _record_to_special_day(record, row, where)
        problems += record_problems
        if special_day is not None:
            rows.append((row, special_day))
    if rows or not problems:
        problems += _schedule_problems(rows, year=year)
    if problems:
        raise ScheduleFileError(sorted(problems, key=lambda problem: (problem.row or 0)))
    return sorted((special_day for _, special_day in rows), key=lambda special_day: special_day.day_on)


def diff_schedules(*, current: Iterable[SpecialDay], proposed: Iterable[SpecialDay]) -> ScheduleDiff:
    """Days added, removed, and changed in kind or name (a different source alone is not a change)."""
    current_by_day = {special_day.day_on: special_day for special_day in current}
    proposed_by_day = {special_day.day_on: special_day for special_day in proposed}
    added = tuple(proposed_by_day[day_on] for day_on in sorted(proposed_by_day.keys() - current_by_day.keys()))
    removed = tuple(current_by_day[day_on] for day_on in sorted(current_by_day.keys() - proposed_by_day.keys()))
    changed = tuple(
        (current_by_day[day_on], proposed_by_day[day_on])
        for day_on in sorted(current_by_day.keys() & proposed_by_day.keys())
        if (current_by_day[day_on].kind, current_by_day[day_on].name)
        != (proposed_by_day[day_on].kind, proposed_by_day[day_on].name)
    )
    return ScheduleDiff(added=added, removed=removed, changed=changed)
