"""Inclusion and consistency proofs: built from stored hashes, verified per RFC 9162 §2.1.3 and §2.1.4."""

from collections.abc import Iterator, Sequence

from yingdu.tlog.errors import ProofError
from yingdu.tlog.hashing import HASH_SIZE, node_hash
from yingdu.tlog.storage import (
    HashReader,
    fold_subtree_hashes,
    read_stored_hashes,
    subtree_indexes,
)


def _largest_power_of_two_below(size: int) -> int:
    """k = the largest power of two smaller than size, for size > 1 (RFC 9162 §2.1.1)."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_subtrees(leaf_index: int, tree_size: int) -> list[tuple[int, int]]:
    """Leaf ranges [start, end) whose hashes form PATH(leaf_index, D[tree_size]) (RFC 9162 §2.1.3.1)."""
    # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])      if m < k
    #               = PATH(m - k, D[k:n]) : MTH(D[0:k])  if m >= k
    # Walking down from the root collects the siblings top first; the proof lists them leaf first.
    siblings = []
    start, end = 0, tree_size
    while end - start > 1:
        middle = start + _largest_power_of_two_below(end - start)
        if leaf_index < middle:
            siblings.append((middle, end))
            end = middle
        else:
            siblings.append((start, middle))
            start = middle
    siblings.reverse()
    return siblings


def consistency_subtrees(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges [start, end) whose hashes form PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1)."""
    # PROOF(m, D[n]) = SUBPROOF(m, D[n], true), with
    # SUBPROOF(m, D[m], true) = {}, SUBPROOF(m, D[m], false) = {MTH(D[m])},
    # SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          if m <= k
    #                      = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  if m > k
    if old_size == 0 or old_size == new_size:
        return []
    ranges = []
    start, end = 0, new_size
    old_root_is_a_subtree = True
    while old_size != end:
        middle = start + _largest_power_of_two_below(end - start)
        if old_size <= middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
            old_root_is_a_subtree = False
    if not old_root_is_a_subtree:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def _hashes_of_ranges(ranges: Sequence[tuple[int, int]], hashes: HashReader) -> list[bytes]:
    """Merkle tree hashes of the given leaf ranges, reading all their stored hashes in one call."""
    index_lists = [subtree_indexes(start, end) for start, end in ranges]
    stored = read_stored_hashes(hashes, (index for indexes in index_lists for index in indexes))
    return [fold_subtree_hashes([stored[index] for index in indexes]) for indexes in index_lists]


def prove_inclusion_all(*, leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every leaf's inclusion proof in the tree of exactly these leaves, in one O(n log n) pass (RFC 9162 §2.1.3.1)."""
    proofs: list[list[bytes]] = [[] for _ in leaf_hashes]

    def subtree_hash(start: int, end: int) -> bytes:
        # The sibling at each level is appended after the deeper ones, so every proof lists siblings leaf first.
        if end - start == 1:
            return leaf_hashes[start]
        middle = start + _largest_power_of_two_below(end - start)
        left, right = subtree_hash(start, middle), subtree_hash(middle, end)
        for leaf in range(start, middle):
            proofs[leaf].append(right)
        for leaf in range(middle, end):
            proofs[leaf].append(left)
        return node_hash(left, right)

    if leaf_hashes:
        subtree_hash(0, len(leaf_hashes))
    return proofs


def prove_inclusion(*, leaf_index: int, tree_size: int, hashes: HashReader) -> list[bytes]:
    """Build the inclusion proof of leaf_index in the tree of tree_size leaves (RFC 9162 §2.1.3.1)."""
    _check_count(leaf_index, "leaf index")
    _check_count(tree_size, "tree size")
    if leaf_index >= tree_size:
        raise ProofError(f"leaf index {leaf_index} is out of range for tree size {tree_size}")
    return _hashes_of_ranges(inclusion_subtrees(leaf_index, tree_size), hashes)


def prove_consistency(*, old_size: int, new_size: int, hashes: HashReader) -> list[bytes]:
    """Build the consistency proof from tree size old_size to new_size (RFC 9162 §2.1.4.1)."""
    _check_count(old_size, "old size")
    _check_count(new_size, "new size")
    if old_size > new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    return _hashes_of_ranges(consistency_subtrees(old_size, new_size), hashes)


def verify_inclusion(
    *, leaf_hash: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Check that leaf_hash is at leaf_index in the tree of tree_size leaves with root_hash (RFC 9162 §2.1.3.2)."""
    _check_count(leaf_index, "leaf index")
    _check_count(tree_size, "tree size")
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root_hash, "root hash")
    _check_proof_hashes(proof)
    if leaf_index >= tree_size:
        raise ProofError(f"leaf index {leaf_index} is out of range for tree size {tree_size}")
    _check_proof_length(
        proof, inclusion_subtrees(leaf_index, tree_size), f"inclusion proof of leaf {leaf_index} in tree size {tree_size}"
    )
    # r = leaf_hash; for each proof hash p: r = node_hash(p, r) if p is a left sibling, else node_hash(r, p).
    result = leaf_hash
    for sibling, is_left in _path_siblings(leaf_index, tree_size - 1, proof, what="inclusion proof"):
        result = node_hash(sibling, result) if is_left else node_hash(result, sibling)
    if result != root_hash:
        raise ProofError(f"inclusion proof for leaf index {leaf_index} does not lead to the root hash")


def verify_consistency(
    *, old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree (old_size, old_root) is a prefix of (new_size, new_root) (RFC 9162 §2.1.4.2)."""
    _check_count(old_size, "old size")
    _check_count(new_size, "new size")
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
    _check_proof_hashes(proof)
    if old_size > new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    _check_proof_length(
        proof, consistency_subtrees(old_size, new_size), f"consistency proof from size {old_size} to {new_size}"
    )
    if old_size == new_size:
        if old_root != new_root:
            raise ProofError(f"two different root hashes for the same tree size {old_size}")
        return
    if old_size == 0:
        # Every tree extends the empty tree; the proof is empty (C2SP merkle-tree, consistency step 3).
        return
    # If old_size is a power of two, prepend old_root to the proof. fn = old_size - 1,
    # sn = new_size - 1; while LSB(fn): shift fn and sn right. fr = sr = path[0]; then for each c in
    # path[1:]: a left sibling extends both trees, fr = node_hash(c, fr) and sr = node_hash(c, sr);
    # a right sibling extends only the new one, sr = node_hash(sr, c). Finally fr == old_root and
    # sr == new_root.
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    first, second = old_size - 1, new_size - 1
    while first & 1:
        first >>= 1
        second >>= 1
    old_result = new_result = path[0]
    for sibling, is_left in _path_siblings(first, second, path[1:], what="consistency proof"):
        if is_left:
            old_result = node_hash(sibling, old_result)
            new_result = node_hash(sibling, new_result)
        else:
            new_result = node_hash(new_result, sibling)
    if old_result != old_root:
        raise ProofError(f"consistency proof does not lead to the old root hash at size {old_size}")
    if new_result != new_root:
        raise ProofError(f"consistency proof does not lead to the new root hash at size {new_size}")


def _path_siblings(first: int, second: int, hashes: Sequence[bytes], *, what: str) -> Iterator[tuple[bytes, bool]]:
    """Walk a proof up the tree, yielding each hash and whether it is a left sibling (RFC 9162 §2.1.3.2, §2.1.4.2)."""
    # fn = first, sn = second; for each hash:
    #   if sn == 0: fail (too many hashes)
    #   if LSB(fn) or fn == sn: a left sibling; then, while fn is even and non-zero, shift fn and sn right
    #   else: a right sibling
    #   shift fn and sn right by one
    # finally sn == 0, or there were too few hashes.
    for proof_hash in hashes:
        if second == 0:
            raise ProofError(f"{what} has too many hashes")
        if first & 1 or first == second:
            yield proof_hash, True
            while not first & 1 and first != 0:
                first >>= 1
                second >>= 1
        else:
            yield proof_hash, False
        first >>= 1
        second >>= 1
    if second != 0:
        raise ProofError(f"{what} has too few hashes")


def _check_count(value: int, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{what} must be a non-negative integer, not {value!r}")


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes")


def _check_proof_length(proof: Sequence[bytes], subtrees: list[tuple[int, int]], what: str) -> None:
    # One hash per subtree that RFC 9162 §2.1.3.1 / §2.1.4.1 would put in the proof.
    if len(proof) != len(subtrees):
        raise ProofError(f"{what} has {len(proof)} hashes, expected {len(subtrees)}")


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        if not isinstance(value, bytes) or len(value) != HASH_SIZE:
            raise ProofError(f"proof hash {position} must be {HASH_SIZE} bytes")
