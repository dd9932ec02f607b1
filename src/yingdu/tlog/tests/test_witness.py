"""The witness's decisions (C2SP tlog-witness add-checkpoint), from the request body to the status it answers."""

import base64
import json

import pytest

from yingdu.tlog import Checkpoint, CosignerKey, MemoryHashStore, SignerKey, prove_consistency, sign_note
from yingdu.tlog.cosignature import verify_cosignature
from yingdu.tlog.note import _parse_signature_line, split_note
from yingdu.tlog.witness import Witness, format_add_checkpoint, parse_add_checkpoint

LOG_KEY = SignerKey.from_seed(name="log.example/a", seed=bytes([7]) * 32)
OTHER_LOG_KEY = SignerKey.from_seed(name="log.example/a", seed=bytes([8]) * 32)
WITNESS_KEY = CosignerKey.from_seed(name="witness.example/w", seed=bytes([9]) * 32)
NOW = 1_790_000_000


def tree(entries: list[bytes]) -> MemoryHashStore:
    store = MemoryHashStore()
    for entry in entries:
        store.append(entry)
    return store


def signed(store: MemoryHashStore, key: SignerKey = LOG_KEY) -> str:
    text = Checkpoint(origin=key.name, tree_size=store.tree_size, root_hash=store.root_hash()).format()
    return sign_note(text=text, signer_keys=[key])


@pytest.fixture
def witness(tmp_path) -> Witness:
    return Witness(cosigner_key=WITNESS_KEY, log_keys=[LOG_KEY.verifier_key], state_path=tmp_path / "state.json",
                   clock=lambda: NOW)


def add(witness: Witness, *, old: int, note: str, proof=()):
    return witness.add_checkpoint(format_add_checkpoint(old_size=old, proof=list(proof), signed_note=note))


def test_first_checkpoint_is_cosigned_with_a_timestamp_and_remembered(witness, tmp_path):
    store = tree([b"a", b"b", b"c"])
    note = signed(store)
    response = add(witness, old=0, note=note)
    assert response.status == 200
    line = _parse_signature_line(response.body.rstrip("\n"))
    cosignature = verify_cosignature(text=split_note(note)[0], cosignature=line,
                                     verifier_key=WITNESS_KEY.verifier_key)
    assert cosignature.timestamp == NOW
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["log.example/a"]["size"] == 3


def test_consistent_growth_is_cosigned_and_a_wrong_old_size_gets_409_with_the_latest_size(witness):
    entries = [bytes([i]) for i in range(10)]
    old = tree(entries[:4])
    assert add(witness, old=0, note=signed(old)).status == 200
    new = tree(entries)
    proof = prove_consistency(old_size=4, new_size=10, hashes=new)
    stale = add(witness, old=0, note=signed(new))
    assert (stale.status, stale.body, stale.content_type) == (409, "4\n", "text/x.tlog.size")
    assert add(witness, old=4, note=signed(new), proof=proof).status == 200
    assert witness.latest("log.example/a")["size"] == 10
    # The same checkpoint again is fine (old size = size, same root).
    assert add(witness, old=10, note=signed(new)).status == 200


def test_a_fork_at_the_same_size_is_refused_with_409_and_the_state_is_kept(witness):
    honest = tree([b"a", b"b", b"c"])
    assert add(witness, old=0, note=signed(honest)).status == 200
    forked = tree([b"a", b"X", b"c"])
    response = add(witness, old=3, note=signed(forked))
    assert response.status == 409 and response.body == "3\n"
    assert base64.b64decode(witness.latest("log.example/a")["root"]) == honest.root_hash()


def test_a_fork_that_grows_fails_its_consistency_proof_with_422(witness):
    assert add(witness, old=0, note=signed(tree([b"a", b"b", b"c"]))).status == 200
    forked = tree([b"a", b"X", b"c", b"d", b"e"])
    proof = prove_consistency(old_size=3, new_size=5, hashes=forked)
    response = add(witness, old=3, note=signed(forked), proof=proof)
    assert response.status == 422
    assert witness.latest("log.example/a")["size"] == 3


def test_unknown_log_403_bad_key_400_bad_requests(witness):
    store = tree([b"a"])
    stranger = SignerKey.from_seed(name="other.example/log", seed=bytes([1]) * 32)
    assert add(witness, old=0, note=signed(store, stranger)).status == 404
    assert add(witness, old=0, note=signed(store, OTHER_LOG_KEY)).status == 403
    assert add(witness, old=2, note=signed(store)).status == 400
    assert witness.add_checkpoint("old 01\n\n" + signed(store)).status == 400
    assert witness.add_checkpoint("no header\n" + signed(store)).status == 400
    assert add(witness, old=0, note=signed(store), proof=[b"\x00" * 32]).status == 422
    assert witness.latest("log.example/a") is None


def test_request_body_round_trip():
    body = format_add_checkpoint(old_size=5, proof=[b"\x01" * 32], signed_note="n\n")
    assert parse_add_checkpoint(body) == (5, [b"\x01" * 32], "n\n")


def test_generate_key_prints_the_verifier_key_and_never_overwrites(tmp_path, capsys):
    from yingdu.tlog.cosignature import CosignatureVerifierKey
    from yingdu.tlog.witness import main

    key_file = tmp_path / "w.key"
    assert main(["--key", str(key_file), "--generate-key", "w.example/w"]) == 0
    vkey = CosignatureVerifierKey.parse(capsys.readouterr().out.strip())
    assert CosignerKey.parse(key_file.read_text()).verifier_key == vkey
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    before = key_file.read_text()
    assert main(["--key", str(key_file), "--generate-key", "w.example/w"]) == 2
    assert key_file.read_text() == before
    assert main(["--key", str(key_file)]) == 2  # serving needs --state and --log-key


# --- the draw's commit–reveal ----------------------------------------------------------------------------------

Q3_END = 1_790_784_000  # 2026-10-01 00:00 Asia/Shanghai = 2026-09-30 16:00 UTC


def test_the_quarter_end_is_midnight_in_shanghai():
    from yingdu.audits.draw import Quarter

    assert Quarter.parse("2026Q3").end_timestamp == Q3_END
    assert Quarter.parse("2026Q4").end_timestamp == 1_798_732_800
    assert str(Quarter.of_timestamp(Q3_END - 1)) == "2026Q3" and str(Quarter.of_timestamp(Q3_END)) == "2026Q4"


def test_the_reveal_names_the_last_checkpoint_cosigned_before_the_quarter_end(tmp_path):
    from yingdu.audits.draw import commitment_open, reveal_matches, reveal_open

    clock = [Q3_END - 3600]
    witness = Witness(cosigner_key=WITNESS_KEY, log_keys=[LOG_KEY.verifier_key], state_path=tmp_path / "s.json",
                      clock=lambda: clock[0])
    query = "origin=log.example/a&quarter=2026Q3"
    entries = [bytes([i]) for i in range(8)]
    before_end = tree(entries[:5])
    assert add(witness, old=0, note=signed(before_end)).status == 200
    assert witness.draw_reveal(query).status == 425
    clock[0] = Q3_END + 10  # a checkpoint cosigned after the end does not move the quarter-end checkpoint
    after_end = tree(entries)
    proof = prove_consistency(old_size=5, new_size=8, hashes=after_end)
    assert add(witness, old=5, note=signed(after_end), proof=proof).status == 200
    answer = witness.draw_reveal(query)
    assert answer.status == 200
    reveal = reveal_open(answer.body, witness=WITNESS_KEY.verifier_key)
    assert (reveal.last_size, reveal.last_root, reveal.revealed_at) == (5, before_end.root_hash(), Q3_END + 10)
    commitment = commitment_open(witness.draw_commitment(query).body, witness=WITNESS_KEY.verifier_key)
    reveal_matches(reveal, commitment)
    # the next quarter's reveal names the later checkpoint; its value is another one
    clock[0] = 1_798_732_800
    later = reveal_open(witness.draw_reveal("origin=log.example/a&quarter=2026Q4").body,
                        witness=WITNESS_KEY.verifier_key)
    assert later.last_size == 8 and later.value != reveal.value
