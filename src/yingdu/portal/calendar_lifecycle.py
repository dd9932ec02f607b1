"""The calendar's yearly life cycle across apps: provisional years, reminders to admins, owed notices, and the
recomputation of every open deadline when an official schedule is published (DESIGN §5)."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import organisation_members, staff_with_role
from yingdu.applications.selectors import application_deadlines_moved
from yingdu.applications.services import applications_sla_refresh_open
from yingdu.audits.services import case_deadlines_recompute
from yingdu.inbox.services import Message, entry_ref, notifications_mail, notify
from yingdu.notices.services import data_notices_issue_pending, objection_deadlines_recompute
from yingdu.policy import selectors as policy_selectors
from yingdu.policy.models import CalendarYearVersion
from yingdu.policy.selectors import DeadlineMove
from yingdu.policy.services import calendar_provisional_years_ensure, calendar_reminder_send

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalendarRecomputation:
    """What an official publication changed: deadlines moved and owed notices issued."""

    year: int
    moves: tuple[DeadlineMove, ...]
    notices_issued: int


def calendar_lifecycle_daily(*, now: datetime) -> None:
    """Daily: provisional calendars for this and next year, the admins' reminder, owed notices the calendar allows."""
    today = timezone.localdate(now)
    calendar_provisional_years_ensure(today=today, now=now)
    calendar_reminder_send(today=today, now=now)
    data_notices_issue_pending(now=now)


def calendar_official_published(*, year_version: CalendarYearVersion, now: datetime) -> CalendarRecomputation:
    """After an official year is published: recompute every provisional deadline, list review deadlines that moved,
    issue owed notices, and tell staff (and each affected enterprise about its review deadline)."""
    today = timezone.localdate(now)
    previous = (CalendarYearVersion.objects.filter(year=year_version.year, version__lt=year_version.version)
                .order_by("-version").first())
    moves = [*objection_deadlines_recompute(now=now), *case_deadlines_recompute(now=now)]
    if previous is not None:
        after = policy_selectors.work_calendar()
        before = after.with_year(year=previous.year,
                                 special_days=policy_selectors.calendar_year_special_days(previous))
        review_moves = application_deadlines_moved(before=before, after=after, today=today)
        moves += [move for move, _organisation in review_moves]
        _tell_enterprises(review_moves, year_version=year_version, now=now)
    applications_sla_refresh_open(today=today)
    issued = data_notices_issue_pending(now=now)
    result = CalendarRecomputation(year=year_version.year, moves=tuple(moves), notices_issued=len(issued))
    _tell_staff(result, year_version=year_version, now=now)
    return result


def _mail(*, recipients: list, kind: str, ref: str, subject: str, template: str, context: dict, link: str,
          now: datetime) -> None:
    """In-app notifications to the recipients, then each one's e-mail copy with its link."""
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(template, context)
    notify(message=Message(kind=kind, ref=ref, subject=subject, body=body, link=link, recipients=recipients), now=now)
    notifications_mail(ref=ref, subject=subject, body=body)


def _tell_enterprises(review_moves, *, year_version: CalendarYearVersion, now: datetime) -> None:
    for index, (move, organisation_id) in enumerate(review_moves):
        _mail(recipients=organisation_members(organisation_id), kind="calendar.review_deadline_moved",
              ref=entry_ref("calendar.review_deadline_moved", f"{year_version.pk}:{index}"),
              subject="【影都算力券】申请审核截止日已按官方日历重新计算",
              template="portal/email/review_deadline_moved.txt", context={"move": move}, link=move.url or "",
              now=now)


def _tell_staff(result: CalendarRecomputation, *, year_version: CalendarYearVersion, now: datetime) -> None:
    recipients = [*staff_with_role(Role.ADMIN), *staff_with_role(Role.REVIEWER)]
    _mail(recipients=recipients, kind="calendar.recomputed", ref=entry_ref("calendar.recomputed", year_version.pk),
          subject=f"【影都算力券】{result.year} 年官方放假安排已发布：截止日重新计算结果",
          template="portal/email/calendar_recomputed.txt", context={"result": result},
          link=reverse("policy:calendar_year", args=[result.year]), now=now)


def on_calendar_published(sender, *, year_version, now, **kwargs) -> CalendarRecomputation:
    """Receiver of policy's calendar_published signal."""
    return calendar_official_published(year_version=year_version, now=now)
