"""Static files collected and compressed once (at install time), not at every start of the server.

`collectstatic` with WhiteNoise's compressing storage writes gzip and Brotli copies of every file; Brotli at its
highest level on ECharts and the API documentation bundle takes tens of seconds on a loaded machine. The collected
set carries a fingerprint of its sources (path, size and modification time of every file the finders see): `yingdu
static_collect` (run by `make install`) and `yingdu serve` collect only when it no longer matches.
"""

import hashlib
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

STAMP_NAME = ".yingdu-collected"


def sources_fingerprint() -> str:
    """SHA-256 over the path, size and modification time of every static source file (milliseconds to compute)."""
    digest = hashlib.sha256()
    seen = set()
    for finder in finders.get_finders():
        for path, storage in finder.list(None):
            if path in seen:  # the first finder's file wins, as collectstatic does
                continue
            seen.add(path)
            status = Path(storage.path(path)).stat()
            digest.update(f"{path}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _stamp() -> Path:
    return Path(settings.STATIC_ROOT) / STAMP_NAME


def static_is_current() -> bool:
    stamp = _stamp()
    return stamp.exists() and stamp.read_text().strip() == sources_fingerprint()


def static_collect(*, force: bool = False) -> bool:
    """Collect and compress the static files unless the collected set is current; True when it collected."""
    from django.core.management import call_command

    if not force and static_is_current():
        return False
    fingerprint = sources_fingerprint()
    call_command("collectstatic", interactive=False, verbosity=0)
    _stamp().write_text(fingerprint + "\n")
    return True
