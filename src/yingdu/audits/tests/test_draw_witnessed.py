"""The ungrindable draw (issue 17 item 4): witnesses commit to per-quarter values before the quarter, cosign the
quarter-end checkpoint before it ends, reveal only after it by their own clock; the seed combines that checkpoint's
root with the reveals, and `yingdu-verify draw` checks all of it. The witnesses run over HTTP with their own clocks
(the real process is exercised in tests/reliability/test_draw_witness_process.py)."""

import base64
import hashlib
import json
from contextlib import ExitStack
from datetime import date

import pytest
from django.test import Client

from yingdu.actors import SYSTEM
from yingdu.audits import draws
from yingdu.audits.draw import (
    REVEAL_HEADER,
    Quarter,
    _sign_statement,
    beacon_value,
    draw_choose,
    reveal_open,
    witnessed_seed,
)
from yingdu.audits.models import DrawCommitment, SpotCheckDraw
from yingdu.errors import DomainError
from yingdu.testing.witnesses import witness_serving
from yingdu.tlog import CosignerKey, SignerKey, sign_note
from yingdu.tlog.cli import main as verify_main
from yingdu.transparency.keys import log_origin, signing_key
from yingdu.transparency.models import LogEntry
from yingdu.transparency.selectors import inclusion_proof, published_verifier_keys
from yingdu.transparency.services import checkpoint_sign, checkpoint_witness

from .conftest import AFTER_Q3, IN_Q3, Q3_LAST_HOUR, at, supported_work

pytestmark = pytest.mark.django_db

WITNESS_A = CosignerKey.from_seed(name="a.example/w", seed=bytes([21]) * 32)
WITNESS_B = CosignerKey.from_seed(name="b.example/w", seed=bytes([22]) * 32)
BEFORE_Q3 = at(date(2026, 6, 20))
Q3 = Quarter.parse("2026Q3")
AFTER_WAIT = at(date(2026, 10, 20))


class Clock:
    def __init__(self):
        self.now = BEFORE_Q3.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def witnesses(tmp_path, settings):
    """Two witnesses over HTTP, each with its own key, state and clock; the settings name both (quorum 2)."""
    running = {}
    with ExitStack() as stack:
        for key in (WITNESS_A, WITNESS_B):
            clock = Clock()
            url, witness = stack.enter_context(witness_serving(
                cosigner_key=key, log_keys=[signing_key().verifier_key], state_path=tmp_path / f"{key.name[0]}.json",
                clock=clock))
            running[key.name] = (stack, clock, witness, url)
        settings.LOG_WITNESSES = [f"{running[key.name][3]} {key.verifier_key.format()}"
                                  for key in (WITNESS_A, WITNESS_B)]
        settings.LOG_WITNESS_TIMEOUT_SECONDS = 5
        yield running


def set_clocks(witnesses, moment) -> None:
    for _stack, clock, _witness, _url in witnesses.values():
        clock.now = moment.timestamp()


@pytest.fixture
def quarter_ready(witnesses, enterprise, approver):
    """Commitments recorded before Q3, four supported works in Q3, the last checkpoint cosigned before its end."""
    set_clocks(witnesses, BEFORE_Q3)
    recorded = draws.draw_commitments_collect(quarter="2026Q3", now=BEFORE_Q3)
    assert len(recorded) == 2
    works = [supported_work(enterprise, approver, now=IN_Q3)[0] for _ in range(4)]
    set_clocks(witnesses, Q3_LAST_HOUR)
    checkpoint = checkpoint_sign(now=Q3_LAST_HOUR)
    assert [o.status for o in checkpoint_witness(checkpoint=checkpoint, now=Q3_LAST_HOUR)] == [200, 200]
    set_clocks(witnesses, AFTER_Q3)
    return checkpoint, works


def policy_file(tmp_path, *witness_keys, quorum=2):
    path = tmp_path / "trust.txt"
    lines = [f"log {published_verifier_keys()[0]}", *(f"witness {k.verifier_key.format()}" for k in witness_keys),
             f"quorum {quorum}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def verify(tmp_path, capsys, document, *arguments) -> tuple[int, str]:
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    status = verify_main(["draw", str(path), *arguments])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_commitments_are_signed_logged_once_and_not_the_values(witnesses):
    set_clocks(witnesses, BEFORE_Q3)
    draws.draw_commitments_collect(quarter="2026Q3", now=BEFORE_Q3)
    assert draws.draw_commitments_collect(quarter="2026Q3", now=BEFORE_Q3) == []
    rows = list(DrawCommitment.objects.order_by("witness_key"))
    assert len(rows) == 2
    for row in rows:
        entry = json.loads(bytes(LogEntry.objects.get(index=row.log_index).entry))
        assert entry["type"] == "audits.draw_commitment" and entry["statement"] == row.statement
        key = WITNESS_A if row.witness_key == WITNESS_A.verifier_key.format() else WITNESS_B
        value = beacon_value(cosigner_key=key, origin=log_origin(), quarter=Q3)
        assert row.commitment == hashlib.sha256(value).hexdigest() and value.hex() not in row.statement


def test_the_seed_combines_the_witnessed_quarter_end_root_with_the_reveals_and_the_verifier_accepts_it(
        quarter_ready, tmp_path, capsys):
    checkpoint, works = quarter_ready
    draw = draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    values = [beacon_value(cosigner_key=key, origin=log_origin(), quarter=Q3) for key in (WITNESS_A, WITNESS_B)]
    by_key = sorted(zip((WITNESS_A, WITNESS_B), values, strict=True), key=lambda kv: kv[0].verifier_key.format())
    expected_seed = hashlib.sha256(bytes(checkpoint.root_hash) + b"".join(v for _k, v in by_key)).digest()
    assert draw.ungrindable and draw.withheld == [] and draw.checkpoint_tree_size == checkpoint.tree_size
    assert bytes(draw.ranking_seed) == expected_seed
    assert draw.chosen_ids == draw_choose(seed=expected_seed, candidate_ids=sorted(w.pk for w in works),
                                          sample_rate="0.1000", sample_minimum=3)
    entry = json.loads(bytes(LogEntry.objects.get(index=draw.log_index).entry))
    assert entry["v"] == 3 and entry["ranking_seed"] == expected_seed.hex() and entry["ungrindable"] is True

    document = Client().get("/api/v1/audits/draws/2026Q3").json()
    status, output = verify(tmp_path, capsys, document, "--witness-policy",
                            str(policy_file(tmp_path, WITNESS_A, WITNESS_B)), "--state", str(tmp_path / "s.json"))
    assert status == 0, output
    assert "ungrindable: seed from the values of a.example/w, b.example/w" in output
    # without a pinned policy it still checks everything, and says the witnesses are the draw's own
    status, output = verify(tmp_path, capsys, document, "--key", published_verifier_keys()[0])
    assert status == 0 and "pin them with --witness-policy" in output


def _regrind(document: dict, *, checkpoint_note: str, root: bytes, size: int) -> dict:
    """What an operator would publish after choosing another checkpoint: the seed and sample recomputed for it."""
    reveals = [reveal_open(r["statement"], witness=_key(r["witness"])) for r in document["reveals"]]
    seed = witnessed_seed(root_hash=root, reveals=reveals)
    chosen = draw_choose(seed=seed, candidate_ids=document["candidates"], sample_rate=document["sample_rate"],
                         sample_minimum=document["sample_minimum"])
    commitments = [{**c, "inclusion_proof": [base64.b64encode(h).decode() for h in inclusion_proof(
        leaf_index=c["log_index"], tree_size=size)]} for c in document["commitments"]]
    return {**document, "commitments": commitments, "checkpoint": checkpoint_note, "checkpoint_tree_size": size, "seed": root.hex(),
            "ranking_seed": seed.hex(), "chosen": chosen, "sample_size": len(chosen)}


def _key(text):
    from yingdu.tlog import CosignatureVerifierKey
    return CosignatureVerifierKey.parse(text)


def test_an_operator_that_re_signs_after_the_quarter_end_or_picks_another_root_is_refused(
        quarter_ready, tmp_path, capsys, enterprise, approver):
    checkpoint, _works = quarter_ready
    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    honest = Client().get("/api/v1/audits/draws/2026Q3").json()
    policy = str(policy_file(tmp_path, WITNESS_A, WITNESS_B))

    # 1. entries appended after the quarter end, a new checkpoint signed and even cosigned (after the end)
    supported_work(enterprise, approver, now=AFTER_Q3)
    later = checkpoint_sign(now=AFTER_Q3)
    assert [o.status for o in checkpoint_witness(checkpoint=later, now=AFTER_Q3)] == [200, 200]
    from yingdu.transparency.selectors import cosigned_note
    ground = _regrind(honest, checkpoint_note=cosigned_note(later), root=bytes(later.root_hash),
                      size=later.tree_size)
    status, output = verify(tmp_path, capsys, ground, "--witness-policy", policy)
    assert status == 1 and "the witnesses name" in output

    # 2. the same size re-signed with the real key over another root (a fork the operator ground)
    forged_root = hashlib.sha256(b"another history").digest()
    text = checkpoint.note.split("\n\n")[0] + "\n"
    lines = text.split("\n")
    lines[2] = base64.b64encode(forged_root).decode()
    forged_note = sign_note(text="\n".join(lines), signer_keys=[signing_key()])
    forked = _regrind(honest, checkpoint_note=forged_note, root=forged_root, size=checkpoint.tree_size)
    status, output = verify(tmp_path, capsys, forked, "--key", published_verifier_keys()[0])
    assert status == 1

    # 3. the honest document with only its sample changed
    outsider = next(c for c in honest["candidates"] if c not in honest["chosen"])
    status, output = verify(tmp_path, capsys, {**honest, "chosen": [*honest["chosen"][:-1], outsider]},
                            "--witness-policy", policy)
    assert status == 1 and "chosen list differs" in output


def test_a_witness_reveals_nothing_before_the_quarter_end_and_an_early_reveal_is_refused(
        quarter_ready, witnesses, tmp_path, capsys):
    _stack, clock, witness, _url = witnesses[WITNESS_A.name]
    clock.now = Q3_LAST_HOUR.timestamp()
    answer = witness.draw_reveal(f"origin={log_origin()}&quarter=2026Q3")
    assert answer.status == 425 and "has not ended" in answer.body
    clock.now = AFTER_Q3.timestamp()
    assert witness.draw_reveal(f"origin={log_origin()}&quarter=2026Q3").status == 200
    assert witness.draw_reveal("origin=unknown.example/log&quarter=2026Q3").status == 404
    assert witness.draw_reveal(f"origin={log_origin()}&quarter=2026Q9").status == 400

    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    document = Client().get("/api/v1/audits/draws/2026Q3").json()
    # a witness's own (valid, signed) statement made before the quarter end does not count
    reveal = next(r for r in document["reveals"] if r["witness"] == WITNESS_A.verifier_key.format())
    fields = reveal["statement"].split("\n\n")[0].split("\n")
    fields[7] = str(Q3.end_timestamp - 1)
    early = _sign_statement("\n".join(fields) + "\n", WITNESS_A)
    reveals = [r if r is not reveal else {**r, "statement": early} for r in document["reveals"]]
    status, output = verify(tmp_path, capsys, {**document, "reveals": reveals}, "--witness-policy",
                            str(policy_file(tmp_path, WITNESS_A, WITNESS_B)))
    assert status == 1 and "before 2026Q3 ended" in output


def test_a_wrong_reveal_is_refused_by_the_verifier_and_not_used_by_the_platform(
        quarter_ready, witnesses, tmp_path, capsys, settings):
    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    document = Client().get("/api/v1/audits/draws/2026Q3").json()
    reveal = next(r for r in document["reveals"] if r["witness"] == WITNESS_B.verifier_key.format())
    fields = reveal["statement"].split("\n\n")[0].split("\n")
    assert fields[0] == REVEAL_HEADER
    fields[4] = hashlib.sha256(b"a value chosen after the fact").hexdigest()
    wrong = _sign_statement("\n".join(fields) + "\n", WITNESS_B)
    reveals = [r if r is not reveal else {**r, "statement": wrong} for r in document["reveals"]]
    status, output = verify(tmp_path, capsys, {**document, "reveals": reveals}, "--witness-policy",
                            str(policy_file(tmp_path, WITNESS_A, WITNESS_B)))
    assert status == 1 and "does not match its commitment" in output
    # a statement not signed by the witness it names
    forged = _sign_statement("\n".join(fields) + "\n", CosignerKey.from_seed(name=WITNESS_B.name, seed=b"x" * 32))
    reveals = [r if r is not reveal else {**r, "statement": forged} for r in document["reveals"]]
    status, output = verify(tmp_path, capsys, {**document, "reveals": reveals}, "--key",
                            published_verifier_keys()[0])
    assert status == 1 and "not signed by witness" in output
    # a draw document that drops a reveal without listing the witness as withheld
    status, output = verify(tmp_path, capsys, {**document, "reveals": document["reveals"][:1]}, "--key",
                            published_verifier_keys()[0])
    assert status == 1 and "withheld" in output


def test_a_withholding_witness_delays_the_draw_then_is_left_out_and_named(quarter_ready, witnesses, settings,
                                                                          tmp_path, capsys):
    # witness B stops answering: its address is replaced by one where nothing listens
    settings.LOG_WITNESSES = [settings.LOG_WITNESSES[0], f"http://127.0.0.1:9/w {WITNESS_B.verifier_key.format()}"]
    settings.LOG_WITNESS_TIMEOUT_SECONDS = 1
    with pytest.raises(DomainError) as pending:
        draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=at(date(2026, 10, 2)))
    assert pending.value.code == "draw_reveals_pending"
    # the quorum (2 by default) cannot be met by one reveal, even after the wait
    with pytest.raises(DomainError) as missing:
        draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_WAIT)
    assert missing.value.code == "draw_reveals_missing" and not SpotCheckDraw.objects.exists()

    settings.LOG_WITNESS_QUORUM = 1
    draw = draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_WAIT)
    assert draw.ungrindable and draw.withheld == [WITNESS_B.verifier_key.format()]
    value_a = beacon_value(cosigner_key=WITNESS_A, origin=log_origin(), quarter=Q3)
    assert bytes(draw.ranking_seed) == hashlib.sha256(bytes(draw.checkpoint_root_hash) + value_a).digest()
    document = Client().get("/api/v1/audits/draws/2026Q3").json()
    status, output = verify(tmp_path, capsys, document, "--witness-policy",
                            str(policy_file(tmp_path, WITNESS_A, WITNESS_B, quorum=1)))
    assert status == 0 and "WITHHELD by 1 committed witnesses: b.example/w" in output
    status, output = verify(tmp_path, capsys, document, "--witness-policy",
                            str(policy_file(tmp_path, WITNESS_A, WITNESS_B, quorum=2)))
    assert status == 1 and "fewer than the quorum of 2" in output


def test_without_commitments_recorded_before_the_draw_a_witnessed_draw_is_refused(witnesses, enterprise, approver):
    supported_work(enterprise, approver, now=IN_Q3)
    checkpoint_sign(now=Q3_LAST_HOUR)
    with pytest.raises(DomainError) as refused:
        draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    assert refused.value.code == "draw_commitments_missing"


def test_a_quarter_end_checkpoint_not_cosigned_before_the_end_is_refused(witnesses, enterprise, approver):
    set_clocks(witnesses, BEFORE_Q3)
    draws.draw_commitments_collect(quarter="2026Q3", now=BEFORE_Q3)
    supported_work(enterprise, approver, now=IN_Q3)
    set_clocks(witnesses, Q3_LAST_HOUR)
    checkpoint = checkpoint_witness(checkpoint=checkpoint_sign(now=Q3_LAST_HOUR), now=Q3_LAST_HOUR)
    assert [o.status for o in checkpoint] == [200, 200]
    # the operator drops the stored cosignatures: the witnesses still name that checkpoint, which now lacks them
    from yingdu.transparency.models import WitnessCosignature
    WitnessCosignature.objects.all().delete()
    set_clocks(witnesses, AFTER_Q3)
    with pytest.raises(DomainError) as refused:
        draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    assert refused.value.code == "draw_checkpoint_unwitnessed"


def test_an_unknown_signing_key_cannot_stand_in_for_the_log(quarter_ready, tmp_path, capsys):
    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    document = Client().get("/api/v1/audits/draws/2026Q3").json()
    other = SignerKey.from_seed(name=log_origin(), seed=bytes([5]) * 32)
    status, _output = verify(tmp_path, capsys, document, "--key", other.verifier_key.format())
    assert status == 1
