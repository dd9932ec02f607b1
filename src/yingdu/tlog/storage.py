"""Stored complete-subtree hashes, laid out as Go's golang.org/x/mod/sumdb/tlog lays them out.

The application stores, in append order, every leaf hash followed by the hash of each complete
subtree that the leaf completes. Hash number `stored_hash_index(level=L, index=n)` is the root of
the complete subtree of 2**L leaves starting at leaf n * 2**L. From these stored hashes any tree
hash or proof at any tree size needs O(log n) reads.
"""

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from yingdu.tlog.errors import ProofError
from yingdu.tlog.hashing import EMPTY_ROOT_HASH, HASH_SIZE, leaf_hash, node_hash


@runtime_checkable
class HashReader(Protocol):
    """Storage of the stored hashes, read by index (as HashReader in Go's sumdb/tlog)."""

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        """Return the stored hash at each index, in the order asked."""
        ...


def stored_hash_count(*, tree_size: int) -> int:
    """Count the hashes stored for a tree of tree_size leaves (RFC 9162 §2.1.1 complete subtrees)."""
    _check_size(tree_size, "tree size")
    # Level L holds floor(tree_size / 2**L) complete subtrees; summed over all levels this is
    # 2 * tree_size - popcount(tree_size).
    return 2 * tree_size - tree_size.bit_count()


def stored_hash_index(*, level: int, index: int) -> int:
    """Position in storage of the complete subtree hash at (level, index), as Go's StoredHashIndex."""
    if level < 0 or index < 0:
        raise ValueError(f"level and index must not be negative: ({level}, {index})")
    # The subtree's hash is stored when its last leaf, last_leaf = (index + 1) * 2**level - 1, is
    # appended: after the stored_hash_count(last_leaf) hashes of the smaller tree come the leaf
    # hash (level 0), then one new hash per completed level, so level L lands at offset L.
    last_leaf = ((index + 1) << level) - 1
    return 2 * last_leaf - last_leaf.bit_count() + level


def subtree_indexes(start: int, end: int) -> list[int]:
    """Stored-hash indexes whose right fold is the Merkle tree hash of leaves [start, end)."""
    # Valid for the subtrees that RFC 9162 §2.1 proofs use: start is a multiple of the smallest
    # power of two >= end - start. Then end - start splits into powers of two, largest first,
    # each piece being a complete subtree aligned at its own size.
    indexes = []
    while start < end:
        level = (end - start).bit_length() - 1
        indexes.append(stored_hash_index(level=level, index=start >> level))
        start += 1 << level
    return indexes


def fold_subtree_hashes(hashes: Sequence[bytes]) -> bytes:
    """Combine complete subtree hashes, listed left to right, into their tree hash (RFC 9162 §2.1.1)."""
    # MTH = node_hash(h[0], node_hash(h[1], ... node_hash(h[-2], h[-1])))
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def read_stored_hashes(hash_reader: HashReader, indexes: Iterable[int]) -> dict[int, bytes]:
    """Read the given stored hashes in one call, asking each index once and in increasing order."""
    wanted = sorted(set(indexes))
    if not wanted:
        return {}
    hashes = hash_reader.read_hashes(wanted)
    if len(hashes) != len(wanted):
        raise ProofError(f"hash reader returned {len(hashes)} hashes for {len(wanted)} indexes")
    for stored in hashes:
        if not isinstance(stored, bytes) or len(stored) != HASH_SIZE:
            raise ProofError("hash reader returned a value that is not a 32-byte hash")
    return dict(zip(wanted, hashes, strict=True))


def tree_hash(*, tree_size: int, hash_reader: HashReader) -> bytes:
    """Compute the root hash of the first tree_size leaves from O(log n) stored hashes (RFC 9162 §2.1.1)."""
    _check_size(tree_size, "tree size")
    if tree_size == 0:
        return EMPTY_ROOT_HASH
    indexes = subtree_indexes(0, tree_size)
    stored = read_stored_hashes(hash_reader, indexes)
    return fold_subtree_hashes([stored[index] for index in indexes])


def stored_hashes_for_leaves(
    *, first_leaf_index: int, leaf_hashes: Sequence[bytes], hash_reader: HashReader
) -> list[bytes]:
    """Hashes to store, in order, when appending leaf_hashes at first_leaf_index (Go's StoredHashes, batched)."""
    _check_size(first_leaf_index, "first leaf index")
    # Appending leaf n completes one subtree per trailing one bit of n: at each level L where
    # (n >> L) is odd, the new subtree hash is node_hash(stored hash (L, (n >> L) - 1), hash at
    # level L). Those left siblings are either subtrees of the tree before the batch (read once
    # here, they are its complete subtrees) or hashes computed earlier in this batch.
    known = read_stored_hashes(hash_reader, subtree_indexes(0, first_leaf_index))
    new_hashes: list[bytes] = []
    for offset, hash_of_leaf in enumerate(leaf_hashes):
        if len(hash_of_leaf) != HASH_SIZE:
            raise ValueError("a leaf hash must be 32 bytes")
        leaf_index = first_leaf_index + offset
        next_index = stored_hash_count(tree_size=leaf_index)
        current = hash_of_leaf
        known[next_index] = current
        new_hashes.append(current)
        level = 0
        while (leaf_index >> level) & 1:
            sibling = known[stored_hash_index(level=level, index=(leaf_index >> level) - 1)]
            current = node_hash(sibling, current)
            level += 1
            known[next_index + level] = current
            new_hashes.append(current)
    return new_hashes


def stored_hashes_for_leaf(*, leaf_index: int, leaf_hash: bytes, hash_reader: HashReader) -> list[bytes]:
    """Hashes to store, in order, when appending one leaf at leaf_index (Go's StoredHashes)."""
    return stored_hashes_for_leaves(
        first_leaf_index=leaf_index, leaf_hashes=[leaf_hash], hash_reader=hash_reader
    )


class MemoryHashStore:
    """An in-memory HashReader that appends entries; with keep_all_hashes=False it keeps only O(log n) hashes."""

    def __init__(self, *, keep_all_hashes: bool = True) -> None:
        self.keep_all_hashes = keep_all_hashes
        self.tree_size = 0
        self._hashes: dict[int, bytes] = {}

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        """Return the stored hash at each index (HashReader protocol)."""
        try:
            return [self._hashes[index] for index in indexes]
        except KeyError as missing:
            raise ProofError(f"stored hash {missing.args[0]} is not held by this store") from None

    def append(self, entry: bytes) -> int:
        """Append one entry and return its leaf index."""
        return self.append_leaf_hashes([leaf_hash(entry)])

    def append_leaf_hashes(self, leaf_hashes: Sequence[bytes]) -> int:
        """Append leaves given by their leaf hashes and return the index of the first one."""
        first_leaf_index = self.tree_size
        new_hashes = stored_hashes_for_leaves(
            first_leaf_index=first_leaf_index, leaf_hashes=leaf_hashes, hash_reader=self
        )
        next_index = stored_hash_count(tree_size=first_leaf_index)
        self._hashes.update(enumerate(new_hashes, start=next_index))
        self.tree_size += len(leaf_hashes)
        if not self.keep_all_hashes:
            # Future appends and the current tree hash only need the complete subtrees of the
            # current tree, i.e. the O(log n) "right frontier".
            frontier = subtree_indexes(0, self.tree_size)
            self._hashes = {index: self._hashes[index] for index in frontier}
        return first_leaf_index

    def root_hash(self) -> bytes:
        """Root hash of the current tree (RFC 9162 §2.1.1)."""
        return tree_hash(tree_size=self.tree_size, hash_reader=self)


def _check_size(value: int, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, not {value!r}")
