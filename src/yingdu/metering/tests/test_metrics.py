"""/metrics: Prometheus text format, counters kept in the database, staff or local access only."""

import re

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.metering.ingest import BatchRefused, usage_batch_ingest
from yingdu.metering.metrics import CONTENT_TYPE, MetricFamily, exposition
from yingdu.push import signed_batch
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_work, usage_record

pytestmark = pytest.mark.django_db
REMOTE = "203.0.113.7"
SAMPLE_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? -?\d+$')


def samples(text: str) -> dict[str, int]:
    values = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ .+$", line), line
            continue
        assert SAMPLE_LINE.match(line), line
        name, value = line.rsplit(" ", 1)
        values[name] = int(value)
    return values


def ingest(meter, records, **kwargs):
    body = signed_batch(records, meter.private_key)
    return usage_batch_ingest(provider=meter.provider, key_id=kwargs.get("key_id", body["key_id"]),
                              records=body["records"], batch_signature=body["batch_signature"], now=timezone.now())


def test_the_exposition_format_escapes_label_values_and_help():
    text = exposition([MetricFamily("x_total", "counter", "a\\b\nc", [({"k": 'say "hi"\\\n'}, 3), ({}, 4)])])
    assert text == '# HELP x_total a\\\\b\\nc\n# TYPE x_total counter\nx_total{k="say \\"hi\\"\\\\\\n"} 3\nx_total 4\n'


def test_metrics_count_every_outcome_from_the_database():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer)
    make_work(enterprise, tag="metric-work")
    meter = make_metering_provider()
    good = [usage_record(enterprise.uscc, "metric-work") for _ in range(2)]
    unknown_tag = usage_record(enterprise.uscc, "no-such-tag")
    bad = usage_record(enterprise.uscc, "metric-work", quantity="0")
    ingest(meter, [*good, unknown_tag, bad])                      # 2 accepted, 1 quarantined, 1 invalid
    ingest(meter, [*good, {**good[0], "record_id": good[0]["record_id"]}])  # 3 duplicates (one repeated in-batch)
    ingest(meter, [{**good[1], "quantity": "9"}])                 # 1 conflict
    with pytest.raises(BatchRefused):
        ingest(meter, [good[0]], key_id="unknown-key")            # refused batch
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
    assert response.status_code == 200 and response["Content-Type"] == CONTENT_TYPE
    values = samples(response.content.decode())
    assert values == {
        'yingdu_usage_records_ingested_total{status="accepted"}': 2,
        'yingdu_usage_records_ingested_total{status="quarantined"}': 1,
        'yingdu_usage_records_ingested_total{status="duplicate"}': 3,
        'yingdu_usage_records_ingested_total{status="conflict"}': 1,
        'yingdu_usage_records_ingested_total{status="invalid"}': 1,
        'yingdu_usage_batches_total{outcome="stored"}': 3,
        'yingdu_usage_batches_total{outcome="refused"}': 1,
        "yingdu_usage_quarantine_backlog": 1,
    }


def test_a_batch_that_rolls_back_counts_nothing():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer)
    make_work(enterprise, tag="rollback-work")
    meter = make_metering_provider()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        ingest(meter, [usage_record(enterprise.uscc, "rollback-work")])
        raise Abort
    values = samples(Client().get("/metrics").content.decode())
    assert values['yingdu_usage_records_ingested_total{status="accepted"}'] == 0
    assert values['yingdu_usage_batches_total{outcome="stored"}'] == 0


def test_metrics_refuse_anonymous_and_non_staff_remote_requests():
    assert Client(REMOTE_ADDR=REMOTE).get("/metrics").status_code == 403
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    # through a reverse proxy on this host the peer is loopback, but the request is not local
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics", HTTP_X_FORWARDED_FOR=REMOTE).status_code == 403
    enterprise = make_enterprise()
    meter = make_metering_provider()
    reviewer = make_staff(Role.REVIEWER)
    for user, allowed in ((enterprise.registered_by, False), (meter.operator, False), (reviewer, True)):
        client = client_for(user)
        client.defaults["REMOTE_ADDR"] = REMOTE
        assert (client.get("/metrics").status_code == 200) is allowed
    without_two_factor = client_for(reviewer, two_factor=False)
    without_two_factor.defaults["REMOTE_ADDR"] = REMOTE
    assert without_two_factor.get("/metrics").status_code == 403


def test_counters_add_in_one_statement_and_create_the_missing_ones_once():
    from yingdu.metering.models import IngestCounter
    from yingdu.metering.services import ingest_counters_add

    IngestCounter.objects.all().delete()
    ingest_counters_add({"records_accepted": 3, "records_invalid": 0})
    ingest_counters_add({"records_accepted": 2, "batches_stored": 1, "records_conflict": 4})
    ingest_counters_add({"records_accepted": 1, "batches_stored": 1})
    assert dict(IngestCounter.objects.values_list("name", "value")) == {
        "records_accepted": 6, "batches_stored": 2, "records_conflict": 4}
