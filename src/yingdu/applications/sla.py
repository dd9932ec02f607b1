"""The review clock (pure, no Django import): deadline = acceptance date + SLA working days + paused working days.

A supplement request (and an open objection to the data notice) pauses the clock on every official working day from
the day it is sent to the day the applicant answers, both included (2026-03-02 … 2026-03-06 is 5 working days). Days
paused by overlapping pauses count once. A year without a published schedule is reported, never guessed (DESIGN §5).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from yingdu.rules.workdays import CalendarYearMissing, WorkCalendar

__all__ = [
    "AT_RISK_WORKING_DAYS",
    "SlaStatus",
    "paused_working_days",
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


def sla_deadline_on(*, accepted_on: date, sla_working_days: int, paused_working_days: int,
                    calendar: WorkCalendar) -> date:
    """The last working day of the review: the (SLA + paused)th working day after acceptance."""
    return calendar.add_working_days(start_on=accepted_on, working_days=sla_working_days + paused_working_days)


@dataclass(frozen=True)
class SlaStatus:
    accepted_on: date
    sla_working_days: int
    paused_working_days: int | None
    paused_now: bool
    deadline_on: date | None
    working_days_left: int | None
    missing_year: int | None = None

    @property
    def badge(self) -> str:
        """unknown (a calendar year is missing), overdue, at_risk, paused or on_track."""
        if self.working_days_left is None:
            return "unknown"
        if self.working_days_left < 0:
            return "overdue"
        if self.paused_now:
            return "paused"
        if self.working_days_left <= AT_RISK_WORKING_DAYS:
            return "at_risk"
        return "on_track"

    @property
    def days_late(self) -> int:
        return -self.working_days_left if self.working_days_left is not None and self.working_days_left < 0 else 0


def sla_status(*, accepted_on: date, sla_working_days: int, pauses: Iterable[tuple[date, date | None]],
               today: date, calendar: WorkCalendar) -> SlaStatus:
    """Deadline and working days left as of ``today``; an open pause (end None) runs until today."""
    # a pause that begins after ``today`` (e.g. after the decision) does not count yet
    pauses = [(start_on, end_on) for start_on, end_on in pauses if start_on <= today]
    paused_now = any(end_on is None for _start, end_on in pauses)
    closed = [(start_on, end_on if end_on is not None else max(today, start_on)) for start_on, end_on in pauses]
    try:
        paused = paused_working_days(closed, calendar)
        deadline = sla_deadline_on(accepted_on=accepted_on, sla_working_days=sla_working_days,
                                   paused_working_days=paused, calendar=calendar)
        left = calendar.working_days_between(start_on=today, end_on=deadline)
    except CalendarYearMissing as missing:
        return SlaStatus(accepted_on=accepted_on, sla_working_days=sla_working_days, paused_working_days=None,
                         paused_now=paused_now, deadline_on=None, working_days_left=None,
                         missing_year=missing.year)
    return SlaStatus(accepted_on=accepted_on, sla_working_days=sla_working_days, paused_working_days=paused,
                     paused_now=paused_now, deadline_on=deadline, working_days_left=left)
