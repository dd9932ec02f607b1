"""Background tasks of the public statistics and of the 公示, run by `yingdu worker`."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

from .services import publicity_awards_issue, statistics_snapshot_take

# A proposed award is issued on the first run after the end of its last working day of 公示 (Beijing time)
ISSUE_SECONDS = 600
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


def _awards_proposed() -> bool:
    from .selectors import publicity_proposed_ids

    return bool(publicity_proposed_ids())


@task
def publicity_awards_issue_run() -> int:
    """Issue the proposed awards whose 公示 has ended without an open or upheld objection; return how many."""
    return publicity_awards_issue(now=timezone.now())


register_periodic(publicity_awards_issue_run, seconds=ISSUE_SECONDS, when=_awards_proposed)
