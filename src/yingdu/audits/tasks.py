"""Background tasks of the oversight app, run by `yingdu worker`."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

from .dbaudit import db_audit_daily
from .services import draw_auto


@task
def draw_auto_run() -> str | None:
    """Draw the last ended quarter when the policy's working day after its end has come and no auditor has drawn."""
    draw = draw_auto(now=timezone.now())
    return None if draw is None else draw.quarter


# the database audit runs once a day and e-mails the admins on any mismatch (issue 8)
register_periodic(db_audit_daily, seconds=24 * 3600)
# hourly, as the checks are cheap: the draw is made within the first hour of its day (issue 16 item 4)
register_periodic(draw_auto_run, seconds=3600)
