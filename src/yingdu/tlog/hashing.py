"""Merkle tree hashing per RFC 9162 §2.1 (identical to RFC 6962 §2.1)."""

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32


def leaf_hash(entry: bytes) -> bytes:
    """Hash one log entry as a leaf (RFC 9162 §2.1.1)."""
    # leaf hash = SHA-256(0x00 || entry)
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two child hashes into their parent (RFC 9162 §2.1.1)."""
    # node hash = SHA-256(0x01 || left || right)
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT_HASH = hashlib.sha256(b"").digest()


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Compute the Merkle tree hash of a list of leaf hashes (RFC 9162 §2.1.1)."""
    # MTH({}) = SHA-256(""); MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n])) with k the largest
    # power of two smaller than n. Pairing neighbours level by level and promoting an unpaired
    # last hash unchanged builds exactly that left-balanced tree.
    if not leaf_hashes:
        return EMPTY_ROOT_HASH
    level = list(leaf_hashes)
    while len(level) > 1:
        parents = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            parents.append(level[-1])
        level = parents
    return level[0]
