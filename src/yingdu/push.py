#!/usr/bin/env python3
"""Push signed usage records to yingdu (影都算力券服务平台): a small provider client.

Needs only Python ≥ 3.11 and `cryptography`. Records are JSON objects, one per line (NDJSON):

    {"record_id": "job-42-0001", "enterprise_uscc": "91110116MA01ABCD11", "project_tag": "drama-01",
     "sku": "gpu-a100-hour", "quantity": "2.5", "started_at": "2026-11-20T09:00:00+08:00",
     "ended_at": "2026-11-20T11:30:00+08:00", "node_id": "node-7", "gpu_id": "GPU-3f1c"}

    yingdu-push keygen provider.key            # prints the public key to register on the platform
    yingdu-push push --url http://127.0.0.1:8000 --api-key yk_… --key provider.key records.ndjson

Batch signing (default): one Ed25519 signature over b"yingdu-usage-batch/v1\\n" + the RFC 6962 Merkle root of the
records' leaf hashes, leaf hash = SHA-256(0x00 || canonical JSON of the record). `--per-record` signs each record.
Retrying a batch is always safe: the platform de-duplicates by record_id forever and returns the original receipts.
"""

import argparse
import base64
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

BATCH_PREFIX = b"yingdu-usage-batch/v1\n"


def canonical(record: dict) -> bytes:
    """RFC 8785 canonical JSON for records whose values are strings (sorted keys, no whitespace, UTF-8)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash: leaf = SHA-256(0x00 || d), node = SHA-256(0x01 || left || right)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:split]) + merkle_root(leaves[split:])).digest()


def key_id(public_key: bytes) -> str:
    """The platform's id of a signing key: the first 8 bytes of SHA-256 of the raw public key, hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def load_key(path: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(open(path).read().strip()))


def public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def signed_batch(records: list[dict], private_key: Ed25519PrivateKey, *, per_record: bool = False) -> dict:
    """The request body for one batch, signed once (batch) or record by record."""
    body = {"key_id": key_id(public_bytes(private_key))}
    if per_record:
        body["records"] = [{**r, "signature": base64.b64encode(private_key.sign(canonical(r))).decode()}
                           for r in records]
    else:
        root = merkle_root([canonical(r) for r in records])
        body["batch_signature"] = base64.b64encode(private_key.sign(BATCH_PREFIX + root)).decode()
        body["records"] = records
    return body


CSV_COLUMNS = ("record_id", "enterprise_uscc", "project_tag", "sku", "quantity", "started_at", "ended_at", "node_id",
               "job_id", "gpu_id", "corrects", "signature")


def write_signed_csv(source_path: str, output_path: str, private_key: Ed25519PrivateKey) -> int:
    """Sign each record and write the CSV the provider portal accepts (UTF-8, header row)."""
    import csv

    with open(source_path, encoding="utf-8") as source:
        records = [json.loads(line) for line in source if line.strip()]
    with open(output_path, "x", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for record in records:
            signature = base64.b64encode(private_key.sign(canonical(record))).decode()
            writer.writerow({**record, "signature": signature})
    print(f"{len(records)} records signed into {output_path}; key id {key_id(public_bytes(private_key))}")
    return 0


def post(url: str, api_key: str, body: dict, *, attempts: int = 5) -> dict:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    for attempt in range(attempts):
        request = urllib.request.Request(f"{url.rstrip('/')}/api/v1/usage-records", data=data, method="POST",
                                         headers={"Content-Type": "application/json", "X-API-Key": api_key})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code < 500:
                raise SystemExit(f"refused: HTTP {error.code} {error.read().decode('utf-8', 'replace')}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(min(2 ** attempt, 10))
    raise SystemExit("the platform did not answer; nothing is lost: run the same command again")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen", help="create a signing key file and print its public key")
    keygen.add_argument("key_file")
    push = commands.add_parser("push", help="push NDJSON records in signed batches")
    push.add_argument("records", help="NDJSON file, one record per line ('-' for standard input)")
    push.add_argument("--url", required=True)
    push.add_argument("--api-key", required=True)
    push.add_argument("--key", required=True, help="signing key file written by keygen")
    push.add_argument("--batch-size", type=int, default=1000)
    push.add_argument("--per-record", action="store_true")
    sign_csv = commands.add_parser("sign-csv", help="write a CSV with a per-record signature column for the portal")
    sign_csv.add_argument("records", help="NDJSON file, one record per line")
    sign_csv.add_argument("output", help="CSV file to write")
    sign_csv.add_argument("--key", required=True)
    arguments = parser.parse_args(argv)
    if arguments.command == "sign-csv":
        return write_signed_csv(arguments.records, arguments.output, load_key(arguments.key))
    if arguments.command == "keygen":
        private_key = Ed25519PrivateKey.generate()
        seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        with open(arguments.key_file, "x") as handle:
            handle.write(base64.b64encode(seed).decode() + "\n")
        public_key = public_bytes(private_key)
        print(f"public key: {base64.b64encode(public_key).decode()}\nkey id:     {key_id(public_key)}")
        return 0
    private_key = load_key(arguments.key)
    source = sys.stdin if arguments.records == "-" else open(arguments.records, encoding="utf-8")
    records = [json.loads(line) for line in source if line.strip()]
    totals = {"accepted": 0, "duplicate": 0, "conflict": 0, "invalid": 0}
    for start in range(0, len(records), arguments.batch_size):
        batch = records[start:start + arguments.batch_size]
        answer = post(arguments.url, arguments.api_key, signed_batch(batch, private_key,
                                                                     per_record=arguments.per_record))
        for status in totals:
            totals[status] += answer[status]
        for result in answer["results"]:
            if result["status"] in ("conflict", "invalid"):
                print(f"{result['status']}: {result.get('record_id')}: {result.get('code')} {result.get('message')}",
                      file=sys.stderr)
            else:
                print(json.dumps({"record_id": result["record_id"], "status": result["status"],
                                  "quarantine": result.get("quarantine"),
                                  "leaf_index": result.get("leaf_index"), "leaf_hash": result.get("leaf_hash")}))
    print(f"accepted {totals['accepted']}, duplicate {totals['duplicate']}, conflict {totals['conflict']}, "
          f"invalid {totals['invalid']}", file=sys.stderr)
    return 0 if totals["conflict"] == 0 and totals["invalid"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
