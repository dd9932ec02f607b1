"""Witness cosignatures (C2SP tlog-cosignature, Ed25519 cosignature/v1)."""

import base64

import pytest

from yingdu.tlog import (
    Checkpoint,
    Cosignature,
    CosignatureVerifierKey,
    CosignerKey,
    NoteError,
    NoteSignature,
    VerifierKey,
    cosign_checkpoint,
    open_note,
    sign_note,
    verify_cosignature,
    verify_note,
)
from yingdu.tlog.cosignature import MAX_COSIGNATURE_TIMESTAMP, cosignature_message
from yingdu.tlog.note import split_note

from .helpers import LOG_ORIGIN, LOG_SIGNER_KEY, LOG_VERIFIER_KEY

# Source: transparency-dev/formats, note/note_cosigv1_test.go (TestCoSigV1NewVerifier, "native
# algEd25519CosignatureV1 verifier"): the vkey of the remora.n621.de witness, signature type 0x04.
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"

# Source: florolf/tlog-scales, tests/test_signing.py (TestCheckpointVerification.CHECKPOINT): a real checkpoint of
# the arche2025h1 staging CT log with cosignatures from four public witnesses, remora.n621.de among them.
# The log's own signature lines (RFC 6962 type) are left out here; the witness lines are copied unchanged.
ARCHE_TEXT = "arche2025h1.staging.ct.transparency.dev\n1432088532\nU7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
ARCHE_WITNESS_LINES = (
    "— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    "— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    "— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    "— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
)

# Source: transparency-dev/formats, note/note_cosigv1_test.go (TestCosignatureTimestamp): a cosignature whose
# timestamp is 1727964367, and an ordinary Ed25519 note signature that is not a cosignature.
GO_COSIGNATURE_BASE64 = "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
GO_PLAIN_SIGNATURE_BASE64 = "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="

WITNESS = CosignerKey.from_seed(name="witness.yingdu.example/w1", seed=bytes(range(100, 132)))
TIMESTAMP = 1_779_000_000


def _arche_witness_signatures() -> dict[str, NoteSignature]:
    _text, signatures = split_note(ARCHE_TEXT + "\n" + ARCHE_WITNESS_LINES)
    return {signature.name: signature for signature in signatures}


def _note_signature(encoded: str) -> NoteSignature:
    data = base64.b64decode(encoded)
    return NoteSignature(name="example", key_id=int.from_bytes(data[:4], "big"), signature=data[4:])


def _signed_checkpoint(*extension_lines: str) -> str:
    text = Checkpoint(origin=LOG_ORIGIN, tree_size=12, root_hash=bytes(range(32)),
                      extension_lines=extension_lines).format()
    return sign_note(text=text, signer_keys=[LOG_SIGNER_KEY])


def test_go_cosigner_vkey_parses_with_its_key_id():
    key = CosignatureVerifierKey.parse(REMORA_VKEY)
    assert (key.name, key.key_id) == ("remora.n621.de", 0xDA77ADE7)
    assert key.format() == REMORA_VKEY


def test_cosigner_and_note_keys_are_not_interchangeable():
    with pytest.raises(NoteError, match="signature type 0x01"):
        VerifierKey.parse(REMORA_VKEY)
    with pytest.raises(NoteError, match="signature type 0x04"):
        CosignatureVerifierKey.parse(LOG_VERIFIER_KEY.format())
    # The same name and seed give different key IDs for the two signature types (0x01 and 0x04).
    same_seed = CosignerKey.from_seed(name=LOG_SIGNER_KEY.name, seed=LOG_SIGNER_KEY.seed)
    assert same_seed.key_id != LOG_SIGNER_KEY.key_id


def test_a_real_witness_cosignature_verifies():
    cosignature = verify_cosignature(text=ARCHE_TEXT, cosignature=_arche_witness_signatures()["remora.n621.de"],
                                     verifier_key=CosignatureVerifierKey.parse(REMORA_VKEY))
    assert cosignature.timestamp == 1779573024
    assert cosignature.format() in ARCHE_WITNESS_LINES


def test_a_real_witness_cosignature_fails_on_a_changed_checkpoint():
    changed = ARCHE_TEXT.replace("1432088532", "1432088533")
    with pytest.raises(NoteError, match="invalid cosignature"):
        verify_cosignature(text=changed, cosignature=_arche_witness_signatures()["remora.n621.de"],
                           verifier_key=CosignatureVerifierKey.parse(REMORA_VKEY))


def test_another_witness_line_is_not_checked_against_the_wrong_key():
    with pytest.raises(NoteError, match="is not by key remora.n621.de"):
        verify_cosignature(text=ARCHE_TEXT, cosignature=_arche_witness_signatures()["witness.stagemole.eu"],
                           verifier_key=CosignatureVerifierKey.parse(REMORA_VKEY))


def test_a_note_verifier_key_is_not_taken_for_a_cosigner_key():
    with pytest.raises(TypeError):
        verify_cosignature(text=ARCHE_TEXT, cosignature=_arche_witness_signatures()["remora.n621.de"],
                           verifier_key=LOG_VERIFIER_KEY)
    with pytest.raises(TypeError):
        open_note(_signed_checkpoint(), verifier_keys=[WITNESS.verifier_key])


def test_go_timestamp_vector_and_a_plain_signature():
    assert Cosignature.from_note_signature(_note_signature(GO_COSIGNATURE_BASE64)).timestamp == 1727964367
    with pytest.raises(NoteError, match="not a timestamped Ed25519 cosignature"):
        Cosignature.from_note_signature(_note_signature(GO_PLAIN_SIGNATURE_BASE64))


def test_signed_message_is_header_time_line_and_note_text():
    expected = b"cosignature/v1\ntime 1679315147\no\n1\nAA==\n"
    assert cosignature_message(text="o\n1\nAA==\n", timestamp=1679315147) == expected


def test_cosign_then_verify_round_trips():
    text = _signed_checkpoint().split("\n\n")[0] + "\n"
    cosignature = cosign_checkpoint(text=text, cosigner_key=WITNESS, timestamp=TIMESTAMP)
    assert (cosignature.name, cosignature.key_id, cosignature.timestamp) == (WITNESS.name, WITNESS.key_id, TIMESTAMP)
    assert verify_cosignature(text=text, cosignature=cosignature.note_signature(),
                              verifier_key=WITNESS.verifier_key) == cosignature


def test_a_cosigned_note_still_verifies_with_the_log_key_alone():
    signed = _signed_checkpoint()
    note = open_note(signed, verifier_keys=[LOG_VERIFIER_KEY])
    cosigned = signed + cosign_checkpoint(text=note.text, cosigner_key=WITNESS, timestamp=TIMESTAMP).format()
    assert verify_note(cosigned, verifier_keys=[LOG_VERIFIER_KEY]).tree_size == 12
    reopened = open_note(cosigned, verifier_keys=[LOG_VERIFIER_KEY])
    [unverified] = reopened.unverified_signatures
    assert verify_cosignature(text=reopened.text, cosignature=unverified,
                              verifier_key=WITNESS.verifier_key).timestamp == TIMESTAMP


def test_the_cosignature_covers_extension_lines_and_the_timestamp():
    text = open_note(_signed_checkpoint("extension"), verifier_keys=[LOG_VERIFIER_KEY]).text
    cosignature = cosign_checkpoint(text=text, cosigner_key=WITNESS, timestamp=TIMESTAMP)
    with pytest.raises(NoteError):
        verify_cosignature(text=text.replace("extension", "extensioN"), cosignature=cosignature,
                           verifier_key=WITNESS.verifier_key)
    later = Cosignature(name=cosignature.name, key_id=cosignature.key_id, timestamp=TIMESTAMP + 1,
                        signature=cosignature.signature)
    with pytest.raises(NoteError):
        verify_cosignature(text=text, cosignature=later, verifier_key=WITNESS.verifier_key)


def test_only_checkpoints_are_cosigned_and_timestamps_fit_in_63_bits():
    with pytest.raises(NoteError):
        cosign_checkpoint(text="just a note\n", cosigner_key=WITNESS, timestamp=TIMESTAMP)
    text = open_note(_signed_checkpoint(), verifier_keys=[LOG_VERIFIER_KEY]).text
    assert cosign_checkpoint(text=text, cosigner_key=WITNESS, timestamp=MAX_COSIGNATURE_TIMESTAMP).timestamp > 0
    for timestamp in (-1, MAX_COSIGNATURE_TIMESTAMP + 1):
        with pytest.raises(NoteError):
            cosign_checkpoint(text=text, cosigner_key=WITNESS, timestamp=timestamp)
    too_late = NoteSignature(name=WITNESS.name, key_id=WITNESS.key_id,
                             signature=(2**63).to_bytes(8, "big") + bytes(64))
    with pytest.raises(NoteError):
        Cosignature.from_note_signature(too_late)


def test_cosigner_keys_round_trip_and_hide_their_seed():
    key = CosignerKey.generate(name="witness.example/w2")
    assert CosignerKey.parse(key.format()) == key
    assert CosignatureVerifierKey.parse(key.verifier_key.format()) == key.verifier_key
    assert key.format().startswith("PRIVATE+KEY+witness.example/w2+")
    assert base64.b64encode(key.seed).decode()[:8] not in repr(key)


@pytest.mark.parametrize("key_text", [REMORA_VKEY, WITNESS.format()])
def test_every_mangled_cosigner_key_is_refused(key_text):
    parse = CosignerKey.parse if key_text.startswith("PRIVATE") else CosignatureVerifierKey.parse
    for position in range(len(key_text)):
        mangled = key_text[:position] + chr(ord(key_text[position]) + 1) + key_text[position + 1 :]
        with pytest.raises(NoteError):
            parse(mangled)
