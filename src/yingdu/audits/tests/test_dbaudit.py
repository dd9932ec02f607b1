"""The database audit: a clean database reports nothing; the log's own tables (entries, stored hashes, head,
checkpoints) are checked against each other; the command's exit status; the daily task's alert."""

import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.audits.dbaudit import db_audit, db_audit_daily, run_db_audit
from yingdu.audits.projections import DELETED, EDITED, INSERTED
from yingdu.periodic import periodic_tasks
from yingdu.testing.events import sample_entry
from yingdu.testing.factories import make_user
from yingdu.tlog import Checkpoint, sign_note, stored_hash_index
from yingdu.transparency.keys import log_origin, signing_key
from yingdu.transparency.models import LogEntry, LogHead, SignedCheckpoint, StoredHash
from yingdu.transparency.services import log_append

from .dbaudit_support import build_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return build_programme(works=2, extra_usage=5)


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _found(report, table: str, kind: str, row=None):
    return [m for m in report.mismatches if m.table == table and m.kind == kind and (row is None or m.row == row)]


def test_a_clean_database_reports_nothing(programme):
    report = db_audit()
    assert report.ok, report.summary()
    assert report.checkpoint_size == report.tree_size == LogHead.objects.get().tree_size
    for table in ("metering_usagerecord", "applications_application", "applications_applicationtransition",
                  "vouchers_voucher", "vouchers_transfer", "vouchers_redemption", "vouchers_account",
                  "enterprises_enterprise", "enterprises_enterprisestatechange"):
        assert report.rows_checked[table] > 0, table
    assert "result: OK" in report.summary()


def test_a_freshly_migrated_database_is_clean(db):
    report = db_audit()
    assert report.ok and report.entries_read == report.tree_size == LogHead.objects.get().tree_size


def test_an_edited_log_entry_is_reported_with_its_index(programme):
    entry = LogEntry.objects.filter(event_type="vouchers.transfer").first()
    _sql("UPDATE transparency_logentry SET entry = %s WHERE " + connection.ops.quote_name("index") + " = %s",
         [bytes(entry.entry).replace(b'"amount_fen":', b'"amount_fen":1'), entry.index])
    report = db_audit()
    [edited] = _found(report, "transparency_logentry", EDITED, entry.index)
    assert edited.fields == ("entry",) and edited.log_index == entry.index
    # the stored tree above the entry is not blamed for it
    assert not _found(report, "transparency_storedhash", EDITED)


def test_an_entry_edited_with_its_leaf_hash_column_is_caught_by_the_stored_tree(programme):
    entry = LogEntry.objects.filter(event_type="applications.approve").first()
    forged = bytes(entry.entry).replace(b'"approved_amount_fen":', b'"approved_amount_fen":9')
    assert forged != bytes(entry.entry)
    _sql("UPDATE transparency_logentry SET entry = %s, leaf_hash = %s WHERE "
         + connection.ops.quote_name("index") + " = %s", [forged, hashlib.sha256(b"\x00" + forged).digest(),
                                                          entry.index])
    report = db_audit()
    assert [m.log_index for m in _found(report, "transparency_storedhash", EDITED)] == [entry.index]


def test_a_deleted_log_entry_is_reported(programme):
    index = LogEntry.objects.filter(event_type="metering.usage_accepted").first().index
    _sql("DELETE FROM transparency_logentry WHERE " + connection.ops.quote_name("index") + " = %s", [index])
    report = db_audit()
    assert _found(report, "transparency_logentry", DELETED, index)
    # its usage record now has no entry
    assert _found(report, "metering_usagerecord", INSERTED)


def test_an_entry_beyond_the_head_is_reported_as_inserted(programme):
    head = LogHead.objects.get()
    entry = LogEntry.objects.first()
    _sql("INSERT INTO transparency_logentry (" + connection.ops.quote_name("index")
         + ", event_type, entry, leaf_hash) VALUES (%s, %s, %s, %s)",
         [head.tree_size, entry.event_type, bytes(entry.entry), bytes(entry.leaf_hash)])
    assert _found(db_audit(), "transparency_logentry", INSERTED, head.tree_size)


def test_a_deleted_stored_hash_is_reported(programme):
    position = stored_hash_index(level=1, index=3)
    StoredHash.objects.filter(index=position).delete()
    report = db_audit()
    assert _found(report, "transparency_storedhash", DELETED, position)
    assert not _found(report, "transparency_storedhash", EDITED)


def test_an_edited_internal_stored_hash_is_reported_alone(programme):
    position = stored_hash_index(level=2, index=1)
    StoredHash.objects.filter(index=position).update(hash=b"\x07" * 32)
    report = db_audit()
    assert [m.row for m in report.mismatches if m.table == "transparency_storedhash"] == [position]


def test_a_checkpoint_whose_note_was_edited_is_reported(programme):
    latest = SignedCheckpoint.objects.order_by("-tree_size").first()
    SignedCheckpoint.objects.filter(pk=latest.pk).update(note=latest.note.replace("\n", "\n ", 1))
    [problem] = _found(db_audit(), "transparency_signedcheckpoint", EDITED, latest.tree_size)
    assert "signature" in problem.detail


def test_a_validly_signed_checkpoint_of_another_tree_is_reported(programme):
    latest = SignedCheckpoint.objects.order_by("-tree_size").first()
    size = latest.tree_size - 1
    replaced = SignedCheckpoint.objects.filter(tree_size=size).first()
    sequence = replaced.sequence if replaced else latest.sequence + 1
    SignedCheckpoint.objects.filter(tree_size=size).delete()
    wrong_root = b"\x42" * 32
    note = sign_note(text=Checkpoint(origin=log_origin(), tree_size=size, root_hash=wrong_root).format(),
                     signer_keys=[signing_key()])
    SignedCheckpoint.objects.create(tree_size=size, root_hash=wrong_root, note=note, signed_at=timezone.now(),
                                    sequence=sequence)
    [problem] = _found(db_audit(), "transparency_signedcheckpoint", EDITED, size)
    assert "not consistent" in problem.detail


def test_a_latest_checkpoint_that_is_not_the_logs_root_is_reported(programme):
    size = LogHead.objects.get().tree_size
    sequence = SignedCheckpoint.objects.get(tree_size=size).sequence
    SignedCheckpoint.objects.filter(tree_size=size).delete()
    note = sign_note(text=Checkpoint(origin=log_origin(), tree_size=size, root_hash=b"\x42" * 32).format(),
                     signer_keys=[signing_key()])
    SignedCheckpoint.objects.create(tree_size=size, root_hash=b"\x42" * 32, note=note, signed_at=timezone.now(),
                                    sequence=sequence)
    assert _found(db_audit(), "transparency_signedcheckpoint", EDITED, size)


def test_an_edited_log_head_is_reported(programme):
    LogHead.objects.update(root_hash=b"\x00" * 32)
    assert _found(db_audit(), "transparency_loghead", EDITED, 1)


def test_entries_after_the_latest_checkpoint_are_audited_too(programme):
    log_append(events=[sample_entry(1)], now=timezone.now())
    report = db_audit()
    assert report.ok and report.tree_size == report.checkpoint_size + 1


def test_the_command_exits_zero_when_clean_and_one_on_a_mismatch(programme):
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", "db", stdout=out, stderr=err)
    assert "result: OK" in out.getvalue()
    assert "entries (100%)" in err.getvalue()
    voucher = programme.vouchers[0]
    _sql("UPDATE vouchers_voucher SET amount_fen = amount_fen + 100 WHERE id = %s", [voucher.pk])
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("audit", "db", "--no-progress", stdout=out, stderr=io.StringIO())
    assert failed.value.returncode == 1
    assert f"vouchers_voucher row={voucher.pk} edited fields=amount_fen" in out.getvalue()
    assert "result: FAILED, 1 mismatches" in out.getvalue()


def test_run_db_audit_returns_the_report(programme):
    out, err = io.StringIO(), io.StringIO()
    report = run_db_audit(stdout=out, stderr=err, progress=False)
    assert report.ok and err.getvalue() == "" and "result: OK" in out.getvalue()


def test_the_daily_task_emails_the_admins_only_on_a_mismatch(programme):
    admin = make_user(email="admin@example.com", roles=(Role.ADMIN,))
    make_user(email="finance@example.com", roles=(Role.FINANCE,))
    assert db_audit_daily.call()["mismatches"] == 0 and mail.outbox == []
    # the code that authorised a redemption is the one row nothing else refers to
    _sql("DELETE FROM vouchers_redemptioncode WHERE redemption_id = %s",
         [programme.vouchers[0].redemptions.first().pk])
    outcome = db_audit_daily.call()
    assert outcome["mismatches"] >= 1 and outcome["alerted"] == 1
    [message] = mail.outbox
    assert message.to == [admin.email] and "vouchers_redemptioncode" in message.body
    import yingdu.audits.tasks  # noqa: F401  (what `yingdu worker` imports to register periodic tasks)

    assert "yingdu.audits.dbaudit.db_audit_daily" in {p.name for p in periodic_tasks()}


def test_yingdu_audit_db_exit_status_from_the_shell(tmp_path):
    """The real CLI, on a migrated SQLite file: exit 0 when clean, non-zero after a row is edited behind its back."""
    if connection.vendor != "sqlite":
        pytest.skip("runs the CLI on its own SQLite file")
    database = tmp_path / "audit.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "yingdu.settings"}
    root = Path(__file__).resolve().parents[4]
    run = [sys.executable, "-m", "yingdu.cli"]
    subprocess.run([*run, "migrate", "--verbosity", "0"], env=env, cwd=root, check=True)
    clean = subprocess.run([*run, "audit", "db"], env=env, cwd=root, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    import sqlite3

    with sqlite3.connect(database) as raw:
        raw.execute("UPDATE transparency_loghead SET tree_size = tree_size + 1")
    tampered = subprocess.run([*run, "audit", "db"], env=env, cwd=root, capture_output=True, text=True)
    assert tampered.returncode == 1 and "result: FAILED" in tampered.stdout
