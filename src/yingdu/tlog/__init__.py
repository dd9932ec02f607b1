"""yingdu.tlog: the pure core of the transparency log (RFC 9162 §2.1 Merkle tree, C2SP note formats).

Imports only the standard library and `cryptography`, so that an outside auditor can verify the log
without the rest of the platform.
"""

from yingdu.tlog.checkpoint import Checkpoint
from yingdu.tlog.cosignature import (
    Cosignature,
    CosignatureVerifierKey,
    CosignerKey,
    cosign_checkpoint,
    verify_cosignature,
)
from yingdu.tlog.errors import NoteError, ProofError, ReceiptError, TlogError
from yingdu.tlog.hashing import leaf_hash, node_hash, root_hash
from yingdu.tlog.keys import SignerKey, VerifierKey
from yingdu.tlog.note import Note, NoteSignature, open_note, sign_note, verify_note
from yingdu.tlog.proofs import (
    prove_consistency,
    prove_inclusion,
    prove_inclusion_all,
    verify_consistency,
    verify_inclusion,
)
from yingdu.tlog.receipt import Receipt, verify_receipt
from yingdu.tlog.storage import (
    HashReader,
    MemoryHashStore,
    stored_hash_count,
    stored_hash_index,
    stored_hashes_for_leaf,
    stored_hashes_for_leaves,
    tree_hash,
)

__all__ = [
    "Checkpoint",
    "Cosignature",
    "CosignatureVerifierKey",
    "CosignerKey",
    "HashReader",
    "MemoryHashStore",
    "Note",
    "NoteError",
    "NoteSignature",
    "ProofError",
    "Receipt",
    "ReceiptError",
    "SignerKey",
    "TlogError",
    "VerifierKey",
    "cosign_checkpoint",
    "leaf_hash",
    "node_hash",
    "open_note",
    "prove_consistency",
    "prove_inclusion",
    "prove_inclusion_all",
    "root_hash",
    "sign_note",
    "stored_hash_count",
    "stored_hash_index",
    "stored_hashes_for_leaf",
    "stored_hashes_for_leaves",
    "tree_hash",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
    "verify_note",
    "verify_receipt",
]
