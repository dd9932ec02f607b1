"""Leaf, node and root hashing (RFC 9162 §2.1.1) and the stored-hash layout, against independent answers."""

import hashlib

import pymerkle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingdu.tlog import (
    MemoryHashStore,
    leaf_hash,
    node_hash,
    root_hash,
    stored_hash_count,
    stored_hash_index,
    stored_hashes_for_leaves,
    tree_hash,
)
from yingdu.tlog.storage import fold_subtree_hashes, subtree_indexes

from .helpers import ListHashReader, build_store

# Source: transparency-dev/merkle, testonly/constants.go (LeafInputs, RootHashes, NodeHashes).
LEAF_INPUTS = [
    bytes.fromhex(text)
    for text in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
ROOT_HASHES = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]


# Source: transparency-dev/merkle, rfc6962/rfc6962_test.go (TestRFC6962Hasher).
@pytest.mark.parametrize(
    ("computed", "expected"),
    [
        (root_hash([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (leaf_hash(b""), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        (leaf_hash(b"L123456"), "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"),
        (node_hash(b"N123", b"N456"), "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"),
    ],
    ids=["empty tree", "empty leaf", "leaf", "node"],
)
def test_rfc6962_hashes_match_transparency_dev_vectors(computed, expected):
    assert computed.hex() == expected


def test_leaf_and_node_hashes_are_domain_separated():
    left, right = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(left, right) != leaf_hash(left + right)
    assert node_hash(left, right) != node_hash(right, left)


def test_root_of_every_prefix_matches_transparency_dev_root_hashes():
    store = build_store(LEAF_INPUTS)
    leaf_hashes = [leaf_hash(entry) for entry in LEAF_INPUTS]
    for tree_size, expected in enumerate(ROOT_HASHES):
        assert root_hash(leaf_hashes[:tree_size]).hex() == expected
        assert tree_hash(tree_size=tree_size, hash_reader=store).hex() == expected


def test_stored_hashes_are_the_transparency_dev_node_hashes():
    store = build_store(LEAF_INPUTS)
    for level, row in enumerate(NODE_HASHES):
        for index, expected in enumerate(row):
            position = stored_hash_index(level=level, index=index)
            assert store.read_hashes([position])[0].hex() == expected


def test_stored_hash_index_follows_append_order():
    # Order in which an 8-leaf log stores its hashes: each leaf, then each subtree it completes.
    append_order = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4), (0, 5), (1, 2), (0, 6), (0, 7), (1, 3), (2, 1), (3, 0)]
    assert [stored_hash_index(level=level, index=index) for level, index in append_order] == list(range(15))


def test_stored_hash_count_equals_hashes_appended():
    reader = ListHashReader()
    assert stored_hash_count(tree_size=0) == 0
    for tree_size in range(1, 300):
        reader.append(b"entry %d" % tree_size)
        assert stored_hash_count(tree_size=tree_size) == len(reader.hashes)


def test_negative_stored_hash_arguments_are_refused():
    with pytest.raises(ValueError):
        stored_hash_index(level=-1, index=0)
    with pytest.raises(ValueError):
        stored_hash_count(tree_size=-1)


def _is_valid_subtree(start: int, end: int) -> bool:
    # draft-ietf-plants-merkle-tree-certs: start is 0 or a multiple of bit_ceil(end - start).
    return start == 0 or start % (1 << (end - start - 1).bit_length()) == 0


def test_subtree_hashes_match_the_merkle_tree_certs_vector():
    # Source: draft-ietf-plants-merkle-tree-certs, appendix "Subtree Test Vectors", as reproduced in
    # transparency-dev/merkle testonly/vectors_test.go (TestSubtreeHashVectors): leaves d[i] = byte(i)
    # for i < 130; every valid subtree [start, end) folded into one running SHA-256.
    store = build_store([bytes([i]) for i in range(130)])
    running = hashlib.sha256()
    for end in range(1, 131):
        for start in range(end):
            if not _is_valid_subtree(start, end):
                continue
            indexes = subtree_indexes(start, end)
            subtree_hash = fold_subtree_hashes(store.read_hashes(indexes))
            running.update(f"[{start}, {end}) {subtree_hash.hex()}\n".encode())
    assert running.hexdigest() == "94a95384a8c69acea9b50d035a58285b3a777cb7a724005faa5e1f1e1190007f"


@settings(max_examples=50, deadline=None)
@given(batch_sizes=st.lists(st.integers(min_value=0, max_value=40), max_size=8))
def test_batched_appends_store_the_same_hashes_as_single_appends(batch_sizes):
    one_by_one = ListHashReader()
    batched = ListHashReader()
    leaf_count = 0
    for batch_size in batch_sizes:
        entries = [b"entry %d" % (leaf_count + offset) for offset in range(batch_size)]
        for entry in entries:
            one_by_one.append(entry)
        batched.hashes.extend(
            stored_hashes_for_leaves(
                first_leaf_index=leaf_count,
                leaf_hashes=[leaf_hash(entry) for entry in entries],
                hash_reader=batched,
            )
        )
        leaf_count += batch_size
        assert len(batched.reads) <= len(batch_sizes)
    assert batched.hashes == one_by_one.hashes


def test_frontier_store_keeps_only_logarithmic_hashes_and_the_same_roots():
    full = MemoryHashStore()
    frontier = MemoryHashStore(keep_all_hashes=False)
    for index in range(1, 600):
        entry = b"entry %d" % index
        full.append(entry)
        frontier.append(entry)
        assert frontier.root_hash() == full.root_hash()
        assert len(frontier._hashes) == index.bit_count()


@settings(max_examples=60, deadline=None)
@given(entries=st.lists(st.binary(max_size=64), max_size=300))
def test_root_equals_pymerkle_rfc6962_root(entries):
    # pymerkle (a separate implementation) in its default "security" mode prefixes leaves with 0x00 and
    # nodes with 0x01 over an RFC 6962 shaped tree; its root of the empty tree is SHA-256 of nothing.
    independent = pymerkle.InmemoryTree(algorithm="sha256")
    for entry in entries:
        independent.append_entry(entry)
    expected = independent.get_root()
    assert root_hash([leaf_hash(entry) for entry in entries]) == expected
    assert build_store(entries).root_hash() == expected
