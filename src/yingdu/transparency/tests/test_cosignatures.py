"""Witness cosignatures (C2SP tlog-cosignature): submitted by configured witnesses, served with the checkpoint."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yingdu.errors import DomainError
from yingdu.settings import _env_lines
from yingdu.testing.events import sample_entries
from yingdu.tlog import (
    Checkpoint,
    CosignerKey,
    SignerKey,
    cosign_checkpoint,
    open_note,
    sign_note,
    verify_cosignature,
    verify_note,
)
from yingdu.transparency.keys import signing_key, verifier_keys
from yingdu.transparency.models import LogEntry, WitnessCosignature
from yingdu.transparency.services import checkpoint_sign, log_append, witness_cosignature_add

pytestmark = pytest.mark.django_db

WITNESS_A = CosignerKey.from_seed(name="witness-a.example/w", seed=bytes([1]) * 32)
WITNESS_B = CosignerKey.from_seed(name="witness-b.example/w", seed=bytes([2]) * 32)
STRANGER = CosignerKey.from_seed(name="stranger.example/w", seed=bytes([3]) * 32)


@pytest.fixture(autouse=True)
def _configured_witnesses(settings):
    settings.LOG_WITNESS_KEYS = [WITNESS_A.verifier_key.format(), WITNESS_B.verifier_key.format()]


def signed_checkpoint(entries: int = 3):
    log_append(events=sample_entries(entries), now=timezone.now())
    return checkpoint_sign(now=timezone.now())


def note_text(note: str) -> str:
    """The text of a signed note, without checking any signature."""
    return note.split("\n\n")[0] + "\n"


def cosigned(note: str, *witnesses: CosignerKey, at=None) -> str:
    text = note_text(note)
    timestamp = int((at or timezone.now()).timestamp())
    return note + "".join(cosign_checkpoint(text=text, cosigner_key=witness, timestamp=timestamp).format()
                          for witness in witnesses)


def refused(code: str, signed_note_text: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        witness_cosignature_add(signed_note_text=signed_note_text, now=timezone.now())
    assert caught.value.code == code
    assert not WitnessCosignature.objects.exists()
    return caught.value


def test_cosignatures_from_configured_witnesses_are_stored_once():
    checkpoint = signed_checkpoint()
    note = cosigned(checkpoint.note, WITNESS_A, WITNESS_B)
    added = witness_cosignature_add(signed_note_text=note, now=timezone.now())
    assert added.checkpoint == checkpoint
    assert sorted(row.witness_name for row in added.stored) == [WITNESS_A.name, WITNESS_B.name]
    again = witness_cosignature_add(signed_note_text=note, now=timezone.now())
    assert again.stored == [] and WitnessCosignature.objects.count() == 2


def test_a_later_cosignature_replaces_the_earlier_one_and_an_older_one_is_ignored():
    checkpoint = signed_checkpoint()
    now = timezone.now()
    witness_cosignature_add(signed_note_text=cosigned(checkpoint.note, WITNESS_A, at=now - timedelta(hours=1)), now=now)
    witness_cosignature_add(signed_note_text=cosigned(checkpoint.note, WITNESS_A, at=now), now=now)
    older = witness_cosignature_add(signed_note_text=cosigned(checkpoint.note, WITNESS_A, at=now - timedelta(hours=2)),
                                    now=now)
    assert older.stored == []
    assert WitnessCosignature.objects.get().timestamp == int(now.timestamp())


def test_an_unknown_witness_refuses_the_whole_submission():
    checkpoint = signed_checkpoint()
    error = refused("witness_unknown", cosigned(checkpoint.note, WITNESS_A, STRANGER))
    assert error.status == 403 and error.detail["witness"] == STRANGER.name


def test_a_bad_cosignature_is_refused():
    checkpoint = signed_checkpoint()
    good = cosigned(checkpoint.note, WITNESS_A)
    line = good[len(checkpoint.note):]
    # Flip one character inside the Ed25519 signature part of the line.
    position = len(line) - 10
    flipped = line[:position] + ("A" if line[position] != "A" else "B") + line[position:][1:]
    refused("cosignature_invalid", checkpoint.note + flipped)


def test_a_cosignature_of_other_text_is_refused():
    checkpoint = signed_checkpoint()
    other = note_text(checkpoint.note).replace("\n3\n", "\n4\n", 1)
    line = cosign_checkpoint(text=other, cosigner_key=WITNESS_A, timestamp=int(timezone.now().timestamp())).format()
    refused("cosignature_invalid", checkpoint.note + line)


def test_a_checkpoint_we_never_signed_is_refused():
    checkpoint = signed_checkpoint()
    # The same text signed by another key of the same name: not our signature.
    impostor = SignerKey.from_seed(name=signing_key().name, seed=bytes([9]) * 32)
    forged = sign_note(text=note_text(checkpoint.note), signer_keys=[impostor])
    refused("cosigned_note_invalid", cosigned(forged, WITNESS_A))
    # Our key on a tree we never signed (as if the key had leaked): not one of our stored checkpoints.
    never = Checkpoint(origin=signing_key().name, tree_size=99, root_hash=bytes(32)).format()
    error = refused("checkpoint_not_signed", cosigned(sign_note(text=never, signer_keys=[signing_key()]), WITNESS_A))
    assert error.status == 404


def test_a_note_without_cosignatures_or_from_the_future_is_refused():
    checkpoint = signed_checkpoint()
    refused("cosignature_missing", checkpoint.note)
    refused("cosignature_from_future", cosigned(checkpoint.note, WITNESS_A, at=timezone.now() + timedelta(hours=1)))


def test_cosignatures_are_not_log_entries():
    checkpoint = signed_checkpoint()
    before = LogEntry.objects.count()
    witness_cosignature_add(signed_note_text=cosigned(checkpoint.note, WITNESS_A), now=timezone.now())
    assert LogEntry.objects.count() == before


class TestApi:
    def test_post_then_get_serves_the_cosigned_checkpoint(self):
        client = Client(enforce_csrf_checks=True)
        signed_checkpoint()
        note = client.get("/api/v1/log/checkpoint").content.decode()
        response = client.post("/api/v1/log/cosignatures", cosigned(note, WITNESS_A, WITNESS_B),
                               content_type="text/plain")
        assert response.status_code == 200, response.content
        assert response.json() == {"tree_size": 3, "stored": [WITNESS_A.name, WITNESS_B.name]}
        served = client.get("/api/v1/log/checkpoint").content.decode()
        # A verifier that knows only our key still verifies the note; a witness-aware one finds both cosignatures.
        assert verify_note(served, verifier_keys=verifier_keys()).tree_size == 3
        opened = open_note(served, verifier_keys=verifier_keys())
        witnesses = {WITNESS_A.name: WITNESS_A.verifier_key, WITNESS_B.name: WITNESS_B.verifier_key}
        assert sorted(verify_cosignature(text=opened.text, cosignature=line, verifier_key=witnesses[line.name]).name
                      for line in opened.unverified_signatures) == [WITNESS_A.name, WITNESS_B.name]

    def test_receipts_and_the_public_page_carry_the_cosignatures(self):
        checkpoint = signed_checkpoint()
        witness_cosignature_add(signed_note_text=cosigned(checkpoint.note, WITNESS_A), now=timezone.now())
        line = WitnessCosignature.objects.get().signature_line
        assert line in Client().get("/api/v1/log/receipts/1").content.decode()
        assert line.strip() in Client().get("/transparency/").content.decode()

    def test_refusals_have_stable_codes(self):
        client = Client()
        checkpoint = signed_checkpoint()
        response = client.post("/api/v1/log/cosignatures", cosigned(checkpoint.note, STRANGER),
                               content_type="text/plain")
        assert response.status_code == 403 and response.json()["code"] == "witness_unknown"
        response = client.post("/api/v1/log/cosignatures", b"\xff\xfe", content_type="text/plain")
        assert response.status_code == 400 and response.json()["code"] == "cosigned_note_invalid"
        response = client.post("/api/v1/log/cosignatures", "not a note", content_type="text/plain")
        assert response.status_code == 400 and response.json()["code"] == "cosigned_note_invalid"


def test_witness_keys_setting_accepts_newlines_and_commas(monkeypatch):
    keys = [str(witness.verifier_key) for witness in (WITNESS_A, WITNESS_B, STRANGER)]
    monkeypatch.setenv("YINGDU_LOG_WITNESS_KEYS", f"{keys[0]}\n{keys[1]}, {keys[2]}\n")
    assert _env_lines("YINGDU_LOG_WITNESS_KEYS") == keys
