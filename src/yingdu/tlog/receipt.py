"""Receipts: offline-verifiable inclusion proofs in the C2SP tlog-proof text format.

    c2sp.org/tlog-proof@v1
    extra <base64 opaque data>          (optional)
    index <decimal leaf index>
    <base64 inclusion proof hash>       (zero or more, leaf sibling first)
    <empty line>
    <signed checkpoint, verbatim>
"""

from collections.abc import Iterable
from dataclasses import dataclass

from yingdu.tlog._text import decode_base64, encode_base64, parse_decimal
from yingdu.tlog.checkpoint import Checkpoint
from yingdu.tlog.errors import ReceiptError
from yingdu.tlog.hashing import HASH_SIZE, leaf_hash
from yingdu.tlog.keys import VerifierKey
from yingdu.tlog.note import split_note, verify_note
from yingdu.tlog.proofs import verify_inclusion

RECEIPT_HEADER = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True)
class Receipt:
    """A leaf index, its inclusion proof and the signed checkpoint it leads to (C2SP tlog-proof)."""

    leaf_index: int
    inclusion_proof: tuple[bytes, ...]
    signed_checkpoint: str
    extra: bytes | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "inclusion_proof", tuple(self.inclusion_proof))
        if not isinstance(self.leaf_index, int) or isinstance(self.leaf_index, bool) or self.leaf_index < 0:
            raise ReceiptError(f"receipt leaf index must be a non-negative integer, not {self.leaf_index!r}")
        for position, proof_hash in enumerate(self.inclusion_proof):
            if not isinstance(proof_hash, bytes) or len(proof_hash) != HASH_SIZE:
                raise ReceiptError(f"receipt proof hash {position} must be {HASH_SIZE} bytes")
        if not self.signed_checkpoint.endswith("\n"):
            raise ReceiptError("receipt checkpoint does not end with a newline")

    @property
    def checkpoint(self) -> Checkpoint:
        """The checkpoint's note text, parsed without checking signatures; use verify_receipt to trust it."""
        text, _signatures = split_note(self.signed_checkpoint)
        return Checkpoint.parse(text)

    def format(self) -> str:
        """The receipt in the C2SP tlog-proof text format."""
        lines = [RECEIPT_HEADER]
        if self.extra is not None:
            lines.append(f"extra {encode_base64(self.extra)}")
        lines.append(f"index {self.leaf_index}")
        lines.extend(encode_base64(proof_hash) for proof_hash in self.inclusion_proof)
        lines.append("")
        return "\n".join(lines) + "\n" + self.signed_checkpoint

    @classmethod
    def parse(cls, text: str) -> "Receipt":
        """Parse a receipt strictly; raise ReceiptError on any deviation from the C2SP tlog-proof format."""
        lines = text.split("\n")
        if lines[0] != RECEIPT_HEADER:
            raise ReceiptError(f"receipt does not start with {RECEIPT_HEADER}")
        position = 1
        extra = None
        if position < len(lines) and lines[position].startswith("extra "):
            extra = decode_base64(lines[position].removeprefix("extra "), error=ReceiptError, what="receipt extra data")
            position += 1
        if position >= len(lines) or not lines[position].startswith("index "):
            raise ReceiptError("receipt has no index line")
        leaf_index = parse_decimal(lines[position].removeprefix("index "), error=ReceiptError, what="receipt index")
        position += 1
        proof: list[bytes] = []
        while position < len(lines) and lines[position] != "":
            proof_hash = decode_base64(lines[position], error=ReceiptError, what=f"receipt proof hash {len(proof)}")
            if len(proof_hash) != HASH_SIZE:
                raise ReceiptError(f"receipt proof hash {len(proof)} is {len(proof_hash)} bytes, not {HASH_SIZE}")
            proof.append(proof_hash)
            position += 1
        if position >= len(lines):
            raise ReceiptError("receipt has no empty line before its checkpoint")
        signed_checkpoint = "\n".join(lines[position + 1 :])
        if not signed_checkpoint.strip():
            raise ReceiptError("receipt has no checkpoint")
        return cls(
            leaf_index=leaf_index, inclusion_proof=tuple(proof), signed_checkpoint=signed_checkpoint, extra=extra
        )


def verify_receipt(
    receipt_text: str,
    *,
    entry: bytes,
    verifier_keys: Iterable[VerifierKey],
    origin: str | None = None,
) -> Receipt:
    """Verify a receipt's signed checkpoint and that leaf_hash(entry) is included (C2SP tlog-proof, RFC 9162 §2.1.3.2)."""
    receipt = Receipt.parse(receipt_text)
    checkpoint = verify_note(receipt.signed_checkpoint, verifier_keys=verifier_keys, origin=origin)
    verify_inclusion(
        leaf_hash=leaf_hash(entry),
        leaf_index=receipt.leaf_index,
        tree_size=checkpoint.tree_size,
        proof=receipt.inclusion_proof,
        root_hash=checkpoint.root_hash,
    )
    return receipt
