"""The review clock (pure, no Django import): deadline = acceptance date + SLA working days + paused working days.

A supplement request (and an open objection to the data notice) pauses the clock on every official working day from
the day it is sent to the day the applicant answers, both included (2026-03-02 … 2026-03-06 is 5 working days). Days
paused by overlapping pauses count once. A year with only a provisional schedule gives provisional figures (预计); a year with none is reported, never
guessed (DESIGN §5).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from yingdu.rules.workdays import CalendarYearMissing, WorkCalendar

__all__ = [
    "AT_RISK_WORKING_DAYS",
    "PublicityPeriod",
    "SlaStatus",
    "paused_working_days",
    "publicity_last_day",
    "publicity_pause",
    "sla_deadline_on",
    "sla_status",
]

# an application with this many working days left, or fewer, is flagged at risk in the staff queue
AT_RISK_WORKING_DAYS = 5


def paused_working_days(pauses: Iterable[tuple[date, date]], calendar: WorkCalendar) -> int:
    """Working days on which the clock was paused: each pause counts its first and last day, overlaps once."""
    days: set[date] = set()
    for start_on, end_on in pauses:
        day = start_on
        while day <= end_on:
            if calendar.is_working_day(day):
                days.add(day)
            day += timedelta(days=1)
    return len(days)


def publicity_last_day(*, proposed_on: date, working_days: int, calendar: WorkCalendar) -> date | None:
    """The last day of a 公示: the end of the Nth working day after the day the award was proposed (DESIGN §5: the
    start day is not counted); None when that falls in a year with no schedule yet."""
    try:
        return calendar.add_working_days(start_on=proposed_on, working_days=working_days)
    except CalendarYearMissing:
        return None


@dataclass(frozen=True)
class PublicityPeriod:
    """One 公示 of a proposed award: from the day it was proposed, for ``working_days``; ``returned_on`` the day an
    upheld objection ended it; ``excluded_from_sla`` whether the version excludes its days from the review clock."""

    proposed_on: date
    working_days: int
    excluded_from_sla: bool
    returned_on: date | None = None


def publicity_pause(period: PublicityPeriod, *, today: date, calendar: WorkCalendar) -> tuple[date, date | None] | None:
    """The clock's pause for a 公示 whose days do not count (None when they do): like a supplement request, from the
    day the award is proposed to its last day (or the day an objection returned it), both included; open (None)
    while the 公示 runs, or while its end is in a year with no schedule."""
    if not period.excluded_from_sla:
        return None
    if period.returned_on is not None:
        return (period.proposed_on, period.returned_on)
    last_on = publicity_last_day(proposed_on=period.proposed_on, working_days=period.working_days, calendar=calendar)
    if last_on is not None and last_on < today:
        return (period.proposed_on, last_on)
    return (period.proposed_on, None)


def sla_deadline_on(*, accepted_on: date, sla_working_days: int, paused_working_days: int,
                    calendar: WorkCalendar) -> date:
    """The last working day of the review: the (SLA + paused)th working day after acceptance."""
    return calendar.add_working_days(start_on=accepted_on, working_days=sla_working_days + paused_working_days)


@dataclass(frozen=True)
class SlaStatus:
    """The review clock as of a day. ``provisional`` marks figures that rest on a year with only a provisional
    calendar (shown as 预计); ``missing_year`` a year with no calendar at all, where only ``deadline_not_before`` is
    known."""

    accepted_on: date
    sla_working_days: int
    paused_working_days: int | None
    paused_now: bool
    deadline_on: date | None
    working_days_left: int | None
    missing_year: int | None = None
    provisional: bool = False
    today: date | None = None
    deadline_not_before: date | None = None

    @property
    def is_overdue(self) -> bool:
        """Past the deadline: known from the deadline and the date alone, even when the count of days is not."""
        if self.working_days_left is not None:
            return self.working_days_left < 0
        return self.deadline_on is not None and self.today is not None and self.today > self.deadline_on

    @property
    def badge(self) -> str:
        """unknown (the deadline depends on a year with no calendar), overdue, at_risk, paused or on_track."""
        if self.is_overdue:
            return "overdue"
        if self.working_days_left is None:
            return "unknown"
        if self.paused_now:
            return "paused"
        if self.working_days_left <= AT_RISK_WORKING_DAYS:
            return "at_risk"
        return "on_track"

    @property
    def days_late(self) -> int | None:
        """Working days past the deadline (0 when not late); None when late by a count no calendar can answer yet."""
        if not self.is_overdue:
            return 0
        return -self.working_days_left if self.working_days_left is not None else None

    @property
    def sort_key(self) -> tuple[int, int, date]:
        """Most urgent first: known working days left, then late by an unknown count, then unknown deadlines by the
        earliest they can be."""
        if self.working_days_left is not None:
            return (0, self.working_days_left, self.deadline_on)
        if self.is_overdue:
            return (0, -1, self.deadline_on)
        return (1, 0, self.deadline_not_before or date.max)


def _earliest_deadline_on(*, accepted_on: date, working_days: int, missing_year: int, calendar: WorkCalendar) -> date:
    """A bound for a deadline that runs into a year with no calendar: as if every day of that year were a working
    day (the true deadline cannot be earlier)."""
    last_known_on = date(missing_year - 1, 12, 31)
    counted = calendar.working_days_between(start_on=accepted_on, end_on=last_known_on) if (
        last_known_on > accepted_on) else 0
    first_possible_on = max(date(missing_year, 1, 1), accepted_on + timedelta(days=1))
    return first_possible_on + timedelta(days=max(working_days - counted, 1) - 1)


def sla_status(*, accepted_on: date, sla_working_days: int, pauses: Iterable[tuple[date, date | None]],
               today: date, calendar: WorkCalendar) -> SlaStatus:
    """Deadline and working days left as of ``today``; an open pause (end None) runs until today.

    Whatever the calendars can answer is answered: a deadline in a published year stays known when ``today`` is in
    a year without a calendar, and a deadline beyond the calendars is bounded from below."""
    # a pause that begins after ``today`` (e.g. after the decision) does not count yet
    pauses = [(start_on, end_on) for start_on, end_on in pauses if start_on <= today]
    paused_now = any(end_on is None for _start, end_on in pauses)
    closed = [(start_on, end_on if end_on is not None else max(today, start_on)) for start_on, end_on in pauses]
    known = {"accepted_on": accepted_on, "sla_working_days": sla_working_days, "paused_now": paused_now,
             "today": today}
    try:
        paused = paused_working_days(closed, calendar)
    except CalendarYearMissing as missing:
        return SlaStatus(**known, paused_working_days=None, deadline_on=None, working_days_left=None,
                         missing_year=missing.year)
    try:
        deadline = sla_deadline_on(accepted_on=accepted_on, sla_working_days=sla_working_days,
                                   paused_working_days=paused, calendar=calendar)
    except CalendarYearMissing as missing:
        not_before = _earliest_deadline_on(accepted_on=accepted_on, working_days=sla_working_days + paused,
                                           missing_year=missing.year, calendar=calendar)
        return SlaStatus(**known, paused_working_days=paused, deadline_on=None, working_days_left=None,
                         missing_year=missing.year, deadline_not_before=not_before,
                         provisional=calendar.is_provisional(accepted_on, today))
    try:
        left = calendar.working_days_between(start_on=today, end_on=deadline)
    except CalendarYearMissing as missing:
        return SlaStatus(**known, paused_working_days=paused, deadline_on=deadline, working_days_left=None,
                         missing_year=missing.year, provisional=calendar.is_provisional(accepted_on, deadline))
    return SlaStatus(**known, paused_working_days=paused, deadline_on=deadline, working_days_left=left,
                     provisional=calendar.is_provisional(accepted_on, deadline, today))
