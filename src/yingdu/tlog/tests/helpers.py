"""Shared test helpers: a strict list-backed HashReader and a small signed log."""

from collections.abc import Sequence

from yingdu.tlog import (
    Checkpoint,
    MemoryHashStore,
    Receipt,
    SignerKey,
    leaf_hash,
    prove_inclusion,
    sign_note,
    stored_hashes_for_leaf,
    tree_hash,
)

LOG_ORIGIN = "log.yingdu.example/test"
# A fixed seed keeps signatures reproducible between runs.
LOG_SIGNER_KEY = SignerKey.from_seed(name=LOG_ORIGIN, seed=bytes(range(32)))
LOG_VERIFIER_KEY = LOG_SIGNER_KEY.verifier_key


class ListHashReader:
    """Stored hashes in a list, filled the way the application fills its table; records every read."""

    def __init__(self) -> None:
        self.hashes: list[bytes] = []
        self.reads: list[list[int]] = []

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        indexes = list(indexes)
        # The core promises to ask each index once, in increasing order (as Go's sumdb/tlog does).
        assert indexes == sorted(set(indexes)), indexes
        self.reads.append(indexes)
        return [self.hashes[index] for index in indexes]

    def append(self, entry: bytes) -> None:
        leaf_index = self._leaf_count()
        self.hashes.extend(
            stored_hashes_for_leaf(leaf_index=leaf_index, leaf_hash=leaf_hash(entry), hash_reader=self)
        )

    def _leaf_count(self) -> int:
        # 2n - popcount(n) hashes are stored for n leaves; invert by search (test sizes are small).
        leaves = 0
        while 2 * leaves - leaves.bit_count() < len(self.hashes):
            leaves += 1
        return leaves


def build_store(entries: Sequence[bytes]) -> MemoryHashStore:
    store = MemoryHashStore()
    for entry in entries:
        store.append(entry)
    return store


def signed_checkpoint(store: MemoryHashStore, *, tree_size: int | None = None, signer_keys=None) -> str:
    size = store.tree_size if tree_size is None else tree_size
    checkpoint = Checkpoint(origin=LOG_ORIGIN, tree_size=size, root_hash=tree_hash(tree_size=size, hash_reader=store))
    return sign_note(text=checkpoint.format(), signer_keys=signer_keys or [LOG_SIGNER_KEY])


def make_receipt(store: MemoryHashStore, *, leaf_index: int, tree_size: int | None = None) -> str:
    size = store.tree_size if tree_size is None else tree_size
    proof = prove_inclusion(leaf_index=leaf_index, tree_size=size, hashes=store)
    return Receipt(
        leaf_index=leaf_index, inclusion_proof=tuple(proof), signed_checkpoint=signed_checkpoint(store, tree_size=size)
    ).format()
