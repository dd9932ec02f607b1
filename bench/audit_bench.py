"""Database audit (`yingdu audit db`): entries/s of the full audit against reading the same rows, SQLite and PostgreSQL.

Each database is built in a child process (`python -m bench.audit_bench DATABASE_URL`): a provider, an enterprise and
a work through the services, then N batch-signed usage records appended in batches through `log_append` with their
rows inserted raw (as the ingestion does, without HTTP, parsing or signatures), then a signed checkpoint. The child
times a plain read of the same rows (entries, stored hashes, usage records, page by page), the full audit, and the
audit under cProfile, and prints the figures as JSON.
"""

import cProfile
import hashlib
import json
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

ENTRIES = 10_000_000 if os.environ.get("BENCH_LARGE") else int(os.environ.get("BENCH_AUDIT_ENTRIES", "200000"))
PROFILE_MAX_ENTRIES = 1_000_000
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "yingdu_bench_audit"
BATCH = 5000
GOAL_ENTRIES_PER_SECOND = 200_000
# `--jobs` of the parallel run: one process checks the tree, the others the tables
AUDIT_JOBS = int(os.environ.get("BENCH_AUDIT_JOBS", str(os.cpu_count() or 2)))
GOAL_PARALLEL_RATIO = 1.3

# cProfile stages, by function, as shares of the audit's time
STAGES = [
    ("reading entry pages (`_read_entries`)", "_read_entries"),
    ("reading stored-hash pages (`_stored_hashes`)", "_stored_hashes"),
    ("usage-record pages read and compared (`UsageProjection.page`)", "page"),
    ("recomputing subtree hashes (`stored_hashes_for_leaves`)", "stored_hashes_for_leaves"),
    ("JSON decoding of entries and records (`json.loads`)", "loads"),
    ("expected usage rows from entries (`_expected_usage`)", "_expected_usage"),
    ("tables compared at the end (`finish`)", "finish"),
]


def _build(count: int) -> None:
    """The bench data: real provider, enterprise and work, then `count` usage entries and rows, then a checkpoint."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from yingdu.accounts.models import Role
    from yingdu.db import insert_rows
    from yingdu.metering.events import usage_event_builder
    from yingdu.metering.models import RecordStatus, UsageRecord
    from yingdu.testing.clients import verified
    from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_work
    from yingdu.tlog import MemoryHashStore
    from yingdu.transparency.canonical import canonical_json
    from yingdu.transparency.services import checkpoint_sign, event_time, log_append

    meter = make_metering_provider()
    enterprise = make_enterprise(verified_by=verified(make_staff(Role.REVIEWER)))
    work = make_work(enterprise)
    ops = connection.ops
    started = timezone.now().replace(microsecond=0) - timedelta(days=1)
    columns = ["provider", "record_id", "content_sha256", "enterprise_uscc", "project_tag", "sku", "quantity",
               "started_at", "ended_at", "node_id", "job_id", "gpu_id", "status", "quarantine_reason", "enterprise",
               "work", "category", "price_fen", "cost_microfen", "signing_key", "signature", "batch_root",
               "batch_index", "batch_size", "log_index", "received_at", "attributed_enterprise", "attributed_work"]
    for first in range(0, count, BATCH):
        size = min(BATCH, count - first)
        now = timezone.now()
        records = [{"record_id": f"bench-{n:09d}", "enterprise_uscc": enterprise.uscc,
                    "project_tag": work.project_tag, "sku": meter.sku, "quantity": f"{1 + n % 97}.25",
                    "started_at": event_time(started), "ended_at": event_time(started + timedelta(hours=2)),
                    "node_id": f"node-{n % 64}", "gpu_id": f"GPU-{n % 512:04x}"} for n in range(first, first + size)]
        contents = [canonical_json(record) for record in records]
        batch = MemoryHashStore()
        batch.append_leaf_hashes([hashlib.sha256(b"\x00" + content).digest() for content in contents])
        batch_root = batch.root_hash()
        build = usage_event_builder(provider=meter.provider, key=meter.signing_key, batch_root=batch_root,
                                    batch_signature=b"\x00" * 64, batch_size=size, now=now)
        events = []
        for position, (record, content) in enumerate(zip(records, contents, strict=True)):
            quantity_micro = int(record["quantity"].replace(".", "")) * 10_000
            events.append(build(content=content, digest=hashlib.sha256(content).hexdigest(),
                                enterprise_id=enterprise.pk, work_id=work.pk, quarantine="", corrects_id=None,
                                price_fen=meter.price_fen, cost_microfen=quantity_micro * meter.price_fen,
                                signature=None, batch_index=position, batch_path=None))
        with transaction.atomic():
            appended = log_append(events=events, now=now)
            insert_rows(UsageRecord, columns, [(
                meter.provider.pk, record["record_id"], event["record_sha256"], record["enterprise_uscc"],
                record["project_tag"], record["sku"], ops.adapt_decimalfield_value(Decimal(record["quantity"]), 24, 6),
                ops.adapt_datetimefield_value(started), ops.adapt_datetimefield_value(started + timedelta(hours=2)),
                record["node_id"], "", record["gpu_id"], RecordStatus.ACCEPTED, "", enterprise.pk, work.pk,
                "compute", meter.price_fen, event["cost_microfen"], meter.signing_key.pk, b"\x00" * 64, batch_root,
                position, size, entry.index, ops.adapt_datetimefield_value(now), enterprise.pk, work.pk)
                for position, (record, event, entry) in enumerate(zip(records, events, appended, strict=True))])
    checkpoint_sign(now=timezone.now())


def _read_same_rows(page_size: int) -> tuple[float, int]:
    """Baseline: the rows the audit reads, page by page through the same cursor, with no work on them."""
    from django.db import connection

    from yingdu.audits.dbaudit import _read_entries, _stored_hashes
    from yingdu.audits.projections.metering import UsageProjection
    from yingdu.tlog import stored_hash_count
    from yingdu.transparency.models import LogHead

    tree_size = LogHead.objects.get().tree_size
    sql = UsageProjection()._page_sql
    rows = 0
    began = time.perf_counter()
    for start in range(0, tree_size, page_size):
        end = min(start + page_size, tree_size)
        rows += len(_read_entries(start, end))
        rows += len(_stored_hashes(stored_hash_count(tree_size=start), stored_hash_count(tree_size=end)))
        with connection.cursor() as cursor:
            cursor.execute(sql, [start, end])
            rows += len(cursor.fetchall())
    return time.perf_counter() - began, rows


def _profile_shares(page_size: int) -> dict:
    from yingdu.audits.dbaudit import db_audit

    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    report = db_audit(page_size=page_size)
    profiler.disable()
    elapsed = time.perf_counter() - began
    stats = pstats.Stats(profiler).stats
    total = sum(timing[2] for timing in stats.values())
    shares = []
    for label, function in STAGES:
        cumulative = sum(timing[3] for (_file, _line, name), timing in stats.items() if name == function)
        shares.append((label, cumulative / max(elapsed, total, 1e-9)))
    return {"entries": report.entries_read, "entries_per_second": report.entries_read / elapsed, "shares": shares}


def child(database_url: str) -> dict:
    """In the child process: build the database, measure, return the figures."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingdu.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    from yingdu.audits.dbaudit import PAGE_SIZE, db_audit

    began = time.perf_counter()
    _build(ENTRIES)
    build_seconds = time.perf_counter() - began
    read_seconds, rows = _read_same_rows(PAGE_SIZE)
    report = db_audit(page_size=PAGE_SIZE)
    if not report.ok:
        raise RuntimeError("the bench database does not audit clean:\n" + report.summary(listed=20))
    audit_seconds = report.seconds
    parallel = db_audit(page_size=PAGE_SIZE, jobs=AUDIT_JOBS)
    if not parallel.ok:
        raise RuntimeError("the parallel audit disagrees:\n" + parallel.summary(listed=20))
    read_again, _rows = _read_same_rows(PAGE_SIZE)
    # cProfile halves the speed: skipped on large runs
    profile = _profile_shares(PAGE_SIZE) if ENTRIES <= PROFILE_MAX_ENTRIES else None
    return {"entries": report.entries_read, "rows": rows, "build_seconds": build_seconds,
            "read_seconds": min(read_seconds, read_again), "audit_seconds": audit_seconds,
            "parallel_seconds": parallel.seconds, "profile": profile}


def _measure(database_url: str, bench_dir: Path) -> dict:
    from yingdu.testing.ingest_server import server_env

    root = Path(__file__).resolve().parent.parent
    var_dir = bench_dir / "audit-var"
    var_dir.mkdir(exist_ok=True)
    env = server_env(database_url=database_url, var_dir=var_dir)
    done = subprocess.run([sys.executable, "-m", "bench.audit_bench", database_url], cwd=root, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"audit bench child failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(*, bench_dir: Path) -> list[str]:
    from yingdu.testing.ingest_server import postgres_database_url, postgres_recreate

    results = {"SQLite": _measure(f"sqlite:///{bench_dir / 'audit.sqlite3'}", bench_dir)}
    skipped = None
    try:
        postgres_recreate(PG_URL, PG_DATABASE)
    except Exception as error:  # noqa: BLE001 - any failure to reach the server skips PostgreSQL
        skipped = str(error).splitlines()[0]
    if skipped is None:
        try:
            results["PostgreSQL"] = _measure(postgres_database_url(PG_URL, PG_DATABASE), bench_dir)
        finally:
            postgres_recreate(PG_URL, PG_DATABASE, drop_only=True)
    lines = [
        "## Database audit",
        "",
        f"`yingdu audit db` on {ENTRIES:,} batch-signed usage records (one `metering.usage_accepted` entry and one"
        " usage row each, appended in batches of 5,000 through `log_append`, rows inserted raw), plus the entries of"
        " the migrations and of the provider, enterprise and work. The audit reads every entry, recomputes its leaf"
        " and subtree hashes and compares them with the stored hashes, checks the head and the signed checkpoint,"
        " decodes each entry and recomputes the usage row it implies and compares it with the table. Baseline in the"
        " same run: reading the same rows (entries, stored hashes, usage records) page by page through the same"
        " queries, doing nothing with them.",
        "",
        f"| database | audit, entries/s | `--jobs {AUDIT_JOBS}`, entries/s | read the same rows, entries/s |"
        f" ratio (audit / read time) | ratio with `--jobs {AUDIT_JOBS}` |",
        "|---|---|---|---|---|---|",
    ]
    for database, figures in results.items():
        audit_rate = figures["entries"] / figures["audit_seconds"]
        parallel_rate = figures["entries"] / figures["parallel_seconds"]
        read_rate = figures["entries"] / figures["read_seconds"]
        lines.append(f"| {database} | {audit_rate:,.0f} | {parallel_rate:,.0f} | {read_rate:,.0f} |"
                     f" {figures['audit_seconds'] / figures['read_seconds']:.2f} |"
                     f" {figures['parallel_seconds'] / figures['read_seconds']:.2f} |")
    lines.append("")
    worst = max(figures["parallel_seconds"] / figures["read_seconds"] for figures in results.values())
    if worst > GOAL_PARALLEL_RATIO:
        lines += [f"Goal: `--jobs {AUDIT_JOBS}` within {GOAL_PARALLEL_RATIO}× the read time. Not met in this run"
                  f" (worst {worst:.2f}×): see the profile below.", ""]
    if skipped is not None:
        lines += [f"PostgreSQL skipped: not reachable at `{PG_URL}` ({skipped}).", ""]
    best = max(figures["entries"] / figures["audit_seconds"] for figures in results.values())
    if best < GOAL_ENTRIES_PER_SECOND:
        lines += [f"Goal ≥ {GOAL_ENTRIES_PER_SECOND:,} entries/s: not met in this run.", ""]
    profiled = {name: figures["profile"] for name, figures in results.items() if figures.get("profile")}
    if profiled:
        names = list(profiled)
        lines += [
            "### Where the time goes",
            "",
            "cProfile of the same audit, as shares of its time (cumulative, so nested stages overlap: JSON decoding"
            " of the provider's record happens inside the expected usage rows).",
            "",
            "| stage | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names),
        ]
        for row, (label, _share) in enumerate(profiled[names[0]]["shares"]):
            lines.append(f"| {label} | " + " | ".join(f"{profiled[n]['shares'][row][1]:.0%}" for n in names) + " |")
        lines.append("| entries/s under the profiler | " + " | ".join(
            f"{profiled[n]['entries_per_second']:,.0f}" for n in names) + " |")
        lines += ["", *TIME_NOTES, ""]
    lines += [
        "`BENCH_AUDIT_ENTRIES` changes the count (`BENCH_LARGE=1`: 10,000,000); `BENCH_PG_URL` the PostgreSQL server"
        f" (database `{PG_DATABASE}` is created and dropped).",
        "",
    ]
    return lines


TIME_NOTES = [
    "Reading: the audit is one Python thread doing, per entry, a SHA-256 leaf hash, about one subtree hash, two JSON"
    " decodes (the entry and the provider's record inside it), time and Decimal parses, and a tuple comparison with"
    " the row. On these 2-core machines even reading the three rows per entry stays under 200,000 entries/s, so the"
    " goal needs more than one core: the tree splits into aligned ranges whose subtree hashes are independent, and"
    " usage pages are independent too, so worker processes can audit ranges in parallel (the next step, see"
    " docs/decisions.md). After that: a faster JSON decoder (JSON is the largest share) and stored hashes read as"
    " tiles rather than one row per hash.",
]


if __name__ == "__main__":
    figures = child(sys.argv[1])
    sys.stdout.write(json.dumps(figures) + "\n")
