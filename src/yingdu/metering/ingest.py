"""Usage ingestion: signed, idempotent, all-or-nothing per record, logged in the same transaction."""

import base64
import bisect
import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection, transaction

from yingdu.db import insert_rows
from yingdu.enterprises.selectors import enterprises_by_uscc
from yingdu.tlog import MemoryHashStore, prove_inclusion_all, stored_hash_index
from yingdu.transparency.selectors import entry_leaf_hashes
from yingdu.transparency.services import PreparedEntry, log_append_prepared, log_entries_prepare, log_lock
from yingdu.works.selectors import works_by_tag

from .events import usage_event_builder
from .models import CatalogueEntry, RecordStatus, SigningKey, UsageAttribution, UsageRecord
from .records import ParsedRecord, RecordIn, RecordProblem, parse_record, signed_content
from .services import ingest_counters_add

MAX_BATCH = 5000
# Domain separation of batch signatures: Ed25519 over this prefix followed by the 32-byte RFC 6962 root of the
# batch's record leaf hashes, leaf hash = SHA-256(0x00 || canonical record bytes without "signature").
BATCH_SIGNATURE_PREFIX = b"yingdu-usage-batch/v1\n"

BATCH_PROBLEMS = {
    "batch_empty": "批次中没有记录",
    "batch_too_large": "每批最多 {limit} 条记录",
    "signing_key_unknown": "签名密钥 {key_id} 不存在或不属于本服务商",
    "signing_key_not_valid": "签名密钥 {key_id} 已撤销或不在有效期内",
    "batch_signature_invalid": "批次签名验证失败，整批未接收",
}


class BatchRefused(Exception):
    """The whole batch is refused (nothing stored): a stable code and a Chinese message."""

    def __init__(self, code: str, **detail):
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.message = BATCH_PROBLEMS[code].format(**detail)


@dataclass
class RecordResult:
    position: int
    record_id: str | None
    status: str
    code: str | None = None
    message: str | None = None
    leaf_index: int | None = None
    leaf_hash: str | None = None
    quarantine: str | None = None

    def as_dict(self) -> dict:
        data = {"position": self.position, "record_id": self.record_id, "status": self.status}
        for name in ("code", "message", "leaf_index", "leaf_hash", "quarantine"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


def batch_message(batch_root: bytes) -> bytes:
    """The bytes a batch signature covers."""
    return BATCH_SIGNATURE_PREFIX + batch_root


def _signing_key(provider, key_id: str, now: datetime) -> SigningKey:
    key = SigningKey.objects.filter(provider=provider, key_id=str(key_id)).first()
    if key is None:
        raise BatchRefused("signing_key_unknown", key_id=key_id)
    if key.revoked_at is not None or key.valid_from > now or (key.valid_until and key.valid_until <= now):
        raise BatchRefused("signing_key_not_valid", key_id=key_id)
    return key


def _signature_ok(public_key: Ed25519PublicKey, signature, message: bytes) -> bytes | None:
    """The decoded signature when it verifies, else None."""
    if not isinstance(signature, str):
        return None
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message)
    except (ValueError, InvalidSignature):
        return None
    return raw


class _PriceBook:
    """Prices of one provider's SKUs by the time they took effect (one query per batch)."""

    def __init__(self, provider, skus: set[str]):
        self._versions: dict[str, list[CatalogueEntry]] = {}
        for entry in CatalogueEntry.objects.filter(provider=provider, sku__in=skus).order_by("sku", "effective_from"):
            self._versions.setdefault(entry.sku, []).append(entry)
        self._starts = {sku: [v.effective_from for v in versions] for sku, versions in self._versions.items()}

    def price_at(self, sku: str, moment: datetime) -> CatalogueEntry:
        if sku not in self._versions:
            raise RecordProblem("sku_unknown", sku=sku)
        position = bisect.bisect_right(self._starts[sku], moment) - 1
        if position < 0:
            raise RecordProblem("price_not_in_force", sku=sku)
        return self._versions[sku][position]


def _record_id_of(raw) -> str | None:
    value = raw.get("record_id") if isinstance(raw, (dict, RecordIn)) else None
    return value if isinstance(value, str) else None


def usage_batch_ingest(*, provider, key_id: str, records: list, batch_signature: str | None, now: datetime
                       ) -> list[RecordResult]:
    """Check, de-duplicate, price, store and log a provider's batch; one result per record, in order."""
    try:
        return _ingest(provider=provider, key_id=key_id, records=records, batch_signature=batch_signature, now=now)
    except BatchRefused:
        ingest_counters_add({"batches_refused": 1})
        raise


def _ingest(*, provider, key_id: str, records: list, batch_signature: str | None, now: datetime
            ) -> list[RecordResult]:
    if not records:
        raise BatchRefused("batch_empty")
    if len(records) > MAX_BATCH:
        raise BatchRefused("batch_too_large", limit=MAX_BATCH)
    key = _signing_key(provider, key_id, now)
    public_key = Ed25519PublicKey.from_public_bytes(bytes(key.public_key))
    results: list[RecordResult | None] = [None] * len(records)
    parsed: dict[int, ParsedRecord] = {}
    batch_store = batch_root = None
    batch_signature_raw = None
    signed = None
    if batch_signature is not None:
        # One verification for the whole batch: the signature covers the root of every record's leaf hash.
        try:
            signed = [signed_content(raw) for raw in records]
        except RecordProblem:
            raise BatchRefused("batch_signature_invalid") from None
        batch_store = MemoryHashStore()
        batch_store.append_leaf_hashes([hashed for _content, hashed in signed])
        batch_root = batch_store.root_hash()
        batch_signature_raw = _signature_ok(public_key, batch_signature, batch_message(batch_root))
        if batch_signature_raw is None:
            raise BatchRefused("batch_signature_invalid")
    signatures: dict[int, bytes] = {}
    for position, raw in enumerate(records):
        try:
            record = parse_record(raw, now=now, signed=signed[position] if signed else None)
            if batch_store is None:
                signature = _signature_ok(public_key, raw.get("signature"), record.content)
                if signature is None:
                    raise RecordProblem("signature_invalid")
                signatures[position] = signature
            else:
                signatures[position] = batch_signature_raw
            parsed[position] = record
        except RecordProblem as problem:
            results[position] = RecordResult(position, _record_id_of(raw), "invalid", problem.code, problem.message)
    _store(provider=provider, key=key, parsed=parsed, signatures=signatures,
           batch=_SignedBatch(batch_store, batch_root, batch_signature_raw) if batch_store is not None else None,
           results=results, now=now)
    return results


class _SignedBatch:
    """A batch-signed batch: its records' tree, root, signature and each record's inclusion path (one pass)."""

    def __init__(self, store: MemoryHashStore, root: bytes, signature: bytes) -> None:
        self.root = root
        self.signature = signature
        self.size = store.tree_size
        leaves = [stored_hash_index(level=0, index=n) for n in range(store.tree_size)]
        self.paths = [b"".join(path) for path in prove_inclusion_all(leaf_hashes=store.read_hashes(leaves))]


@dataclass
class _Candidate:
    """A parsed record about to be stored: everything that needs no lock is resolved before taking it."""

    position: int
    record: ParsedRecord
    digest: str
    price: CatalogueEntry
    enterprise: object
    work: object
    quarantine: str
    original: object = None
    prepared: PreparedEntry | None = None


def _store(*, provider, key, parsed: dict[int, ParsedRecord], signatures, batch: _SignedBatch | None, results,
           now) -> None:
    prices = _PriceBook(provider, {record.sku for record in parsed.values()})
    enterprises = enterprises_by_uscc({record.enterprise_uscc for record in parsed.values()})
    works = works_by_tag({(enterprises[r.enterprise_uscc].pk, r.project_tag)
                          for r in parsed.values() if r.enterprise_uscc in enterprises})
    build = usage_event_builder(provider=provider, key=key, batch_root=batch.root if batch else None,
                                batch_signature=batch.signature if batch else None,
                                batch_size=batch.size if batch else None, now=now)
    candidates: list[_Candidate] = []
    seen: dict[str, tuple[str, int]] = {}
    in_batch_duplicates: dict[int, int] = {}
    for position, record in parsed.items():
        digest = hashlib.sha256(record.content).hexdigest()
        if record.record_id in seen:
            first_digest, first_position = seen[record.record_id]
            if first_digest == digest:
                in_batch_duplicates[position] = first_position
            else:
                problem = RecordProblem("record_id_repeated")
                results[position] = RecordResult(position, record.record_id, "conflict", problem.code,
                                                 problem.message)
            continue
        try:
            price = prices.price_at(record.sku, record.started_at)
        except RecordProblem as problem:
            results[position] = RecordResult(position, record.record_id, "invalid", problem.code, problem.message)
            continue
        seen[record.record_id] = (digest, position)
        enterprise = enterprises.get(record.enterprise_uscc)
        work = works.get((enterprise.pk, record.project_tag)) if enterprise else None
        quarantine = "" if work else ("work_unknown" if enterprise else "enterprise_unknown")
        candidates.append(_Candidate(position, record, digest, price, enterprise, work, quarantine))
    _prepare_entries([c for c in candidates if not c.record.corrects], build=build, signatures=signatures,
                     batch=batch)
    with transaction.atomic():
        # The sequencer lock is taken before the duplicate check, so two batches cannot both insert one record id;
        # only that check, the corrections' lookups and the writes happen while it is held.
        head = log_lock()
        ids = {c.record.record_id for c in candidates} | {c.record.corrects for c in candidates if c.record.corrects}
        existing = {row.record_id: row for row in UsageRecord.objects.filter(provider=provider, record_id__in=ids)}
        stored: list[_Candidate] = []
        for candidate in candidates:
            record = candidate.record
            earlier = existing.get(record.record_id)
            if earlier is not None:
                same = earlier.content_sha256 == candidate.digest
                results[candidate.position] = RecordResult(
                    candidate.position, record.record_id, "duplicate" if same else "conflict",
                    None if same else "record_id_conflict",
                    None if same else "同一 record_id 已有内容不同的记录，未作任何修改",
                    leaf_index=earlier.log_index if same else None)
                continue
            if record.corrects:
                try:
                    candidate.original = _correction_target(record, existing)
                except RecordProblem as problem:
                    results[candidate.position] = RecordResult(candidate.position, record.record_id, "invalid",
                                                               problem.code, problem.message)
                    continue
                _prepare_entries([candidate], build=build, signatures=signatures, batch=batch)
            stored.append(candidate)
        if stored:
            _insert(provider=provider, key=key, candidates=stored, signatures=signatures, batch=batch,
                    results=results, now=now, head=head)
        ingest_counters_add(_outcome_counts(results, in_batch_duplicates=len(in_batch_duplicates)))
    for position, first_position in in_batch_duplicates.items():
        first = results[first_position]
        results[position] = RecordResult(position, first.record_id, "duplicate", leaf_index=first.leaf_index,
                                         leaf_hash=first.leaf_hash, quarantine=first.quarantine)
    _fill_duplicate_receipts(results)


def _prepare_entries(candidates: list[_Candidate], *, build, signatures, batch: _SignedBatch | None) -> None:
    events = [
        build(content=c.record.content, digest=c.digest, enterprise_id=c.enterprise.pk if c.enterprise else None,
              work_id=c.work.pk if c.work else None, quarantine=c.quarantine,
              corrects_id=c.original.pk if c.original else None, price_fen=c.price.price_fen,
              cost_microfen=c.record.quantity_micro * c.price.price_fen,
              # a batch-signed record's signature is the batch's, encoded once by the builder
              signature=None if batch else signatures[c.position],
              batch_index=c.position if batch else None, batch_path=batch.paths[c.position] if batch else None)
        for c in candidates
    ]
    for candidate, prepared in zip(candidates, log_entries_prepare(events), strict=True):
        candidate.prepared = prepared


def _outcome_counts(results: list, *, in_batch_duplicates: int) -> dict[str, int]:
    """Counter increments for one stored batch: records by outcome (quarantined apart from accepted) and the batch."""
    counts = {"batches_stored": 1, "records_duplicate": in_batch_duplicates}
    for result in results:
        if result is not None:
            name = "records_quarantined" if result.quarantine else f"records_{result.status}"
            counts[name] = counts.get(name, 0) + 1
    return counts


def _correction_target(record: ParsedRecord, existing: dict):
    if not record.corrects:
        return None
    original = existing.get(record.corrects)
    if original is None:
        raise RecordProblem("correction_target_unknown", corrects=record.corrects)
    if (original.enterprise_uscc, original.project_tag, original.sku) != (
            record.enterprise_uscc, record.project_tag, record.sku):
        raise RecordProblem("correction_mismatch")
    return original


def _fill_duplicate_receipts(results: list) -> None:
    """A duplicate gets the original's receipt: its log leaf index and leaf hash (one query for the batch)."""
    wanted = [r for r in results if r.status == "duplicate" and r.leaf_hash is None and r.leaf_index is not None]
    hashes = entry_leaf_hashes([r.leaf_index for r in wanted])
    for result in wanted:
        result.leaf_hash = base64.b64encode(hashes[result.leaf_index]).decode()


def _insert(*, provider, key, candidates: list[_Candidate], signatures, batch: _SignedBatch | None, results,
            now, head) -> None:
    appended = log_append_prepared(entries=[c.prepared for c in candidates], now=now, head=head)
    ops = connection.ops
    received_at = ops.adapt_datetimefield_value(now)
    batch_root = batch.root if batch else None
    # a correction counts wherever its original's attribution put it (UsageRecord.attributed_enterprise)
    originals = [c.original.pk for c in candidates if c.original is not None]
    attributed = {record_id: (enterprise_id, work_id) for record_id, enterprise_id, work_id in
                  UsageAttribution.objects.filter(record_id__in=originals).values_list(
                      "record_id", "enterprise_id", "work_id")} if originals else {}
    values = []
    for candidate, entry in zip(candidates, appended, strict=True):
        record, position, price = candidate.record, candidate.position, candidate.price
        enterprise, work, quarantine, original = (candidate.enterprise, candidate.work, candidate.quarantine,
                                                  candidate.original)
        path = batch.paths[position] if batch else None
        attributed_to = attributed.get(original.pk) if original else None
        if attributed_to is None:
            attributed_to = (enterprise.pk if enterprise else None, work.pk if work else None)
        values.append((
            provider.pk, record.record_id, candidate.digest, record.enterprise_uscc, record.project_tag, record.sku,
            ops.adapt_decimalfield_value(record.quantity, 24, 6), ops.adapt_datetimefield_value(record.started_at),
            ops.adapt_datetimefield_value(record.ended_at), record.node_id, record.job_id, record.gpu_id,
            original.pk if original else None,
            RecordStatus.QUARANTINED if quarantine else RecordStatus.ACCEPTED, quarantine,
            enterprise.pk if enterprise else None, work.pk if work else None, price.category, price.price_fen,
            record.quantity_micro * price.price_fen, key.pk, signatures[position], batch_root,
            position if batch else None, batch.size if batch else None, path, entry.index, received_at, *attributed_to,
        ))
        results[position] = RecordResult(position, record.record_id, "accepted", leaf_index=entry.index,
                                         leaf_hash=base64.b64encode(entry.leaf_hash).decode(),
                                         quarantine=quarantine or None)
    insert_rows(UsageRecord, [
        "provider", "record_id", "content_sha256", "enterprise_uscc", "project_tag", "sku", "quantity", "started_at",
        "ended_at", "node_id", "job_id", "gpu_id", "corrects", "status", "quarantine_reason", "enterprise", "work",
        "category", "price_fen", "cost_microfen", "signing_key", "signature", "batch_root", "batch_index",
        "batch_size", "batch_path", "log_index", "received_at", "attributed_enterprise", "attributed_work",
    ], values)
