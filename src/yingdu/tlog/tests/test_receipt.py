"""Receipts in the C2SP tlog-proof format: parsing, formatting and verification."""

import base64

import pytest

from yingdu.tlog import NoteError, ProofError, Receipt, ReceiptError, SignerKey, verify_receipt

from .helpers import LOG_ORIGIN, LOG_VERIFIER_KEY, build_store, make_receipt, signed_checkpoint

ENTRIES = [b'{"type":"metering.usage_accepted","n":%d}' % i for i in range(13)]

# Source: C2SP/C2SP, tlog-proof.md (the example at the top of the document; its signatures are
# abbreviated with "[...]", so it parses but cannot verify).
C2SP_EXAMPLE = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
— witness1.example mJirIklj[...]qY9v2B/5bg==
— witness2.example TnKKVHLX[...]xwYwrSjgow==
— witness3.example S4X82uH5[...]3oEcROGLFQ==
"""


def test_c2sp_example_parses_and_formats_back_exactly():
    receipt = Receipt.parse(C2SP_EXAMPLE)
    assert receipt.leaf_index == 73894
    assert len(receipt.inclusion_proof) == 5
    assert receipt.extra == base64.b64decode("YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ")
    assert receipt.signed_checkpoint.startswith("example.com/fancylog\n109482\n")
    assert receipt.format() == C2SP_EXAMPLE


def test_every_leaf_of_every_tree_size_has_a_verifying_receipt():
    store = build_store(ENTRIES)
    for tree_size in range(1, len(ENTRIES) + 1):
        for leaf_index in range(tree_size):
            receipt_text = make_receipt(store, leaf_index=leaf_index, tree_size=tree_size)
            receipt = verify_receipt(receipt_text, entry=ENTRIES[leaf_index], verifier_keys=[LOG_VERIFIER_KEY])
            assert receipt.leaf_index == leaf_index
            assert receipt.checkpoint.tree_size == tree_size
            assert Receipt.parse(receipt_text).format() == receipt_text


def test_receipt_with_extra_data_round_trips_and_verifies():
    store = build_store(ENTRIES)
    plain = Receipt.parse(make_receipt(store, leaf_index=4))
    with_extra = Receipt(
        leaf_index=plain.leaf_index,
        inclusion_proof=plain.inclusion_proof,
        signed_checkpoint=plain.signed_checkpoint,
        extra=b"provider receipt 42",
    )
    text = with_extra.format()
    assert text.splitlines()[1] == "extra " + base64.b64encode(b"provider receipt 42").decode()
    assert verify_receipt(text, entry=ENTRIES[4], verifier_keys=[LOG_VERIFIER_KEY]).extra == b"provider receipt 42"


def test_tampered_entry_fails():
    receipt_text = make_receipt(build_store(ENTRIES), leaf_index=3)
    with pytest.raises(ProofError):
        verify_receipt(receipt_text, entry=ENTRIES[3] + b" ", verifier_keys=[LOG_VERIFIER_KEY])
    with pytest.raises(ProofError):
        verify_receipt(receipt_text, entry=ENTRIES[4], verifier_keys=[LOG_VERIFIER_KEY])


def test_receipt_with_another_index_fails():
    receipt_text = make_receipt(build_store(ENTRIES), leaf_index=3)
    moved = receipt_text.replace("index 3\n", "index 2\n", 1)
    with pytest.raises(ProofError):
        verify_receipt(moved, entry=ENTRIES[3], verifier_keys=[LOG_VERIFIER_KEY])


def test_receipt_signed_by_an_unknown_key_fails():
    store = build_store(ENTRIES)
    stranger = SignerKey.from_seed(name=LOG_ORIGIN, seed=bytes(32))
    good = Receipt.parse(make_receipt(store, leaf_index=1))
    forged = Receipt(
        leaf_index=1,
        inclusion_proof=good.inclusion_proof,
        signed_checkpoint=signed_checkpoint(store, signer_keys=[stranger]),
    ).format()
    with pytest.raises(NoteError):
        verify_receipt(forged, entry=ENTRIES[1], verifier_keys=[LOG_VERIFIER_KEY])


def test_receipt_for_another_origin_fails_when_origin_is_required():
    receipt_text = make_receipt(build_store(ENTRIES), leaf_index=0)
    with pytest.raises(NoteError):
        verify_receipt(receipt_text, entry=ENTRIES[0], verifier_keys=[LOG_VERIFIER_KEY], origin="other.example/log")


@pytest.mark.parametrize(
    "text",
    [
        "wrong-header\nindex 0\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\n\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex notanumber\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex -5\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n" + base64.b64encode(bytes(64)).decode() + "\n\ncheckpoint\n",
    ],
    ids=["missing header", "bad extra", "missing index", "index not a number", "negative index", "bad hash", "hash too long"],
)
def test_malformed_receipts_from_transparency_dev_tests_are_refused(text):
    # Source: transparency-dev/merkle, proof/tlog_proof_test.go (TestVerifyTLogProofErrors).
    with pytest.raises(ReceiptError):
        Receipt.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "c2sp.org/tlog-proof@v1\nindex 01\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n\ncheckpoint",
    ],
    ids=["leading zero", "no empty line", "no checkpoint", "checkpoint without final newline"],
)
def test_other_malformed_receipts_are_refused(text):
    with pytest.raises(ReceiptError):
        Receipt.parse(text)
