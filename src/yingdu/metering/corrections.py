"""Corrections appended by the platform (an upheld objection): new usage records, never edits, logged like ingestion."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from yingdu.transparency.canonical import canonical_json
from yingdu.transparency.services import event_time, log_append, log_lock

from .events import usage_corrected_event
from .models import RecordOrigin, RecordStatus, UsageAttribution, UsageRecord
from .records import QUANTITY_DECIMALS


@dataclass(frozen=True)
class CorrectionRequest:
    """Bring ``original`` (with the corrections it already has) to ``corrected_quantity``."""

    original: UsageRecord
    corrected_quantity: Decimal


def usage_record_effective_quantity(record: UsageRecord) -> Decimal:
    """A record's quantity net of every correction appended to it so far."""
    corrections = record.corrections.aggregate(total=Sum("quantity"))["total"] or Decimal(0)
    return record.quantity + corrections


def usage_record_attributed_of_correction(original: UsageRecord) -> dict:
    """The attributed enterprise and work of a new correction of ``original``: its original's attribution, else the
    original's own (UsageRecord.attributed_enterprise)."""
    attribution = UsageAttribution.objects.filter(record=original).values("enterprise_id", "work_id").first()
    if attribution is not None:
        return {"attributed_enterprise_id": attribution["enterprise_id"], "attributed_work_id": attribution["work_id"]}
    return {"attributed_enterprise_id": original.enterprise_id, "attributed_work_id": original.work_id}


def correction_record_id(*, objection_id: int, original: UsageRecord) -> str:
    """The record id of a platform correction. It contains spaces, which a provider's record id never does
    (visible ASCII only), so platform and provider ids cannot collide."""
    return f"platform objection-{objection_id} corrects-{original.pk}"


def usage_corrections_append(*, requests: list[CorrectionRequest], objection_id: int, actor, now: datetime
                             ) -> list[UsageRecord]:
    """Append one correction record per request whose corrected quantity differs from the effective one.

    Each row is priced at its original's price (same SKU, same start), so the work's cost changes by exactly
    (corrected − effective) × price. The row carries no provider signature; the platform vouches for it through its
    log entry ``metering.usage_corrected`` (``origin: "objection"``, the objection and the deciding user).
    """
    created = []
    with transaction.atomic():
        log_lock()
        for request in requests:
            original = UsageRecord.objects.select_related("provider").get(pk=request.original.pk)
            delta = request.corrected_quantity - usage_record_effective_quantity(original)
            if delta == 0:
                continue
            delta_micro = int(delta.scaleb(QUANTITY_DECIMALS))
            cost_microfen = delta_micro * original.price_fen
            record_id = correction_record_id(objection_id=objection_id, original=original)
            content = {
                "record_id": record_id, "origin": RecordOrigin.OBJECTION.value, "objection": objection_id,
                "corrects": original.record_id, "enterprise_uscc": original.enterprise_uscc,
                "project_tag": original.project_tag, "sku": original.sku, "quantity": format(delta.normalize(), "f"),
                "started_at": event_time(original.started_at), "ended_at": event_time(original.ended_at),
            }
            content_bytes = canonical_json(content)
            digest = hashlib.sha256(content_bytes).hexdigest()
            [entry] = log_append(events=[usage_corrected_event(
                content=content_bytes, digest=digest, objection_id=objection_id, original=original,
                corrected_quantity=format(request.corrected_quantity.normalize(), "f"), cost_microfen=cost_microfen,
                actor=actor, now=now)], now=now)
            created.append(UsageRecord.objects.create(
                provider=original.provider, record_id=record_id, content_sha256=digest,
                enterprise_uscc=original.enterprise_uscc, project_tag=original.project_tag, sku=original.sku,
                quantity=delta, started_at=original.started_at, ended_at=original.ended_at,
                node_id=original.node_id, job_id=original.job_id, gpu_id=original.gpu_id, corrects=original,
                status=RecordStatus.ACCEPTED, enterprise=original.enterprise, work=original.work,
                category=original.category, price_fen=original.price_fen, cost_microfen=cost_microfen,
                origin=RecordOrigin.OBJECTION, signing_key=None, signature=None, log_index=entry.index,
                received_at=now, **usage_record_attributed_of_correction(original),
            ))
    return created
