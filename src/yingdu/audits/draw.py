"""The quarterly spot-check draw, pure: seed, ranking, sample size, the witnesses' commit–reveal statements, and
verification of a published draw.

No Django import: `yingdu-verify draw` (yingdu.tlog.cli) and the witness (yingdu.tlog.witness) use this module, so
an outside auditor can recompute a draw from the published JSON alone. Exact bytes (DESIGN §7):

    root        = the 32-byte root hash of the quarter-end checkpoint (C2SP tlog-checkpoint, third line)
    seed        = witnessed draw: SHA-256(root || v_1 || … || v_k), v_i the 32-byte values revealed by the witnesses,
                  ordered by their verifier key text (ascending); a draw without witnesses: seed = root (NOT
                  ungrindable: the operator chose that checkpoint's timing and content)
    rank(id)    = SHA-256(seed || ASCII(decimal(id)))
                  decimal(id): the candidate work's id in base 10, no sign, no leading zeros, no separator and no
                  terminator; e.g. seed || b"42" (34 bytes hashed)
    ranking     = candidates sorted by rank(id) as unsigned big-endian bytes, ascending (ties: smaller id first)
    sample size = min(n, max(minimum, ceil(rate × n))), n = number of candidates, rate an exact decimal string
    chosen      = the first `sample size` ids of the ranking, in ranking order

Witness statements (text signed with the witness's Ed25519 cosigner key over the text's UTF-8 bytes, written as a
signed note: text, empty line, "— <name> base64(key ID || signature)"; the first line keeps them apart from the
"cosignature/v1" messages the same key signs):

    yingdu.draw/commitment/v1 \n origin \n quarter \n quarter end (POSIX seconds) \n hex SHA-256(v) \n
    yingdu.draw/reveal/v1 \n origin \n quarter \n quarter end \n hex v \n size \n base64 root \n revealed at \n

v = HMAC-SHA256(HMAC-SHA256(witness key seed, "yingdu.draw/beacon-secret/v1"),
                "yingdu.draw/beacon/v1\n" origin "\n" quarter "\n" quarter end "\n")
(size, root): the last checkpoint the witness cosigned with a timestamp before the quarter end. The quarter-end
checkpoint of a witnessed draw is the one of the smallest size the revealing witnesses name.
"""

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction

from yingdu.tlog.checkpoint import Checkpoint
from yingdu.tlog.cosignature import CosignatureVerifierKey, CosignerKey, verify_cosignature
from yingdu.tlog.errors import NoteError, ProofError
from yingdu.tlog.hashing import leaf_hash
from yingdu.tlog.keys import VerifierKey
from yingdu.tlog.note import NoteSignature, split_note, verify_note
from yingdu.tlog.proofs import verify_inclusion

DRAW_FORMAT_V1 = "yingdu-spot-check-draw/v1"
DRAW_FORMAT = "yingdu-spot-check-draw/v2"
COMMITMENT_HEADER = "yingdu.draw/commitment/v1"
REVEAL_HEADER = "yingdu.draw/reveal/v1"
COMMITMENT_ENTRY_TYPE = "audits.draw_commitment"
# Asia/Shanghai is UTC+8 with no daylight saving since 1991; a fixed offset keeps the verifier free of tz data.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

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

    @property
    def end_timestamp(self) -> int:
        """The quarter's end (00:00 Asia/Shanghai of the next quarter's first day) in POSIX seconds."""
        return int(datetime.combine(self.day_after, time.min, SHANGHAI).timestamp())

    @classmethod
    def of_timestamp(cls, timestamp: int) -> "Quarter":
        """The quarter (Asia/Shanghai) a POSIX time falls in."""
        day = datetime.fromtimestamp(timestamp, SHANGHAI).date()
        return cls(year=day.year, number=(day.month - 1) // 3 + 1)


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


# --- the witnesses' commit–reveal ------------------------------------------------------------------------------


def beacon_value(*, cosigner_key: CosignerKey, origin: str, quarter: Quarter) -> bytes:
    """The witness's secret per-quarter value v, derived from its key (no state to keep, the same every time)."""
    secret = hmac.new(cosigner_key.seed, b"yingdu.draw/beacon-secret/v1", hashlib.sha256).digest()
    message = f"yingdu.draw/beacon/v1\n{origin}\n{quarter}\n{quarter.end_timestamp}\n".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


def _sign_statement(text: str, cosigner_key: CosignerKey) -> str:
    signature = NoteSignature(name=cosigner_key.name, key_id=cosigner_key.key_id,
                              signature=cosigner_key.sign(text.encode("utf-8")))
    return text + "\n" + signature.format()


def commitment_statement(*, cosigner_key: CosignerKey, origin: str, quarter: Quarter) -> str:
    """The witness's signed commitment to its value for a quarter (may be published at any time)."""
    value = beacon_value(cosigner_key=cosigner_key, origin=origin, quarter=quarter)
    text = (f"{COMMITMENT_HEADER}\n{origin}\n{quarter}\n{quarter.end_timestamp}\n"
            f"{hashlib.sha256(value).hexdigest()}\n")
    return _sign_statement(text, cosigner_key)


def reveal_statement(*, cosigner_key: CosignerKey, origin: str, quarter: Quarter, last_size: int,
                     last_root: bytes, revealed_at: int) -> str:
    """The witness's signed reveal: its value and the last checkpoint it cosigned before the quarter end."""
    if revealed_at < quarter.end_timestamp:
        raise DrawError(f"{quarter} has not ended: no reveal before {quarter.end_timestamp}")
    value = beacon_value(cosigner_key=cosigner_key, origin=origin, quarter=quarter)
    text = (f"{REVEAL_HEADER}\n{origin}\n{quarter}\n{quarter.end_timestamp}\n{value.hex()}\n{last_size}\n"
            f"{base64.b64encode(last_root).decode('ascii')}\n{revealed_at}\n")
    return _sign_statement(text, cosigner_key)


@dataclass(frozen=True)
class Commitment:
    witness: CosignatureVerifierKey
    origin: str
    quarter: Quarter
    digest: bytes


@dataclass(frozen=True)
class Reveal:
    witness: CosignatureVerifierKey
    origin: str
    quarter: Quarter
    value: bytes
    last_size: int
    last_root: bytes
    revealed_at: int


def _open_statement(statement: str, *, witness: CosignatureVerifierKey, header: str, lines: int) -> list[str]:
    try:
        text, signatures = split_note(statement)
    except NoteError as error:
        raise DrawError(f"statement by {witness.name}: {error}") from None
    if not any((s.name, s.key_id) == (witness.name, witness.key_id)
               and witness.verify(message=text.encode("utf-8"), signature=s.signature) for s in signatures):
        raise DrawError(f"statement is not signed by witness {witness.name}+{witness.key_id:08x}")
    fields = text.split("\n")[:-1]
    if len(fields) != lines or fields[0] != header:
        raise DrawError(f"statement by {witness.name} is not a {header} statement")
    return fields[1:]


def _quarter_of(fields: list[str], what: str) -> Quarter:
    quarter = Quarter.parse(fields[1])
    if fields[2] != str(quarter.end_timestamp):
        raise DrawError(f"{what}: quarter end {fields[2]} is not {quarter}'s end {quarter.end_timestamp}")
    return quarter


def _integer(text: str, what: str) -> int:
    if not re.fullmatch(r"0|[1-9]\d{0,18}", text):
        raise DrawError(f"{what} is not a decimal number: {text!r}")
    return int(text)


def _bytes32(text: str, *, what: str, hex_text: bool) -> bytes:
    try:
        value = bytes.fromhex(text) if hex_text else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise DrawError(f"{what} is not valid") from None
    if len(value) != 32 or (hex_text and text != value.hex()):
        raise DrawError(f"{what} is not 32 bytes in canonical form")
    return value


def commitment_open(statement: str, *, witness: CosignatureVerifierKey) -> Commitment:
    """A witness's commitment statement, checked against its key; DrawError if not."""
    fields = _open_statement(statement, witness=witness, header=COMMITMENT_HEADER, lines=5)
    return Commitment(witness=witness, origin=fields[0], quarter=_quarter_of(fields, "commitment"),
                      digest=_bytes32(fields[3], what="commitment digest", hex_text=True))


def reveal_open(statement: str, *, witness: CosignatureVerifierKey) -> Reveal:
    """A witness's reveal statement, checked against its key and its own clock claim; DrawError if not."""
    fields = _open_statement(statement, witness=witness, header=REVEAL_HEADER, lines=8)
    quarter = _quarter_of(fields, "reveal")
    reveal = Reveal(witness=witness, origin=fields[0], quarter=quarter,
                    value=_bytes32(fields[3], what="revealed value", hex_text=True),
                    last_size=_integer(fields[4], "reveal checkpoint size"),
                    last_root=_bytes32(fields[5], what="reveal checkpoint root", hex_text=False),
                    revealed_at=_integer(fields[6], "reveal time"))
    if reveal.revealed_at < quarter.end_timestamp:
        raise DrawError(f"witness {witness.name} revealed its value before {quarter} ended")
    return reveal


def reveal_matches(reveal: Reveal, commitment: Commitment) -> None:
    """The reveal opens the commitment: same witness, log and quarter, SHA-256(v) = the committed digest."""
    if (reveal.witness, reveal.origin, reveal.quarter) != (commitment.witness, commitment.origin, commitment.quarter):
        raise DrawError(f"the reveal by {reveal.witness.name} is not for its commitment's log and quarter")
    if hashlib.sha256(reveal.value).digest() != commitment.digest:
        raise DrawError(f"the value revealed by {reveal.witness.name} does not match its commitment")


def witnessed_seed(*, root_hash: bytes, reveals: Sequence[Reveal]) -> bytes:
    """SHA-256(root || v_1 || … || v_k), values ordered by the witness's verifier key text."""
    ordered = sorted(reveals, key=lambda reveal: reveal.witness.format())
    return hashlib.sha256(root_hash + b"".join(reveal.value for reveal in ordered)).digest()


def quarter_end_size(reveals: Sequence[Reveal]) -> tuple[int, bytes]:
    """The quarter-end checkpoint's (size, root): the smallest named by the revealing witnesses."""
    if not reveals:
        raise DrawError("no witness revealed its value")
    size = min(reveal.last_size for reveal in reveals)
    roots = {reveal.last_root for reveal in reveals if reveal.last_size == size}
    if len(roots) != 1:
        raise DrawError(f"the witnesses name different roots at tree size {size}: the log has forked")
    return size, roots.pop()


def cosigned_before(signed_note: str, *, witnesses: Sequence[CosignatureVerifierKey], end: int
                    ) -> set[CosignatureVerifierKey]:
    """The witnesses whose valid cosignature on the note is timestamped before ``end``."""
    try:
        text, signatures = split_note(signed_note)
    except NoteError as error:
        raise DrawError(f"checkpoint: {error}") from None
    found = set()
    for witness in witnesses:
        for signature in signatures:
            if (signature.name, signature.key_id) != (witness.name, witness.key_id):
                continue
            try:
                cosignature = verify_cosignature(text=text, cosignature=signature, verifier_key=witness)
            except NoteError:
                continue
            if cosignature.timestamp < end:
                found.add(witness)
    return found


@dataclass(frozen=True)
class VerifiedDraw:
    quarter: Quarter
    checkpoint: Checkpoint
    candidate_count: int
    chosen: list[int]
    #: the seed combines the witnesses' revealed values with a checkpoint they cosigned before the quarter end
    ungrindable: bool = False
    revealed: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()


def _field(document: Mapping, name: str, kind: type):
    value = document.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise DrawError(f"published draw: {name!r} is missing or not a {kind.__name__}")
    return value


def _witness_key(text) -> CosignatureVerifierKey:
    if not isinstance(text, str):
        raise DrawError("published draw: a witness key is not a string")
    try:
        return CosignatureVerifierKey.parse(text)
    except NoteError as error:
        raise DrawError(f"published draw: witness key {text!r}: {error}") from None


def _check_commitment(item, *, quarter: Quarter, checkpoint: Checkpoint) -> Commitment:
    """One published commitment: signed by its witness, for this log and quarter, and its log entry included in the
    quarter-end checkpoint."""
    if not isinstance(item, Mapping):
        raise DrawError("published draw: a commitment is not an object")
    witness = _witness_key(item.get("witness"))
    statement = _field(item, "statement", str)
    commitment = commitment_open(statement, witness=witness)
    if commitment.origin != checkpoint.origin or commitment.quarter != quarter:
        raise DrawError(f"the commitment by {witness.name} is for {commitment.origin} {commitment.quarter}")
    try:
        entry = base64.b64decode(_field(item, "entry", str), validate=True)
        logged = json.loads(entry)
    except (ValueError, binascii.Error):
        raise DrawError(f"the commitment entry of {witness.name} is not base64 JSON") from None
    if not isinstance(logged, dict) or logged.get("type") != COMMITMENT_ENTRY_TYPE \
            or logged.get("statement") != statement:
        raise DrawError(f"the log entry given for {witness.name}'s commitment is not that commitment")
    index = _field(item, "log_index", int)
    proof_texts = _field(item, "inclusion_proof", list)
    try:
        proof = [base64.b64decode(text, validate=True) for text in proof_texts]
        verify_inclusion(leaf_hash=leaf_hash(entry), leaf_index=index, tree_size=checkpoint.tree_size, proof=proof,
                         root_hash=checkpoint.root_hash)
    except (TypeError, ValueError, binascii.Error, ProofError) as error:
        raise DrawError(f"the commitment of {witness.name} is not included in the quarter-end checkpoint: "
                        f"{error}") from None
    return commitment


def _verify_witnessed(document: Mapping, *, quarter: Quarter, checkpoint: Checkpoint,
                      witnesses: Sequence[CosignatureVerifierKey] | None, quorum: int) -> tuple[bytes, list, list]:
    """Check the commit–reveal of a witnessed draw and return (seed, revealing witnesses, withholding witnesses)."""
    commitments: dict[CosignatureVerifierKey, Commitment] = {}
    for item in _field(document, "commitments", list):
        commitment = _check_commitment(item, quarter=quarter, checkpoint=checkpoint)
        if commitment.witness in commitments:
            raise DrawError(f"two commitments by {commitment.witness.name}")
        commitments[commitment.witness] = commitment
    reveals: dict[CosignatureVerifierKey, Reveal] = {}
    for item in _field(document, "reveals", list):
        if not isinstance(item, Mapping):
            raise DrawError("published draw: a reveal is not an object")
        witness = _witness_key(item.get("witness"))
        if witness not in commitments:
            raise DrawError(f"{witness.name} revealed a value without a commitment in the log")
        if witness in reveals:
            raise DrawError(f"two reveals by {witness.name}")
        reveal = reveal_open(_field(item, "statement", str), witness=witness)
        reveal_matches(reveal, commitments[witness])
        reveals[witness] = reveal
    withheld = sorted(key.format() for key in commitments if key not in reveals)
    if sorted(_field(document, "withheld", list)) != withheld:
        raise DrawError(f"published draw: the withheld list is not the committed witnesses without a reveal "
                        f"({withheld})")
    size, root = quarter_end_size(list(reveals.values()))
    if (size, root) != (checkpoint.tree_size, checkpoint.root_hash):
        raise DrawError(f"the quarter-end checkpoint is the one at tree size {size} that the witnesses name, not "
                        f"the draw's at {checkpoint.tree_size}")
    if witnesses is None:
        # no pinned policy: the witnesses the draw itself names, with the quorum it states
        witnesses, quorum = list(commitments), _field(document, "witness_quorum", int)
    quorum = max(quorum, 1)
    cosigners = cosigned_before(document["checkpoint"], witnesses=witnesses, end=quarter.end_timestamp)
    if len(cosigners) < quorum:
        raise DrawError(f"the quarter-end checkpoint is cosigned before {quarter} ended by {len(cosigners)} "
                        f"witnesses, fewer than the quorum of {quorum}")
    trusted = [reveal for witness, reveal in reveals.items() if witness in witnesses]
    if len(trusted) < quorum:
        raise DrawError(f"{len(trusted)} trusted witnesses revealed their values, fewer than the quorum of {quorum}")
    seed = witnessed_seed(root_hash=checkpoint.root_hash, reveals=list(reveals.values()))
    return seed, sorted(key.name for key in reveals), withheld


def draw_verify(document: Mapping, *, verifier_keys: Sequence[VerifierKey], origin: str | None = None,
                witnesses: Sequence[CosignatureVerifierKey] | None = None, quorum: int = 0) -> VerifiedDraw:
    """Recompute a published draw: the checkpoint's signature, for a witnessed draw the commitments (signed,
    included in the checkpoint), the reveals (after the quarter end, matching), the checkpoint's cosignatures
    (before the quarter end), then seed, ranking, size and chosen list. ``witnesses``/``quorum``: a pinned policy
    (quorum > 0 refuses a draw without witnesses)."""
    if not isinstance(document, Mapping):
        raise DrawError("published draw: not a JSON object")
    draw_format = document.get("format")
    if draw_format not in (DRAW_FORMAT_V1, DRAW_FORMAT):
        raise DrawError(f"published draw: format is {draw_format!r}, expected {DRAW_FORMAT!r}")
    quarter = Quarter.parse(_field(document, "quarter", str))
    try:
        checkpoint = verify_note(_field(document, "checkpoint", str), verifier_keys=verifier_keys, origin=origin)
    except NoteError as error:
        raise DrawError(f"checkpoint: {error}") from None
    if _field(document, "checkpoint_tree_size", int) != checkpoint.tree_size:
        raise DrawError("published draw: checkpoint_tree_size differs from the signed checkpoint")
    if _field(document, "seed", str) != checkpoint.root_hash.hex():
        raise DrawError("published draw: seed is not the signed checkpoint's root hash")
    ungrindable = draw_format == DRAW_FORMAT and _field(document, "ungrindable", bool)
    revealed, withheld = [], []
    if ungrindable:
        seed, revealed, withheld = _verify_witnessed(document, quarter=quarter, checkpoint=checkpoint,
                                                     witnesses=witnesses, quorum=quorum)
    elif quorum:
        raise DrawError(f"the draw of {quarter} is NOT ungrindable (its seed has no witness values) and the policy "
                        f"requires a quorum of {quorum} witnesses")
    else:
        seed = checkpoint.root_hash
    if draw_format == DRAW_FORMAT and _field(document, "ranking_seed", str) != seed.hex():
        raise DrawError(f"published draw: ranking_seed is not the recomputed seed {seed.hex()}")
    candidates = _field(document, "candidates", list)
    chosen = _field(document, "chosen", list)
    expected = draw_choose(seed=seed, candidate_ids=candidates,
                           sample_rate=_field(document, "sample_rate", str),
                           sample_minimum=_field(document, "sample_minimum", int))
    if _field(document, "sample_size", int) != len(expected):
        raise DrawError(f"sample size is {len(expected)}, the published draw says {document['sample_size']}")
    if chosen != expected:
        raise DrawError(f"chosen list differs: recomputed {expected}, published {chosen}")
    return VerifiedDraw(quarter=quarter, checkpoint=checkpoint, candidate_count=len(candidates), chosen=expected,
                        ungrindable=ungrindable, revealed=tuple(revealed), withheld=tuple(withheld))
