"""Background tasks of the applications app, run by `yingdu worker`."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

from .reminders import application_reminders_send
from .services import applications_sla_refresh_open


@task
def application_reminders_run() -> int:
    """The stored review clocks that move with the date (paused applications), refreshed once a day; then the
    daily digest to reviewers of applications at risk or overdue (sent once a day, checked hourly)."""
    now = timezone.now()
    applications_sla_refresh_open(today=timezone.localdate(now), only_moving=True)
    return application_reminders_send(today=timezone.localdate(now), now=now)


register_periodic(application_reminders_run, seconds=3600)
