"""Background tasks of the oversight app, run by `yingdu worker`."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic
from yingdu.transparency.keys import configured_witnesses

from .dbaudit import db_audit_daily
from .draw import Quarter
from .draws import draw_auto, draw_commitments_collect

# How often the witnesses' draw commitments are asked for until each has been recorded (a request per witness and
# quarter, answered from the witness's key: cheap for both sides).
DRAW_COMMITMENT_INTERVAL_SECONDS = 3600


@task
def draw_auto_run() -> str | None:
    """Draw the last ended quarter when the policy's working day after its end has come and no auditor has drawn."""
    draw = draw_auto(now=timezone.now())
    return None if draw is None else draw.quarter


@task
def draw_commitments_collect_due() -> int:
    """Record the witnesses' commitments for the current and the next quarter's draw; return how many were new."""
    now = timezone.now()
    current = Quarter.of_timestamp(int(now.timestamp()))
    following = Quarter.of_timestamp(current.end_timestamp)
    return sum(len(draw_commitments_collect(quarter=str(quarter), now=now)) for quarter in (following, current))


# the database audit runs once a day and e-mails the admins on any mismatch (issue 8)
register_periodic(db_audit_daily, seconds=24 * 3600)
# hourly, as the checks are cheap: the draw is made within the first hour of its day (issue 16 item 4)
register_periodic(draw_auto_run, seconds=3600)
# the next quarter's draw commitments are recorded a quarter in advance (docs/decisions.md, issue 17 item 4)
register_periodic(draw_commitments_collect_due, seconds=DRAW_COMMITMENT_INTERVAL_SECONDS,
                  when=lambda: bool(configured_witnesses()))
