"""Background tasks of the applications app, run by `yingdu worker`."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

from .reminders import application_reminders_send


@task
def application_reminders_run() -> int:
    """The daily digest to reviewers of applications at risk or overdue (sent once a day, checked hourly)."""
    now = timezone.now()
    return application_reminders_send(today=timezone.localdate(now), now=now)


register_periodic(application_reminders_run, seconds=3600)
