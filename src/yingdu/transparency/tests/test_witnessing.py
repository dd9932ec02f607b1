"""The log's side of witnessing, from outside: submission outcomes, the witnessed checkpoint, the trust policy file,
key validity and rotation as published."""

import io
import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.test import Client

from yingdu.testing.events import sample_entries
from yingdu.tlog import CosignerKey, SignerKey
from yingdu.tlog.policy import TrustPolicy
from yingdu.tlog.witness import Witness, make_server
from yingdu.transparency.keys import signing_key, verifier_keys
from yingdu.transparency.models import WitnessCosignature
from yingdu.transparency.selectors import checkpoint_latest_witnessed, checkpoint_needs_witnesses
from yingdu.transparency.services import checkpoint_sign, checkpoint_witness, log_append
from yingdu.transparency.tasks import checkpoint_sign_when_grown

pytestmark = pytest.mark.django_db

# the log's entries and checkpoints are made at one fixed moment, not the real clock
NOW = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)

WITNESS_A = CosignerKey.from_seed(name="a.example/w", seed=bytes([1]) * 32)
WITNESS_B = CosignerKey.from_seed(name="b.example/w", seed=bytes([2]) * 32)


@pytest.fixture
def witness_servers(tmp_path, settings):
    """Two in-process witnesses trusting the log's key; settings name both, quorum 2."""
    servers = []
    for key in (WITNESS_A, WITNESS_B):
        witness = Witness(cosigner_key=key, log_keys=[signing_key().verifier_key],
                          state_path=tmp_path / f"{key.name.split('.')[0]}.json", clock=NOW.timestamp)
        server = make_server(witness, host="127.0.0.1", port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append((server, key))
    settings.LOG_WITNESSES = [f"http://127.0.0.1:{s.server_port}/w {k.verifier_key.format()}" for s, k in servers]
    yield servers
    for server, _key in servers:
        server.shutdown()
        server.server_close()


def test_the_worker_task_signs_submits_and_the_checkpoint_is_witnessed_once_the_quorum_cosigned(witness_servers):
    log_append(events=sample_entries(5), now=NOW)
    assert Client().get("/api/v1/log/checkpoint/witnessed").status_code == 404
    size = checkpoint_sign_when_grown.call()
    assert WitnessCosignature.objects.filter(checkpoint__tree_size=size).count() == 2
    witnessed = Client().get("/api/v1/log/checkpoint/witnessed")
    assert witnessed.status_code == 200
    assert WITNESS_A.name in witnessed.content.decode() and WITNESS_B.name in witnessed.content.decode()
    assert not checkpoint_needs_witnesses()
    log_append(events=sample_entries(3, start=5), now=NOW)
    grown = checkpoint_sign_when_grown.call()
    assert checkpoint_latest_witnessed().tree_size == grown > size


def test_an_unreachable_witness_leaves_the_checkpoint_unwitnessed_and_retry_is_due(witness_servers, settings):
    settings.LOG_WITNESS_TIMEOUT_SECONDS = 2
    settings.LOG_WITNESSES = [*settings.LOG_WITNESSES[:1],
                              f"http://127.0.0.1:9/none {WITNESS_B.verifier_key.format()}"]
    log_append(events=sample_entries(4), now=NOW)
    checkpoint = checkpoint_sign(now=NOW)
    outcomes = checkpoint_witness(checkpoint=checkpoint, now=NOW)
    assert sorted((o.witness, o.status) for o in outcomes) == [(WITNESS_A.name, 200), (WITNESS_B.name, None)]
    assert checkpoint_latest_witnessed() is None and checkpoint_needs_witnesses()
    settings.LOG_WITNESS_QUORUM = 1
    assert checkpoint_latest_witnessed() == checkpoint


def test_a_witness_that_lost_its_state_size_is_caught_up_through_409(witness_servers):
    log_append(events=sample_entries(4), now=NOW)
    first = checkpoint_sign(now=NOW)
    checkpoint_witness(checkpoint=first, now=NOW)
    # This log forgets it had the cosignatures (e.g. restored from a backup): the witnesses answer 409 with their
    # size, and the log retries with a consistency proof from it.
    WitnessCosignature.objects.all().delete()
    log_append(events=sample_entries(4, start=4), now=NOW)
    second = checkpoint_sign(now=NOW)
    outcomes = checkpoint_witness(checkpoint=second, now=NOW)
    assert [o.status for o in outcomes] == [200, 200]


def test_the_published_trust_policy_pins_keys_with_their_ranges_and_the_witnesses(witness_servers, settings):
    old = SignerKey.from_seed(name=signing_key().name, seed=bytes([9]) * 32).verifier_key
    settings.LOG_PREVIOUS_VERIFIER_KEYS = [f"{old.format()} last=10"]
    settings.LOG_SIGNING_KEY_FIRST_SIZE = 10
    text = Client().get("/api/v1/log/trust-policy").content.decode()
    policy = TrustPolicy.parse(text)
    assert [(k.key, k.first_size, k.last_size) for k in policy.log_keys] == [
        (signing_key().verifier_key, 10, None), (old, 0, 10)]
    assert policy.quorum == 2 and {w.name for w in policy.witnesses} == {WITNESS_A.name, WITNESS_B.name}
    assert verifier_keys()[1] == old
    out = io.StringIO()
    call_command("log_key", "--policy", stdout=out)
    assert out.getvalue() == text


def test_a_rotation_statement_is_signed_by_the_current_key_and_published(tmp_path, settings):
    log_append(events=sample_entries(3), now=NOW)
    checkpoint = checkpoint_sign(now=NOW)
    new_key = SignerKey.from_seed(name=signing_key().name, seed=bytes([8]) * 32)
    new_key_file = tmp_path / "new.key"
    new_key_file.write_text(new_key.format())
    out = io.StringIO()
    call_command("log_key", "--rotate-to", str(new_key_file), stdout=out)
    statement_file = tmp_path / "rotation-1.txt"
    statement_file.write_text(out.getvalue())
    settings.LOG_KEY_ROTATIONS = [str(statement_file)]
    published = Client().get("/api/v1/log/key-rotations").json()
    assert published == [out.getvalue()]
    policy = TrustPolicy.parse(f"log {signing_key().verifier_key.format()}\n").with_rotations(published)
    assert [(k.first_size, k.last_size) for k in policy.log_keys] == [(0, checkpoint.tree_size),
                                                                       (checkpoint.tree_size, None)]


def test_the_transparency_page_says_how_to_pin_the_trust_policy(witness_servers):
    log_append(events=sample_entries(2), now=NOW)
    checkpoint_sign_when_grown.call()
    page = Client().get("/transparency/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "--witness-policy trust.txt" in html and "/api/v1/log/trust-policy" in html
    assert f"witness {WITNESS_A.verifier_key.format()}" in html and "quorum 2" in html
    assert "最新已见证检查点" in html
