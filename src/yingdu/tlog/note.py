"""Signed notes per C2SP signed-note (the format of golang.org/x/mod/sumdb/note), with Ed25519 keys.

A signed note is the note text (ending in a newline), an empty line, then one line per signature:
    — <key name> base64(4-byte big-endian key ID || signature)
where — is the em dash U+2014.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from yingdu.tlog._text import decode_base64, encode_base64, has_control_characters
from yingdu.tlog.checkpoint import Checkpoint
from yingdu.tlog.errors import NoteError
from yingdu.tlog.keys import SignerKey, VerifierKey, is_valid_key_name

SIGNATURE_LINE_PREFIX = "\u2014 "
MAX_SIGNATURES = 100
MAX_NOTE_SIZE = 1 << 20


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a signed note: key name, key ID and the signature bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes

    def format(self) -> str:
        """The signature line, with its final newline."""
        encoded = encode_base64(self.key_id.to_bytes(4, "big") + self.signature)
        return f"{SIGNATURE_LINE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    """An opened signed note: its text, the signatures verified by known keys, and those by unknown keys."""

    text: str
    verified_signatures: tuple[NoteSignature, ...]
    unverified_signatures: tuple[NoteSignature, ...]


def sign_note(*, text: str, signer_keys: Iterable[SignerKey]) -> str:
    """Sign note text with each signer key and return the signed note (C2SP signed-note §Format)."""
    signer_keys = list(signer_keys)
    if not signer_keys:
        raise NoteError("a note needs at least one signer key")
    check_note_text(text)
    message = text.encode("utf-8")
    lines = [
        NoteSignature(name=key.name, key_id=key.key_id, signature=key.sign(message)).format()
        for key in signer_keys
    ]
    return text + "\n" + "".join(lines)


def split_note(signed_note: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and its signature lines, without verifying anything."""
    if len(signed_note) > MAX_NOTE_SIZE:
        raise NoteError("signed note is too large")
    if has_control_characters(signed_note):
        raise NoteError("signed note contains a control character")
    if not signed_note.endswith("\n"):
        raise NoteError("signed note does not end with a newline")
    # The text is separated from the signatures by the last empty line of the note.
    separator = signed_note.rfind("\n\n")
    if separator < 0:
        raise NoteError("signed note has no empty line before its signatures")
    text = signed_note[: separator + 1]
    signature_lines = signed_note[separator + 2 : -1].split("\n")
    if len(signature_lines) > MAX_SIGNATURES:
        raise NoteError(f"signed note has more than {MAX_SIGNATURES} signatures")
    return text, [_parse_signature_line(line) for line in signature_lines]


def open_note(signed_note: str, *, verifier_keys: Iterable[VerifierKey]) -> Note:
    """Verify a signed note's signatures by known keys and return the note (C2SP signed-note §Signatures)."""
    text, signatures = split_note(signed_note)
    keys_by_id = _index_keys(verifier_keys)
    message = text.encode("utf-8")
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for signature in signatures:
        if signature in verified or signature in unverified:
            continue
        candidates = keys_by_id.get((signature.name, signature.key_id))
        if candidates is None:
            # Signatures from unknown keys are ignored, even if they share a name or an ID with a known key.
            unverified.append(signature)
            continue
        if len(candidates) > 1:
            raise NoteError(f"ambiguous key {signature.name}+{signature.key_id:08x}")
        if not candidates[0].verify(message=message, signature=signature.signature):
            raise NoteError(f"invalid signature for key {signature.name}+{signature.key_id:08x}")
        verified.append(signature)
    if not verified:
        raise NoteError("note has no valid signature from a known key")
    return Note(text=text, verified_signatures=tuple(verified), unverified_signatures=tuple(unverified))


def verify_note(
    signed_note: str, *, verifier_keys: Iterable[VerifierKey], origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint and return it (C2SP signed-note, tlog-checkpoint); origin, if given, must match."""
    note = open_note(signed_note, verifier_keys=verifier_keys)
    checkpoint = Checkpoint.parse(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not the expected {origin!r}")
    return checkpoint


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_LINE_PREFIX):
        raise NoteError("signature line does not start with an em dash and a space")
    name, space, encoded = line[len(SIGNATURE_LINE_PREFIX) :].partition(" ")
    if not space or not is_valid_key_name(name):
        raise NoteError(f"signature line has an invalid key name {name!r}")
    data = decode_base64(encoded, error=NoteError, what=f"signature by {name}")
    if len(data) < 5:
        raise NoteError(f"signature by {name} is too short")
    return NoteSignature(name=name, key_id=int.from_bytes(data[:4], "big"), signature=data[4:])


def _index_keys(verifier_keys: Iterable[VerifierKey]) -> dict[tuple[str, int], list[VerifierKey]]:
    keys_by_id: dict[tuple[str, int], list[VerifierKey]] = {}
    for key in verifier_keys:
        if not isinstance(key, VerifierKey):
            raise TypeError(f"verifier keys must be VerifierKey instances, not {type(key).__name__}")
        same = keys_by_id.setdefault((key.name, key.key_id), [])
        if key not in same:
            same.append(key)
    return keys_by_id


def check_note_text(text: str) -> None:
    """Note text ends with a newline and has no control character other than newline (C2SP signed-note)."""
    if not text.endswith("\n"):
        raise NoteError("note text does not end with a newline")
    if has_control_characters(text):
        raise NoteError("note text contains a control character")
