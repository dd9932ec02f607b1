"""Trust policy of a verifier: the log's verifier keys with their validity ranges, key rotation statements, and
the witnesses of which a quorum must cosign a checkpoint. Kept in a small text file distributed out of band:

    # lines starting with # are comments
    log <log vkey> [first=<tree size>] [last=<tree size>]     one or more
    witness <witness cosignature vkey (type 0x04)>            zero or more
    quorum <k>                                                at most once; default 0 (no witness needed)

A log key signs checkpoints of tree sizes first…last only (both inclusive; no last: open-ended). A key rotation
statement is a note signed by the old key:

    yingdu.tlog/key-rotation/v1
    <origin>
    <tree size S>
    <new log vkey>

After it, the old key is valid up to S and the new one from S: a checkpoint of size > S signed only by the old key is
refused, even though its signature is good.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from yingdu.tlog._text import parse_decimal
from yingdu.tlog.checkpoint import Checkpoint
from yingdu.tlog.cosignature import CosignatureVerifierKey, verify_cosignature
from yingdu.tlog.errors import NoteError
from yingdu.tlog.keys import SignerKey, VerifierKey
from yingdu.tlog.note import open_note, sign_note

ROTATION_HEADER = "yingdu.tlog/key-rotation/v1"


@dataclass(frozen=True)
class LogKey:
    """A log verifier key and the tree sizes it may sign (first…last inclusive; last None: no end yet)."""

    key: VerifierKey
    first_size: int = 0
    last_size: int | None = None

    def valid_for(self, tree_size: int) -> bool:
        return self.first_size <= tree_size and (self.last_size is None or tree_size <= self.last_size)

    def describe(self) -> str:
        end = "" if self.last_size is None else str(self.last_size)
        return f"{self.key.name}+{self.key.key_id:08x} (sizes {self.first_size}…{end})"

    @classmethod
    def parse(cls, text: str) -> "LogKey":
        """`<vkey> [first=N] [last=N]`."""
        key_text, *options = text.split()
        first, last = 0, None
        for option in options:
            name, equals, value = option.partition("=")
            if not equals or name not in ("first", "last"):
                raise NoteError(f"unknown key option {option!r} (expected first=N or last=N)")
            number = parse_decimal(value, error=NoteError, what=f"key {name} size")
            if name == "first":
                first = number
            else:
                last = number
        if last is not None and last < first:
            raise NoteError(f"key validity ends ({last}) before it starts ({first})")
        return cls(key=VerifierKey.parse(key_text), first_size=first, last_size=last)


@dataclass(frozen=True)
class TrustPolicy:
    log_keys: tuple[LogKey, ...]
    witnesses: tuple[CosignatureVerifierKey, ...] = ()
    quorum: int = 0

    @classmethod
    def parse(cls, text: str) -> "TrustPolicy":
        log_keys: list[LogKey] = []
        witnesses: list[CosignatureVerifierKey] = []
        quorum = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            try:
                if keyword == "log":
                    log_keys.append(LogKey.parse(rest.strip()))
                elif keyword == "witness":
                    witness = CosignatureVerifierKey.parse(rest.strip())
                    if witness not in witnesses:
                        witnesses.append(witness)
                elif keyword == "quorum":
                    if quorum is not None:
                        raise NoteError("quorum is given twice")
                    quorum = parse_decimal(rest.strip(), error=NoteError, what="quorum")
                else:
                    raise NoteError(f"unknown keyword {keyword!r}")
            except (NoteError, ValueError) as error:
                raise NoteError(f"policy line {number}: {error}") from None
        quorum = quorum or 0
        if quorum > len(witnesses):
            raise NoteError(f"quorum {quorum} is more than the {len(witnesses)} witnesses named")
        return cls(log_keys=tuple(log_keys), witnesses=tuple(witnesses), quorum=quorum)

    def with_log_keys(self, log_keys: Iterable[LogKey]) -> "TrustPolicy":
        return replace(self, log_keys=(*self.log_keys, *log_keys))

    def with_rotations(self, statements: Sequence[str]) -> "TrustPolicy":
        """Apply key rotation statements, each signed by a key already trusted, in the order given."""
        policy = self
        for statement in statements:
            policy = replace(policy, log_keys=tuple(apply_rotation(policy.log_keys, statement)))
        return policy

    def verify_checkpoint(self, signed_note: str, *, origin: str | None = None) -> Checkpoint:
        """The checkpoint, if signed by a log key valid for its tree size and cosigned by the witness quorum."""
        if not self.log_keys:
            raise NoteError("no log verifier key is trusted")
        note = open_note(signed_note, verifier_keys=[log_key.key for log_key in self.log_keys])
        checkpoint = Checkpoint.parse(note.text)
        if origin is not None and checkpoint.origin != origin:
            raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not the expected {origin!r}")
        signers = [log_key for log_key in self.log_keys
                   if any((s.name, s.key_id) == (log_key.key.name, log_key.key.key_id)
                          for s in note.verified_signatures)]
        if not any(log_key.valid_for(checkpoint.tree_size) for log_key in signers):
            raise NoteError(f"checkpoint of tree size {checkpoint.tree_size} is signed only by keys not valid for "
                            f"that size: {', '.join(k.describe() for k in signers)}")
        if self.quorum:
            cosigners = set()
            witnesses = {(w.name, w.key_id): w for w in self.witnesses}
            for signature in note.unverified_signatures:
                witness = witnesses.get((signature.name, signature.key_id))
                if witness is None:
                    continue
                try:
                    verify_cosignature(text=note.text, cosignature=signature, verifier_key=witness)
                except NoteError:
                    continue  # an invalid cosignature counts for nothing
                cosigners.add((witness.name, witness.key_id))
            if len(cosigners) < self.quorum:
                raise NoteError(f"checkpoint at tree size {checkpoint.tree_size} is cosigned by {len(cosigners)} of "
                                f"the policy's witnesses, fewer than the quorum of {self.quorum}")
        return checkpoint


def rotation_statement(*, old_key: SignerKey, new_key: VerifierKey, tree_size: int) -> str:
    """A key rotation statement signed by the old key: the new key signs from tree_size, the old one no further."""
    if old_key.name != new_key.name:
        raise NoteError("a log's keys share its origin as their name")
    text = f"{ROTATION_HEADER}\n{old_key.name}\n{tree_size}\n{new_key.format()}\n"
    return sign_note(text=text, signer_keys=[old_key])


def apply_rotation(log_keys: Sequence[LogKey], statement: str) -> list[LogKey]:
    """Log keys after a rotation statement: the signing old key ends at S, the new key is valid from S."""
    note = open_note(statement, verifier_keys=[log_key.key for log_key in log_keys])
    lines = note.text.split("\n")
    if len(lines) != 5 or lines[0] != ROTATION_HEADER:
        raise NoteError("not a key rotation statement")
    origin, size_text, new_text = lines[1], lines[2], lines[3]
    size = parse_decimal(size_text, error=NoteError, what="rotation tree size")
    new_key = VerifierKey.parse(new_text)
    if new_key.name != origin:
        raise NoteError("the new key's name is not the log's origin")
    signed_by = {(s.name, s.key_id) for s in note.verified_signatures}
    updated = []
    rotated = False
    for log_key in log_keys:
        if (log_key.key.name, log_key.key.key_id) in signed_by and log_key.key.name == origin:
            if not log_key.valid_for(size):
                raise NoteError(f"rotation at tree size {size} is signed by {log_key.describe()}, not valid then")
            log_key = replace(log_key, last_size=size)
            rotated = True
        updated.append(log_key)
    if not rotated:
        raise NoteError("the rotation statement is not signed by a trusted key of its log")
    updated.append(LogKey(key=new_key, first_size=size))
    return updated
