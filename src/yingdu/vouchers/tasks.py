"""Background tasks of the voucher app, run by `yingdu worker`."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

from .ledger import ledger_check_record
from .services import vouchers_daily

# how often the worker recomputes the ledger (the finance page shows the latest result and its time)
LEDGER_CHECK_INTERVAL_SECONDS = 600


@task
def vouchers_daily_run() -> dict:
    """Expire vouchers past their last valid day (Asia/Shanghai) and send the 30- and 7-day reminders."""
    now = timezone.now()
    return vouchers_daily(today=timezone.localdate(now), now=now)


# The job is idempotent (each voucher expires once, each reminder is sent once), so it runs hourly rather than once a
# day: a voucher expires within the first hour after its last valid day even when the worker was restarted.
register_periodic(vouchers_daily_run, seconds=3600)


@task
def ledger_check_run() -> bool:
    """Recompute the whole voucher ledger and keep the result for the finance page; True when it balances."""
    return ledger_check_record(clock=timezone.now).ok


# The full check reads every transfer and every transfer entry of the log: run by the worker, not on a page view.
register_periodic(ledger_check_run, seconds=LEDGER_CHECK_INTERVAL_SECONDS)
