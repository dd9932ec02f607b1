"""Background tasks of the transparency log, run by `yingdu worker`."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

from .selectors import log_has_unsigned_entries
from .services import checkpoint_ensure_current


@task
def checkpoint_sign_when_grown() -> int:
    """Sign a checkpoint if entries were appended since the latest one; return the latest signed tree size."""
    return checkpoint_ensure_current(now=timezone.now()).tree_size


# A new checkpoint at most about a second after new entries (issue 3): checked every second, enqueued only when the
# log has grown and no earlier run is still waiting.
register_periodic(checkpoint_sign_when_grown, seconds=1, when=log_has_unsigned_entries)
