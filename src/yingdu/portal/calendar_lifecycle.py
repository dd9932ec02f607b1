"""The calendar's yearly life cycle across apps: provisional years, reminders to admins, owed notices, and the
recomputation of every open deadline when an official schedule is published (DESIGN §5)."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import organisation_member_emails, staff_emails_with_role
from yingdu.applications.selectors import application_deadlines_moved
from yingdu.applications.services import applications_sla_refresh_open
from yingdu.audits.services import case_deadlines_recompute
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
        _tell_enterprises(review_moves)
    applications_sla_refresh_open(today=today)
    issued = data_notices_issue_pending(now=now)
    result = CalendarRecomputation(year=year_version.year, moves=tuple(moves), notices_issued=len(issued))
    _tell_staff(result)
    return result


def _mail(recipients: list[str], subject: str, template: str, context: dict) -> None:
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(template, context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except OSError:
        logger.exception("calendar e-mail %r failed", subject)


def _tell_enterprises(review_moves) -> None:
    for move, organisation_id in review_moves:
        _mail(organisation_member_emails(organisation_id), "【影都算力券】申请审核截止日已按官方日历重新计算",
              "portal/email/review_deadline_moved.txt", {"move": move})


def _tell_staff(result: CalendarRecomputation) -> None:
    recipients = sorted({*staff_emails_with_role(Role.ADMIN), *staff_emails_with_role(Role.REVIEWER)})
    _mail(recipients, f"【影都算力券】{result.year} 年官方放假安排已发布：截止日重新计算结果",
          "portal/email/calendar_recomputed.txt", {"result": result})


def on_calendar_published(sender, *, year_version, now, **kwargs) -> CalendarRecomputation:
    """Receiver of policy's calendar_published signal."""
    return calendar_official_published(year_version=year_version, now=now)
