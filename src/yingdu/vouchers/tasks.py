"""Background tasks of the voucher app, run by `yingdu worker`."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

from .services import vouchers_daily


@task
def vouchers_daily_run() -> dict:
    """Expire vouchers past their last valid day (Asia/Shanghai) and send the 30- and 7-day reminders."""
    now = timezone.now()
    return vouchers_daily(today=timezone.localdate(now), now=now)


# The job is idempotent (each voucher expires once, each reminder is sent once), so it runs hourly rather than once a
# day: a voucher expires within the first hour after its last valid day even when the worker was restarted.
register_periodic(vouchers_daily_run, seconds=3600)
