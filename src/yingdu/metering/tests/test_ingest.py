import base64
import json

import pytest
from django.test import Client
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.metering.models import RecordStatus, UsageRecord
from yingdu.metering.selectors import work_verified_cost_microfen
from yingdu.metering.services import api_key_revoke, signing_key_revoke
from yingdu.push import signed_batch
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import (
    make_enterprise,
    make_metering_provider,
    make_staff,
    make_work,
    usage_record,
)
from yingdu.tlog import leaf_hash, verify_inclusion
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer)
    work = make_work(enterprise, tag="drama-01")
    meter = make_metering_provider()
    return enterprise, work, meter


def push(meter, records, *, per_record=False, api_key=None, private_key=None, body=None):
    body = body or signed_batch(records, private_key or meter.private_key, per_record=per_record)
    return Client().post("/api/v1/usage-records", data=json.dumps(body), content_type="application/json",
                         HTTP_X_API_KEY=api_key or meter.api_key)


def test_a_signed_batch_is_accepted_priced_logged_and_receipted(setup):
    enterprise, work, meter = setup
    records = [usage_record(enterprise.uscc, "drama-01", quantity=q) for q in ("2.5", "0.000001", "10")]
    response = push(meter, records)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["duplicate"], body["conflict"], body["invalid"]) == (3, 0, 0, 0)
    stored = {r.record_id: r for r in UsageRecord.objects.all()}
    assert stored[records[0]["record_id"]].cost_microfen == 2_500_000 * meter.price_fen
    assert stored[records[1]["record_id"]].cost_microfen == 1 * meter.price_fen
    assert all(r.work_id == work.pk and r.status == RecordStatus.ACCEPTED for r in stored.values())
    for result in body["results"]:
        entry = LogEntry.objects.get(index=result["leaf_index"])
        assert base64.b64encode(bytes(entry.leaf_hash)).decode() == result["leaf_hash"]
        assert entry.event_type == "metering.usage_accepted"
    # 2.5 + 0.000001 + 10 = 12.500001 card-hours at the price: exact, rounded only when a subsidy is computed
    assert work_verified_cost_microfen(work) == 12_500_001 * meter.price_fen


def test_a_record_keeps_its_proof_of_origin_from_the_batch_signature(setup):
    enterprise, _work, meter = setup
    records = [usage_record(enterprise.uscc, "drama-01") for _ in range(5)]
    push(meter, records)
    stored = UsageRecord.objects.get(record_id=records[3]["record_id"])
    from yingdu.push import BATCH_PREFIX, canonical
    path = bytes(stored.batch_path)
    proof = [path[i:i + 32] for i in range(0, len(path), 32)]
    verify_inclusion(leaf_hash=leaf_hash(canonical(records[3])), leaf_index=stored.batch_index,
                     tree_size=stored.batch_size, proof=proof, root_hash=bytes(stored.batch_root))
    meter.private_key.public_key().verify(bytes(stored.signature), BATCH_PREFIX + bytes(stored.batch_root))


def test_the_same_batch_twice_gives_the_same_receipts_and_no_new_entries(setup):
    enterprise, _work, meter = setup
    records = [usage_record(enterprise.uscc, "drama-01") for _ in range(4)]
    first = push(meter, records).json()
    entries = LogEntry.objects.count()
    second = push(meter, records).json()
    assert second["duplicate"] == 4 and second["accepted"] == 0
    assert [(r["leaf_index"], r["leaf_hash"]) for r in second["results"]] == [
        (r["leaf_index"], r["leaf_hash"]) for r in first["results"]]
    assert LogEntry.objects.count() == entries
    assert UsageRecord.objects.count() == 4


def test_one_changed_field_under_the_same_id_is_a_conflict_and_changes_nothing(setup):
    enterprise, _work, meter = setup
    original = usage_record(enterprise.uscc, "drama-01", record_id="job-1", quantity="3")
    push(meter, [original])
    entries = LogEntry.objects.count()
    changed = {**original, "quantity": "30"}
    body = push(meter, [changed]).json()
    assert body["conflict"] == 1 and body["results"][0]["code"] == "record_id_conflict"
    assert UsageRecord.objects.get(record_id="job-1").quantity == 3
    assert LogEntry.objects.count() == entries


def test_one_bad_record_among_999_good_ones(setup):
    enterprise, _work, meter = setup
    records = [usage_record(enterprise.uscc, "drama-01") for _ in range(1000)]
    records[417]["quantity"] = "-1"
    body = push(meter, records).json()
    assert body["accepted"] == 999 and body["invalid"] == 1
    bad = body["results"][417]
    assert bad["status"] == "invalid" and bad["code"] == "quantity_not_positive" and "quantity" in bad["message"]
    assert UsageRecord.objects.count() == 999
    assert not UsageRecord.objects.filter(record_id=records[417]["record_id"]).exists()


@pytest.mark.parametrize(("change", "code"), [
    ({"sku": "no-such-sku"}, "sku_unknown"),
    ({"started_at": "2026-11-20T12:00:00+08:00"}, "time_order"),
    ({"quantity": "0"}, "quantity_not_positive"),
    ({"quantity": "1.1234567"}, "quantity_invalid"),
    ({"ended_at": "2099-01-01T00:00:00+08:00"}, "time_in_future"),
    ({"started_at": "2026-11-20 09:00:00"}, "time_invalid"),
    ({"started_at": "2019-06-01T00:00:00+08:00"}, "price_not_in_force"),
    ({"enterprise_uscc": "91110000600037341M"}, "uscc_invalid"),
    ({"surprise": "x"}, "record_field_unknown"),
    ({"corrects": "never-sent"}, "correction_target_unknown"),
])
def test_invalid_records_are_refused_with_a_stable_code(setup, change, code):
    enterprise, _work, meter = setup
    body = push(meter, [{**usage_record(enterprise.uscc, "drama-01"), **change}]).json()
    assert body["invalid"] == 1 and body["results"][0]["code"] == code
    assert UsageRecord.objects.count() == 0


def test_unknown_enterprise_or_work_is_quarantined_not_dropped(setup):
    enterprise, _work, meter = setup
    from yingdu.testing.factories import unique_uscc
    records = [usage_record(enterprise.uscc, "not-declared-yet"), usage_record(unique_uscc(), "drama-01")]
    body = push(meter, records).json()
    assert body["accepted"] == 2
    assert [r["quarantine"] for r in body["results"]] == ["work_unknown", "enterprise_unknown"]
    assert UsageRecord.objects.filter(status=RecordStatus.QUARANTINED).count() == 2
    assert LogEntry.objects.filter(event_type="metering.usage_quarantined").count() == 2


def test_per_record_signatures_work_and_an_altered_quantity_is_refused(setup):
    enterprise, _work, meter = setup
    records = [usage_record(enterprise.uscc, "drama-01") for _ in range(3)]
    body = signed_batch(records, meter.private_key, per_record=True)
    body["records"][1]["quantity"] = "999"
    answer = push(meter, None, body=body).json()
    assert [r["status"] for r in answer["results"]] == ["accepted", "invalid", "accepted"]
    assert answer["results"][1]["code"] == "signature_invalid"


def test_an_altered_record_breaks_the_batch_signature_and_nothing_is_stored(setup):
    enterprise, _work, meter = setup
    records = [usage_record(enterprise.uscc, "drama-01") for _ in range(3)]
    body = signed_batch(records, meter.private_key)
    body["records"][2]["quantity"] = "250"
    response = push(meter, None, body=body)
    assert response.status_code == 400 and response.json()["code"] == "batch_signature_invalid"
    assert UsageRecord.objects.count() == 0


def test_a_key_of_another_provider_or_a_revoked_key_is_refused(setup):
    enterprise, _work, meter = setup
    other = make_metering_provider()
    records = [usage_record(enterprise.uscc, "drama-01")]
    response = push(meter, records, private_key=other.private_key)
    assert response.json()["code"] == "signing_key_unknown"
    signing_key_revoke(key=meter.signing_key, actor=meter.operator, now=timezone.now())
    response = push(meter, records)
    assert response.json()["code"] == "signing_key_not_valid"
    assert UsageRecord.objects.count() == 0


def test_revoked_or_wrong_api_keys_are_refused(setup):
    enterprise, _work, meter = setup
    records = [usage_record(enterprise.uscc, "drama-01")]
    assert push(meter, records, api_key=meter.api_key[:-2] + "xx").status_code == 401
    key = meter.provider.api_keys.get()
    api_key_revoke(key=key, actor=meter.operator, now=timezone.now())
    response = push(meter, records)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_providers_read_only_their_own_records(setup):
    enterprise, _work, meter = setup
    other = make_metering_provider()
    push(meter, [usage_record(enterprise.uscc, "drama-01", record_id="mine")])
    push(other, [usage_record(enterprise.uscc, "drama-01", record_id="theirs")])
    mine = Client().get("/api/v1/usage-records", HTTP_X_API_KEY=meter.api_key).json()
    assert [r["record_id"] for r in mine] == ["mine"]
    operator_view = client_for(other.operator).get("/api/v1/usage-records").json()
    assert [r["record_id"] for r in operator_view] == ["theirs"]


def test_an_enterprise_sees_only_its_own_usage(setup):
    enterprise, _work, meter = setup
    reviewer = verified(make_staff(Role.REVIEWER))
    other = make_enterprise(verified_by=reviewer)
    make_work(other, tag="other-tag")
    push(meter, [usage_record(enterprise.uscc, "drama-01", record_id="a"),
                 usage_record(other.uscc, "other-tag", record_id="b")])
    seen = client_for(enterprise.registered_by).get("/api/v1/usage-records").json()
    assert [r["record_id"] for r in seen] == ["a"]


def test_a_correction_is_a_new_record_that_references_the_original(setup):
    enterprise, work, meter = setup
    push(meter, [usage_record(enterprise.uscc, "drama-01", record_id="orig", quantity="4")])
    body = push(meter, [usage_record(enterprise.uscc, "drama-01", record_id="fix-1", quantity="-1.5",
                                     corrects="orig")]).json()
    assert body["accepted"] == 1
    fix = UsageRecord.objects.get(record_id="fix-1")
    assert fix.corrects.record_id == "orig" and fix.cost_microfen == -1_500_000 * meter.price_fen
    assert UsageRecord.objects.get(record_id="orig").quantity == 4
    assert work_verified_cost_microfen(work) == 2_500_000 * meter.price_fen


def test_ndjson_streaming_body_is_accepted(setup):
    enterprise, _work, meter = setup
    records = [usage_record(enterprise.uscc, "drama-01") for _ in range(3)]
    body = signed_batch(records, meter.private_key)
    header = {"key_id": body["key_id"], "batch_signature": body["batch_signature"]}
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in [header, *records]) + "\n"
    response = Client().post("/api/v1/usage-records", data=text, content_type="application/x-ndjson",
                             HTTP_X_API_KEY=meter.api_key)
    assert response.json()["accepted"] == 3


def test_the_ingest_answer_matches_its_published_schema(setup):
    from yingdu.metering.api import IngestOut
    enterprise, _work, meter = setup
    records = [usage_record(enterprise.uscc, "drama-01"), usage_record(enterprise.uscc, "no-work"),
               {**usage_record(enterprise.uscc, "drama-01"), "quantity": "-2"}]
    push(meter, records[:1])
    body = push(meter, records).json()
    parsed = IngestOut.model_validate(body)
    assert [r.status for r in parsed.results] == ["duplicate", "accepted", "invalid"]
    assert parsed.results[1].quarantine == "work_unknown"
    assert set(body) == set(IngestOut.model_fields)


@pytest.mark.parametrize("query", ["offset=-5", "limit=0", "limit=5000", "offset=x"])
def test_out_of_range_paging_is_a_400_not_a_server_error(setup, query):
    _enterprise, _work, meter = setup
    response = Client().get(f"/api/v1/usage-records?{query}", HTTP_X_API_KEY=meter.api_key)
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"


def test_the_documented_result_schema_matches_the_results_returned():
    """The ingest handler returns RecordResult.as_dict() unvalidated; RecordResultOut only documents it."""
    import dataclasses

    from yingdu.metering.api import RecordResultOut
    from yingdu.metering.ingest import RecordResult

    assert list(RecordResultOut.model_fields) == [field.name for field in dataclasses.fields(RecordResult)]


def test_the_ingest_api_version_is_declared_by_the_client_and_answered(setup):
    enterprise, _work, meter = setup
    body = json.dumps(signed_batch([usage_record(enterprise.uscc, "drama-01")], meter.private_key))
    spoken = Client().post("/api/v1/usage-records", data=body, content_type="application/json",
                           HTTP_X_API_KEY=meter.api_key, HTTP_X_YINGDU_INGEST_API="1")
    assert spoken.status_code == 200 and spoken["X-Yingdu-Ingest-API"] == "1"
    assert spoken.json()["accepted"] == 1
    unknown = Client().post("/api/v1/usage-records", data=body, content_type="application/json",
                            HTTP_X_API_KEY=meter.api_key, HTTP_X_YINGDU_INGEST_API="2")
    assert unknown.status_code == 400 and unknown.json()["code"] == "ingest_api_unsupported"
    assert UsageRecord.objects.count() == 1
