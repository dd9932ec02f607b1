"""The quarterly spot-check draw, pure: seed, ranking, sample size, and verification of a published draw.

No Django import: `yingdu-verify draw` (yingdu.tlog.cli) uses this module, so an outside auditor can recompute a
draw from the published JSON alone. Exact bytes (DESIGN §7):

    seed        = the 32-byte root hash of the signed checkpoint (C2SP tlog-checkpoint, third line, base64-decoded)
    rank(id)    = SHA-256(seed || ASCII(decimal(id)))
                  decimal(id): the candidate work's id in base 10, no sign, no leading zeros, no separator and no
                  terminator; e.g. seed || b"42" (34 bytes hashed)
    ranking     = candidates sorted by rank(id) as unsigned big-endian bytes, ascending (ties: smaller id first)
    sample size = min(n, max(minimum, ceil(rate × n))), n = number of candidates, rate an exact decimal string
    chosen      = the first `sample size` ids of the ranking, in ranking order
"""

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from yingdu.tlog.checkpoint import Checkpoint
from yingdu.tlog.errors import NoteError
from yingdu.tlog.keys import VerifierKey
from yingdu.tlog.note import verify_note

DRAW_FORMAT = "yingdu-spot-check-draw/v1"

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_RATE = re.compile(r"^(0|[1-9]\d*)(\.\d+)?$")


class DrawError(ValueError):
    """A draw or a published draw document that cannot be used, or does not verify."""


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        """Parse "2026Q3"."""
        match = _QUARTER.match((text or "").strip().upper())
        if match is None:
            raise DrawError(f"quarter must look like 2026Q3, not {text!r}")
        return cls(year=int(match.group(1)), number=int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.day_after - timedelta(days=1)

    @property
    def day_after(self) -> date:
        """The first day of the next quarter (the quarter ends at its 00:00, Asia/Shanghai)."""
        return date(self.year + 1, 1, 1) if self.number == 4 else date(self.year, 3 * self.number + 1, 1)


def _require_candidates(candidate_ids: Iterable[int]) -> list[int]:
    candidates = list(candidate_ids)
    for candidate in candidates:
        if type(candidate) is not int or candidate < 0:
            raise DrawError(f"candidate ids must be non-negative integers, not {candidate!r}")
    if len(set(candidates)) != len(candidates):
        raise DrawError("candidate ids must be distinct")
    return candidates


def rank_hash(*, seed: bytes, candidate_id: int) -> bytes:
    """SHA-256(seed || ASCII decimal of the candidate id)."""
    return hashlib.sha256(seed + str(candidate_id).encode("ascii")).digest()


def rank_candidates(*, seed: bytes, candidate_ids: Iterable[int]) -> list[int]:
    """Candidates in draw order: ascending rank hash, then ascending id."""
    if not isinstance(seed, bytes) or len(seed) != 32:
        raise DrawError("the seed must be a 32-byte root hash")
    candidates = _require_candidates(candidate_ids)
    return sorted(candidates, key=lambda candidate: (rank_hash(seed=seed, candidate_id=candidate), candidate))


def sample_size(*, candidate_count: int, sample_rate: str, sample_minimum: int) -> int:
    """min(n, max(minimum, ceil(rate × n))), computed exactly from the decimal string of the rate."""
    if not isinstance(sample_rate, str) or not _RATE.match(sample_rate):
        raise DrawError(f"sample rate must be a decimal string such as \"0.10\", not {sample_rate!r}")
    rate = Fraction(sample_rate)
    if rate > 1:
        raise DrawError(f"sample rate {sample_rate} is above 1")
    if type(sample_minimum) is not int or sample_minimum < 0:
        raise DrawError(f"sample minimum must be a non-negative integer, not {sample_minimum!r}")
    if type(candidate_count) is not int or candidate_count < 0:
        raise DrawError(f"candidate count must be a non-negative integer, not {candidate_count!r}")
    return min(candidate_count, max(sample_minimum, math.ceil(rate * candidate_count)))


def draw_choose(*, seed: bytes, candidate_ids: Sequence[int], sample_rate: str, sample_minimum: int) -> list[int]:
    """The chosen candidates, in ranking order."""
    ranking = rank_candidates(seed=seed, candidate_ids=candidate_ids)
    return ranking[:sample_size(candidate_count=len(ranking), sample_rate=sample_rate,
                                sample_minimum=sample_minimum)]


@dataclass(frozen=True)
class VerifiedDraw:
    quarter: Quarter
    checkpoint: Checkpoint
    candidate_count: int
    chosen: list[int]


def _field(document: Mapping, name: str, kind: type):
    value = document.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise DrawError(f"published draw: {name!r} is missing or not a {kind.__name__}")
    return value


def draw_verify(document: Mapping, *, verifier_keys: Sequence[VerifierKey], origin: str | None = None) -> VerifiedDraw:
    """Recompute a published draw: check the checkpoint's signature, then seed, ranking, size and chosen list."""
    if not isinstance(document, Mapping):
        raise DrawError("published draw: not a JSON object")
    if document.get("format") != DRAW_FORMAT:
        raise DrawError(f"published draw: format is {document.get('format')!r}, expected {DRAW_FORMAT!r}")
    quarter = Quarter.parse(_field(document, "quarter", str))
    try:
        checkpoint = verify_note(_field(document, "checkpoint", str), verifier_keys=verifier_keys, origin=origin)
    except NoteError as error:
        raise DrawError(f"checkpoint: {error}") from None
    if _field(document, "checkpoint_tree_size", int) != checkpoint.tree_size:
        raise DrawError("published draw: checkpoint_tree_size differs from the signed checkpoint")
    if _field(document, "seed", str) != checkpoint.root_hash.hex():
        raise DrawError("published draw: seed is not the signed checkpoint's root hash")
    candidates = _field(document, "candidates", list)
    chosen = _field(document, "chosen", list)
    expected = draw_choose(seed=checkpoint.root_hash, candidate_ids=candidates,
                           sample_rate=_field(document, "sample_rate", str),
                           sample_minimum=_field(document, "sample_minimum", int))
    if _field(document, "sample_size", int) != len(expected):
        raise DrawError(f"sample size is {len(expected)}, the published draw says {document['sample_size']}")
    if chosen != expected:
        raise DrawError(f"chosen list differs: recomputed {expected}, published {chosen}")
    return VerifiedDraw(quarter=quarter, checkpoint=checkpoint, candidate_count=len(candidates), chosen=expected)
