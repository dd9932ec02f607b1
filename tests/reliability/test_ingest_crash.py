"""Crash safety of usage ingestion: the server is SIGKILLed at random moments while a client pushes 20,000 records.

A real gunicorn (2 workers) serves a database of its own (a file under tmp_path, or a PostgreSQL database created
for the test when DATABASE_URL points to PostgreSQL). Two client threads push signed batches and retry each one
until it is answered; a killer thread SIGKILLs the server's process group at seeded random moments and restarts it.
Afterwards every acknowledged record is stored exactly once, every receipt matches the log, and the log verifies.
"""

import base64
import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from yingdu import push
from yingdu.testing.ingest_server import (
    Server,
    postgres_database_url,
    postgres_recreate,
    prepare_database,
    server_env,
)
from yingdu.tlog import SignerKey, leaf_hash, root_hash, verify_note

RECORDS = 20_000
BATCH_SIZE = 500
CLIENT_THREADS = 2
KILLS = 4
SEED = 20261127
DEADLINE_SECONDS = 240


@pytest.fixture
def database_url(tmp_path):
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    name = f"yingdu_crash_{os.getpid()}"
    postgres_recreate(configured, name)
    try:
        yield postgres_database_url(configured, name)
    finally:
        postgres_recreate(configured, name, drop_only=True)


def _post_until_answered(url: str, api_key: str, data: bytes, deadline: float) -> dict:
    """POST one batch, retrying the same bytes whenever the server is down or dies before answering."""
    while True:
        request = urllib.request.Request(f"{url}/api/v1/usage-records", data=data, method="POST",
                                         headers={"Content-Type": "application/json", "X-API-Key": api_key})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code < 500:
                raise AssertionError(f"batch refused: {error.code} {error.read()[:500]!r}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException):
            pass
        assert time.monotonic() < deadline, "the server never answered a batch"
        time.sleep(0.05)


def _rows(database_url: str, sql: str) -> list[tuple]:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(sql).fetchall()


def test_acknowledged_records_survive_sigkills_exactly_once_and_the_log_verifies(tmp_path, database_url):
    rng = random.Random(SEED)
    env = server_env(database_url=database_url, var_dir=tmp_path / "var")
    fixture = prepare_database(env)
    private_key = fixture.private_key()
    records = [{"record_id": f"crash-{n:06d}", "enterprise_uscc": fixture.enterprise_uscc,
                "project_tag": fixture.project_tag, "sku": "gpu-a100-hour", "quantity": f"{1 + n % 13}.5",
                "started_at": "2026-11-20T09:00:00+08:00", "ended_at": "2026-11-20T11:30:00+08:00",
                "gpu_id": f"GPU-{n % 256:03d}"} for n in range(RECORDS)]
    bodies = [json.dumps(push.signed_batch(records[start:start + BATCH_SIZE], private_key)).encode()
              for start in range(0, RECORDS, BATCH_SIZE)]
    receipts: dict[str, dict] = {}
    acknowledged = 0
    progress = threading.Condition()
    finished = threading.Event()
    kills: list[int] = []
    server = Server(env, workers=2)
    deadline = time.monotonic() + DEADLINE_SECONDS

    def send(body: bytes) -> None:
        nonlocal acknowledged
        answer = _post_until_answered(server.url, fixture.api_key, body, deadline)
        assert answer["conflict"] == 0 and answer["invalid"] == 0, answer
        with progress:
            for result in answer["results"]:
                receipts[result["record_id"]] = result
            acknowledged += len(answer["results"])
            progress.notify_all()

    def killer() -> None:
        # Kill after seeded random amounts of acknowledged progress, plus a random delay that lands mid-request.
        for threshold in sorted(rng.sample(range(BATCH_SIZE, RECORDS - 6 * BATCH_SIZE), KILLS)):
            with progress:
                progress.wait_for(lambda threshold=threshold: acknowledged >= threshold or finished.is_set())
            if finished.is_set():
                return
            time.sleep(rng.uniform(0, 0.1))
            kills.append(acknowledged)
            server.kill()
            server.start()

    try:
        server.start()
        killing = threading.Thread(target=killer, daemon=True)
        killing.start()
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            list(pool.map(send, bodies))
        finished.set()
        with progress:
            progress.notify_all()
        killing.join(timeout=60)
        assert len(kills) == KILLS and max(kills) < RECORDS, f"kills at {kills} acknowledged records"

        # Every record acknowledged to the client is stored exactly once, at the receipt's log index.
        assert len(receipts) == RECORDS
        stored = _rows(database_url, "SELECT record_id, log_index FROM metering_usagerecord")
        assert len(stored) == RECORDS
        log_index_of = dict(stored)
        assert set(log_index_of) == {record["record_id"] for record in records}

        # Every receipt names the log entry of its record, with that entry's leaf hash.
        entries = _rows(database_url, 'SELECT "index", leaf_hash, entry FROM transparency_logentry ORDER BY "index"')
        assert [index for index, _leaf, _entry in entries] == list(range(len(entries)))
        leaves = [bytes(leaf) for _index, leaf, _entry in entries]
        assert all(leaf == leaf_hash(bytes(entry)) for leaf, (_i, _l, entry) in zip(leaves, entries, strict=True))
        for record_id, receipt in receipts.items():
            assert receipt["status"] in ("accepted", "duplicate"), receipt
            assert receipt["leaf_index"] == log_index_of[record_id]
            assert base64.b64decode(receipt["leaf_hash"]) == leaves[receipt["leaf_index"]]
            entry = json.loads(bytes(entries[receipt["leaf_index"]][2]))
            assert json.loads(entry["record"])["record_id"] == record_id

        # The tree over all entries is the head's and a signed checkpoint's, and the outside verifier agrees.
        [(tree_size, head_root)] = _rows(database_url, "SELECT tree_size, root_hash FROM transparency_loghead")
        assert tree_size == len(entries) and bytes(head_root) == root_hash(leaves)
        verifier_key = SignerKey.parse((tmp_path / "var" / "log_signing.key").read_text().strip()).verifier_key
        # The worker signs checkpoints (GETs never do): sign once, as it would, then read what the server serves.
        subprocess.run([sys.executable, "-m", "yingdu.cli", "log_sign"], env=env, check=True, capture_output=True,
                       timeout=120)
        with urllib.request.urlopen(f"{server.url}/api/v1/log/checkpoint", timeout=30) as response:
            checkpoint = verify_note(response.read().decode(), verifier_keys=[verifier_key])
        assert (checkpoint.tree_size, checkpoint.root_hash) == (len(entries), root_hash(leaves))
        audit = subprocess.run([sys.executable, "-m", "yingdu.tlog.cli", "log", "--url", server.url,
                                "--key", verifier_key.format(), "--full"], capture_output=True, text=True, timeout=120)
        assert audit.returncode == 0, audit.stdout + audit.stderr
    finally:
        finished.set()
        server.kill()
