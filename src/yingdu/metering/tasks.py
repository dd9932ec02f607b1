"""Background tasks of metering, run by `yingdu worker`: usage rollups and anomaly flags behind one watermark each."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

from .flagging import anomalies_advance, anomalies_behind

# The dashboard's figures are at most about this old (plus the run's own time) while usage flows.
MONITOR_REFRESH_SECONDS = 10


@task
def monitoring_refresh() -> int:
    """Roll up the usage logged since the last run, then flag anomalies in it; return the anomaly watermark."""
    return anomalies_advance(now=timezone.now())


register_periodic(monitoring_refresh, seconds=MONITOR_REFRESH_SECONDS, when=anomalies_behind)
