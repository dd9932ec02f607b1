"""Signed notes (C2SP signed-note), checkpoints (C2SP tlog-checkpoint) and note keys."""

import pytest

from yingdu.tlog import (
    Checkpoint,
    NoteError,
    NoteSignature,
    SignerKey,
    VerifierKey,
    open_note,
    sign_note,
    verify_note,
)

from .helpers import LOG_ORIGIN, LOG_SIGNER_KEY, LOG_VERIFIER_KEY

# Source: golang.org/x/mod, sumdb/note/note_test.go (TestNewVerifier, TestNewSigner, TestSign, TestOpen).
PETER_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VERIFIER = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIGNATURE = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIGNATURE = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# Source: a real sum.golang.org checkpoint from transparency-dev/trillian-tessera,
# internal/parse/parse_test.go (BenchmarkCheckpointUnsafe; the final newline added), and the
# sum.golang.org verifier key from golang/go, src/cmd/go/internal/modfetch/key.go.
SUMDB_VERIFIER = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINT = (
    "go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n"
    "— sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n"
)


def _signed_log_checkpoint(tree_size: int = 10, signer_keys=(LOG_SIGNER_KEY,)) -> str:
    checkpoint = Checkpoint(origin=LOG_ORIGIN, tree_size=tree_size, root_hash=bytes(range(32)))
    return sign_note(text=checkpoint.format(), signer_keys=list(signer_keys))


def test_go_verifier_and_signer_keys_parse_and_match():
    verifier = VerifierKey.parse(PETER_VERIFIER)
    signer = SignerKey.parse(PETER_SIGNER)
    assert (verifier.name, verifier.key_id) == ("PeterNeumann", 0xC74F20A3)
    assert signer.verifier_key == verifier
    assert verifier.format() == PETER_VERIFIER
    assert signer.format() == PETER_SIGNER
    assert "AYEKFALV" not in repr(signer)


def test_signing_reproduces_the_go_signature():
    signed = sign_note(text=PETER_TEXT, signer_keys=[SignerKey.parse(PETER_SIGNER)])
    assert signed == PETER_TEXT + "\n" + PETER_SIGNATURE


@pytest.mark.parametrize("key_text", [PETER_VERIFIER, PETER_SIGNER])
def test_every_mangled_key_is_refused(key_text):
    parse = SignerKey.parse if key_text.startswith("PRIVATE") else VerifierKey.parse
    for start in range(len(key_text)):
        for end in range(start + 1, len(key_text) + 1):
            if (start, end) != (0, len(key_text)):
                with pytest.raises(NoteError):
                    parse(key_text[start:end])
    for position in range(len(key_text)):
        mangled = key_text[:position] + chr(ord(key_text[position]) + 1) + key_text[position + 1 :]
        with pytest.raises(NoteError):
            parse(mangled)


@pytest.mark.parametrize(
    "key_text",
    [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # wrong key length
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown algorithm
    ],
)
def test_go_bad_verifier_keys_are_refused(key_text):
    with pytest.raises(NoteError):
        VerifierKey.parse(key_text)


def test_generated_keys_round_trip():
    signer = SignerKey.generate(name="example.org/log")
    assert SignerKey.parse(signer.format()) == signer
    assert VerifierKey.parse(signer.verifier_key.format()) == signer.verifier_key


def test_open_note_verifies_known_keys_and_ignores_unknown_ones():
    signed = PETER_TEXT + "\n" + PETER_SIGNATURE + ENOCH_SIGNATURE
    peter, enoch = VerifierKey.parse(PETER_VERIFIER), VerifierKey.parse(ENOCH_VERIFIER)
    note = open_note(signed, verifier_keys=[peter])
    assert note.text == PETER_TEXT
    assert [(s.name, s.key_id) for s in note.verified_signatures] == [("PeterNeumann", 0xC74F20A3)]
    assert [(s.name, s.key_id) for s in note.unverified_signatures] == [("EnochRoot", 0xAF0CFE78)]
    both = open_note(signed, verifier_keys=[peter, enoch])
    assert len(both.verified_signatures) == 2 and not both.unverified_signatures
    with pytest.raises(NoteError):
        open_note(signed, verifier_keys=[])


def test_duplicate_signatures_count_once():
    signed = PETER_TEXT + "\n" + PETER_SIGNATURE + PETER_SIGNATURE + ENOCH_SIGNATURE + ENOCH_SIGNATURE
    note = open_note(signed, verifier_keys=[VerifierKey.parse(PETER_VERIFIER)])
    assert len(note.verified_signatures) == 1 and len(note.unverified_signatures) == 1


def test_invalid_signature_from_a_known_key_rejects_the_note():
    corrupted = PETER_SIGNATURE[:60] + "ABCD" + PETER_SIGNATURE[60:]
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann"):
        open_note(PETER_TEXT + "\n" + corrupted, verifier_keys=[VerifierKey.parse(PETER_VERIFIER)])


@pytest.mark.parametrize(
    "signed",
    [
        PETER_TEXT,
        PETER_TEXT + "\n",
        PETER_TEXT + "\n" + PETER_SIGNATURE[:-1],
        "\x01" + PETER_TEXT + "\n" + PETER_SIGNATURE,
        PETER_TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        PETER_TEXT + "\n" + PETER_SIGNATURE + "Unexpected line.\n",
        PETER_TEXT + "\n" + PETER_SIGNATURE * 101,
    ],
    ids=["no signatures", "empty signatures", "no final newline", "control character", "space in name", "trailing line", "too many"],
)
def test_malformed_notes_from_go_tests_are_refused(signed):
    # Source: golang.org/x/mod, sumdb/note/note_test.go (TestOpen, badMsgs and "too many signatures").
    with pytest.raises(NoteError):
        open_note(signed, verifier_keys=[VerifierKey.parse(PETER_VERIFIER)])


def test_the_same_key_given_twice_is_not_ambiguous():
    peter = VerifierKey.parse(PETER_VERIFIER)
    again = VerifierKey(name=peter.name, key_id=peter.key_id, public_key=peter.public_key)
    assert open_note(PETER_TEXT + "\n" + PETER_SIGNATURE, verifier_keys=[peter, again]).verified_signatures


def test_a_key_id_that_does_not_match_the_key_is_refused():
    peter = VerifierKey.parse(PETER_VERIFIER)
    with pytest.raises(NoteError):
        VerifierKey(name=peter.name, key_id=peter.key_id, public_key=bytes(32))


def test_real_sum_golang_org_checkpoint_verifies():
    checkpoint = verify_note(SUMDB_CHECKPOINT, verifier_keys=[VerifierKey.parse(SUMDB_VERIFIER)])
    assert checkpoint.origin == "go.sum database tree"
    assert checkpoint.tree_size == 31700353
    assert checkpoint.root_hash.hex().startswith("a88352d4")


def test_checkpoint_with_only_an_unknown_key_fails():
    other = SignerKey.from_seed(name=LOG_ORIGIN, seed=bytes(32))
    with pytest.raises(NoteError, match="no valid signature from a known key"):
        verify_note(_signed_log_checkpoint(signer_keys=[other]), verifier_keys=[LOG_VERIFIER_KEY])


def test_checkpoint_with_a_bad_signature_fails():
    text = _signed_log_checkpoint().split("\n\n")[0] + "\n"
    forged = NoteSignature(name=LOG_ORIGIN, key_id=LOG_VERIFIER_KEY.key_id, signature=bytes(64))
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(text + "\n" + forged.format(), verifier_keys=[LOG_VERIFIER_KEY])


def test_checkpoint_with_a_swapped_size_fails():
    signed = _signed_log_checkpoint(tree_size=10)
    tampered = signed.replace("\n10\n", "\n11\n", 1)
    assert tampered != signed
    with pytest.raises(NoteError):
        verify_note(tampered, verifier_keys=[LOG_VERIFIER_KEY])


def test_checkpoint_with_an_extra_line_fails():
    signed = _signed_log_checkpoint()
    text, signatures = signed.split("\n\n")
    with pytest.raises(NoteError):
        verify_note(text + "\nextension\n\n" + signatures, verifier_keys=[LOG_VERIFIER_KEY])
    with pytest.raises(NoteError):
        verify_note(signed + "extra line\n", verifier_keys=[LOG_VERIFIER_KEY])


def test_checkpoint_signed_by_old_and_new_keys_verifies_with_either():
    new_key = SignerKey.from_seed(name=LOG_ORIGIN, seed=bytes([7]) * 32)
    signed = _signed_log_checkpoint(signer_keys=[new_key, LOG_SIGNER_KEY])
    assert verify_note(signed, verifier_keys=[new_key.verifier_key]).tree_size == 10
    assert verify_note(signed, verifier_keys=[LOG_VERIFIER_KEY]).tree_size == 10


def test_checkpoint_from_another_origin_fails_when_origin_is_required():
    signed = _signed_log_checkpoint()
    assert verify_note(signed, verifier_keys=[LOG_VERIFIER_KEY], origin=LOG_ORIGIN).origin == LOG_ORIGIN
    with pytest.raises(NoteError, match="origin"):
        verify_note(signed, verifier_keys=[LOG_VERIFIER_KEY], origin="other.example/log")


def test_c2sp_checkpoint_example_parses_and_formats_back():
    # Source: C2SP/C2SP, tlog-checkpoint.md (the example at the top of the document).
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.parse(text)
    assert (checkpoint.origin, checkpoint.tree_size, checkpoint.extension_lines) == ("example.com/behind-the-sofa", 20852163, ())
    assert checkpoint.format() == text


def test_checkpoint_extension_lines_round_trip():
    checkpoint = Checkpoint(origin="o", tree_size=0, root_hash=bytes(32), extension_lines=("one", "two"))
    assert Checkpoint.parse(checkpoint.format()) == checkpoint


ROOT = "qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs="


@pytest.mark.parametrize(
    "text",
    [
        f"origin\n42\n{ROOT}",  # no final newline
        "origin\n42\n",  # no root hash
        f"\n42\n{ROOT}\n",  # empty origin
        f"origin\n-42\n{ROOT}\n",
        f"origin\n+42\n{ROOT}\n",
        f"origin\n042\n{ROOT}\n",
        f"origin\n 42\n{ROOT}\n",
        f"origin\n4_2\n{ROOT}\n",
        f"origin\n٤٢\n{ROOT}\n",
        f"origin\n{2**64}\n{ROOT}\n",
        "origin\n42\nthisisnotright\n",
        "origin\n42\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVct=\n",  # non-canonical padding bits
        "origin\n42\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVl\n",  # wrong hash length
        f"origin\n42\n{ROOT}\n\n",  # empty extension line
        f"origin\n42\n{ROOT}\nbad\tline\n",  # control character
    ],
)
def test_malformed_checkpoints_are_refused(text):
    # Cases partly from transparency-dev/trillian-tessera, internal/parse/parse_test.go (TestCheckpointUnsafe).
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


def test_signing_needs_a_key_and_newline_terminated_text():
    with pytest.raises(NoteError):
        sign_note(text="abc", signer_keys=[LOG_SIGNER_KEY])
    with pytest.raises(NoteError):
        sign_note(text="abc\n", signer_keys=[])
