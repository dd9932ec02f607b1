"""The outside auditor's view: yingdu-verify against a running server, before and after a hand edit."""

import subprocess
import sys

import pytest
from django.db import connection
from django.utils import timezone

from yingdu.testing.events import sample_entries, sample_entry
from yingdu.transparency.keys import verifier_keys
from yingdu.transparency.services import canonical_entry, log_append
from yingdu.transparency.tasks import checkpoint_sign_when_grown

pytestmark = pytest.mark.django_db(transaction=True)


def run_verifier(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yingdu.tlog.cli", *arguments], capture_output=True, text=True,
                          timeout=60)


def test_verifier_passes_on_the_live_log_and_fails_after_an_entry_is_edited_by_hand(live_server, tmp_path):
    log_append(events=sample_entries(40), now=timezone.now())
    checkpoint_sign_when_grown.call()  # as the worker does about a second after the log grows
    key = verifier_keys()[0].format()
    state = tmp_path / "state.json"

    first = run_verifier("log", "--url", live_server.url, "--key", key, "--state", str(state), "--full")
    assert first.returncode == 0, first.stdout + first.stderr

    log_append(events=sample_entries(5, start=40), now=timezone.now())
    checkpoint_sign_when_grown.call()
    grown = run_verifier("log", "--url", live_server.url, "--key", key, "--state", str(state))
    assert grown.returncode == 0, grown.stdout + grown.stderr

    with connection.cursor() as cursor:
        cursor.execute("UPDATE transparency_logentry SET entry = %s WHERE index = %s"
                       if connection.vendor == "postgresql" else
                       'UPDATE transparency_logentry SET entry = %s WHERE "index" = %s',
                       [canonical_entry(sample_entry(999)), 7])
    tampered = run_verifier("log", "--url", live_server.url, "--key", key, "--full")
    assert tampered.returncode == 1
    assert "root hash" in (tampered.stdout + tampered.stderr)


def test_verifier_refuses_a_checkpoint_signed_by_an_unknown_key(live_server):
    from yingdu.tlog import SignerKey
    log_append(events=[sample_entry(1)], now=timezone.now())
    checkpoint_sign_when_grown.call()
    stranger = SignerKey.generate(name="someone-else/log").verifier_key.format()
    result = run_verifier("log", "--url", live_server.url, "--key", stranger)
    assert result.returncode == 1
