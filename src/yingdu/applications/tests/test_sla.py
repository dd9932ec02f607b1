"""The review clock against the official calendar (chinese-calendar's 2026 schedule, the State Council notice)."""

from datetime import date

import pytest

from yingdu.applications import sla as sla_module
from yingdu.applications.sla import paused_working_days, sla_deadline_on, sla_status
from yingdu.rules.statutory import statutory_holidays
from yingdu.rules.workdays import WorkCalendar, chinese_calendar_schedule

CALENDAR = WorkCalendar(schedules={2026: chinese_calendar_schedule(2026)})


def test_accepted_2026_02_10_without_pauses_is_due_2026_03_30():
    # the Spring Festival holiday (02-15…02-23) is skipped; the adjusted working Saturdays 02-14 and 02-28 count
    assert sla_deadline_on(accepted_on=date(2026, 2, 10), sla_working_days=30, paused_working_days=0,
                           calendar=CALENDAR) == date(2026, 3, 30)


def test_a_supplement_request_open_2026_03_02_to_03_06_moves_the_deadline_five_working_days():
    paused = paused_working_days([(date(2026, 3, 2), date(2026, 3, 6))], CALENDAR)
    assert paused == 5
    deadline = sla_deadline_on(accepted_on=date(2026, 2, 10), sla_working_days=30, paused_working_days=paused,
                               calendar=CALENDAR)
    assert deadline == CALENDAR.add_working_days(start_on=date(2026, 3, 30), working_days=5) == date(2026, 4, 7)


def test_overlapping_pauses_count_each_day_once_and_weekends_not_at_all():
    pauses = [(date(2026, 3, 2), date(2026, 3, 4)), (date(2026, 3, 4), date(2026, 3, 9))]
    # 03-02 … 03-06 and 03-09; 03-07/08 are a weekend
    assert paused_working_days(pauses, CALENDAR) == 6


def test_badges_on_track_at_risk_overdue_and_paused():
    def status(today, pauses=()):
        return sla_status(accepted_on=date(2026, 2, 10), sla_working_days=30, pauses=list(pauses), today=today,
                          calendar=CALENDAR)

    assert status(date(2026, 2, 10)).badge == "on_track"
    assert status(date(2026, 3, 23)).working_days_left == 5 and status(date(2026, 3, 23)).badge == "at_risk"
    assert status(date(2026, 3, 30)).working_days_left == 0 and status(date(2026, 3, 30)).badge == "at_risk"
    late = status(date(2026, 4, 1))
    assert late.badge == "overdue" and late.days_late == 2
    paused = status(date(2026, 3, 4), [(date(2026, 3, 2), None)])
    assert paused.badge == "paused" and paused.paused_working_days == 3


def test_a_deadline_in_a_year_without_a_published_schedule_is_reported_not_guessed():
    result = sla_status(accepted_on=date(2026, 12, 1), sla_working_days=30, pauses=[], today=date(2026, 12, 1),
                        calendar=CALENDAR)
    assert result.deadline_on is None and result.missing_year == 2027 and result.badge == "unknown"
    # 2026-12-01 … 12-31 has 22 working days, so the 30th is at the earliest the 8th day of 2027
    assert result.deadline_not_before == date(2027, 1, 8)
    assert result.days_late == 0 and not result.provisional


def test_a_known_deadline_stays_known_and_overdue_on_new_years_day_without_next_years_calendar():
    # accepted 2026-08-31: due 2026-10-16 after National Day; on 2027-01-04 there is no 2027 calendar at all
    result = sla_status(accepted_on=date(2026, 8, 31), sla_working_days=30, pauses=[], today=date(2027, 1, 4),
                        calendar=CALENDAR)
    assert result.deadline_on == date(2026, 10, 16)
    assert result.badge == "overdue" and result.is_overdue and result.days_late is None
    assert result.missing_year == 2027
    # on 2026-12-31 the count is still fully known: 54 working days late
    assert sla_status(accepted_on=date(2026, 8, 31), sla_working_days=30, pauses=[], today=date(2026, 12, 31),
                      calendar=CALENDAR).days_late == 54


def test_a_provisional_year_gives_provisional_figures_that_sort_the_queue():
    provisional = WorkCalendar(schedules={2026: chinese_calendar_schedule(2026)},
                               provisional={2027: statutory_holidays(2027)})
    crossing = sla_status(accepted_on=date(2026, 12, 1), sla_working_days=30, pauses=[], today=date(2026, 12, 1),
                          calendar=provisional)
    # 22 working days in December, then 1 Jan (元旦) and 2027-01-04 … 01-13 (8 working days)
    assert crossing.deadline_on == date(2027, 1, 13) and crossing.provisional
    assert crossing.working_days_left == 30 and crossing.badge == "on_track"
    inside = sla_status(accepted_on=date(2026, 8, 31), sla_working_days=30, pauses=[], today=date(2026, 11, 2),
                        calendar=provisional)
    assert not inside.provisional and inside.badge == "overdue"
    late_in_2027 = sla_status(accepted_on=date(2026, 8, 31), sla_working_days=30, pauses=[], today=date(2027, 1, 4),
                              calendar=provisional)
    # 54 by the end of 2026, then 2027-01-04 (元旦 on the 1st): provisionally 55
    assert late_in_2027.days_late == 55 and late_in_2027.provisional
    unknown = sla_status(accepted_on=date(2026, 12, 1), sla_working_days=30, pauses=[], today=date(2026, 12, 1),
                         calendar=CALENDAR)
    assert sorted([unknown, crossing, inside], key=lambda status: status.sort_key) == [inside, crossing, unknown]


def test_the_sla_module_has_no_django_import():
    source = open(sla_module.__file__, encoding="utf-8").read()
    assert "django" not in source


@pytest.mark.parametrize("name", sla_module.__all__)
def test_public_surface_is_pinned(name):
    assert name in {"AT_RISK_WORKING_DAYS", "SlaStatus", "paused_working_days", "sla_deadline_on", "sla_status",
                    "PublicityPeriod", "publicity_last_day", "publicity_pause"}


def test_a_publicity_that_does_not_count_pauses_from_the_proposal_to_its_last_day():
    # proposed Wednesday 2026-09-30; 5 working days after National Day (10-01…10-07, Saturday 10-10 worked): 10-13
    period = sla_module.PublicityPeriod(proposed_on=date(2026, 9, 30), working_days=5, excluded_from_sla=True)
    assert sla_module.publicity_last_day(proposed_on=date(2026, 9, 30), working_days=5,
                                         calendar=CALENDAR) == date(2026, 10, 13)
    assert sla_module.publicity_pause(period, today=date(2026, 10, 13), calendar=CALENDAR) == (date(2026, 9, 30), None)
    assert sla_module.publicity_pause(period, today=date(2026, 10, 14), calendar=CALENDAR) == (
        date(2026, 9, 30), date(2026, 10, 13))
    returned = sla_module.PublicityPeriod(date(2026, 9, 30), 5, True, returned_on=date(2026, 10, 9))
    assert sla_module.publicity_pause(returned, today=date(2026, 10, 20), calendar=CALENDAR) == (
        date(2026, 9, 30), date(2026, 10, 9))
    counted = sla_module.PublicityPeriod(date(2026, 9, 30), 5, excluded_from_sla=False)
    assert sla_module.publicity_pause(counted, today=date(2026, 10, 9), calendar=CALENDAR) is None
    # the last day in a year with no schedule: the pause stays open
    late = sla_module.PublicityPeriod(date(2026, 12, 28), 5, True)
    assert sla_module.publicity_pause(late, today=date(2027, 2, 1), calendar=CALENDAR) == (date(2026, 12, 28), None)
