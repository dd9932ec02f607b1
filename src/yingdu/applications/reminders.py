"""The daily reminder to each assigned reviewer: their applications at risk (few working days left) or overdue."""

import logging
from collections import defaultdict
from datetime import date, datetime

from django.db import IntegrityError, transaction

from yingdu.i18n import in_chinese
from yingdu.inbox.services import entry_ref, notifications_mail
from yingdu.transparency.services import log_append

from .events import reviewer_reminded_event
from .models import OPEN_STATUSES, Application, ReviewerReminder
from .selectors import applications_with_sla

logger = logging.getLogger(__name__)
REMIND_BADGES = ("at_risk", "overdue")


def _due_by_reviewer(today: date) -> dict:
    due = defaultdict(list)
    applications = (Application.objects.filter(status__in=OPEN_STATUSES, accepted_on__isnull=False,
                                               reviewer__isnull=False)
                    .select_related("reviewer", "work", "enterprise"))
    for row in applications_with_sla(applications, today=today):
        if row.sla is not None and row.sla.badge in REMIND_BADGES:
            due[row.application.reviewer].append((row.application, row.sla))
    return due


@in_chinese
def _message(rows) -> str:
    lines = ["以下申请临近或已超过办理时限，请尽快处理：", ""]
    for application, sla in sorted(rows, key=lambda row: row[1].sort_key):
        if sla.is_overdue:
            state = (f"已超期 {sla.days_late} 个工作日" if sla.days_late is not None
                     else f"已超期（天数待 {sla.missing_year} 年日历发布后确定）")
        else:
            state = f"剩余 {sla.working_days_left} 个工作日"
        estimated = "（预计，按法定节假日推算）" if sla.provisional else ""
        lines.append(f"- 申请 #{application.pk} {application.enterprise.name}《{application.work.title}》："
                     f"截止 {sla.deadline_on:%Y-%m-%d}{estimated}，{state}")
    return "\n".join(lines) + "\n"


def application_reminders_send(*, today: date, now: datetime) -> int:
    """Send each reviewer one digest a day of their at-risk and overdue applications; returns reminders sent."""
    sent = 0
    for reviewer, rows in _due_by_reviewer(today).items():
        ids = sorted(application.pk for application, _sla in rows)
        try:
            with transaction.atomic():
                reminder = ReviewerReminder.objects.create(reviewer=reviewer, sent_on=today, application_ids=ids,
                                                           sent_at=now)
                log_append(events=[reviewer_reminded_event(reminder)], now=now)
        except IntegrityError:
            continue  # already reminded today
        notifications_mail(ref=entry_ref("applications.reminder", reminder.pk), subject="【影都算力券】待办申请时限提醒",
                           body=_message(rows))
        sent += 1
    return sent
