"""CPU time per record of an ingestion run, per process: the gunicorn workers, the PostgreSQL backends, the client.

`python -m bench.ingest_cpu [RECORDS]` (not part of `make bench`): a fresh PostgreSQL database (`BENCH_PG_URL`,
`BENCH_PG_DATABASE`, default `yingdu_cpu`), gunicorn with 2 workers, batch-signed batches of 1,000 records posted by
2 client threads, then `COPY` of the same rows into a plain table. On a shared machine records/s move with the load;
CPU time per record, read from /proc for each process of the run, moves much less, so changes are steered by it.
Prints one line per figure, in microseconds per record.
"""

import os
import sys
import time
from pathlib import Path

import psycopg

from bench.ingest_bench import BATCH_SIZE, PG_URL, _baseline_rows, _push, _records
from yingdu.testing.ingest_server import Server, postgres_database_url, postgres_recreate, prepare_database, server_env

PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "yingdu_cpu")
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (its threads included), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _backends(conn, database: str) -> list[int]:
    return [pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                                           "pg_backend_pid()", (database,))]


def _snapshot(pids: list[int]) -> dict[int, float]:
    return {pid: _cpu_seconds(pid) for pid in pids}


def main(records: int) -> None:
    database_url = postgres_database_url(PG_URL, PG_DATABASE)
    postgres_recreate(PG_URL, PG_DATABASE)
    var_dir = Path(os.environ.get("BENCH_DIR", "var/bench")) / "ingest-cpu"
    env = server_env(database_url=database_url, var_dir=var_dir)
    try:
        fixture = prepare_database(env)
        with Server(env, workers=2) as server, psycopg.connect(database_url, autocommit=True) as watcher:
            _push(server, fixture, _records(fixture, "warm", 4 * BATCH_SIZE), per_record=False)  # both workers warm
            workers = _children(server.process.pid)
            backends = _backends(watcher, PG_DATABASE)
            load = os.getloadavg()[0]
            before_workers, before_backends = _snapshot(workers), _snapshot(backends)
            client_before = time.process_time()
            rate = _push(server, fixture, _records(fixture, "batch", records), per_record=False)
            client = time.process_time() - client_before
            after_backends = _snapshot(_backends(watcher, PG_DATABASE))
            worker_cpu = sum(_cpu_seconds(pid) - before_workers[pid] for pid in workers)
            backend_cpu = sum(seconds - before_backends.get(pid, 0.0) for pid, seconds in after_backends.items())
        rows = _baseline_rows(_records(fixture, "baseline", records))
        with psycopg.connect(database_url) as conn:
            conn.execute("CREATE TABLE bench_copy (record_id text, enterprise_uscc text, project_tag text, sku text, "
                         "quantity numeric, started_at timestamptz, ended_at timestamptz, node_id text, gpu_id text,"
                         " content bytea)")
            conn.commit()
            (backend_pid,) = conn.execute("SELECT pg_backend_pid()").fetchone()
            server_before, client_before, began = _cpu_seconds(backend_pid), time.process_time(), time.perf_counter()
            for start in range(0, len(rows), BATCH_SIZE):
                with conn.cursor() as cursor, cursor.copy("COPY bench_copy FROM STDIN") as copy:
                    for row in rows[start:start + BATCH_SIZE]:
                        copy.write_row(row)
                conn.commit()
            copy_rate = len(rows) / (time.perf_counter() - began)
            copy_client, copy_server = time.process_time() - client_before, _cpu_seconds(backend_pid) - server_before
    finally:
        postgres_recreate(PG_URL, PG_DATABASE, drop_only=True)
    per = 1e6 / records
    print(f"load average (1 min) at start: {load:.1f}")
    print(f"ingestion: {rate:,.0f} records/s; COPY {copy_rate:,.0f} rows/s; ratio {rate / copy_rate:.3f}")
    print(f"CPU µs per record: workers {worker_cpu * per:.0f}, PostgreSQL {backend_cpu * per:.0f}, "
          f"client {client * per:.0f}; COPY client {copy_client * per:.0f}, server {copy_server * per:.0f}")
    print(f"CPU ratio (COPY total / ingestion total): "
          f"{(copy_client + copy_server) / (worker_cpu + backend_cpu + client):.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12000)
