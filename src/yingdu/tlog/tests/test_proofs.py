"""Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4): known answers, corruptions and properties."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingdu.tlog import (
    MemoryHashStore,
    ProofError,
    leaf_hash,
    node_hash,
    prove_consistency,
    prove_inclusion,
    prove_inclusion_all,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

from .helpers import ListHashReader, build_store
from .test_hashing import LEAF_INPUTS, ROOT_HASHES


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# Source: transparency-dev/merkle, proof/verify_test.go (inclusionProofs, consistencyProofs, roots,
# sha256SomeHash); the tree is built from testonly/constants.go LeafInputs. Leaf numbers there count
# from one, so (leaf 1, size 8) is our leaf_index 0.
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
EMPTY_TREE_HASH = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
INCLUSION_VECTORS = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]

STORE = build_store(LEAF_INPUTS)


def _accepts_inclusion(*, leaf_hash, leaf_index, tree_size, proof, root_hash) -> bool:
    try:
        verify_inclusion(leaf_hash=leaf_hash, leaf_index=leaf_index, tree_size=tree_size, proof=proof, root_hash=root_hash)
    except ProofError:
        return False
    return True


def _accepts_consistency(*, old_size, new_size, proof, old_root, new_root) -> bool:
    try:
        verify_consistency(old_size=old_size, new_size=new_size, proof=proof, old_root=old_root, new_root=new_root)
    except ProofError:
        return False
    return True


def _flip_bit(proof: list[bytes], position: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[position])
    changed[bit // 8] ^= 1 << (bit % 8)
    return proof[:position] + [bytes(changed)] + proof[position + 1 :]


@pytest.mark.parametrize(("leaf_number", "tree_size", "expected"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_transparency_dev_vectors(leaf_number, tree_size, expected):
    leaf_index = leaf_number - 1
    proof = [h(text) for text in expected]
    root = h(ROOT_HASHES[tree_size])
    hash_of_leaf = leaf_hash(LEAF_INPUTS[leaf_index])
    assert prove_inclusion(leaf_index=leaf_index, tree_size=tree_size, hashes=STORE) == proof
    verify_inclusion(leaf_hash=hash_of_leaf, leaf_index=leaf_index, tree_size=tree_size, proof=proof, root_hash=root)

    # The corrupted probes of verify_test.go corruptInclusionProof: every one must be refused.
    probes = [
        (leaf_index - 1, tree_size, root, hash_of_leaf, proof),
        (leaf_index + 1, tree_size, root, hash_of_leaf, proof),
        (leaf_index ^ 2, tree_size, root, hash_of_leaf, proof),
        (leaf_index, tree_size * 2, root, hash_of_leaf, proof),
        (leaf_index, tree_size // 2, root, hash_of_leaf, proof),
        (leaf_index, tree_size, root, hashlib.sha256(b"WrongLeaf").digest(), proof),
        (leaf_index, tree_size, EMPTY_TREE_HASH, hash_of_leaf, proof),
        (leaf_index, tree_size, SOME_HASH, hash_of_leaf, proof),
        (leaf_index, tree_size, root, hash_of_leaf, proof + [b""]),
        (leaf_index, tree_size, root, hash_of_leaf, proof + [root]),
        (leaf_index, tree_size, root, hash_of_leaf, [b""] + proof),
        (leaf_index, tree_size, root, hash_of_leaf, [root] + proof),
    ]
    probes += [(leaf_index, tree_size, root, hash_of_leaf, _flip_bit(proof, i, 3)) for i in range(len(proof))]
    if proof:
        probes.append((leaf_index, tree_size, root, hash_of_leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((leaf_index, tree_size, root, hash_of_leaf, [proof[0], SOME_HASH] + proof[1:]))
    for probe_index, probe_size, probe_root, probe_leaf, probe_proof in probes:
        if probe_index < 0:
            continue
        assert not _accepts_inclusion(
            leaf_hash=probe_leaf, leaf_index=probe_index, tree_size=probe_size, proof=probe_proof, root_hash=probe_root
        )


@pytest.mark.parametrize(("old_size", "new_size", "expected"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_transparency_dev_vectors(old_size, new_size, expected):
    proof = [h(text) for text in expected]
    old_root, new_root = h(ROOT_HASHES[old_size]), h(ROOT_HASHES[new_size])
    assert prove_consistency(old_size=old_size, new_size=new_size, hashes=STORE) == proof
    verify_consistency(old_size=old_size, new_size=new_size, proof=proof, old_root=old_root, new_root=new_root)
    if not proof:
        return
    # The corrupted probes of verify_test.go corruptConsistencyProof: every one must be refused.
    wrong_root = hashlib.sha256(b"WrongRoot").digest()
    probes = [
        (old_size - 1, new_size, old_root, new_root, proof),
        (old_size + 1, new_size, old_root, new_root, proof),
        (old_size ^ 2, new_size, old_root, new_root, proof),
        (old_size, new_size * 2, old_root, new_root, proof),
        (old_size, new_size // 2, old_root, new_root, proof),
        (old_size, new_size, wrong_root, new_root, proof),
        (old_size, new_size, old_root, wrong_root, proof),
        (old_size, new_size, new_root, old_root, proof),
        (old_size, new_size, old_root, new_root, []),
        (old_size, new_size, old_root, new_root, proof + [b""]),
        (old_size, new_size, old_root, new_root, proof + [old_root]),
        (old_size, new_size, old_root, new_root, proof + [new_root]),
        (old_size, new_size, old_root, new_root, [b""] + proof),
        (old_size, new_size, old_root, new_root, [old_root] + proof),
        (old_size, new_size, old_root, new_root, [new_root] + proof),
        (old_size, new_size, old_root, new_root, [proof[0]] + proof),
        (old_size, new_size, old_root, new_root, proof[:-1]),
    ]
    probes += [(old_size, new_size, old_root, new_root, _flip_bit(proof, i, 4)) for i in range(len(proof))]
    for probe_old, probe_new, probe_old_root, probe_new_root, probe_proof in probes:
        assert not _accepts_consistency(
            old_size=probe_old, new_size=probe_new, proof=probe_proof, old_root=probe_old_root, new_root=probe_new_root
        )


def test_single_entry_inclusion_needs_matching_32_byte_hashes():
    # Source: transparency-dev/merkle, proof/verify_test.go (TestVerifyInclusionSingleEntry).
    hash_of_leaf = leaf_hash(b"data")
    verify_inclusion(leaf_hash=hash_of_leaf, leaf_index=0, tree_size=1, proof=[], root_hash=hash_of_leaf)
    for leaf, root in [(b"", hash_of_leaf), (hash_of_leaf, b""), (b"", b"")]:
        assert not _accepts_inclusion(leaf_hash=leaf, leaf_index=0, tree_size=1, proof=[], root_hash=root)


@pytest.mark.parametrize(("leaf_index", "tree_size"), [(0, 0), (1, 0), (1, 1), (2, 1)])
def test_inclusion_with_index_out_of_range_fails(leaf_index, tree_size):
    # Source: transparency-dev/merkle, proof/verify_test.go (TestVerifyInclusion probes).
    for leaf, root in [(SOME_HASH, EMPTY_TREE_HASH), (EMPTY_TREE_HASH, SOME_HASH)]:
        assert not _accepts_inclusion(leaf_hash=leaf, leaf_index=leaf_index, tree_size=tree_size, proof=[], root_hash=root)
    with pytest.raises(ProofError):
        prove_inclusion(leaf_index=leaf_index, tree_size=tree_size, hashes=STORE)


# Source: transparency-dev/merkle, proof/verify_test.go (TestVerifyConsistency table). Their roots
# "don't care 1/2" are not 32 bytes; we require well-formed hashes, so two arbitrary 32-byte values stand in.
ROOT_ONE = hashlib.sha256(b"don't care 1").digest()
ROOT_TWO = hashlib.sha256(b"don't care 2").digest()


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root", "proof", "valid"),
    [
        (0, 0, ROOT_ONE, ROOT_TWO, [], False),
        (1, 1, ROOT_ONE, ROOT_TWO, [], False),
        (0, 0, ROOT_ONE, ROOT_ONE, [], True),
        (0, 1, ROOT_ONE, ROOT_TWO, [], True),
        (1, 1, ROOT_TWO, ROOT_TWO, [], True),
        (1, 0, ROOT_ONE, ROOT_TWO, [], False),
        (2, 1, ROOT_ONE, ROOT_TWO, [], False),
        (1, 2, ROOT_ONE, ROOT_TWO, [], False),
        (0, 0, EMPTY_TREE_HASH, ROOT_TWO, [], False),
        (1, 1, EMPTY_TREE_HASH, ROOT_TWO, [], False),
        (0, 0, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], False),
        (0, 1, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], False),
        (1, 1, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], False),
    ],
)
def test_consistency_edge_cases_match_transparency_dev(old_size, new_size, old_root, new_root, proof, valid):
    accepted = _accepts_consistency(old_size=old_size, new_size=new_size, proof=proof, old_root=old_root, new_root=new_root)
    assert accepted is valid


def test_proofs_match_the_c2sp_merkle_tree_worked_example():
    # Source: C2SP/C2SP, merkle-tree.md, section "Example": a 7-entry tree with labelled nodes.
    entries = [b"d%d" % i for i in range(7)]
    a, b, c, d, e, f, g = (leaf_hash(entry) for entry in entries)
    h_, i, j = node_hash(a, b), node_hash(c, d), node_hash(e, f)
    k, l_ = node_hash(h_, i), node_hash(j, g)
    root = node_hash(k, l_)
    store = build_store(entries)
    assert store.root_hash() == root == root_hash([a, b, c, d, e, f, g])
    assert prove_inclusion(leaf_index=0, tree_size=7, hashes=store) == [b, i, l_]
    assert prove_inclusion(leaf_index=3, tree_size=7, hashes=store) == [c, h_, l_]
    assert prove_inclusion(leaf_index=4, tree_size=7, hashes=store) == [f, g, k]
    assert prove_inclusion(leaf_index=6, tree_size=7, hashes=store) == [j, k]
    assert prove_consistency(old_size=3, new_size=7, hashes=store) == [c, d, h_, l_]
    assert prove_consistency(old_size=4, new_size=7, hashes=store) == [l_]
    assert prove_consistency(old_size=6, new_size=7, hashes=store) == [j, g, k]


def test_inclusion_proofs_match_the_merkle_tree_certs_vector():
    # Source: draft-ietf-plants-merkle-tree-certs, appendix "Subtree Test Vectors", as reproduced in
    # transparency-dev/merkle testonly/vectors_test.go (TestSubtreeInclusionProofVectors). The
    # inclusion proof of `index` in the aligned subtree [start, end) is the RFC 9162 proof of
    # index - start in the tree of leaves d[start:end].
    leaves = [bytes([i]) for i in range(130)]
    stores = {}
    running = hashlib.sha256()
    for end in range(1, 131):
        for start in range(end):
            if start and start % (1 << (end - start - 1).bit_length()):
                continue
            store = stores.get(start) or stores.setdefault(start, build_store(leaves[start:]))
            for index in range(start, end):
                proof = prove_inclusion(leaf_index=index - start, tree_size=end - start, hashes=store)
                running.update(f"{index} [{start}, {end})".encode())
                running.update("".join(f" {proof_hash.hex()}" for proof_hash in proof).encode() + b"\n")
    assert running.hexdigest() == "ac2a8f989e44d99e399db448050ff5f19757df53cfb716aa81015d3955d8163f"


def test_every_proof_up_to_size_64_verifies_and_every_corruption_fails():
    entries = [b"entry %d" % i for i in range(64)]
    store = build_store(entries)
    leaf_hashes = [leaf_hash(entry) for entry in entries]
    roots = [root_hash(leaf_hashes[:size]) for size in range(65)]
    for new_size in range(1, 65):
        for leaf_index in range(new_size):
            proof = prove_inclusion(leaf_index=leaf_index, tree_size=new_size, hashes=store)
            arguments = dict(leaf_hash=leaf_hashes[leaf_index], leaf_index=leaf_index, tree_size=new_size, root_hash=roots[new_size])
            verify_inclusion(proof=proof, **arguments)
            for position in range(len(proof)):
                assert not _accepts_inclusion(proof=_flip_bit(proof, position, position), **arguments)
            assert not _accepts_inclusion(proof=proof + [SOME_HASH], **arguments)
            if proof:
                assert not _accepts_inclusion(proof=proof[:-1], **arguments)
        for old_size in range(1, new_size + 1):
            proof = prove_consistency(old_size=old_size, new_size=new_size, hashes=store)
            arguments = dict(old_size=old_size, new_size=new_size, old_root=roots[old_size], new_root=roots[new_size])
            verify_consistency(proof=proof, **arguments)
            for position in range(len(proof)):
                assert not _accepts_consistency(proof=_flip_bit(proof, position, position + 7), **arguments)
            assert not _accepts_consistency(proof=proof + [SOME_HASH], **arguments)
            if proof:
                assert not _accepts_consistency(proof=proof[:-1], **arguments)


LARGEST_SIZE = 2000
LARGE_ENTRIES = [b"large entry %d" % i for i in range(LARGEST_SIZE)]
LARGE_LEAF_HASHES = [leaf_hash(entry) for entry in LARGE_ENTRIES]
LARGE_READER = ListHashReader()
for _entry in LARGE_ENTRIES:
    LARGE_READER.append(_entry)


def _corruptions(proof: list[bytes], data: st.DataObject) -> list[list[bytes]]:
    """A flipped bit anywhere, the proof truncated at either end, and the proof extended at either end."""
    extra_hash = data.draw(st.binary(min_size=32, max_size=32), label="extra hash")
    corrupted = [proof + [extra_hash], [extra_hash] + proof]
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1), label="position")
        bit = data.draw(st.integers(0, 255), label="bit")
        corrupted += [_flip_bit(proof, position, bit), proof[:-1], proof[1:]]
    return corrupted


def _bounded_reads(reader: ListHashReader, reads_before: int, tree_size: int) -> None:
    new_reads = reader.reads[reads_before:]
    assert len(new_reads) <= 1, "a proof reads its stored hashes in one call"
    assert sum(len(read) for read in new_reads) <= 2 * tree_size.bit_length() + 2


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_inclusion_proof_from_stored_hashes_verifies_and_corruptions_fail(data):
    tree_size = data.draw(st.integers(1, LARGEST_SIZE), label="tree size")
    leaf_index = data.draw(st.integers(0, tree_size - 1), label="leaf index")
    reads_before = len(LARGE_READER.reads)
    proof = prove_inclusion(leaf_index=leaf_index, tree_size=tree_size, hashes=LARGE_READER)
    _bounded_reads(LARGE_READER, reads_before, tree_size)
    arguments = dict(
        leaf_hash=LARGE_LEAF_HASHES[leaf_index],
        leaf_index=leaf_index,
        tree_size=tree_size,
        root_hash=root_hash(LARGE_LEAF_HASHES[:tree_size]),
    )
    verify_inclusion(proof=proof, **arguments)
    for corrupted in _corruptions(proof, data):
        assert not _accepts_inclusion(proof=corrupted, **arguments)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_consistency_proof_from_stored_hashes_verifies_and_corruptions_fail(data):
    new_size = data.draw(st.integers(1, LARGEST_SIZE), label="new size")
    old_size = data.draw(st.integers(1, new_size), label="old size")
    reads_before = len(LARGE_READER.reads)
    proof = prove_consistency(old_size=old_size, new_size=new_size, hashes=LARGE_READER)
    _bounded_reads(LARGE_READER, reads_before, new_size)
    arguments = dict(
        old_size=old_size,
        new_size=new_size,
        old_root=root_hash(LARGE_LEAF_HASHES[:old_size]),
        new_root=root_hash(LARGE_LEAF_HASHES[:new_size]),
    )
    verify_consistency(proof=proof, **arguments)
    for corrupted in _corruptions(proof, data):
        assert not _accepts_consistency(proof=corrupted, **arguments)


def test_a_forked_log_fails_consistency():
    honest = build_store([b"entry %d" % i for i in range(20)])
    forked = build_store([b"entry %d" % i if i != 5 else b"forged" for i in range(30)])
    proof = prove_consistency(old_size=20, new_size=30, hashes=forked)
    with pytest.raises(ProofError):
        verify_consistency(old_size=20, new_size=30, proof=proof, old_root=honest.root_hash(), new_root=forked.root_hash())


def test_proving_beyond_the_stored_tree_or_backwards_is_refused():
    with pytest.raises(ProofError):
        prove_consistency(old_size=5, new_size=3, hashes=STORE)
    with pytest.raises(ProofError):
        prove_inclusion(leaf_index=0, tree_size=9, hashes=STORE)
    with pytest.raises(ProofError):
        prove_inclusion(leaf_index=-1, tree_size=4, hashes=STORE)


def test_verification_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        verify_inclusion(SOME_HASH, 0, 1, [], SOME_HASH)  # type: ignore[misc]
    with pytest.raises(TypeError):
        verify_consistency(1, 1, [], SOME_HASH, SOME_HASH)  # type: ignore[misc]


@pytest.mark.parametrize("tree_size", [0, 1, 2, 3, 7, 8, 9, 255, 256, 257, 1000])
def test_all_inclusion_proofs_in_one_pass_equal_the_proofs_from_stored_hashes(tree_size):
    leaf_hashes = [leaf_hash(b"entry %d" % n) for n in range(tree_size)]
    store = MemoryHashStore()
    store.append_leaf_hashes(leaf_hashes)
    proofs = prove_inclusion_all(leaf_hashes=leaf_hashes)
    assert len(proofs) == tree_size
    for leaf_index, proof in enumerate(proofs):
        assert proof == prove_inclusion(leaf_index=leaf_index, tree_size=tree_size, hashes=store)
        verify_inclusion(leaf_hash=leaf_hashes[leaf_index], leaf_index=leaf_index, tree_size=tree_size, proof=proof,
                         root_hash=root_hash(leaf_hashes))
