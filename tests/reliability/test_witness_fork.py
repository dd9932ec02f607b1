"""A log that even its operator cannot fork: a real witness process cosigns the honest log, then refuses a fork
made with the log's real key (an entry rewritten and a checkpoint re-signed at the same size), and
`yingdu-verify --witness-policy` refuses the fork that `yingdu-verify --key` alone accepts."""

import subprocess
import sys
import urllib.request
from datetime import UTC, datetime

import pytest

from yingdu.testing.events import sample_entries, sample_entry
from yingdu.tlog import MemoryHashStore, leaf_hash, stored_hash_count
from yingdu.transparency.keys import verifier_keys
from yingdu.transparency.models import LogEntry, LogHead, SignedCheckpoint, StoredHash, WitnessCosignature
from yingdu.transparency.selectors import checkpoint_latest_witnessed
from yingdu.transparency.services import canonical_entry, checkpoint_sign, checkpoint_witness, log_append

pytestmark = pytest.mark.django_db(transaction=True)

# The log acts at one fixed moment, not the real clock. The witness is a separate process that timestamps its
# cosignatures with its own clock, and the log refuses a cosignature from its future: the moment is therefore one
# after any date these tests run on.
NOW = datetime(2099, 1, 4, 2, 0, tzinfo=UTC)


def yingdu(*arguments: str, **kwargs):
    return [sys.executable, "-m", "yingdu.cli", *arguments]


def run_verifier(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yingdu.tlog.cli", *arguments], capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def witness(tmp_path):
    """A witness process of its own (its key, its state file), trusting the log's key; yields (URL, vkey, state)."""
    key_file = tmp_path / "witness.key"
    generated = subprocess.run(yingdu("witness", "--key", str(key_file), "--generate-key", "finance.example/w"),
                               capture_output=True, text=True, timeout=60)
    assert generated.returncode == 0, generated.stderr
    witness_vkey = generated.stdout.strip().splitlines()[-1]
    state = tmp_path / "witness-state.json"
    process = subprocess.Popen(
        yingdu("witness", "--key", str(key_file), "--log-key", verifier_keys()[0].format(), "--state", str(state),
               "--listen", "127.0.0.1:0"),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()
        assert "listening on " in line, line
        url = line.strip().rsplit(" ", 1)[-1]
        yield url, witness_vkey, state
    finally:
        process.terminate()
        process.wait(timeout=10)


def fork_entry(index: int) -> None:
    """What an operator with database access and the signing key can do: rewrite an entry, recompute every stored
    hash and the head, drop the signed checkpoints and sign the forked tree at the same size with the real key."""
    entries = list(LogEntry.objects.order_by("index"))
    forged = canonical_entry(sample_entry(999))
    LogEntry.objects.filter(index=index).update(entry=forged, leaf_hash=leaf_hash(forged))
    store = MemoryHashStore()
    store.append_leaf_hashes([leaf_hash(forged) if e.index == index else bytes(e.leaf_hash) for e in entries])
    StoredHash.objects.all().delete()
    count = stored_hash_count(tree_size=store.tree_size)
    StoredHash.objects.bulk_create([StoredHash(index=i, hash=h)
                                    for i, h in enumerate(store.read_hashes(list(range(count))))])
    LogHead.objects.update(root_hash=store.root_hash())
    WitnessCosignature.objects.all().delete()
    SignedCheckpoint.objects.all().delete()


def test_witness_cosigns_the_log_and_refuses_a_fork_that_the_witnessed_verifier_refuses_too(
        live_server, witness, settings, tmp_path):
    url, witness_vkey, witness_state = witness
    settings.LOG_WITNESSES = [f"{url} {witness_vkey}"]
    log_key = verifier_keys()[0].format()
    policy = tmp_path / "trust.txt"
    policy.write_text(f"# pinned out of band\nlog {log_key}\nwitness {witness_vkey}\nquorum 1\n")

    log_append(events=sample_entries(20), now=NOW)
    first = checkpoint_sign(now=NOW)
    assert [o.status for o in checkpoint_witness(checkpoint=first, now=NOW)] == [200]
    log_append(events=sample_entries(5, start=20), now=NOW)
    honest = checkpoint_sign(now=NOW)
    # The second submission carries a consistency proof from the size the witness cosigned.
    assert [o.status for o in checkpoint_witness(checkpoint=honest, now=NOW)] == [200]
    assert checkpoint_latest_witnessed() == honest

    state = tmp_path / "verifier-state.json"
    verified = run_verifier("log", "--url", live_server.url, "--witness-policy", str(policy), "--state", str(state))
    assert verified.returncode == 0, verified.stderr
    assert f"tree size {honest.tree_size}" in verified.stdout and "cosigned by at least 1" in verified.stdout

    entry_file = tmp_path / "entry.json"
    entry_file.write_bytes(bytes(LogEntry.objects.get(index=3).entry))
    honest_receipt = tmp_path / "honest-receipt.txt"
    with urllib.request.urlopen(f"{live_server.url}/api/v1/log/receipts/3?witnessed=true") as response:
        honest_receipt.write_bytes(response.read())
    receipt_state = tmp_path / "receipt-state.json"
    ok = run_verifier("receipt", str(honest_receipt), str(entry_file), "--witness-policy", str(policy),
                      "--state", str(receipt_state))
    assert ok.returncode == 0, ok.stderr

    fork_entry(3)
    forked = checkpoint_sign(now=NOW)
    assert forked.tree_size == honest.tree_size and bytes(forked.root_hash) != bytes(honest.root_hash)

    # The witness refuses: same size, another root (409), even once told its own latest size.
    outcomes = checkpoint_witness(checkpoint=forked, now=NOW)
    assert [o.status for o in outcomes] == [409]
    assert not WitnessCosignature.objects.exists() and checkpoint_latest_witnessed() is None
    assert f'"size": {honest.tree_size}' in witness_state.read_text()

    # Signed with the real key, the fork fools a verifier that trusts the key alone and keeps no state...
    fooled = run_verifier("log", "--url", live_server.url, "--key", log_key, "--full")
    assert fooled.returncode == 0, fooled.stderr
    # ...but not one that requires the witness quorum.
    refused = run_verifier("log", "--url", live_server.url, "--witness-policy", str(policy))
    assert refused.returncode == 1
    forked_receipt = tmp_path / "forked-receipt.txt"
    with urllib.request.urlopen(f"{live_server.url}/api/v1/log/receipts/3") as response:
        forked_receipt.write_bytes(response.read())
    forged_entry = tmp_path / "forged.json"
    forged_entry.write_bytes(canonical_entry(sample_entry(999)))
    assert run_verifier("receipt", str(forked_receipt), str(forged_entry), "--key", log_key).returncode == 0
    receipt_refused = run_verifier("receipt", str(forked_receipt), str(forged_entry), "--witness-policy", str(policy))
    assert receipt_refused.returncode == 1 and "quorum" in receipt_refused.stderr
    # A receipt verifier that kept state from the honest receipt sees the fork even without witnesses.
    stateful = run_verifier("receipt", str(forked_receipt), str(forged_entry), "--key", log_key,
                            "--state", str(receipt_state))
    assert stateful.returncode == 1 and "forked" in stateful.stderr
