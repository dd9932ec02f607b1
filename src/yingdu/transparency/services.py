"""Every write to the transparency log: appends in the caller's transaction, and checkpoint signing."""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from yingdu.errors import DomainError
from yingdu.tlog import (
    Checkpoint, ProofError, leaf_hash, root_hash, prove_consistency, sign_note, stored_hash_count, stored_hashes_for_leaves,
    tree_hash, verify_consistency,
)

from .canonical import canonical_json
from .keys import log_origin, signing_key
from .models import LogEntry, LogHead, SignedCheckpoint, StoredHash
from .selectors import DatabaseHashReader

logger = logging.getLogger(__name__)

# Version of the entry schema, written into every entry as "v".
ENTRY_SCHEMA_VERSION = 1

MSG_EVENT_INVALID = _("日志事件格式不正确")
MSG_LOG_INCONSISTENT = _("日志与上一个已签名检查点不一致，已拒绝签名")


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


def _prepare(event: Mapping) -> tuple[str, bytes]:
    event_type = event.get("type")
    if not isinstance(event_type, str) or "." not in event_type:
        raise DomainError(MSG_EVENT_INVALID, code="log_event_invalid", detail={"type": repr(event_type)})
    return event_type, canonical_entry({"v": ENTRY_SCHEMA_VERSION, **event})


def log_append(*, events: Sequence[Mapping], now: datetime) -> list[AppendedEntry]:
    """Append events, in order, as one batch inside the caller's transaction (one sequencer: the locked head)."""
    prepared = [_prepare(event) for event in events]
    if not prepared:
        return []
    leaf_hashes = [leaf_hash(entry) for _type, entry in prepared]
    with transaction.atomic():
        head = LogHead.objects.select_for_update().get(pk=1)
        first_index = head.tree_size
        reader = DatabaseHashReader()
        new_hashes = stored_hashes_for_leaves(first_leaf_index=first_index, leaf_hashes=leaf_hashes,
                                              hash_reader=reader)
        first_hash_index = stored_hash_count(tree_size=first_index)
        appended_at = connection.ops.adapt_datetimefield_value(now)
        _insert_rows(LogEntry, ["index", "event_type", "entry", "leaf_hash", "appended_at"], [
            (first_index + offset, event_type, entry, hashed, appended_at)
            for offset, ((event_type, entry), hashed) in enumerate(zip(prepared, leaf_hashes, strict=True))
        ])
        _insert_rows(StoredHash, ["index", "hash"],
                     [(first_hash_index + offset, hashed) for offset, hashed in enumerate(new_hashes)])
        reader.remember(first_hash_index, new_hashes)
        head.tree_size = first_index + len(prepared)
        head.root_hash = tree_hash(tree_size=head.tree_size, hash_reader=reader)
        head.updated_at = now
        head.save(update_fields=["tree_size", "root_hash", "updated_at"])
    return [AppendedEntry(index=first_index + offset, leaf_hash=hashed, event_type=event_type)
            for offset, ((event_type, _entry), hashed) in enumerate(zip(prepared, leaf_hashes, strict=True))]


def _insert_rows(model, field_names: list[str], rows: list[tuple]) -> None:
    """Batched INSERT without building model instances (the ORM's bulk_create costs more than the hashing)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names)
    placeholders = ", ".join(["%s"] * len(field_names))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def checkpoint_sign(*, now: datetime) -> SignedCheckpoint:
    """Sign a checkpoint for the current tree, after checking it is consistent with the last one signed."""
    with transaction.atomic():
        head = LogHead.objects.select_for_update().get(pk=1)
        latest = SignedCheckpoint.objects.order_by("-tree_size").first()
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
        return SignedCheckpoint.objects.create(tree_size=head.tree_size, root_hash=root, note=note, signed_at=now)


def checkpoint_ensure_current(*, now: datetime) -> SignedCheckpoint:
    """The latest signed checkpoint, signing a new one first when entries were appended since."""
    head = LogHead.objects.get(pk=1)
    latest = SignedCheckpoint.objects.order_by("-tree_size").first()
    if latest is not None and latest.tree_size == head.tree_size:
        return latest
    return checkpoint_sign(now=now)
