"""Housekeeping tasks of the platform itself, run by `yingdu worker`."""

from django.core.management import call_command
from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

TASK_RESULT_RETENTION_DAYS = 7


@task
def task_results_prune() -> None:
    """Delete finished task results older than the retention period (django-tasks-db keeps one row per run)."""
    call_command("prune_db_task_results", min_age_days=TASK_RESULT_RETENTION_DAYS, queue_name="*", verbosity=0)


register_periodic(task_results_prune, seconds=24 * 3600)


@task
def calendar_lifecycle_run() -> None:
    """Provisional calendars, the admins' reminder to import next year, and owed notices (hourly, idempotent)."""
    from .calendar_lifecycle import calendar_lifecycle_daily

    calendar_lifecycle_daily(now=timezone.now())


register_periodic(calendar_lifecycle_run, seconds=3600)
