"""Witness cosignatures per C2SP tlog-cosignature: timestamped Ed25519 signatures on a checkpoint (type 0x04).

A cosignature is a signed-note signature line on the checkpoint:
    — <cosigner name> base64(4-byte key ID || 8-byte big-endian timestamp || 64-byte Ed25519 signature)
key ID = SHA-256(cosigner name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4]
signed message = "cosignature/v1\n" || "time <timestamp as ASCII decimal>\n" || checkpoint note text
where the note text is every line of the checkpoint up to and including its final newline, without signatures.
The timestamp is in POSIX seconds, at most 2^63 - 1.
"""

from dataclasses import dataclass
from typing import ClassVar

from yingdu.tlog.checkpoint import Checkpoint
from yingdu.tlog.errors import NoteError
from yingdu.tlog.keys import Ed25519PrivateNoteKey, Ed25519PublicNoteKey
from yingdu.tlog.note import NoteSignature, check_note_text

COSIGNATURE_SIGNATURE_TYPE = 0x04
COSIGNATURE_HEADER = "cosignature/v1\n"
MAX_COSIGNATURE_TIMESTAMP = 2**63 - 1
ED25519_SIGNATURE_SIZE = 64
_TIMESTAMP_SIZE = 8


def cosignature_message(*, text: str, timestamp: int) -> bytes:
    """The bytes a cosigner signs (C2SP tlog-cosignature §Ed25519 signed message)."""
    _check_timestamp(timestamp)
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{text}".encode("utf-8")


@dataclass(frozen=True)
class Cosignature:
    """One witness cosignature: cosigner name, key ID, POSIX timestamp and the 64-byte Ed25519 signature."""

    name: str
    key_id: int
    timestamp: int
    signature: bytes

    @classmethod
    def from_note_signature(cls, note_signature: NoteSignature) -> "Cosignature":
        """Read the timestamped_signature structure out of a note signature line."""
        data = note_signature.signature
        if len(data) != _TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE:
            raise NoteError(f"signature by {note_signature.name} is not a timestamped Ed25519 cosignature")
        timestamp = int.from_bytes(data[:_TIMESTAMP_SIZE], "big")
        _check_timestamp(timestamp)
        return cls(name=note_signature.name, key_id=note_signature.key_id, timestamp=timestamp,
                   signature=data[_TIMESTAMP_SIZE:])

    def note_signature(self) -> NoteSignature:
        """The note signature carrying this cosignature (timestamp and signature after the key ID)."""
        return NoteSignature(name=self.name, key_id=self.key_id,
                             signature=self.timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + self.signature)

    def format(self) -> str:
        """The signature line, with its final newline, to append to the signed checkpoint."""
        return self.note_signature().format()


@dataclass(frozen=True)
class CosignatureVerifierKey(Ed25519PublicNoteKey):
    """A witness's named Ed25519 public key for cosignature/v1, in the vkey text form with type byte 0x04."""

    signature_type: ClassVar[int] = COSIGNATURE_SIGNATURE_TYPE
    description: ClassVar[str] = "cosignature verifier key"


@dataclass(frozen=True)
class CosignerKey(Ed25519PrivateNoteKey):
    """A witness's named Ed25519 private key; text form PRIVATE+KEY+name+keyid+base64(0x04 || seed)."""

    public_key_type: ClassVar[type[Ed25519PublicNoteKey]] = CosignatureVerifierKey
    description: ClassVar[str] = "cosigner key"


def cosign_checkpoint(*, text: str, cosigner_key: CosignerKey, timestamp: int) -> Cosignature:
    """Cosign a checkpoint's note text as of timestamp (POSIX seconds); the caller has checked consistency first."""
    check_note_text(text)
    Checkpoint.parse(text)
    signature = cosigner_key.sign(cosignature_message(text=text, timestamp=timestamp))
    return Cosignature(name=cosigner_key.name, key_id=cosigner_key.key_id, timestamp=timestamp, signature=signature)


def verify_cosignature(
    *, text: str, cosignature: Cosignature | NoteSignature, verifier_key: CosignatureVerifierKey
) -> Cosignature:
    """Verify a witness cosignature of checkpoint note text and return it with its timestamp; NoteError if not."""
    if not isinstance(verifier_key, CosignatureVerifierKey):
        raise TypeError(f"cosignatures verify with a CosignatureVerifierKey, not {type(verifier_key).__name__}")
    if isinstance(cosignature, NoteSignature):
        cosignature = Cosignature.from_note_signature(cosignature)
    if (cosignature.name, cosignature.key_id) != (verifier_key.name, verifier_key.key_id):
        raise NoteError(f"cosignature by {cosignature.name}+{cosignature.key_id:08x} is not by key "
                        f"{verifier_key.name}+{verifier_key.key_id:08x}")
    check_note_text(text)
    message = cosignature_message(text=text, timestamp=cosignature.timestamp)
    if not verifier_key.verify(message=message, signature=cosignature.signature):
        raise NoteError(f"invalid cosignature for key {verifier_key.name}+{verifier_key.key_id:08x}")
    return cosignature


def _check_timestamp(timestamp: int) -> None:
    if not 0 <= timestamp <= MAX_COSIGNATURE_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is outside 0 … 2^63 - 1")
