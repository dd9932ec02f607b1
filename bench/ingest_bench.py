"""Usage ingestion end to end through HTTP: gunicorn with 2 workers, 2 client threads, on SQLite and PostgreSQL."""

import base64
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from yingdu import push
from yingdu.testing.ingest_server import (
    IngestFixture,
    Server,
    postgres_database_url,
    postgres_recreate,
    prepare_database,
    server_env,
)

BATCH_RECORDS = int(os.environ.get("BENCH_INGEST_RECORDS", "40000"))
PER_RECORD_RECORDS = int(os.environ.get("BENCH_INGEST_PER_RECORD_RECORDS", "10000"))
PROFILE_RECORDS = int(os.environ.get("BENCH_INGEST_PROFILE_RECORDS", "11000"))
BATCH_SIZE = 1000
CLIENT_THREADS = 2
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# BENCH_PG_DATABASE: another name, so that benchmarks run side by side on one server do not drop each other's database
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "yingdu_bench")
VERIFICATIONS = 5000
GOAL_RECORDS_PER_SECOND = 25_000


def _records(fixture: IngestFixture, prefix: str, count: int) -> list[dict]:
    return [{"record_id": f"{prefix}-{n:08d}", "enterprise_uscc": fixture.enterprise_uscc,
             "project_tag": fixture.project_tag, "sku": "gpu-a100-hour", "quantity": f"{1 + n % 97}.25",
             "started_at": "2026-11-20T09:00:00+08:00", "ended_at": "2026-11-20T11:30:00+08:00",
             "node_id": f"node-{n % 64}", "gpu_id": f"GPU-{n % 512:04x}"} for n in range(count)]


def _push(server: Server, fixture: IngestFixture, records: list[dict], *, per_record: bool) -> float:
    """Records/s through HTTP; batches are signed before the clock starts (signing is the provider's cost)."""
    private_key = fixture.private_key()
    bodies = [push.signed_batch(records[start:start + BATCH_SIZE], private_key, per_record=per_record)
              for start in range(0, len(records), BATCH_SIZE)]
    accepted = 0
    lock = threading.Lock()

    def send(body):
        nonlocal accepted
        answer = push.post(server.url, fixture.api_key, body)
        with lock:
            accepted += answer["accepted"]

    began = time.perf_counter()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(send, bodies))
    elapsed = time.perf_counter() - began
    if accepted != len(records):
        raise RuntimeError(f"{accepted} of {len(records)} records accepted")
    return len(records) / elapsed


def _baseline_rows(records: list[dict]) -> list[tuple]:
    return [(r["record_id"], r["enterprise_uscc"], r["project_tag"], r["sku"], Decimal(r["quantity"]),
             datetime.fromisoformat(r["started_at"]), datetime.fromisoformat(r["ended_at"]), r["node_id"], r["gpu_id"],
             push.canonical(r)) for r in records]


BASELINE_COLUMNS = ("record_id text, enterprise_uscc text, project_tag text, sku text, quantity numeric, "
                    "started_at timestamptz, ended_at timestamptz, node_id text, gpu_id text, content bytea")


def _copy_postgres(database_url: str, rows: list[tuple]) -> float:
    """Baseline: the same rows COPYed into a plain table in batches of 1,000, one transaction each."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        conn.execute(f"CREATE TABLE bench_copy ({BASELINE_COLUMNS})")
        conn.commit()
        began = time.perf_counter()
        for start in range(0, len(rows), BATCH_SIZE):
            with conn.cursor() as cursor, cursor.copy("COPY bench_copy FROM STDIN") as copy:
                for row in rows[start:start + BATCH_SIZE]:
                    copy.write_row(row)
            conn.commit()
        return len(rows) / (time.perf_counter() - began)


def _executemany_sqlite(path: Path, rows: list[tuple]) -> float:
    """Baseline: the same rows inserted with executemany in batches of 1,000 (WAL, synchronous=NORMAL)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE bench_insert ({BASELINE_COLUMNS.replace('bytea', 'blob')})")
    sqlite_rows = [(*row[:4], str(row[4]), row[5].isoformat(), row[6].isoformat(), *row[7:]) for row in rows]
    began = time.perf_counter()
    for start in range(0, len(rows), BATCH_SIZE):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO bench_insert VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         sqlite_rows[start:start + BATCH_SIZE])
        conn.execute("COMMIT")
    rate = len(rows) / (time.perf_counter() - began)
    conn.close()
    return rate


def ed25519_verifications_per_second() -> float:
    """Ed25519 verifications of record-sized messages per second on one core (cryptography)."""
    private_key = Ed25519PrivateKey.generate()
    public_key = private_key.public_key()
    messages = [base64.b64encode(os.urandom(180)) for _ in range(VERIFICATIONS)]
    signatures = [private_key.sign(message) for message in messages]
    began = time.perf_counter()
    for message, signature in zip(messages, signatures, strict=True):
        public_key.verify(signature, message)
    return VERIFICATIONS / (time.perf_counter() - began)


def _measure(database: str, database_url: str, bench_dir: Path) -> dict:
    var_dir = bench_dir / f"ingest-{database}"
    env = server_env(database_url=database_url, var_dir=var_dir)
    fixture = prepare_database(env)
    with Server(env, workers=2) as server:
        batch = _push(server, fixture, _records(fixture, "batch", BATCH_RECORDS), per_record=False)
        per_record = _push(server, fixture, _records(fixture, "single", PER_RECORD_RECORDS), per_record=True)
    profiled = subprocess.run(
        [sys.executable, "-m", "bench.ingest_profile", json.dumps(fixture.__dict__), str(PROFILE_RECORDS)],
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}, check=True, capture_output=True,
        text=True, timeout=600)
    profile = json.loads(profiled.stdout.strip().splitlines()[-1])
    rows = _baseline_rows(_records(fixture, "baseline", BATCH_RECORDS))
    if database == "PostgreSQL":
        baseline = _copy_postgres(database_url, rows)
    else:
        baseline = _executemany_sqlite(var_dir / "baseline.sqlite3", rows)
    return {"batch": batch, "per_record": per_record, "baseline": baseline, "profile": profile}


def _postgres_reachable() -> str | None:
    """None when the bench can create its database, else the reason it cannot."""
    try:
        postgres_recreate(PG_URL, PG_DATABASE)
    except Exception as error:  # noqa: BLE001 — any failure means: skip PostgreSQL and say why
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    return None


def run(*, bench_dir: Path) -> list[str]:
    load_before = os.getloadavg()[0]
    verify_rate = ed25519_verifications_per_second()
    results = {"SQLite": _measure("SQLite", f"sqlite:///{bench_dir / 'ingest.sqlite3'}", bench_dir)}
    skipped = _postgres_reachable()
    if skipped is None:
        try:
            results["PostgreSQL"] = _measure("PostgreSQL", postgres_database_url(PG_URL, PG_DATABASE), bench_dir)
        finally:
            postgres_recreate(PG_URL, PG_DATABASE, drop_only=True)
    lines = [
        "## Ingestion",
        "",
        f"`POST /api/v1/usage-records` end to end: gunicorn with 2 workers on a fresh database, {CLIENT_THREADS}"
        f" client threads posting through `yingdu.push.post` batches of {BATCH_SIZE:,} records signed by"
        " `yingdu.push.signed_batch` (signed before the clock starts). Every record is parsed, its signature checked,"
        " de-duplicated, priced, stored and appended to the transparency log in the same transaction, and receipted."
        f" Batch-signed: {BATCH_RECORDS:,} records; per-record-signed: {PER_RECORD_RECORDS:,}. Baselines in the same"
        " run: PostgreSQL `COPY` (psycopg `cursor.copy`) and SQLite `executemany` of the same records' fields into a"
        f" plain table, {BATCH_SIZE:,} rows per transaction; Ed25519 verifications of record-sized messages on one"
        " core (cryptography).",
        "",
        "| database | batch-signed, records/s | raw baseline, rows/s | ratio | per-record-signed, records/s |"
        " Ed25519 verify/s (1 core) | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for database, figures in results.items():
        baseline_name = "COPY" if database == "PostgreSQL" else "executemany"
        lines.append(
            f"| {database} | {figures['batch']:,.0f} | {figures['baseline']:,.0f} ({baseline_name}) |"
            f" {figures['batch'] / figures['baseline']:.3f} | {figures['per_record']:,.0f} | {verify_rate:,.0f} |"
            f" {figures['per_record'] / verify_rate:.3f} |")
    lines += ["", f"Load average (1 min) of the shared machine at the start and end of this section:"
              f" {load_before:.1f} and {os.getloadavg()[0]:.1f} (2 cores); the ratios compare runs made under the same"
              " load, the records/s alone do not.", ""]
    if skipped is not None:
        lines += [f"PostgreSQL skipped: not reachable at `{PG_URL}` ({skipped}).", ""]
    elif results["PostgreSQL"]["batch"] < GOAL_RECORDS_PER_SECOND:
        lines += [f"Goal ≥ {GOAL_RECORDS_PER_SECOND:,} records/s on PostgreSQL: not met in this run.", ""]
    lines += _where_the_time_goes(results)
    lines += [
        "`BENCH_INGEST_RECORDS` and `BENCH_INGEST_PER_RECORD_RECORDS` change the counts; `BENCH_PG_URL` the"
        " PostgreSQL server and `BENCH_PG_DATABASE` the database created and dropped (default `yingdu_bench`).",
        "",
    ]
    return lines


def _where_the_time_goes(results: dict) -> list[str]:
    databases = list(results)
    lines = [
        "### Where the time goes",
        "",
        f"cProfile of {PROFILE_RECORDS - BATCH_SIZE:,} batch-signed records posted in-process (Django test client,"
        " one thread, same database after the HTTP run), as shares of the API view's time; the stages overlap where"
        " marked ·. The records/s row is under the profiler, single-threaded.",
        "",
        "| stage | " + " | ".join(databases) + " |",
        "|---|" + "---|" * len(databases),
    ]
    for row, (label, _share) in enumerate(results[databases[0]]["profile"]["shares"]):
        lines.append(f"| {label} | " + " | ".join(
            f"{results[name]['profile']['shares'][row][1]:.0%}" for name in databases) + " |")
    lines.append("| records/s under the profiler | " + " | ".join(
        f"{results[name]['profile']['records_per_second']:,.0f}" for name in databases) + " |")
    lines += ["", *TIME_NOTES, ""]
    return lines


TIME_NOTES = [
    "Reading: the share under the sequencer lock is serial, so however many workers run, ingestion cannot exceed"
    " the single-thread rate divided by that share; the rest (JSON, record checks, batch tree, response) runs in"
    " parallel across workers but competes for the same cores as PostgreSQL and the client threads. What was measured"
    " per process (CPU per record of the workers, of PostgreSQL and of `COPY`), what changed and the next steps, in"
    " the order they would pay, are in docs/decisions.md (Ingestion at a quarter of COPY; Ingestion, the worker's"
    " steps: msgspec, binary COPY, fewer round trips, the entries' builder). `python -m bench.ingest_cpu` measures the"
    " CPU time per record of each process.",
]
