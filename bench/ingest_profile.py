"""Where an ingestion request spends its time: cProfile over batches posted in-process (run as a subprocess).

`python -m bench.ingest_profile FIXTURE_JSON COUNT` with DATABASE_URL set to a migrated database holding the
fixture; prints one JSON object: the share of request time spent in each stage, and records/s under the profiler.
"""

import cProfile
import json
import pstats
import sys
import time

# (label, file suffix, function name): cumulative time of these functions, as shares of the API view's time.
TOTAL = ("ninja/operation.py", "_sync_view")
STAGES = [
    ("request JSON decoding (`_parse_body`)", "metering/api.py", "_parse_body"),
    ("batch canonical bytes and leaf hashes (`signed_content`)", "metering/records.py", "signed_content"),
    ("batch Merkle root (`MemoryHashStore.append_leaf_hashes`)", "tlog/storage.py", "append_leaf_hashes"),
    ("Ed25519 verification (`_signature_ok`)", "metering/ingest.py", "_signature_ok"),
    ("record checks (`parse_record`: fields, USCC, decimals, times)", "metering/records.py",
     "parse_record"),
    ("storing (`_store`: lookups and entry bytes before the lock; duplicate check, log append, inserts after)",
     "metering/ingest.py", "_store"),
    ("· entry bytes and leaf hashes, before the lock (`_prepare_entries`)", "metering/ingest.py",
     "_prepare_entries"),
    ("· under the sequencer lock: log append (`log_append_prepared`: subtree hashes, entry and hash rows)",
     "transparency/services.py", "log_append_prepared"),
    ("· row inserts (`insert_rows`: usage records, entries, stored hashes)", "yingdu/db.py", "insert_rows"),
    ("· waiting for the database (psycopg `wait`, all statements and the commit)", "psycopg/connection.py", "wait"),
]


def main(fixture_json: str, count: int) -> None:
    import django

    django.setup()
    from django.test import Client

    from bench.ingest_bench import BATCH_SIZE, _records
    from yingdu import push
    from yingdu.testing.ingest_server import IngestFixture

    fixture = IngestFixture(**json.loads(fixture_json))
    records = _records(fixture, "profile", count)
    bodies = [json.dumps(push.signed_batch(records[start:start + BATCH_SIZE], fixture.private_key()))
              for start in range(0, count, BATCH_SIZE)]
    client = Client()

    def post(body):
        response = client.post("/api/v1/usage-records", data=body, content_type="application/json",
                               HTTP_X_API_KEY=fixture.api_key)
        assert response.status_code == 200, response.content[:300]

    post(bodies[0])  # warm-up: imports, connection, caches
    profile = cProfile.Profile()
    began = time.perf_counter()
    profile.enable()
    for body in bodies[1:]:
        post(body)
    profile.disable()
    elapsed = time.perf_counter() - began
    stats = pstats.Stats(profile).stats
    total = sum(ct for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.items()
                if name == TOTAL[1] and filename.endswith(TOTAL[0]))
    shares = []
    for label, suffix, function in STAGES:
        seconds = sum(ct for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.items()
                      if name == function and filename.endswith(suffix))
        shares.append([label, seconds / total if total else 0.0])
    print(json.dumps({"records_per_second": (len(bodies) - 1) * BATCH_SIZE / elapsed, "shares": shares}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
