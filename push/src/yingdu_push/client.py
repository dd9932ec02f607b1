"""Signing and sending usage records to yingdu (影都算力券服务平台): the core of the provider client.

Needs only Python ≥ 3.11 and `cryptography`. Records are JSON objects, one per line (NDJSON):

    {"record_id": "job-42-0001", "enterprise_uscc": "91110116MA01ABCD11", "project_tag": "drama-01",
     "sku": "gpu-a100-hour", "quantity": "2.5", "started_at": "2026-11-20T09:00:00+08:00",
     "ended_at": "2026-11-20T11:30:00+08:00", "node_id": "node-7", "gpu_id": "GPU-3f1c"}

Batch signing (default): one Ed25519 signature over b"yingdu-usage-batch/v1\\n" + the RFC 6962 Merkle root of the
records' leaf hashes, leaf hash = SHA-256(0x00 || canonical JSON of the record). `--per-record` signs each record.
Retrying a batch is always safe: the platform de-duplicates by record_id forever and returns the original receipts.
"""

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from yingdu_push import INGEST_API_VERSION, __version__

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
                                         headers={"Content-Type": "application/json", "X-API-Key": api_key,
                                                  "User-Agent": f"yingdu-push/{__version__}",
                                                  "X-Yingdu-Ingest-API": str(INGEST_API_VERSION)})
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


def keygen(key_file: str) -> tuple[str, str]:
    """Write a new signing key (Base64 seed) to a file that must not exist yet; return (public key, key id)."""
    private_key = Ed25519PrivateKey.generate()
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    with open(key_file, "x") as handle:
        handle.write(base64.b64encode(seed).decode() + "\n")
    public_key = public_bytes(private_key)
    return base64.b64encode(public_key).decode(), key_id(public_key)
