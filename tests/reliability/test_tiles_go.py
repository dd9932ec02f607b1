"""An outside tile client reads the log: golang.org/x/mod/sumdb/tlog and sumdb/note (Debian's golang-go and
golang-golang-x-mod-dev, GOPATH mode) against the C2SP tlog-tiles API of a running server."""

import base64
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection

from yingdu.testing.events import sample_entries, sample_entry
from yingdu.transparency.keys import verifier_keys
from yingdu.transparency.services import canonical_entry, checkpoint_sign, log_append

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("go") is None, reason="go is not installed (make system-deps)"),
]

# made at one fixed moment, not the real clock
NOW = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)

CLIENT_SOURCE = Path(__file__).parent / "go" / "tileclient"
GOPATH = "/usr/share/gocode"


@pytest.fixture(scope="module")
def tile_client(tmp_path_factory) -> Path:
    if not (Path(GOPATH) / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        pytest.fail("golang-golang-x-mod-dev is missing: run make system-deps")
    binary = tmp_path_factory.mktemp("go") / "tileclient"
    build_environment = {**os.environ, "GOPATH": GOPATH, "GO111MODULE": "off", "GOFLAGS": "",
                         "GOCACHE": str(tmp_path_factory.mktemp("gocache"))}
    build = subprocess.run(["go", "build", "-o", str(binary), "."], cwd=CLIENT_SOURCE, env=build_environment,
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    return binary


def run_client(binary: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *arguments], capture_output=True, text=True, timeout=120)


def test_go_sumdb_tlog_reads_and_proves_every_entry_through_the_tiles(live_server, tile_client):
    log_append(events=sample_entries(300), now=NOW)
    old = checkpoint_sign(now=NOW)
    log_append(events=sample_entries(270, start=300), now=NOW)
    new = checkpoint_sign(now=NOW)
    prefix = f"{live_server.url}/api/v1/log"
    key = verifier_keys()[0].format()

    result = run_client(tile_client, prefix, key, str(old.tree_size),
                        base64.b64encode(bytes(old.root_hash)).decode())
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"at tree size {new.tree_size}" in result.stdout

    # The client trusts nothing the server says: an entry edited by hand no longer hashes into the tiles.
    with connection.cursor() as cursor:
        cursor.execute('UPDATE transparency_logentry SET entry = %s WHERE "index" = %s',
                       [canonical_entry(sample_entry(999)), 7])
    tampered = run_client(tile_client, prefix, key)
    assert tampered.returncode == 1
    assert "record 7" in tampered.stderr

    stranger = "someone-else/log+00000000+AQ" + "A" * 42 + "="
    assert run_client(tile_client, prefix, stranger).returncode == 1
