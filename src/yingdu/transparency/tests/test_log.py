import base64
import json

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.errors import DomainError
from yingdu.testing.clients import verified
from yingdu.testing.events import TEST_ENTRY_AT, sample_entries, sample_entry
from yingdu.testing.factories import make_enterprise, make_staff
from yingdu.tlog import (
    Checkpoint,
    leaf_hash,
    root_hash,
    stored_hash_count,
    stored_hash_index,
    verify_consistency,
    verify_inclusion,
    verify_note,
    verify_receipt,
)
from yingdu.transparency import selectors
from yingdu.transparency.keys import verifier_keys
from yingdu.transparency.models import LogEntry, LogHead, StoredHash
from yingdu.transparency.services import (
    LogInconsistent,
    canonical_entry,
    checkpoint_sign,
    log_append,
    log_append_prepared,
    log_entries_prepare,
    log_lock,
)
from yingdu.transparency.tasks import checkpoint_sign_when_grown

pytestmark = pytest.mark.django_db


def append(count: int, start: int = 0):
    return log_append(events=sample_entries(count, start=start), now=timezone.now())


def all_leaf_hashes() -> list[bytes]:
    return [bytes(h) for h in LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)]


def test_appends_store_exact_canonical_bytes_consecutive_indexes_and_the_right_root():
    append(5)
    appended = append(6, start=5)
    assert [a.index for a in appended] == list(range(5, 11))
    entries = list(LogEntry.objects.order_by("index"))
    assert [e.index for e in entries] == list(range(11))
    assert bytes(entries[7].entry) == canonical_entry(sample_entry(7))
    assert bytes(entries[7].entry) == b'{"at":"2026-01-05T02:00:00.000000Z","group":0,"n":7,"type":"testing.entry","v":1}'
    head = LogHead.objects.get()
    assert head.tree_size == 11
    assert bytes(head.root_hash) == root_hash(all_leaf_hashes())
    assert StoredHash.objects.count() == stored_hash_count(tree_size=11)


@pytest.mark.parametrize("bad", [
    {"type": "nodot", "v": 1},
    {"type": "testing.undeclared", "v": 1, "at": "2026-01-05T02:00:00.000000Z"},
    {**sample_entry(1), "extra": 1},
    {key: value for key, value in sample_entry(1).items() if key != "n"},
    {**sample_entry(1), "n": "1"},
    {**sample_entry(1), "at": "2026-01-05 02:00"},
    {**sample_entry(1), "v": 2},
], ids=["no-namespace", "undeclared-type", "undeclared-field", "missing-field", "wrong-kind", "bad-time",
        "unknown-version"])
def test_an_event_that_does_not_match_its_declaration_is_refused_and_nothing_is_appended(bad):
    with pytest.raises(DomainError) as caught:
        log_append(events=[sample_entry(0), bad], now=timezone.now())
    assert caught.value.code == "log_event_invalid"
    assert LogEntry.objects.count() == 0


def test_entries_roll_back_with_the_domain_write_that_caused_them():
    append(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        append(4, start=3)
        raise RuntimeError("the domain write failed after appending")
    assert LogEntry.objects.count() == 3
    assert LogHead.objects.get().tree_size == 3
    assert StoredHash.objects.count() == stored_hash_count(tree_size=3)


def test_enterprise_writes_are_log_entries_without_personal_data():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer, legal_representative="欧阳娜娜", contact_phone="13912345678")
    types = list(LogEntry.objects.filter(event_type__startswith="enterprises.").order_by("index")
                 .values_list("event_type", flat=True))
    assert types == ["enterprises.register", "enterprises.verify"]
    raw = b"".join(bytes(e) for e in LogEntry.objects.values_list("entry", flat=True))
    assert "欧阳娜娜".encode() not in raw and b"13912345678" not in raw
    registered = json.loads(LogEntry.objects.get(event_type="enterprises.register").entry)
    assert registered["uscc"] == enterprise.uscc and registered["state"] == "pending"
    assert len(registered["personal_commitment"]) == 64


def test_signed_checkpoint_verifies_with_the_published_key_and_stays_consistent():
    append(7)
    first = checkpoint_sign(now=timezone.now())
    checkpoint = verify_note(first.note, verifier_keys=verifier_keys())
    assert checkpoint.tree_size == 7 and checkpoint.root_hash == root_hash(all_leaf_hashes())
    append(10, start=7)
    second = checkpoint_sign(now=timezone.now())
    assert second.tree_size == 17
    proof = selectors.consistency_proof(old_size=7, new_size=17)
    verify_consistency(old_size=7, new_size=17, proof=proof, old_root=bytes(first.root_hash),
                       new_root=bytes(second.root_hash))
    assert checkpoint_sign(now=timezone.now()).pk == second.pk


def test_signing_is_refused_when_a_stored_hash_was_altered():
    append(8)
    checkpoint_sign(now=timezone.now())
    append(3, start=8)
    # The hash of the first eight leaves: the new root and the consistency proof both rest on it.
    row = StoredHash.objects.get(index=stored_hash_index(level=3, index=0))
    row.hash = bytes(32)
    row.save()
    with pytest.raises(LogInconsistent):
        checkpoint_sign(now=timezone.now())


def test_signing_is_refused_when_history_was_rewritten_behind_the_head():
    append(4)
    checkpoint_sign(now=timezone.now())
    # Rebuild the whole tree from different entries: internally consistent, but not an extension of the last checkpoint.
    LogEntry.objects.all().delete()
    StoredHash.objects.all().delete()
    LogHead.objects.update(tree_size=0, root_hash=root_hash([]))
    append(6, start=100)
    with pytest.raises(LogInconsistent):
        checkpoint_sign(now=timezone.now())


def test_proofs_are_only_served_up_to_the_signed_size():
    append(5)
    checkpoint_sign(now=timezone.now())
    append(5, start=5)
    with pytest.raises(DomainError) as caught:
        selectors.inclusion_proof(leaf_index=7, tree_size=10)
    assert caught.value.code == "log_range_invalid"
    assert len(selectors.inclusion_proof(leaf_index=3, tree_size=5)) == 3


class TestPublicApi:
    def test_checkpoint_is_the_signed_note_the_worker_signed_and_says_how_far_behind_it_is(self):
        append(9)
        assert Client().get("/api/v1/log/checkpoint").json()["code"] == "log_no_checkpoint"  # the worker has not run
        checkpoint_sign_when_grown.call()
        response = Client().get("/api/v1/log/checkpoint")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
        checkpoint = verify_note(response.content.decode(), verifier_keys=verifier_keys())
        assert checkpoint.tree_size == 9 and response["X-Log-Entries-Behind"] == "0"
        append(4, start=9)
        response = Client().get("/api/v1/log/checkpoint")
        assert verify_note(response.content.decode(), verifier_keys=verifier_keys()).tree_size == 9
        assert response["X-Log-Entries-Behind"] == "4"
        checkpoint_sign_when_grown.call()
        assert verify_note(Client().get("/api/v1/log/checkpoint").content.decode(),
                           verifier_keys=verifier_keys()).tree_size == 13

    def test_entries_page_and_continue(self, settings):
        append(1205)
        client = Client()
        first = client.get("/api/v1/log/entries?start=0").json()
        assert len(first["entries"]) == 1000 and first["next"] == 1000
        rest = client.get("/api/v1/log/entries?start=1000").json()
        assert [e["index"] for e in rest["entries"]] == list(range(1000, 1205)) and rest["next"] is None
        entry = base64.b64decode(rest["entries"][0]["entry"])
        assert leaf_hash(entry) == base64.b64decode(rest["entries"][0]["leaf_hash"])

    def test_inclusion_and_consistency_proofs_verify_against_signed_roots(self):
        client = Client()
        append(6)
        checkpoint_sign_when_grown.call()
        old = verify_note(client.get("/api/v1/log/checkpoint").content.decode(), verifier_keys=verifier_keys())
        append(15, start=6)
        checkpoint_sign_when_grown.call()
        new = verify_note(client.get("/api/v1/log/checkpoint").content.decode(), verifier_keys=verifier_keys())
        body = client.get(f"/api/v1/log/proof/inclusion?leaf_index=4&tree_size={new.tree_size}").json()
        verify_inclusion(leaf_hash=all_leaf_hashes()[4], leaf_index=4, tree_size=new.tree_size,
                         proof=[base64.b64decode(h) for h in body["proof"]], root_hash=new.root_hash)
        body = client.get(f"/api/v1/log/proof/consistency?old_size={old.tree_size}&new_size={new.tree_size}").json()
        verify_consistency(old_size=old.tree_size, new_size=new.tree_size,
                           proof=[base64.b64decode(h) for h in body["proof"]], old_root=old.root_hash,
                           new_root=new.root_hash)

    def test_receipt_verifies_offline_for_its_entry_only(self):
        append(12)
        assert Client().get("/api/v1/log/receipts/5").json()["code"] == "log_entry_not_covered"  # not signed yet
        checkpoint_sign_when_grown.call()
        receipt = Client().get("/api/v1/log/receipts/5").content.decode()
        entry = bytes(LogEntry.objects.get(index=5).entry)
        verified_receipt = verify_receipt(receipt, entry=entry, verifier_keys=verifier_keys())
        assert verified_receipt.leaf_index == 5
        from yingdu.tlog import NoteError, ProofError, ReceiptError
        with pytest.raises((ReceiptError, ProofError, NoteError)):
            verify_receipt(receipt, entry=bytes(LogEntry.objects.get(index=6).entry), verifier_keys=verifier_keys())

    def test_out_of_range_requests_get_stable_codes(self):
        append(3)
        client = Client()
        checkpoint_sign_when_grown.call()
        response = client.get("/api/v1/log/proof/inclusion?leaf_index=5&tree_size=3")
        assert response.status_code == 400 and response.json()["code"] == "log_range_invalid"
        response = client.get("/api/v1/log/proof/consistency?old_size=4&new_size=3")
        assert response.json()["code"] == "log_range_invalid"
        assert client.get("/api/v1/log/receipts/99").json()["code"] == "log_entry_not_covered"
        assert client.get("/api/v1/log/proof/inclusion?leaf_index=x&tree_size=3").json()["code"] == "invalid_request"

    def test_transparency_page_shows_checkpoint_key_and_counts(self):
        make_enterprise()
        body = Client().get("/transparency/").content.decode()
        assert 'data-testid="no-checkpoint"' in body  # before the worker's first checkpoint
        checkpoint_sign_when_grown.call()
        body = Client().get("/transparency/").content.decode()
        assert "防篡改日志" in body and "enterprises.register" in body
        assert "无：检查点覆盖全部条目" in body
        assert verifier_keys()[0].format() in body
        assert Checkpoint.parse  # the page's note is checked by the e2e verifier test


def test_the_public_counts_by_type_count_only_what_was_appended_since_the_last_view():
    from collections import Counter
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    moment = datetime(2026, 11, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))

    def recount(size: int) -> list[tuple[str, int]]:
        return sorted(Counter(LogEntry.objects.filter(index__lt=size).values_list("event_type", flat=True)).items())

    make_enterprise(verified_by=verified(make_staff(Role.REVIEWER)))  # entries of several types
    first = LogHead.objects.get().tree_size
    assert selectors.entry_counts_at(first) == recount(first)
    log_append(events=sample_entries(3, start=0), now=moment)
    second = LogHead.objects.get().tree_size
    with CaptureQueriesContext(connection) as queries:
        counts = selectors.entry_counts_at(second)
    assert counts == recount(second) and dict(counts)["testing.entry"] == 3
    [counting] = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    assert f">= {first}" in counting  # only the entries appended since the size counted before
    assert selectors.entry_counts_at(first) == recount(first)  # an earlier size is counted from the start
    checkpoint_sign(now=moment)
    page = Client().get("/transparency/").content.decode()
    assert f"前 {second} 个条目" in page and "testing.entry" in page


def test_the_public_reads_of_the_log_write_nothing():
    """GETs serve the worker's latest checkpoint: with entries unsigned, no row is written and no write is issued."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yingdu.transparency.models import SignedCheckpoint

    moment = datetime(2026, 11, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    log_append(events=sample_entries(5, start=0), now=moment)
    signed = checkpoint_sign(now=moment)
    log_append(events=sample_entries(3, start=5), now=moment)
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/transparency/")
        note = client.get("/api/v1/log/checkpoint")
        receipt = client.get("/api/v1/log/receipts/1")
        beyond = client.get(f"/api/v1/log/receipts/{signed.tree_size + 1}")
    assert page.status_code == note.status_code == receipt.status_code == 200
    assert beyond.json()["code"] == "log_entry_not_covered"
    writes = [query["sql"] for query in queries
              if query["sql"].lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert list(SignedCheckpoint.objects.values_list("tree_size", flat=True)) == [signed.tree_size]
    body = page.content.decode()
    assert f'data-testid="tree-size">{signed.tree_size}<' in body and "3 个条目尚未签名" in body
    assert note["X-Log-Entries-Behind"] == "3"


def test_an_append_under_the_callers_lock_continues_the_log_and_rolls_back_with_the_callers_transaction():
    """log_append_prepared(head=…) (the ingestion's path: the caller took the sequencer lock) appends where the head
    is, inside the caller's transaction: a failure after it undoes the caller's whole transaction, entries too."""
    log_append(events=sample_entries(3), now=TEST_ENTRY_AT)
    with transaction.atomic():
        appended = log_append_prepared(entries=log_entries_prepare(sample_entries(2, start=3)), now=TEST_ENTRY_AT,
                                       head=log_lock())
    assert [a.index for a in appended] == [3, 4]
    assert root_hash(all_leaf_hashes()) == bytes(LogHead.objects.get(pk=1).root_hash)
    with pytest.raises(RuntimeError, match="caller"), transaction.atomic():
        log_append_prepared(entries=log_entries_prepare(sample_entries(2, start=5)), now=TEST_ENTRY_AT,
                            head=log_lock())
        raise RuntimeError("the caller fails after the append")
    assert LogEntry.objects.count() == 5 and LogHead.objects.get(pk=1).tree_size == 5


@pytest.mark.django_db(transaction=True)
def test_an_append_with_a_head_outside_the_transaction_that_locked_it_is_refused():
    head = LogHead.objects.get(pk=1)
    with pytest.raises(RuntimeError, match="outside the transaction"):
        log_append_prepared(entries=log_entries_prepare(sample_entries(1)), now=TEST_ENTRY_AT, head=head)
    assert not LogEntry.objects.exists()
