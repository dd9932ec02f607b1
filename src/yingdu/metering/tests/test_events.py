"""Every metering table is recomputed from the log: a change made directly in the database is named by the audit."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from yingdu.accounts.models import Role
from yingdu.metering import services
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.metering.models import (
    ApiKey,
    CatalogueEntry,
    Provider,
    RecordStatus,
    SigningKey,
    UsageAttribution,
    UsageRecord,
)
from yingdu.push import signed_batch
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_work, usage_record
from yingdu.transparency.catalogue import CATALOGUE
from yingdu.transparency.models import LogEntry, LogHead

from .tamper import assert_clean, assert_delete_named, assert_insert_named, assert_update_named

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


def _public_key_base64() -> str:
    key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(key).decode()


@pytest.fixture
def metered():
    """A provider with a revoked API key and a revoked signing key; records signed one by one and as a batch, one
    quarantined and attributed by a reviewer."""
    reviewer = verified(make_staff(Role.REVIEWER))
    meter = make_metering_provider()
    operator = verified(meter.operator)
    spare, _secret = services.api_key_create(provider=meter.provider, label="备用", actor=operator, now=NOW)
    services.api_key_revoke(key=spare, actor=operator, now=NOW)
    rotated = services.signing_key_add(provider=meter.provider, public_key_base64=_public_key_base64(), label="轮换",
                                       valid_from=NOW, valid_until=NOW + timedelta(days=30), actor=operator, now=NOW)
    services.signing_key_revoke(key=rotated, actor=operator, now=NOW)
    enterprise = make_enterprise(verified_by=reviewer)
    work = make_work(enterprise, tag="drama-events")
    one_by_one = signed_batch([usage_record(enterprise.uscc, "drama-events", node_id="node-1", job_id="job-1"),
                               usage_record(enterprise.uscc, "no-such-tag")], meter.private_key, per_record=True)
    batch = signed_batch([usage_record(enterprise.uscc, "drama-events", quantity=f"{n}.5") for n in range(1, 4)],
                         meter.private_key)
    for body in (one_by_one, batch):
        results = usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                                     batch_signature=body.get("batch_signature"), now=NOW)
        assert all(result.status == "accepted" for result in results)
    quarantined = UsageRecord.objects.get(status=RecordStatus.QUARANTINED)
    attribution = services.usage_record_attach(record=quarantined, work=work, actor=reviewer,
                                               reason="标签录入错误，经核实属于本剧", now=NOW)
    return SimpleNamespace(meter=meter, spare=spare, rotated=rotated, work=work, attribution=attribution,
                           signed=UsageRecord.objects.filter(batch_root__isnull=True).order_by("pk").first(),
                           batched=UsageRecord.objects.filter(batch_root__isnull=False).order_by("pk").last())


def test_every_entry_written_matches_its_declaration_and_the_tables_match_the_log(metered):
    for entry in LogEntry.objects.order_by("index"):
        event = json.loads(bytes(entry.entry))
        if event["type"].startswith("metering."):
            CATALOGUE.validate(event)
            assert event["v"] == CATALOGUE[event["type"]].version
    assert_clean()


def test_a_usage_entry_carries_the_signature_and_the_batch_fields(metered):
    for record in (metered.signed, metered.batched):
        event = json.loads(bytes(LogEntry.objects.get(index=record.log_index).entry))
        assert bytes.fromhex(event["signature"]) == bytes(record.signature)
        assert event["batch_index"] == record.batch_index and event["batch_size"] == record.batch_size
        assert event["batch_path_sha256"] == (hashlib.sha256(record.batch_path).hexdigest()
                                              if record.batch_path is not None else None)
    assert metered.batched.batch_size == 3 and metered.signed.batch_path is None


def test_the_registering_admin_or_the_operator_is_recorded(metered):
    provider = metered.meter.provider
    assert provider.registered_by_id == metered.meter.operator.pk
    event = json.loads(bytes(LogEntry.objects.filter(event_type="metering.provider_registered")
                                           .get().entry))
    assert event["actor"] == "system"


def test_a_provider_edited_deleted_or_forged_is_named(metered):
    pk = metered.meter.provider.pk
    assert_update_named(Provider, pk, "uscc", "91110116MA00000000")
    assert_update_named(Provider, pk, "is_local", False)
    assert_delete_named(Provider, pk)
    assert_insert_named(Provider, pk, changes={"uscc": "91110116MA0000001X",
                                               "organisation_id": metered.work.enterprise.organisation_id})


def test_an_api_key_edited_deleted_or_forged_is_named(metered):
    pk = metered.spare.pk
    assert_update_named(ApiKey, pk, "revoked_at", None)
    assert_update_named(ApiKey, pk, "secret_sha256", "0" * 64)
    assert_update_named(ApiKey, pk, "label", "改过的用途")
    assert_delete_named(ApiKey, pk)
    assert_insert_named(ApiKey, pk, changes={"prefix": "forged000000"})


def test_a_signing_key_edited_deleted_or_forged_is_named(metered):
    pk = metered.rotated.pk
    assert_update_named(SigningKey, pk, "public_key", b"\x01" * 32)
    assert_update_named(SigningKey, pk, "valid_until", NOW + timedelta(days=3650))
    assert_update_named(SigningKey, pk, "revoked_at", None)
    assert_update_named(SigningKey, pk, "label", "改过的用途")
    assert_delete_named(SigningKey, pk)
    assert_insert_named(SigningKey, pk, changes={"key_id": "forged0000000000"})


def test_a_price_edited_deleted_or_forged_is_named(metered):
    pk = CatalogueEntry.objects.get(provider=metered.meter.provider).pk
    assert_update_named(CatalogueEntry, pk, "price_fen", 1)
    assert_update_named(CatalogueEntry, pk, "effective_from", NOW)
    assert_delete_named(CatalogueEntry, pk)
    assert_insert_named(CatalogueEntry, pk, changes={"effective_from": NOW + timedelta(days=1)})


def test_a_usage_record_edited_deleted_or_forged_is_named(metered):
    signed, batched = metered.signed, metered.batched
    assert_update_named(UsageRecord, signed.pk, "quantity", Decimal("99"))
    assert_update_named(UsageRecord, signed.pk, "signature", b"\x00" * 64)
    assert_update_named(UsageRecord, batched.pk, "batch_path", b"\x00" * 32)
    assert_update_named(UsageRecord, batched.pk, "batch_index", 0)
    assert_update_named(UsageRecord, batched.pk, "batch_size", 4)
    assert_update_named(UsageRecord, signed.pk, "node_id", "node-2")
    assert_delete_named(UsageRecord, signed.pk, rows=(f"log_index={signed.log_index}",))
    tree_size = LogHead.objects.get().tree_size
    assert_insert_named(UsageRecord, signed.pk, changes={"record_id": "forged", "log_index": tree_size + 5})


def test_a_usage_attribution_edited_deleted_or_forged_is_named(metered):
    attribution = metered.attribution
    log_index = attribution.log_index
    assert_update_named(UsageAttribution, attribution.pk, "reason", "改过的理由", rows=(log_index,))
    assert_update_named(UsageAttribution, attribution.pk, "at", NOW + timedelta(hours=1), rows=(log_index,))
    assert_delete_named(UsageAttribution, attribution.pk, rows=(log_index,))
    other = UsageRecord.objects.exclude(pk=attribution.record_id).order_by("pk").first()
    tree_size = LogHead.objects.get().tree_size
    assert_insert_named(UsageAttribution, attribution.pk, changes={"record_id": other.pk, "log_index": tree_size + 5},
                        rows=(tree_size + 5,))
