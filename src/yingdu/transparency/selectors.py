"""Reads of the transparency log: stored hashes, entries, checkpoints and proofs."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet

from yingdu.errors import DomainError, NotFound
from yingdu.tlog import ProofError, Receipt, prove_consistency, prove_inclusion
from yingdu.tlog.tiles import TILE_WIDTH, Tile, entry_bundle, read_tile, tile_exists

from .keys import configured_witnesses, log_keys, log_origin, verifier_keys, witness_keys, witness_quorum
from .models import LogEntry, LogHead, SignedCheckpoint, StoredHash, WitnessCosignature

MAX_ENTRIES_PAGE = 1000


class DatabaseHashReader:
    """yingdu.tlog.HashReader over the StoredHash table, with a small cache of hashes written in this batch."""

    def __init__(self):
        self._known: dict[int, bytes] = {}

    def remember(self, first_index: int, hashes: Sequence[bytes]) -> None:
        self._known.update(enumerate(hashes, start=first_index))

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        missing = [index for index in indexes if index not in self._known]
        if missing:
            rows = StoredHash.objects.filter(index__in=missing).values_list("index", "hash")
            self._known.update((index, bytes(value)) for index, value in rows)
        try:
            return [self._known[index] for index in indexes]
        except KeyError as absent:
            raise ProofError(f"stored hash {absent.args[0]} is missing from the database") from None


def log_head() -> LogHead:
    return LogHead.objects.get(pk=1)


def checkpoint_latest() -> SignedCheckpoint | None:
    return SignedCheckpoint.objects.order_by("-tree_size").first()


@dataclass(frozen=True)
class ServedCheckpoint:
    """What a GET serves: the latest checkpoint the worker signed (None before the first) and how many entries the
    log has grown by since. Reading it writes nothing; the worker signs about a second after the log grows."""

    checkpoint: SignedCheckpoint | None
    log_size: int

    @property
    def entries_behind(self) -> int:
        return self.log_size - (self.checkpoint.tree_size if self.checkpoint is not None else 0)


def checkpoint_served() -> ServedCheckpoint:
    return ServedCheckpoint(checkpoint=checkpoint_latest(), log_size=log_head().tree_size)


def log_has_unsigned_entries() -> bool:
    """True when no checkpoint was signed yet or entries were appended since the latest one."""
    latest = checkpoint_latest()
    return latest is None or latest.tree_size != log_head().tree_size


def cosigned_note(checkpoint: SignedCheckpoint) -> str:
    """The signed checkpoint with the stored witness cosignature lines appended (C2SP tlog-cosignature)."""
    lines = (WitnessCosignature.objects.filter(checkpoint=checkpoint).order_by("witness_name", "key_id")
             .values_list("signature_line", flat=True))
    return checkpoint.note + "".join(lines)


def _signed_size_limit() -> int:
    latest = checkpoint_latest()
    return latest.tree_size if latest is not None else 0


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise DomainError(f"{name} 超出范围：应在 {low} 到 {high} 之间", code="log_range_invalid",
                          detail={"parameter": name, "minimum": low, "maximum": high, "value": value})


def inclusion_proof(*, leaf_index: int, tree_size: int) -> list[bytes]:
    """Inclusion proof of a leaf in a tree no larger than the latest signed checkpoint (RFC 9162 §2.1.3.1)."""
    _check_range("tree_size", tree_size, 1, _signed_size_limit())
    _check_range("leaf_index", leaf_index, 0, tree_size - 1)
    return prove_inclusion(leaf_index=leaf_index, tree_size=tree_size, hashes=DatabaseHashReader())


def consistency_proof(*, old_size: int, new_size: int) -> list[bytes]:
    """Consistency proof between two sizes covered by signed checkpoints (RFC 9162 §2.1.4.1)."""
    _check_range("new_size", new_size, 0, _signed_size_limit())
    _check_range("old_size", old_size, 0, new_size)
    return prove_consistency(old_size=old_size, new_size=new_size, hashes=DatabaseHashReader())


def entries_page(*, start: int, end: int | None) -> tuple[list[LogEntry], int | None]:
    """Entries [start, end) up to one page, and the index to continue from (None when the range is done)."""
    size = log_head().tree_size
    end = size if end is None else min(end, size)
    _check_range("start", start, 0, max(end, 0))
    stop = min(end, start + MAX_ENTRIES_PAGE)
    entries = list(LogEntry.objects.filter(index__gte=start, index__lt=stop).order_by("index"))
    return entries, (stop if stop < end else None)


def receipt_for(*, leaf_index: int, witnessed: bool = False) -> Receipt:
    """A C2SP tlog-proof receipt of one entry against the latest signed (or the latest witnessed) checkpoint."""
    latest = checkpoint_latest_witnessed() if witnessed else checkpoint_latest()
    if latest is None or leaf_index >= latest.tree_size or leaf_index < 0:
        raise NotFound("该条目尚未被已签名的检查点覆盖", code="log_entry_not_covered")
    proof = prove_inclusion(leaf_index=leaf_index, tree_size=latest.tree_size, hashes=DatabaseHashReader())
    return Receipt(leaf_index=leaf_index, inclusion_proof=tuple(proof), signed_checkpoint=cosigned_note(latest))


def entry_leaf_hashes(indexes: Sequence[int]) -> dict[int, bytes]:
    """Leaf hashes of the given entries, by index."""
    if not indexes:
        return {}
    rows = LogEntry.objects.filter(index__in=set(indexes)).values_list("index", "leaf_hash")
    return {index: bytes(value) for index, value in rows}


def entries_of_type(event_type: str) -> QuerySet[LogEntry]:
    """Every entry of one event type, in log order (for apps that check their rows against the log)."""
    return LogEntry.objects.filter(event_type=event_type).order_by("index")


def _counts_cache_key() -> str:
    return f"yingdu.transparency.entry_counts:{log_origin()}"


def entry_counts_at(tree_size: int) -> list[tuple[str, int]]:
    """Entries by type among the log's first ``tree_size`` (a signed checkpoint's size), by type name. The counts of
    the largest size asked for so far are kept in the cache and brought forward by counting only the entries
    appended since, so the public page costs what was appended since its last view, not the log's length (issue 18).
    A smaller size than the cached one (or an empty cache) counts from the start."""
    cached = cache.get(_counts_cache_key())
    size, counts = (cached[0], dict(cached[1])) if cached and cached[0] <= tree_size else (0, {})
    if size < tree_size:
        appended = (LogEntry.objects.filter(index__gte=size, index__lt=tree_size).values_list("event_type")
                    .annotate(n=Count("index")).values_list("event_type", "n"))
        for event_type, count in appended:
            counts[event_type] = counts.get(event_type, 0) + count
        cache.set(_counts_cache_key(), (tree_size, sorted(counts.items())), None)
    return sorted(counts.items())


def published_verifier_keys() -> list[str]:
    return [key.format() for key in verifier_keys()]


def published_trust_policy() -> str:
    """The trust policy file for `yingdu-verify --witness-policy`: log keys with their validity, witnesses, quorum.

    Served for convenience; its value comes from being compared with a copy obtained out of band (docs/decisions.md).
    """
    lines = [f"# yingdu-verify trust policy for {log_origin()}", "# compare with the copy published out of band",
             "# before pinning it (README, Witnesses)"]
    for log_key in log_keys():
        bounds = f" first={log_key.first_size}" if log_key.first_size else ""
        bounds += f" last={log_key.last_size}" if log_key.last_size is not None else ""
        lines.append(f"log {log_key.key.format()}{bounds}")
    lines.extend(f"witness {key.format()}" for key in witness_keys())
    if witness_keys():
        lines.append(f"quorum {witness_quorum()}")
    return "\n".join(lines) + "\n"


def signed_tree_size() -> int:
    """The size of the latest signed checkpoint: tiles and proofs are served up to it and no further."""
    return _signed_size_limit()


def tile_content(tile: Tile) -> bytes:
    """A C2SP tlog-tiles tile or entry bundle computed from the stored hashes and entries; NotFound beyond the tree."""
    if not tile_exists(tile, tree_size=_signed_size_limit()):
        raise NotFound("该瓦片超出已签名的日志范围", code="log_tile_not_found", detail={"tile": tile.path()})
    if tile.is_entries:
        first = tile.index * TILE_WIDTH
        rows = LogEntry.objects.filter(index__gte=first, index__lt=first + tile.width).order_by("index")
        entries = [bytes(entry) if not isinstance(entry, str) else entry.encode("utf-8")
                   for entry in rows.values_list("entry", flat=True)]
        if len(entries) != tile.width:
            raise ProofError(f"entries {first}…{first + tile.width - 1} are missing from the database")
        return entry_bundle(entries)
    return read_tile(tile, hash_reader=DatabaseHashReader())


def witness_cosigned_size(*, witness_name: str, key_id: int, at_most: int) -> int:
    """The largest checkpoint size, at most at_most, that this witness key cosigned for the log (0 if none)."""
    size = (WitnessCosignature.objects.filter(witness_name=witness_name, key_id=key_id,
                                              checkpoint__tree_size__lte=at_most)
            .aggregate(size=Max("checkpoint__tree_size"))["size"])
    return size or 0


def _witnessed_checkpoints() -> QuerySet[SignedCheckpoint]:
    quorum = witness_quorum()
    keys = witness_keys()
    return (SignedCheckpoint.objects
            .annotate(witnessed_by=Count("cosignatures", filter=Q(cosignatures__key_id__in=[k.key_id for k in keys],
                                                                   cosignatures__witness_name__in=[k.name for k in keys])))
            .filter(witnessed_by__gte=quorum))


def checkpoint_latest_witnessed() -> SignedCheckpoint | None:
    """The latest checkpoint cosigned by at least the quorum of configured witnesses (all of them when quorum is 0)."""
    return _witnessed_checkpoints().order_by("-tree_size").first()


def checkpoint_is_witnessed(checkpoint: SignedCheckpoint) -> bool:
    return _witnessed_checkpoints().filter(pk=checkpoint.pk).exists()


def checkpoint_needs_witnesses() -> bool:
    """True when witnesses are configured and one of them has not cosigned the latest checkpoint."""
    witnesses = configured_witnesses()
    latest = checkpoint_latest()
    if not witnesses or latest is None:
        return False
    have = set(latest.cosignatures.values_list("witness_name", "key_id"))
    return any((w.key.name, w.key.key_id) not in have for w in witnesses)
