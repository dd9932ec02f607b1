"""Background task of the public statistics, run by `yingdu worker`."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

from .services import statistics_snapshot_take

# The public figures need not be fresher than a few minutes; each run holds the sequencer lock for a few grouped
# queries over the programme tables.
SNAPSHOT_SECONDS = 300


def _log_grew_since_snapshot() -> bool:
    from yingdu.transparency.selectors import log_head

    from .selectors import statistics_snapshot_latest

    latest = statistics_snapshot_latest()
    return latest is None or log_head().tree_size > latest.tree_size


@task
def statistics_snapshot() -> int:
    """Compute the public programme figures at a fresh checkpoint; return its tree size."""
    return statistics_snapshot_take(now=timezone.now()).tree_size


register_periodic(statistics_snapshot, seconds=SNAPSHOT_SECONDS, when=_log_grew_since_snapshot)
