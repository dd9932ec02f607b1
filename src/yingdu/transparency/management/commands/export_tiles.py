import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yingdu.tlog.tiles import tiles_for_size
from yingdu.transparency import selectors


class Command(BaseCommand):
    help = ("Write the log in the C2SP tlog-tiles layout (checkpoint, tile/<L>/<N>[.p/<W>], tile/entries/…) to a "
            "directory for static hosting, as of the latest signed checkpoint. Full tiles already written are kept.")

    def add_arguments(self, parser):
        parser.add_argument("directory", help="target directory (created if missing)")

    def handle(self, *args, directory: str, **options):
        root = Path(directory)
        checkpoint = selectors.checkpoint_latest()
        if checkpoint is None:
            raise CommandError("no checkpoint has been signed yet (yingdu log_sign)")
        written = kept = 0
        for tile in tiles_for_size(checkpoint.tree_size):
            target = root / "tile" / tile.path()
            if tile.is_full and target.exists():
                kept += 1
                continue
            _write_atomically(target, selectors.tile_content(tile))
            written += 1
        # The checkpoint last, so a reader of the directory never sees a checkpoint whose tiles are missing.
        _write_atomically(root / "checkpoint", selectors.cosigned_note(checkpoint).encode("utf-8"))
        self.stdout.write(f"tree size {checkpoint.tree_size}: {written} tiles written, {kept} full tiles kept")


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
