"""The provider client, re-exported: its one source is the `yingdu-push` distribution (push/ in this repository,
package `yingdu_push`), which the platform depends on. Imports no Django."""

from yingdu_push import INGEST_API_VERSION, __version__  # noqa: F401
from yingdu_push.cli import main  # noqa: F401
from yingdu_push.client import (  # noqa: F401
    BATCH_PREFIX,
    CSV_COLUMNS,
    canonical,
    key_id,
    load_key,
    merkle_root,
    post,
    public_bytes,
    signed_batch,
    write_signed_csv,
)
