"""Trust policy: key validity ranges, rotation statements signed by the old key, witness quorum, via yingdu-verify."""

import pytest

from yingdu.tlog import CosignerKey, SignerKey, cosign_checkpoint
from yingdu.tlog.cli import main
from yingdu.tlog.errors import NoteError
from yingdu.tlog.note import split_note
from yingdu.tlog.policy import LogKey, TrustPolicy, rotation_statement

from .helpers import LOG_ORIGIN, LOG_SIGNER_KEY, LOG_VERIFIER_KEY, build_store, make_receipt, signed_checkpoint

ENTRIES = [b'{"n":%d}' % i for i in range(30)]
NEW_SIGNER_KEY = SignerKey.from_seed(name=LOG_ORIGIN, seed=bytes([5]) * 32)
WITNESS_A = CosignerKey.from_seed(name="a.example/w", seed=bytes([1]) * 32)
WITNESS_B = CosignerKey.from_seed(name="b.example/w", seed=bytes([2]) * 32)


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


def run(capsys, *arguments):
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def cosigned(note: str, *witnesses: CosignerKey) -> str:
    text = split_note(note)[0]
    return note + "".join(cosign_checkpoint(text=text, cosigner_key=w, timestamp=1_790_000_000).format()
                          for w in witnesses)


def test_a_key_outside_its_validity_range_is_refused(tmp_path, capsys):
    store = build_store(ENTRIES)
    receipt = write(tmp_path, "r", make_receipt(store, leaf_index=3, tree_size=20))
    entry = write(tmp_path, "e", ENTRIES[3])
    key = LOG_VERIFIER_KEY.format()
    assert run(capsys, "receipt", receipt, entry, "--key", f"{key} first=0 last=20")[0] == 0
    status, output = run(capsys, "receipt", receipt, entry, "--key", f"{key} first=0 last=19")
    assert status == 1 and "not valid for that size" in output
    assert run(capsys, "receipt", receipt, entry, "--key", f"{key} first=21")[0] == 1
    assert run(capsys, "receipt", receipt, entry, "--key", f"{key} last=2 first=5")[0] == 2
    assert run(capsys, "receipt", receipt, entry, "--key", f"{key} until=5")[0] == 2


def test_a_rotation_statement_signed_by_the_old_key_ends_it_and_starts_the_new_one(tmp_path, capsys):
    store = build_store(ENTRIES)
    statement = write(tmp_path, "rotation", rotation_statement(old_key=LOG_SIGNER_KEY,
                                                                new_key=NEW_SIGNER_KEY.verifier_key, tree_size=20))
    entry = write(tmp_path, "e", ENTRIES[3])
    key = LOG_VERIFIER_KEY.format()
    old_after = write(tmp_path, "old-after", make_receipt(store, leaf_index=3, tree_size=25))
    old_before = write(tmp_path, "old-before", make_receipt(store, leaf_index=3, tree_size=20))
    assert run(capsys, "receipt", old_after, entry, "--key", key)[0] == 0  # without the statement: accepted
    status, output = run(capsys, "receipt", old_after, entry, "--key", key, "--rotation", statement)
    assert status == 1 and "not valid for that size" in output
    assert run(capsys, "receipt", old_before, entry, "--key", key, "--rotation", statement)[0] == 0
    # The new key is trusted from the statement alone, from size 20 on.
    note = signed_checkpoint(store, tree_size=25, signer_keys=[NEW_SIGNER_KEY])
    policy = TrustPolicy(log_keys=(LogKey(key=LOG_VERIFIER_KEY),)).with_rotations([open(statement).read()])
    assert policy.verify_checkpoint(note).tree_size == 25
    with pytest.raises(NoteError):
        policy.verify_checkpoint(signed_checkpoint(store, tree_size=19, signer_keys=[NEW_SIGNER_KEY]))
    # A statement signed by an untrusted key changes nothing.
    stranger = SignerKey.from_seed(name=LOG_ORIGIN, seed=bytes([6]) * 32)
    forged = write(tmp_path, "forged", rotation_statement(old_key=stranger, new_key=NEW_SIGNER_KEY.verifier_key,
                                                          tree_size=0))
    assert run(capsys, "receipt", old_after, entry, "--key", key, "--rotation", forged)[0] == 1


def test_policy_file_quorum_counts_distinct_valid_witnesses(tmp_path, capsys):
    store = build_store(ENTRIES)
    policy_text = (f"log {LOG_VERIFIER_KEY.format()}\nwitness {WITNESS_A.verifier_key.format()}\n"
                   f"witness {WITNESS_B.verifier_key.format()}\nquorum 2\n")
    policy = TrustPolicy.parse(policy_text)
    note = signed_checkpoint(store)
    with pytest.raises(NoteError, match="quorum"):
        policy.verify_checkpoint(cosigned(note, WITNESS_A))
    with pytest.raises(NoteError, match="quorum"):
        policy.verify_checkpoint(cosigned(note, WITNESS_A, WITNESS_A))
    stranger = CosignerKey.from_seed(name="c.example/w", seed=bytes([3]) * 32)
    with pytest.raises(NoteError, match="quorum"):
        policy.verify_checkpoint(cosigned(note, WITNESS_A, stranger))
    assert policy.verify_checkpoint(cosigned(note, WITNESS_A, WITNESS_B)).tree_size == len(ENTRIES)
    for bad in ["quorum 3\n" + policy_text.replace("quorum 2\n", ""), "log nonsense\n", "frobnicate x\n",
                policy_text + "quorum 1\n"]:
        with pytest.raises(NoteError):
            TrustPolicy.parse(bad)
    policy_file = write(tmp_path, "policy", policy_text)
    receipt_text = make_receipt(store, leaf_index=3)
    entry = write(tmp_path, "e", ENTRIES[3])
    plain = write(tmp_path, "plain", receipt_text)
    assert run(capsys, "receipt", plain, entry, "--witness-policy", policy_file)[0] == 1
    header, _, checkpoint_note = receipt_text.partition("\n\n")
    with_both = write(tmp_path, "both", header + "\n\n" + cosigned(checkpoint_note, WITNESS_A, WITNESS_B))
    assert run(capsys, "receipt", with_both, entry, "--witness-policy", policy_file)[0] == 0
    assert run(capsys, "receipt", with_both, entry)[0] == 2  # no key at all
