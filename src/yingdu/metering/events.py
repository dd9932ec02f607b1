"""Log entries of metering: providers, their keys and price catalogue, usage records, corrections, attributions.

Providers, keys and prices are recomputed row by row from their entries (a key's label and an API key's secret hash
appear only as a salted commitment, the row's own salt). Usage records and attributions are recomputed by the usage
projection (``yingdu.audits.projections.metering``), page by page, since each row stores the index of its entry; a
usage entry carries the record exactly as the provider signed it and its signature (for a batch-signed record, the
batch's signature and root, the record's place in the batch and the SHA-256 of its inclusion path).
"""

import base64
import hashlib
from collections.abc import Callable
from datetime import datetime

from yingdu.actors import actor_ref
from yingdu.transparency.catalogue import Committed, Const, Derived, Field, Kind, Row, declare, not_audited
from yingdu.transparency.services import commitment, event_time

from .models import (
    AnomalyFlag,
    ApiKey,
    CatalogueEntry,
    IngestCounter,
    MonitorWatermark,
    Provider,
    ProviderLongestRecord,
    RecordOrigin,
    SigningKey,
    UsageRollup,
)

# The projection (yingdu.audits.projections) that recomputes usage records and attributions.
USAGE_PROJECTION = "usage"

PROVIDER_REGISTERED = declare(
    "metering.provider_registered",
    doc="An admin (or the platform) registered a provider and attached its first operator.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "provider": Field(Kind.INT, "provider id"),
        "organisation": Field(Kind.INT, "the provider's organisation id"),
        "name": Field(Kind.STR, "the provider's registered name"),
        "uscc": Field(Kind.STR, "its unified social credit code"),
        "is_local": Field(Kind.BOOL, "a local compute provider"),
        "operator": Field(Kind.INT, "user id of its first operator"),
        "actor": Field(Kind.ACTOR, "the admin who registered it, or system"),
    },
    rows=[Row(Provider, key="provider", columns={
        "organisation_id": "organisation", "name": "name", "uscc": "uscc", "is_local": "is_local",
        "registered_at": "at",
        # the platform registering a provider records its operator as the registering user
        "registered_by_id": Derived(lambda event: event["actor"] or event["operator"],
                                    "the actor, or the operator when the platform registered it"),
    })],
)

# An API key's secret hash and label, committed with the key row's own salt.
API_KEY_COMMITTED = {"secret_sha256": "secret_sha256", "label": "label"}

API_KEY_CREATED = declare(
    "metering.api_key_created", version=2,
    doc="A provider's operator created an API key; its secret's SHA-256 and its label appear only as a commitment.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "provider": Field(Kind.INT, "provider id"),
        "api_key": Field(Kind.INT, "API key id"),
        "prefix": Field(Kind.STR, "the key's public prefix"),
        "actor": Field(Kind.ACTOR, "the operator"),
        "key_commitment": Field(Kind.DIGEST, "commitment to the secret's SHA-256 and the label", since=2),
    },
    rows=[Row(ApiKey, key="api_key", columns={
        "provider_id": "provider", "prefix": "prefix", "created_at": "at", "created_by_id": "actor",
        "revoked_at": Const(None), "revoked_by_id": Const(None),
        "key": Committed("key_commitment", API_KEY_COMMITTED, salt_column="commitment_salt"),
    })],
)

API_KEY_REVOKED = declare(
    "metering.api_key_revoked",
    doc="A provider's operator revoked an API key.",
    fields={"at": Field(Kind.TIME, "when"), "provider": Field(Kind.INT, "provider id"), "api_key": Field(Kind.INT),
            "actor": Field(Kind.ACTOR, "the operator")},
    rows=[Row(ApiKey, key="api_key", action="update", columns={"revoked_at": "at", "revoked_by_id": "actor"})],
)

SIGNING_KEY_COMMITTED = {"label": "label"}

SIGNING_KEY_ADDED = declare(
    "metering.signing_key_added", version=2,
    doc="A provider's operator registered an Ed25519 public key that usage records are signed with.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "provider": Field(Kind.INT, "provider id"),
        "key_id": Field(Kind.STR, "first 8 bytes of SHA-256 of the public key, hex"),
        "public_key": Field(Kind.STR, "the raw 32-byte public key, base64"),
        "valid_from": Field(Kind.TIME, "start of validity"),
        "valid_until": Field(Kind.TIME, "end of validity (none: open-ended)", null=True),
        "actor": Field(Kind.ACTOR, "the operator"),
        "signing_key": Field(Kind.INT, "signing key (row) id", since=2),
        "label_commitment": Field(Kind.DIGEST, "commitment to the key's label", since=2),
    },
    rows=[Row(SigningKey, key="signing_key", columns={
        "provider_id": "provider", "key_id": "key_id",
        "public_key": Derived(lambda event: base64.b64decode(event["public_key"]), "`public_key` decoded from base64"),
        "valid_from": "valid_from", "valid_until": "valid_until", "revoked_at": Const(None), "created_at": "at",
        "created_by_id": "actor",
        "label": Committed("label_commitment", SIGNING_KEY_COMMITTED, salt_column="commitment_salt"),
    })],
)

SIGNING_KEY_REVOKED = declare(
    "metering.signing_key_revoked", version=2,
    doc="A provider's operator revoked a signing key; records it signed earlier stay valid.",
    fields={"at": Field(Kind.TIME, "when"), "provider": Field(Kind.INT, "provider id"), "key_id": Field(Kind.STR, "the key's short id"),
            "actor": Field(Kind.ACTOR, "the operator"),
            "signing_key": Field(Kind.INT, "signing key (row) id", since=2)},
    rows=[Row(SigningKey, key="signing_key", action="update", columns={"revoked_at": "at"})],
)

PRICE_ADDED = declare(
    "metering.price_added",
    doc="A provider's operator added a price version of a SKU, in force from a time not in the past.",
    fields={
        "at": Field(Kind.TIME, "when"),
        "provider": Field(Kind.INT, "provider id"),
        "entry": Field(Kind.INT, "catalogue entry id"),
        "sku": Field(Kind.STR),
        "name": Field(Kind.STR, "the service's name"),
        "category": Field(Kind.STR, "compute|model_service|data_product"),
        "unit": Field(Kind.STR, "unit of measure"),
        "price_fen": Field(Kind.INT, "price per unit, fen"),
        "effective_from": Field(Kind.TIME, "when the price takes effect"),
        "actor": Field(Kind.ACTOR, "the operator"),
    },
    rows=[Row(CatalogueEntry, key="entry", columns={
        "provider_id": "provider", "sku": "sku", "name": "name", "category": "category", "unit": "unit",
        "price_fen": "price_fen", "effective_from": "effective_from", "created_at": "at", "created_by_id": "actor",
    })],
    # the usage projection reads the service category of each record's price from these entries
    projection=USAGE_PROJECTION,
)

USAGE_FIELDS = {
    "at": Field(Kind.TIME, "when the platform received it"),
    "provider": Field(Kind.INT, "provider id"),
    "record": Field(Kind.STR, "the record as the provider signed it: RFC 8785 JSON, without its signature"),
    "record_sha256": Field(Kind.DIGEST, "SHA-256 of the record's bytes"),
    "signing_key": Field(Kind.STR, "key id of the provider's signing key"),
    "batch_root": Field(Kind.HEX, "root of the signed batch's record leaf hashes (batch-signed records)", null=True),
    "enterprise": Field(Kind.INT, "enterprise whose USCC the record names, if registered", null=True),
    "work": Field(Kind.INT, "work whose project tag the record names, if declared", null=True),
    "quarantine": Field(Kind.STR, "why it awaits attribution: enterprise_unknown|work_unknown", null=True),
    "corrects": Field(Kind.INT, "the usage record (row id) a provider's correction corrects", null=True),
    "sku_price_fen": Field(Kind.INT, "price per unit in force at the record's start, fen"),
    "cost_microfen": Field(Kind.INT, "quantity × price, millionths of a fen"),
    "signature": Field(Kind.HEX, "Ed25519 signature: of the record, or of the batch root (batch-signed)", since=2),
    "batch_index": Field(Kind.INT, "the record's leaf index in the signed batch", null=True, since=2),
    "batch_size": Field(Kind.INT, "number of records in the signed batch", null=True, since=2),
    # the path itself (up to 13 hashes for a batch of 5,000) would triple the entry; its digest is enough to audit it
    "batch_path_sha256": Field(Kind.DIGEST, "SHA-256 of the record's inclusion path in the batch (RFC 9162 §2.1.3), "
                                            "the path's hashes concatenated", null=True, since=2),
}

USAGE_ACCEPTED = declare(
    "metering.usage_accepted", version=2,
    doc="A signed usage record was received, priced and attributed to a work by its USCC and project tag.",
    fields=USAGE_FIELDS, projection=USAGE_PROJECTION,
)

USAGE_QUARANTINED = declare(
    "metering.usage_quarantined", version=2,
    doc="A signed usage record was received and priced, but names no registered enterprise or declared work: it "
        "awaits attribution by staff.",
    fields=USAGE_FIELDS, projection=USAGE_PROJECTION,
)

USAGE_CORRECTED = declare(
    "metering.usage_corrected", version=2,
    doc="The platform appended a correction record for an upheld objection (no provider signature: the platform "
        "vouches for it by this entry).",
    fields={
        "at": Field(Kind.TIME, "when"),
        "origin": Field(Kind.STR, "objection"),
        "signed_by": Field(Kind.STR, "platform"),
        "objection": Field(Kind.INT, "the upheld objection's id"),
        "provider": Field(Kind.INT, "provider id of the corrected record"),
        "record": Field(Kind.STR, "the correction record: RFC 8785 JSON"),
        "record_sha256": Field(Kind.DIGEST, "SHA-256 of the record's bytes"),
        "corrects": Field(Kind.INT, "the corrected usage record (row id)"),
        "corrects_log_index": Field(Kind.INT, "log index of the corrected record's entry"),
        "enterprise": Field(Kind.INT, null=True),
        "work": Field(Kind.INT, null=True),
        "corrected_quantity": Field(Kind.DECIMAL, "the quantity the original now stands at, net of corrections"),
        "sku_price_fen": Field(Kind.INT, "the original's price per unit, fen"),
        "cost_microfen": Field(Kind.INT, "the correction's quantity × price, millionths of a fen"),
        "actor": Field(Kind.ACTOR, "the reviewer who upheld the objection"),
        "node_id": Field(Kind.STR, "the original's node id", since=2),
        "job_id": Field(Kind.STR, "the original's job id", since=2),
        "gpu_id": Field(Kind.STR, "the original's GPU id", since=2),
    },
    projection=USAGE_PROJECTION,
)

USAGE_ATTRIBUTED = declare(
    "metering.usage_attributed",
    doc="Staff attributed a quarantined record to a work of the enterprise its USCC names; the reason appears only "
        "as a commitment (the attribution row's salt).",
    fields={
        "at": Field(Kind.TIME, "when"),
        "record": Field(Kind.INT, "usage record id"),
        "provider": Field(Kind.INT, "provider id"),
        "record_id": Field(Kind.STR, "the provider's record id"),
        "record_log_index": Field(Kind.INT, "log index of the record's entry"),
        "enterprise": Field(Kind.INT, "enterprise id"),
        "work": Field(Kind.INT, "work id"),
        "actor": Field(Kind.ACTOR, "the reviewer or admin"),
        "reason_commitment": Field(Kind.DIGEST, "commitment to the reason"),
    },
    projection=USAGE_PROJECTION,
)

not_audited(UsageRollup, reason="derived: hourly and daily sums of the usage records (and attributions) below a "
                                "watermark, kept by the monitoring task for the dashboard; `yingdu usage_rollup_check` "
                                "recomputes them from the audited records and reports any difference")
not_audited(MonitorWatermark, reason="how far the monitoring task has read the log (a position, not a fact)")
not_audited(ProviderLongestRecord, reason="derived: the longest span of a provider's records the anomaly task has "
                                          "checked, which bounds its look-up of overlapping records on one GPU or "
                                          "node; recomputable from the audited records, it sets nothing")
not_audited(AnomalyFlag, reason="derived: anomaly hints recomputed from the audited usage records by the rules in "
                                "metering/anomalies.py; a flag decides nothing (no money, right or deadline moves)")
not_audited(IngestCounter, reason="monitoring counters shown at /metrics (batches and records by outcome, refused "
                                  "batches and invalid records included, which write nothing else); they set no "
                                  "money, right or deadline, and every stored record is audited in its own row")


def provider_registered_event(provider: Provider, *, operator, actor, now: datetime) -> dict:
    return PROVIDER_REGISTERED.build(at=event_time(now), provider=provider.pk, organisation=provider.organisation_id,
                                     name=provider.name, uscc=provider.uscc, is_local=provider.is_local,
                                     operator=operator.pk, actor=actor_ref(actor))


def api_key_commitment(key: ApiKey) -> str:
    return commitment(salt=key.commitment_salt,
                      values={name: getattr(key, column) for name, column in API_KEY_COMMITTED.items()})


def api_key_created_event(key: ApiKey, *, actor) -> dict:
    return API_KEY_CREATED.build(at=event_time(key.created_at), provider=key.provider_id, api_key=key.pk,
                                 prefix=key.prefix, actor=actor_ref(actor), key_commitment=api_key_commitment(key))


def api_key_revoked_event(key: ApiKey, *, actor) -> dict:
    return API_KEY_REVOKED.build(at=event_time(key.revoked_at), provider=key.provider_id, api_key=key.pk,
                                 actor=actor_ref(actor))


def signing_key_commitment(key: SigningKey) -> str:
    return commitment(salt=key.commitment_salt,
                      values={name: getattr(key, column) for name, column in SIGNING_KEY_COMMITTED.items()})


def signing_key_added_event(key: SigningKey, *, actor) -> dict:
    return SIGNING_KEY_ADDED.build(
        at=event_time(key.created_at), provider=key.provider_id, key_id=key.key_id,
        public_key=base64.b64encode(bytes(key.public_key)).decode(), valid_from=event_time(key.valid_from),
        valid_until=event_time(key.valid_until) if key.valid_until else None, actor=actor_ref(actor),
        signing_key=key.pk, label_commitment=signing_key_commitment(key))


def signing_key_revoked_event(key: SigningKey, *, actor) -> dict:
    return SIGNING_KEY_REVOKED.build(at=event_time(key.revoked_at), provider=key.provider_id, key_id=key.key_id,
                                     actor=actor_ref(actor), signing_key=key.pk)


def price_added_event(entry: CatalogueEntry, *, actor) -> dict:
    return PRICE_ADDED.build(at=event_time(entry.created_at), provider=entry.provider_id, entry=entry.pk,
                             sku=entry.sku, name=entry.name, category=str(entry.category), unit=entry.unit,
                             price_fen=entry.price_fen, effective_from=event_time(entry.effective_from),
                             actor=actor_ref(actor))


def usage_event_builder(*, provider, key: SigningKey, batch_root: bytes | None, batch_signature: bytes | None,
                        batch_size: int | None, now: datetime) -> Callable[..., dict]:
    """The builder of one batch's usage entries: what the records of a batch share is encoded once, not per record.

    The returned function takes one record's values (``signature`` None for a batch-signed record, whose signature
    is the batch's) and returns its ``metering.usage_accepted`` or ``metering.usage_quarantined`` entry.
    """
    shared = {"at": event_time(now), "provider": provider.pk, "signing_key": key.key_id,
              "batch_root": batch_root.hex() if batch_root is not None else None, "batch_size": batch_size}
    # the shared values are checked against the declarations once per batch, each record's own values per record
    accepted, quarantined = USAGE_ACCEPTED.builder(**shared), USAGE_QUARANTINED.builder(**shared)
    batch_signature_hex = batch_signature.hex() if batch_signature is not None else None

    def build(*, content: bytes, digest: str, enterprise_id: int | None, work_id: int | None, quarantine: str,
              corrects_id: int | None, price_fen: int, cost_microfen: int, signature: bytes | None,
              batch_index: int | None, batch_path: bytes | None) -> dict:
        return (quarantined if quarantine else accepted)(
            record=content.decode("utf-8"), record_sha256=digest, enterprise=enterprise_id,
            work=work_id, quarantine=quarantine or None, corrects=corrects_id, sku_price_fen=price_fen,
            cost_microfen=cost_microfen,
            signature=signature.hex() if signature is not None else batch_signature_hex,
            batch_index=batch_index,
            batch_path_sha256=hashlib.sha256(batch_path).hexdigest() if batch_path is not None else None)

    return build


def usage_corrected_event(*, content: bytes, digest: str, objection_id: int, original, corrected_quantity: str,
                          cost_microfen: int, actor, now: datetime) -> dict:
    return USAGE_CORRECTED.build(
        at=event_time(now), origin=RecordOrigin.OBJECTION.value, signed_by="platform", objection=objection_id,
        provider=original.provider_id, record=content.decode("utf-8"), record_sha256=digest, corrects=original.pk,
        corrects_log_index=original.log_index, enterprise=original.enterprise_id, work=original.work_id,
        corrected_quantity=corrected_quantity, sku_price_fen=original.price_fen, cost_microfen=cost_microfen,
        actor=actor_ref(actor), node_id=original.node_id, job_id=original.job_id, gpu_id=original.gpu_id)


def usage_attributed_event(*, record, enterprise_id: int, work_id: int, reason_commitment: str, actor,
                           now: datetime) -> dict:
    return USAGE_ATTRIBUTED.build(at=event_time(now), record=record.pk, provider=record.provider_id,
                                  record_id=record.record_id, record_log_index=record.log_index,
                                  enterprise=enterprise_id, work=work_id, actor=actor_ref(actor),
                                  reason_commitment=reason_commitment)
