"""Transparency log: batched appends with persistence, and proofs at a large tree size."""

import os
import random
import statistics
import time
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from yingdu.testing.events import sample_entries
from yingdu.tlog import leaf_hash, prove_consistency, prove_inclusion
from yingdu.transparency.selectors import DatabaseHashReader
from yingdu.transparency.services import canonical_entry, log_append

APPEND_ENTRIES = int(os.environ.get("BENCH_APPEND_ENTRIES", "100000"))
PROOF_LEAVES = 10_000_000 if os.environ.get("BENCH_LARGE") else int(os.environ.get("BENCH_PROOF_LEAVES", "1000000"))
BATCH = 5000
PROOFS = 1000
PYMERKLE_PROOFS = 20


def _events(start: int, count: int) -> list[dict]:
    return sample_entries(count, start=start)


def _append(count: int, *, start: int) -> float:
    began = time.perf_counter()
    for offset in range(0, count, BATCH):
        with transaction.atomic():
            log_append(events=_events(start + offset, min(BATCH, count - offset)), now=timezone.now())
    return time.perf_counter() - began


def _raw_insert(count: int) -> float:
    """Baseline: the same rows (index, type, canonical bytes, leaf hash, time) inserted in batches, no tree."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_raw (idx INTEGER PRIMARY KEY, type TEXT, entry BLOB, leaf BLOB, at TEXT)")
    began = time.perf_counter()
    for offset in range(0, count, BATCH):
        rows = []
        for n, event in enumerate(_events(offset, min(BATCH, count - offset)), start=offset):
            entry = canonical_entry(event)
            rows.append((n, event["type"], entry, leaf_hash(entry), timezone.now().isoformat()))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_raw VALUES (%s, %s, %s, %s, %s)", rows)
    return time.perf_counter() - began


def _time_each(function, arguments: list) -> float:
    durations = []
    for argument in arguments:
        began = time.perf_counter()
        function(*argument)
        durations.append(time.perf_counter() - began)
    return statistics.median(durations)


def _pymerkle_proofs(bench_dir: Path, size: int, inclusion_args, consistency_args) -> tuple[float, float, float]:
    from pymerkle import SqliteTree

    path = bench_dir / "pymerkle.sqlite3"
    tree = SqliteTree(str(path))
    began = time.perf_counter()
    entries = [canonical_entry({"v": 1, **event}) for event in _events(0, size)]
    tree.append_entries(entries)
    build = time.perf_counter() - began
    inclusion = _time_each(lambda index, tree_size: tree.prove_inclusion(index + 1, tree_size),
                           inclusion_args[:PYMERKLE_PROOFS])
    consistency = _time_each(lambda old, new: tree.prove_consistency(old, new), consistency_args[:PYMERKLE_PROOFS])
    tree.close()
    return build, inclusion, consistency


def run(*, bench_dir: Path) -> list[str]:
    append_seconds = _append(APPEND_ENTRIES, start=0)
    raw_seconds = _raw_insert(APPEND_ENTRIES)
    append_rate = APPEND_ENTRIES / append_seconds
    raw_rate = APPEND_ENTRIES / raw_seconds

    remaining = PROOF_LEAVES - APPEND_ENTRIES
    build_seconds = _append(remaining, start=APPEND_ENTRIES) if remaining > 0 else 0.0
    size = max(PROOF_LEAVES, APPEND_ENTRIES)
    rng = random.Random(2026)
    inclusion_args = [(rng.randrange(size), size) for _ in range(PROOFS)]
    consistency_args = []
    for _ in range(PROOFS):
        old = rng.randrange(1, size)
        consistency_args.append((old, size))
    reader = DatabaseHashReader
    ours_inclusion = _time_each(
        lambda index, tree_size: prove_inclusion(leaf_index=index, tree_size=tree_size, hashes=reader()),
        inclusion_args)
    ours_consistency = _time_each(
        lambda old, new: prove_consistency(old_size=old, new_size=new, hashes=reader()), consistency_args)
    pm_build, pm_inclusion, pm_consistency = _pymerkle_proofs(bench_dir, size, inclusion_args, consistency_args)

    return [
        "## Transparency log",
        "",
        f"Append with persistence: {APPEND_ENTRIES:,} entries in batches of {BATCH:,} through `log_append`"
        " (canonical JSON, leaf and subtree hashes, entries and stored hashes inserted, head updated), against a raw"
        " batched insert of the same rows (canonical bytes and leaf hash computed, no tree) in the same database.",
        "",
        "| measure | yingdu | baseline | ratio |",
        "|---|---|---|---|",
        f"| append, entries/s | {append_rate:,.0f} | {raw_rate:,.0f} (raw insert) | {append_rate / raw_rate:.2f} |",
        f"| proof of inclusion at {size:,} leaves, median ms | {ours_inclusion * 1000:.3f} | "
        f"{pm_inclusion * 1000:.1f} (pymerkle SqliteTree) | {ours_inclusion / pm_inclusion:.4f} |",
        f"| proof of consistency at {size:,} leaves, median ms | {ours_consistency * 1000:.3f} | "
        f"{pm_consistency * 1000:.1f} (pymerkle SqliteTree) | {ours_consistency / pm_consistency:.4f} |",
        f"| building the {size:,}-leaf log, s | {append_seconds + build_seconds:.1f} | {pm_build:.1f} "
        f"(pymerkle append_entries) | {(append_seconds + build_seconds) / pm_build:.2f} |",
        "",
        f"Proof medians over {PROOFS} random requests (yingdu) and {PYMERKLE_PROOFS} (pymerkle), each reading its"
        " hashes from SQLite. `BENCH_LARGE=1` uses 10,000,000 leaves.",
        "",
    ]
