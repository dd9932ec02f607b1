"""Every write to the transparency log: appends in the caller's transaction, checkpoint signing, cosignatures."""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from yingdu.db import insert_rows
from yingdu.errors import DomainError, Forbidden, NotFound
from yingdu.tlog import (
    Checkpoint,
    Cosignature,
    NoteError,
    ProofError,
    leaf_hash,
    open_note,
    prove_consistency,
    root_hash,
    sign_note,
    stored_hash_count,
    stored_hashes_for_leaves,
    tree_hash,
    verify_consistency,
    verify_cosignature,
)
from yingdu.tlog.witness import SIZE_CONTENT_TYPE, format_add_checkpoint, submit_checkpoint

from .canonical import canonical_json
from .catalogue import CATALOGUE, CatalogueError
from .keys import configured_witnesses, log_origin, signing_key, verifier_keys, witness_keys
from .models import LogEntry, LogHead, SignedCheckpoint, StoredHash, WitnessCosignature
from .selectors import DatabaseHashReader, checkpoint_latest, log_head, witness_cosigned_size

logger = logging.getLogger(__name__)

MSG_EVENT_INVALID = _("日志事件格式不正确")
MSG_LOG_INCONSISTENT = _("日志与上一个已签名检查点不一致，已拒绝签名")
MSG_COSIGNED_NOTE_INVALID = _("提交的检查点格式不正确，或没有本日志的有效签名")
MSG_CHECKPOINT_NOT_SIGNED = _("本日志从未签署过该检查点")
MSG_WITNESS_UNKNOWN = _("签名不是来自已配置的见证方")
MSG_COSIGNATURE_INVALID = _("见证签名无效")
MSG_COSIGNATURE_FROM_FUTURE = _("见证签名的时间晚于当前时间")
MSG_COSIGNATURE_MISSING = _("提交的检查点没有见证签名")
MSG_NO_WITNESSED_CHECKPOINT = _("尚无达到见证法定数的检查点")
MSG_NO_CHECKPOINT = _("尚无已签名的检查点")

# Witness clocks may run a little ahead of ours; a cosignature dated further ahead is refused.
COSIGNATURE_CLOCK_SKEW_SECONDS = 300


class LogInconsistent(DomainError):
    code = "log_inconsistent"
    status = 409


@dataclass(frozen=True)
class AppendedEntry:
    index: int
    leaf_hash: bytes
    event_type: str


def log_head_ensure(*, using: str = "default") -> None:
    """Create the empty tree's head row when it is missing: size 0, root = SHA-256("") (RFC 9162 §2.1.1)."""
    LogHead.objects.using(using).get_or_create(pk=1, defaults={"tree_size": 0, "root_hash": root_hash([])})


def event_time(now: datetime) -> str:
    """Event timestamps in entries: RFC 3339 in UTC with microseconds, e.g. 2026-11-27T01:02:03.000004Z."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def commitment(*, salt: str, values: Mapping) -> str:
    """A salted commitment to personal data, so entries carry none: HMAC-SHA256(salt, canonical JSON of values)."""
    return hmac.new(bytes.fromhex(salt), canonical_entry(values), hashlib.sha256).hexdigest()


def new_commitment_salt() -> str:
    return secrets.token_hex(32)


def canonical_entry(event: Mapping) -> bytes:
    """The exact bytes of a log entry: RFC 8785 canonical JSON (sorted keys, no whitespace, UTF-8)."""
    return canonical_json(dict(event))


@dataclass(frozen=True)
class PreparedEntry:
    """An event turned into its exact entry bytes and leaf hash, ready to append (work done outside the lock)."""

    event_type: str
    entry: bytes
    leaf_hash: bytes


def log_entries_prepare(events: Sequence[Mapping]) -> list[PreparedEntry]:
    """Canonical bytes and leaf hashes of events; refuses an event that does not match its declaration in the
    catalogue (an undeclared type, a missing or undeclared field, a value of the wrong kind)."""
    prepared = []
    for event in events:
        try:
            declared = CATALOGUE.validate(event, writing=True)
        except CatalogueError as error:
            raise DomainError(MSG_EVENT_INVALID, code="log_event_invalid",
                              detail={"type": repr(event.get("type")), "problem": str(error)}) from error
        entry = canonical_entry(event)
        prepared.append(PreparedEntry(event_type=declared.name, entry=entry, leaf_hash=leaf_hash(entry)))
    return prepared


def log_lock() -> LogHead:
    """Take the sequencer lock for the rest of the caller's transaction (PostgreSQL row lock; SQLite is one writer)."""
    return LogHead.objects.select_for_update().get(pk=1)


#: Sent inside the appending transaction after a batch is written, with ``appended`` (the AppendedEntry list) and
#: ``entries`` (their entry bytes, same order) and ``now``: what the log records can be followed in the same
#: transaction (the in-app notifications derived from entries, yingdu.inbox). Receivers must be cheap per entry.
entries_appended = Signal()


def log_append(*, events: Sequence[Mapping], now: datetime) -> list[AppendedEntry]:
    """Append events, in order, as one batch inside the caller's transaction (one sequencer: the locked head)."""
    return log_append_prepared(entries=log_entries_prepare(events), now=now)


def log_append_prepared(*, entries: Sequence[PreparedEntry], now: datetime, head: LogHead | None = None
                        ) -> list[AppendedEntry]:
    """Append entries prepared by log_entries_prepare; only the tree work happens under the sequencer lock.

    ``head`` is the head ``log_lock()`` returned when the caller took the lock already, in the transaction it is in:
    the append then neither locks the head again nor opens a savepoint (three round trips fewer under the lock; any
    error rolls back the caller's whole transaction).
    """
    if not entries:
        return []
    if head is not None and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("log_append_prepared(head=…) outside the transaction that locked the head")
    with transaction.atomic(savepoint=head is None):
        head = head or log_lock()
        first_index = head.tree_size
        reader = DatabaseHashReader()
        new_hashes = stored_hashes_for_leaves(first_leaf_index=first_index,
                                              leaf_hashes=[e.leaf_hash for e in entries], hash_reader=reader)
        first_hash_index = stored_hash_count(tree_size=first_index)
        insert_rows(LogEntry, ["index", "event_type", "entry", "leaf_hash"], [
            (first_index + offset, e.event_type, e.entry, e.leaf_hash) for offset, e in enumerate(entries)
        ])
        insert_rows(StoredHash, ["index", "hash"],
                    [(first_hash_index + offset, hashed) for offset, hashed in enumerate(new_hashes)])
        reader.remember(first_hash_index, new_hashes)
        head.tree_size = first_index + len(entries)
        head.root_hash = tree_hash(tree_size=head.tree_size, hash_reader=reader)
        head.save(update_fields=["tree_size", "root_hash"])
        appended = [AppendedEntry(index=first_index + offset, leaf_hash=e.leaf_hash, event_type=e.event_type)
                    for offset, e in enumerate(entries)]
        entries_appended.send(sender=LogEntry, appended=appended, entries=[e.entry for e in entries], now=now)
    return appended


def checkpoint_sign(*, now: datetime) -> SignedCheckpoint:
    """Sign a checkpoint for the current tree, after checking it is consistent with the last one signed."""
    with transaction.atomic():
        head = log_lock()
        latest = checkpoint_latest()
        if latest is not None and latest.tree_size == head.tree_size and bytes(latest.root_hash) == bytes(head.root_hash):
            return latest
        reader = DatabaseHashReader()
        root = tree_hash(tree_size=head.tree_size, hash_reader=reader)
        try:
            if root != bytes(head.root_hash):
                raise ProofError("the stored hashes do not give the head's root hash")
            if latest is not None:
                if latest.tree_size > head.tree_size:
                    raise ProofError(f"the log shrank from {latest.tree_size} to {head.tree_size} entries")
                proof = prove_consistency(old_size=latest.tree_size, new_size=head.tree_size, hashes=reader)
                verify_consistency(old_size=latest.tree_size, new_size=head.tree_size, proof=proof,
                                   old_root=bytes(latest.root_hash), new_root=root)
        except ProofError as error:
            logger.critical("refusing to sign checkpoint at %s: %s", head.tree_size, error)
            raise LogInconsistent(MSG_LOG_INCONSISTENT, detail={"reason": str(error)}) from None
        text = Checkpoint(origin=log_origin(), tree_size=head.tree_size, root_hash=root).format()
        note = sign_note(text=text, signer_keys=[signing_key()])
        head.checkpoints_signed += 1
        head.save(update_fields=["checkpoints_signed"])
        return SignedCheckpoint.objects.create(tree_size=head.tree_size, root_hash=root, note=note, signed_at=now,
                                               sequence=head.checkpoints_signed)


def checkpoint_ensure_current(*, now: datetime) -> SignedCheckpoint:
    """The latest signed checkpoint, signing a new one first when entries were appended since. A write: for the
    worker's task and for services that need a checkpoint covering what they just appended; GETs read
    ``selectors.checkpoint_served`` instead (issue 18)."""
    latest = checkpoint_latest()
    if latest is not None and latest.tree_size == log_head().tree_size:
        return latest
    return checkpoint_sign(now=now)


@dataclass(frozen=True)
class CosignaturesAdded:
    checkpoint: SignedCheckpoint
    stored: list[WitnessCosignature]


def witness_cosignature_add(*, signed_note_text: str, now: datetime) -> CosignaturesAdded:
    """Store configured witnesses' cosignatures of a checkpoint this log signed; all lines valid or nothing stored.

    Idempotent: one cosignature per checkpoint and witness key is kept, a later timestamp replacing an earlier one.
    Cosignatures are metadata about the log, like checkpoint signing, and not log entries.
    """
    try:
        note = open_note(signed_note_text, verifier_keys=verifier_keys())
        tree_size = Checkpoint.parse(note.text).tree_size
    except NoteError as error:
        raise DomainError(MSG_COSIGNED_NOTE_INVALID, code="cosigned_note_invalid",
                          detail={"reason": str(error)}) from None
    signed = SignedCheckpoint.objects.filter(tree_size=tree_size).first()
    # A stored note is its text (which has no empty line), an empty line, then our signature lines.
    if signed is None or not signed.note.startswith(note.text + "\n"):
        raise NotFound(MSG_CHECKPOINT_NOT_SIGNED, code="checkpoint_not_signed", detail={"tree_size": tree_size})
    witnesses = {(key.name, key.key_id): key for key in witness_keys()}
    newest: dict[tuple[str, int], Cosignature] = {}
    for signature in note.unverified_signatures:
        key = witnesses.get((signature.name, signature.key_id))
        if key is None:
            raise Forbidden(MSG_WITNESS_UNKNOWN, code="witness_unknown",
                            detail={"witness": signature.name, "key_id": f"{signature.key_id:08x}"})
        try:
            cosignature = verify_cosignature(text=note.text, cosignature=signature, verifier_key=key)
        except NoteError as error:
            raise DomainError(MSG_COSIGNATURE_INVALID, code="cosignature_invalid",
                              detail={"witness": key.name, "reason": str(error)}) from None
        if cosignature.timestamp > now.timestamp() + COSIGNATURE_CLOCK_SKEW_SECONDS:
            raise DomainError(MSG_COSIGNATURE_FROM_FUTURE, code="cosignature_from_future",
                              detail={"witness": key.name, "timestamp": cosignature.timestamp})
        earlier = newest.get((key.name, key.key_id))
        if earlier is None or cosignature.timestamp > earlier.timestamp:
            newest[(key.name, key.key_id)] = cosignature
    if not newest:
        raise DomainError(MSG_COSIGNATURE_MISSING, code="cosignature_missing")
    stored: list[WitnessCosignature] = []
    with transaction.atomic():
        # Locking the checkpoint row serialises concurrent submissions for it.
        signed = SignedCheckpoint.objects.select_for_update().get(pk=signed.pk)
        existing = {(row.witness_name, row.key_id): row for row in signed.cosignatures.all()}
        for (name, key_id), cosignature in sorted(newest.items()):
            row = existing.get((name, key_id))
            if row is not None and row.timestamp >= cosignature.timestamp:
                continue
            if row is None:
                row = WitnessCosignature(checkpoint=signed, witness_name=name, key_id=key_id)
            row.timestamp = cosignature.timestamp
            row.signature_line = cosignature.format()
            row.received_at = now
            row.save()
            stored.append(row)
    return CosignaturesAdded(checkpoint=signed, stored=stored)


@dataclass(frozen=True)
class WitnessOutcome:
    """What one witness answered to a checkpoint: its HTTP status (None when unreachable) and a short reason."""

    witness: str
    status: int | None
    detail: str

    @property
    def cosigned(self) -> bool:
        return self.status == 200


def checkpoint_witness(*, checkpoint: SignedCheckpoint, now: datetime) -> list[WitnessOutcome]:
    """Submit a signed checkpoint to each configured witness that has not cosigned it yet (C2SP tlog-witness
    add-checkpoint, with a consistency proof from the size the witness last cosigned) and store the cosignatures.

    Network calls happen outside any transaction, with the configured timeout; a witness that refuses or cannot be
    reached is reported and logged, never fatal: the checkpoint then simply stays unwitnessed by it.
    """
    outcomes = []
    have = set(checkpoint.cosignatures.values_list("witness_name", "key_id"))
    for witness in configured_witnesses():
        name = witness.key.name
        if (name, witness.key.key_id) in have:
            continue
        old_size = witness_cosigned_size(witness_name=name, key_id=witness.key.key_id, at_most=checkpoint.tree_size)
        result = None
        try:
            for _attempt in range(2):
                proof = (prove_consistency(old_size=old_size, new_size=checkpoint.tree_size,
                                           hashes=DatabaseHashReader())
                         if 0 < old_size < checkpoint.tree_size else [])
                body = format_add_checkpoint(old_size=old_size, proof=proof, signed_note=checkpoint.note)
                result = submit_checkpoint(url=witness.url, body=body, timeout=settings.LOG_WITNESS_TIMEOUT_SECONDS)
                if result.status != 409 or not result.content_type.startswith(SIZE_CONTENT_TYPE):
                    break
                # The witness holds another size: retry once from it if it is one this log could have signed.
                try:
                    witness_size = int(result.body.strip())
                except ValueError:
                    break
                if witness_size == old_size or not 0 <= witness_size <= checkpoint.tree_size:
                    break
                old_size = witness_size
        except OSError as error:
            logger.warning("witness %s unreachable for checkpoint %s: %s", name, checkpoint.tree_size, error)
            outcomes.append(WitnessOutcome(witness=name, status=None, detail=str(error)))
            continue
        if result.status != 200:
            logger.warning("witness %s refused checkpoint %s: HTTP %s %s", name, checkpoint.tree_size, result.status,
                           result.body.strip()[:200])
            outcomes.append(WitnessOutcome(witness=name, status=result.status, detail=result.body.strip()[:200]))
            continue
        try:
            witness_cosignature_add(signed_note_text=checkpoint.note + result.body, now=now)
        except DomainError as error:
            logger.warning("witness %s answered an unusable cosignature: %s", name, error.detail)
            outcomes.append(WitnessOutcome(witness=name, status=502, detail=str(error.message)))
            continue
        outcomes.append(WitnessOutcome(witness=name, status=200, detail="cosigned"))
    return outcomes
