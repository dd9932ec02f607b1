"""Ed25519 note keys in the text forms of C2SP signed-note and golang.org/x/mod/sumdb/note.

Verifier key: <name>+<key ID as 8 hex digits>+base64(<signature type> || 32-byte public key)
Signer key:   PRIVATE+KEY+<name>+<key ID as 8 hex digits>+base64(<signature type> || 32-byte private seed)

Signature type 0x01 is a note signature (here); 0x04 a timestamped witness cosignature (yingdu.tlog.cosignature).
"""

import hashlib
import re
from dataclasses import dataclass, field
from typing import ClassVar, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from yingdu.tlog._text import decode_base64, encode_base64
from yingdu.tlog.errors import NoteError

ED25519_SIGNATURE_TYPE = 0x01
ED25519_KEY_SIZE = 32
SIGNER_KEY_PREFIX = "PRIVATE+KEY+"

_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}", re.ASCII)


def is_valid_key_name(name: str) -> bool:
    """Key names are non-empty, with no Unicode space, no plus sign and no control character (C2SP signed-note)."""
    return bool(name) and not any(
        character.isspace() or character == "+" or character < " " for character in name
    )


def ed25519_key_id(*, name: str, public_key: bytes, signature_type: int = ED25519_SIGNATURE_TYPE) -> int:
    """The 32-bit key ID of an Ed25519 note key (C2SP signed-note §Ed25519 signatures, tlog-cosignature)."""
    # key ID = SHA-256(key name || 0x0A || signature type || 32-byte Ed25519 public key)[:4], big-endian
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def split_key_text(text: str, *, what: str, signature_type: int) -> tuple[str, int, bytes]:
    """Split name+keyid+base64(type || key) and check the name, the type byte and the key size."""
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise NoteError(f"{what} is not of the form name+keyid+key")
    name, key_id_hex, key_base64 = parts
    if not is_valid_key_name(name):
        raise NoteError(f"{what} has an invalid key name {name!r}")
    if not _KEY_ID_HEX.fullmatch(key_id_hex):
        raise NoteError(f"{what} key ID is not 8 lowercase hex digits")
    key_data = decode_base64(key_base64, error=NoteError, what=f"{what} key")
    if len(key_data) != 1 + ED25519_KEY_SIZE or key_data[0] != signature_type:
        raise NoteError(f"{what} is not an Ed25519 key of signature type 0x{signature_type:02x}")
    return name, int(key_id_hex, 16), key_data[1:]


@dataclass(frozen=True)
class Ed25519PublicNoteKey:
    """A named Ed25519 public key whose key ID commits to its signature type; subclasses fix the type."""

    signature_type: ClassVar[int]
    description: ClassVar[str]

    name: str
    key_id: int
    public_key: bytes

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}")
        if len(self.public_key) != ED25519_KEY_SIZE:
            raise NoteError("an Ed25519 public key is 32 bytes")
        if self.key_id != self.key_id_for(name=self.name, public_key=self.public_key):
            raise NoteError(f"key ID {self.key_id:08x} does not match key {self.name}")

    @classmethod
    def key_id_for(cls, *, name: str, public_key: bytes) -> int:
        """The key ID of this key type for a name and a raw public key."""
        return ed25519_key_id(name=name, public_key=public_key, signature_type=cls.signature_type)

    @classmethod
    def from_public_key(cls, *, name: str, public_key: bytes | Ed25519PublicKey) -> Self:
        """Build the key for a raw or `cryptography` Ed25519 public key."""
        if isinstance(public_key, Ed25519PublicKey):
            public_key = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(name=name, key_id=cls.key_id_for(name=name, public_key=public_key), public_key=public_key)

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse the name+keyid+base64 text form."""
        name, key_id, public_key = split_key_text(
            text.strip(), what=cls.description, signature_type=cls.signature_type
        )
        return cls(name=name, key_id=key_id, public_key=public_key)

    def format(self) -> str:
        """The name+keyid+base64 text form."""
        key_data = bytes([self.signature_type]) + self.public_key
        return f"{self.name}+{self.key_id:08x}+{encode_base64(key_data)}"

    def __str__(self) -> str:
        return self.format()

    def verify(self, *, message: bytes, signature: bytes) -> bool:
        """True when signature is this key's Ed25519 signature of message (RFC 8032)."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Ed25519PrivateNoteKey:
    """A named Ed25519 private key; its text form starts with PRIVATE+KEY+. Subclasses name their public key type."""

    public_key_type: ClassVar[type[Ed25519PublicNoteKey]]
    description: ClassVar[str]

    name: str
    key_id: int
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}")
        if len(self.seed) != ED25519_KEY_SIZE:
            raise NoteError("an Ed25519 private key seed is 32 bytes")
        if self.key_id != self.public_key_type.key_id_for(name=self.name, public_key=public_key_for_seed(self.seed)):
            raise NoteError(f"key ID {self.key_id:08x} does not match key {self.name}")

    @classmethod
    def generate(cls, *, name: str) -> Self:
        """Generate a new random key."""
        seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls.from_seed(name=name, seed=seed)

    @classmethod
    def from_seed(cls, *, name: str, seed: bytes) -> Self:
        """Build the key for a 32-byte Ed25519 private key seed (RFC 8032)."""
        key_id = cls.public_key_type.key_id_for(name=name, public_key=public_key_for_seed(seed))
        return cls(name=name, key_id=key_id, seed=seed)

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse the PRIVATE+KEY+name+keyid+base64 text form."""
        text = text.strip()
        if not text.startswith(SIGNER_KEY_PREFIX):
            raise NoteError(f"{cls.description} does not start with PRIVATE+KEY+")
        name, key_id, seed = split_key_text(
            text[len(SIGNER_KEY_PREFIX) :], what=cls.description, signature_type=cls.public_key_type.signature_type
        )
        return cls(name=name, key_id=key_id, seed=seed)

    def format(self) -> str:
        """The PRIVATE+KEY+name+keyid+base64 text form."""
        key_data = bytes([self.public_key_type.signature_type]) + self.seed
        return f"{SIGNER_KEY_PREFIX}{self.name}+{self.key_id:08x}+{encode_base64(key_data)}"

    @property
    def verifier_key(self):
        """The matching public key."""
        return self.public_key_type.from_public_key(name=self.name, public_key=public_key_for_seed(self.seed))

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature of message (RFC 8032)."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


@dataclass(frozen=True)
class VerifierKey(Ed25519PublicNoteKey):
    """A named Ed25519 public key that verifies note signatures (C2SP signed-note, signature type 0x01)."""

    signature_type: ClassVar[int] = ED25519_SIGNATURE_TYPE
    description: ClassVar[str] = "verifier key"


@dataclass(frozen=True)
class SignerKey(Ed25519PrivateNoteKey):
    """A named Ed25519 private key that signs notes (C2SP signed-note, signature type 0x01)."""

    public_key_type: ClassVar[type[Ed25519PublicNoteKey]] = VerifierKey
    description: ClassVar[str] = "signer key"


def public_key_for_seed(seed: bytes) -> bytes:
    """The raw Ed25519 public key of a 32-byte private key seed (RFC 8032 §5.1.5)."""
    if len(seed) != ED25519_KEY_SIZE:
        raise NoteError("an Ed25519 private key seed is 32 bytes")
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
