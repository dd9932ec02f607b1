"""Background tasks of the transparency log, run by `yingdu worker`."""

from django.tasks import task
from django.utils import timezone

from yingdu.periodic import register_periodic

from .keys import configured_witnesses
from .selectors import checkpoint_latest, checkpoint_needs_witnesses, log_has_unsigned_entries
from .services import checkpoint_ensure_current, checkpoint_witness

# Retrying witnesses that refused or could not be reached: less often than signing, since each try may wait for the
# configured timeout (YINGDU_LOG_WITNESS_TIMEOUT_SECONDS) per witness.
WITNESS_RETRY_SECONDS = 30


@task
def checkpoint_sign_when_grown() -> int:
    """Sign a checkpoint if entries were appended since the latest one and submit it to the configured witnesses;
    return the latest signed tree size."""
    signed = checkpoint_ensure_current(now=timezone.now())
    if configured_witnesses():
        checkpoint_witness(checkpoint=signed, now=timezone.now())
    return signed.tree_size


@task
def checkpoint_witness_pending() -> int:
    """Submit the latest checkpoint again to the witnesses that have not cosigned it; return how many did now."""
    latest = checkpoint_latest()
    if latest is None:
        return 0
    return sum(outcome.cosigned for outcome in checkpoint_witness(checkpoint=latest, now=timezone.now()))


# A new checkpoint at most about a second after new entries (issue 3): checked every second, enqueued only when the
# log has grown and no earlier run is still waiting.
register_periodic(checkpoint_sign_when_grown, seconds=1, when=log_has_unsigned_entries)
register_periodic(checkpoint_witness_pending, seconds=WITNESS_RETRY_SECONDS, when=checkpoint_needs_witnesses)
