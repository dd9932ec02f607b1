"""`yingdu audit draw`: candidates, seed from the quarter-end checkpoint, once per ended quarter, logged, published,
and recomputed by `yingdu-verify draw` from the published JSON alone."""

import json
import subprocess
import sys
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from yingdu.actors import SYSTEM
from yingdu.audits import draws
from yingdu.audits.draw import draw_choose
from yingdu.audits.models import AuditNotice, SpotCheckCase, SpotCheckDraw
from yingdu.errors import DomainError
from yingdu.transparency.models import LogEntry, SignedCheckpoint
from yingdu.transparency.selectors import published_verifier_keys
from yingdu.transparency.services import checkpoint_sign

from .conftest import AFTER_Q3, IN_Q3, Q3_LAST_HOUR, at, supported_work

pytestmark = pytest.mark.django_db


def test_draw_ranks_the_quarters_supported_works_by_the_quarter_end_checkpoint(enterprise, approver, q3_works):
    outside = supported_work(enterprise, approver, now=at(date(2026, 10, 2)))[0]
    late_checkpoint = checkpoint_sign(now=at(date(2026, 10, 2), 12))
    draw = draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)

    expected_checkpoint = SignedCheckpoint.objects.filter(signed_at__lte=Q3_LAST_HOUR).order_by("-tree_size").first()
    assert draw.checkpoint_tree_size == expected_checkpoint.tree_size != late_checkpoint.tree_size
    assert draw.candidate_ids == sorted(w.pk for w in q3_works) and outside.pk not in draw.candidate_ids
    assert draw.chosen_ids == draw_choose(seed=bytes(expected_checkpoint.root_hash), candidate_ids=draw.candidate_ids,
                                          sample_rate="0.1000", sample_minimum=3)
    assert [c.work_id for c in SpotCheckCase.objects.order_by("rank")] == draw.chosen_ids
    assert AuditNotice.objects.filter(kind="case_opened").count() == 3


def test_the_draw_is_a_log_entry_with_its_cases(q3_works):
    draw = draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    entry = json.loads(bytes(LogEntry.objects.get(index=draw.log_index).entry))
    assert entry["type"] == "audits.draw"
    assert (entry["seed"], entry["chosen"], entry["candidates"]) == (draw.seed_hex, draw.chosen_ids,
                                                                     draw.candidate_ids)
    assert entry["checkpoint"] == draw.checkpoint_note
    opened = [json.loads(bytes(e.entry)) for e in LogEntry.objects.filter(event_type="audits.case_open")]
    assert sorted(e["case"] for e in opened) == sorted(SpotCheckCase.objects.values_list("pk", flat=True))


def test_a_second_draw_of_the_quarter_is_refused(q3_works):
    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    with pytest.raises(DomainError) as refused:
        draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    assert refused.value.code == "draw_exists"
    with pytest.raises(CommandError, match="draw_exists"):
        call_command("audit", "draw", "--quarter", "2026Q3")


def test_an_unfinished_quarter_is_refused(q3_works):
    with pytest.raises(DomainError) as refused:
        draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=at(date(2026, 9, 30), 23))
    assert refused.value.code == "quarter_not_ended"
    assert not SpotCheckDraw.objects.exists()


def test_a_quarter_without_a_signed_checkpoint_is_refused(enterprise, approver):
    SignedCheckpoint.objects.all().delete()
    supported_work(enterprise, approver, now=IN_Q3)
    with pytest.raises(DomainError) as refused:
        draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    assert refused.value.code == "draw_no_checkpoint"


def test_only_auditors_and_admins_may_draw(q3_works, approver):
    with pytest.raises(DomainError) as refused:
        draws.draw_run(quarter="2026Q3", actor=approver, now=AFTER_Q3)
    assert refused.value.status == 403


def _verify(tmp_path, document: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "yingdu.tlog.cli", "draw", str(path), "--key",
                           published_verifier_keys()[0]], capture_output=True, text=True, timeout=60)


def test_the_verifier_accepts_the_published_draw_and_refuses_a_changed_chosen_list(q3_works, tmp_path):
    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    response = Client().get("/api/v1/audits/draws/2026Q3")
    assert response.status_code == 200
    document = response.json()

    accepted = _verify(tmp_path, document)
    assert accepted.returncode == 0, accepted.stderr
    assert "3 of 4 candidates chosen" in accepted.stdout

    outsider = next(c for c in document["candidates"] if c not in document["chosen"])
    refused = _verify(tmp_path, {**document, "chosen": [*document["chosen"][:-1], outsider]})
    assert refused.returncode == 1
    assert "chosen list differs" in refused.stderr

    reordered = _verify(tmp_path, {**document, "chosen": list(reversed(document["chosen"]))})
    assert reordered.returncode == 1


def test_the_verifier_refuses_a_checkpoint_with_a_bad_signature(q3_works, tmp_path):
    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    document = Client().get("/api/v1/audits/draws/2026Q3").json()
    lines = document["checkpoint"].split("\n")
    lines[1] = str(int(lines[1]) + 1)  # the signed tree size
    refused = _verify(tmp_path, {**document, "checkpoint": "\n".join(lines)})
    assert refused.returncode == 1
    assert "checkpoint" in refused.stderr


def test_the_draws_are_listed_publicly_on_the_transparency_page(q3_works):
    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    page = Client().get("/transparency/")
    assert page.status_code == 200
    assert "/api/v1/audits/draws/2026Q3" in page.content.decode()
    assert Client().get("/api/v1/audits/draws").json()[0]["quarter"] == "2026Q3"
    assert Client().get("/api/v1/audits/draws/2025Q1").status_code == 404


def test_a_draw_without_witnesses_says_it_is_not_ungrindable_and_a_witness_policy_refuses_it(
        q3_works, tmp_path, settings, capsys):
    """Quorum 0: the seed is a checkpoint root the operator chose. The verifier says so, and one that pins a witness
    policy refuses the draw even once its checkpoint is cosigned (a cosignature does not stop grinding)."""
    from yingdu.tlog import CosignerKey, cosign_checkpoint
    from yingdu.tlog.cli import main
    from yingdu.transparency.services import witness_cosignature_add

    witness = CosignerKey.from_seed(name="finance.example/w", seed=bytes([4]) * 32)
    settings.LOG_WITNESS_KEYS = [witness.verifier_key.format()]
    draw = draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    assert not draw.ungrindable and bytes(draw.ranking_seed) == bytes(draw.checkpoint_root_hash)
    text = draw.checkpoint_note.split("\n\n")[0] + "\n"
    cosignature = cosign_checkpoint(text=text, cosigner_key=witness, timestamp=int(Q3_LAST_HOUR.timestamp()))
    witness_cosignature_add(signed_note_text=draw.checkpoint_note + cosignature.format(), now=AFTER_Q3)
    path = tmp_path / "draw.json"
    document = Client().get("/api/v1/audits/draws/2026Q3").json()
    assert document["ungrindable"] is False and document["checkpoint_cosigned"].endswith(cosignature.format())
    path.write_text(json.dumps(document), encoding="utf-8")

    assert main(["draw", str(path), "--key", published_verifier_keys()[0]]) == 0
    assert "NOT ungrindable" in capsys.readouterr().out

    policy = tmp_path / "trust.txt"
    policy.write_text(f"log {published_verifier_keys()[0]}\nwitness {witness.verifier_key.format()}\nquorum 1\n")
    assert main(["draw", str(path), "--witness-policy", str(policy)]) == 1
    assert "NOT ungrindable" in capsys.readouterr().err
