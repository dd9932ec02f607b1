"""The anomaly task: the rules of ``anomalies.py`` run over every record logged since its watermark, flags stored.

Each run reads the log range [watermark, target) (every record in it, no cap) and the attributions logged in it
(an attributed record gets a production window, so it is checked again). Per-record rules look at the new records
only. The cross-record rules look at neighbours whatever their log index, so a record that arrives late is compared
with what was there before it:

- shared hardware: the stored records on the same provider's GPU or node that overlap a new record in time; a pair is
  flagged once (its key is the two record ids), whichever of the two came last;
- daily spikes: a new record changes its day and the averages of the ``trailing_days`` days after it, so those
  (enterprise, tag, day)s are evaluated again from the daily rollups (kept up to at least the same log index), and a
  spike flag that no longer holds is removed.

Flags are derived (not audited; docs/decisions.md): a hint for staff, recomputable from the records.
"""

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import DurationField, ExpressionWrapper, F, Max, Q, Sum

from yingdu.enterprises.selectors import enterprises_by_uscc

from .anomalies import (
    DEFAULT_THRESHOLDS,
    PROGRAMME_ZONE,
    AnomalyKind,
    AnomalyThresholds,
    Flag,
    RecordFacts,
    daily_spikes,
    impossible_quantities,
    late_arrivals,
    outside_production_window,
    shared_hardware,
)
from .counting import counted_work
from .models import (
    AnomalyFlag,
    MonitorWatermark,
    ProviderLongestRecord,
    RollupPeriod,
    UsageAttribution,
    UsageRecord,
    UsageRollup,
)
from .rollups import ROLLUP_WATERMARK, log_tree_size, rollups_advance, watermark_locked

ANOMALY_WATERMARK = "anomaly_flags"
ANOMALY_CHUNK = 50_000
RECORD_LINKS_PER_FLAG = 10
FACT_FIELDS = ("pk", "record_id", "provider_id", "enterprise_uscc", "project_tag", "sku", "quantity", "started_at",
               "ended_at", "received_at", "cost_microfen", "node_id", "gpu_id")


def _facts(queryset, *, with_window: bool) -> list[RecordFacts]:
    from .monitoring import _unit_book

    fields = FACT_FIELDS
    if with_window:
        queryset = queryset.annotate(window_start=counted_work("production_start_on"),
                                     window_end=counted_work("production_end_on"))
        fields = (*FACT_FIELDS, "window_start", "window_end")
    rows = list(queryset.values(*fields))
    unit_at = _unit_book({(row["provider_id"], row["sku"]) for row in rows})
    return [RecordFacts(
        pk=row["pk"], record_id=row["record_id"], provider_id=row["provider_id"],
        enterprise_uscc=row["enterprise_uscc"], project_tag=row["project_tag"], quantity=Decimal(row["quantity"]),
        unit=unit_at(row["provider_id"], row["sku"], row["started_at"]), started_at=row["started_at"],
        ended_at=row["ended_at"], received_at=row["received_at"], cost_microfen=row["cost_microfen"],
        node_id=row["node_id"], gpu_id=row["gpu_id"],
        window=(row["window_start"], row["window_end"]) if row.get("window_start") else None,
    ) for row in rows]


def _local_day(moment: datetime) -> date:
    return moment.astimezone(PROGRAMME_ZONE).date()


def _stored(flag: Flag, *, key: str, by_pk: dict[int, RecordFacts], now: datetime, day: date | None = None,
            links: list[list] | None = None, count: int | None = None) -> AnomalyFlag:
    first = by_pk.get(flag.record_pks[0]) if flag.record_pks else None
    if links is None:
        links = [[pk, by_pk[pk].record_id] for pk in flag.record_pks[:RECORD_LINKS_PER_FLAG]]
    return AnomalyFlag(key=key, kind=str(flag.kind), reason=flag.reason,
                       provider_id=first.provider_id if first else None, enterprise_uscc=flag.enterprise_uscc,
                       project_tag=flag.project_tag, day=day or flag.day or _local_day(first.started_at),
                       record_count=len(flag.record_pks) if count is None else count, records=links,
                       detected_at=now)


def longest_records_raise(new: list[RecordFacts]) -> dict[int, timedelta]:
    """The longest span of each new record's provider over every record checked, the new ones included (stored;
    a provider's first time, from all its stored records, once)."""
    spans: dict[int, timedelta] = {}
    for record in new:
        spans[record.provider_id] = max(spans.get(record.provider_id, timedelta(0)),
                                        record.ended_at - record.started_at)
    stored = dict(ProviderLongestRecord.objects.filter(provider_id__in=spans).values_list("provider_id", "longest"))
    for provider_id, span in spans.items():
        if provider_id not in stored:
            history = UsageRecord.objects.filter(provider_id=provider_id).aggregate(
                longest=Max(ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())))
            ProviderLongestRecord.objects.create(provider_id=provider_id,
                                                 longest=max(span, history["longest"] or timedelta(0)))
        elif span > stored[provider_id]:
            ProviderLongestRecord.objects.filter(provider_id=provider_id).update(longest=span)
    return dict(ProviderLongestRecord.objects.filter(provider_id__in=spans).values_list("provider_id", "longest"))


def _neighbours(new: list[RecordFacts], known: set[int], longest: dict[int, timedelta]) -> list[RecordFacts]:
    """Stored records on the new records' GPUs or nodes overlapping the new records' time span (one query).

    A record overlaps [span_from, span_to) when it starts before span_to and ends after span_from; as no record of
    the provider spans more than ``longest[provider]``, it then starts after span_from - longest, which bounds the
    scan of each GPU's or node's (provider, hardware, started_at) index to the new records' span."""
    gpus = {(r.provider_id, r.gpu_id) for r in new if r.gpu_id}
    nodes = {(r.provider_id, r.node_id) for r in new if r.node_id}
    if not gpus and not nodes:
        return []
    span_from = min(r.started_at for r in new if r.gpu_id or r.node_id)
    span_to = max(r.ended_at for r in new if r.gpu_id or r.node_id)
    hardware = Q()
    for provider_id in {p for p, _ in gpus}:
        hardware |= Q(provider_id=provider_id, gpu_id__in=[g for p, g in gpus if p == provider_id],
                      started_at__gte=span_from - longest[provider_id])
    for provider_id in {p for p, _ in nodes}:
        hardware |= Q(provider_id=provider_id, node_id__in=[n for p, n in nodes if p == provider_id],
                      started_at__gte=span_from - longest[provider_id])
    queryset = (UsageRecord.objects.filter(hardware, started_at__lt=span_to, ended_at__gt=span_from)
                .exclude(pk__in=known))
    return _facts(queryset, with_window=False)


def _spike_flags(new: list[RecordFacts], *, thresholds: AnomalyThresholds, now: datetime) -> None:
    """Evaluate again every (enterprise, tag, day) whose spike state the new records may change."""
    trailing = thresholds.trailing_days
    days_of: dict[tuple[str, str], set[date]] = defaultdict(set)
    for record in new:
        day = _local_day(record.started_at)
        days_of[(record.enterprise_uscc, record.project_tag)].update(day + timedelta(n) for n in range(trailing + 1))
    if not days_of:
        return
    first_day = min(min(days) for days in days_of.values()) - timedelta(trailing)
    last_day = max(max(days) for days in days_of.values())
    rows = (UsageRollup.objects.filter(period=RollupPeriod.DAY, bucket_start__gte=_start(first_day),
                                       bucket_start__lt=_start(last_day + timedelta(1)),
                                       enterprise_uscc__in={s[0] for s in days_of},
                                       project_tag__in={s[1] for s in days_of})
            .values("enterprise_uscc", "project_tag", "bucket_start")
            .annotate(cost=Sum("cost_microfen"), n=Sum("record_count")).order_by())
    costs: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
    counts: dict[tuple[str, str, date], int] = {}
    for row in rows:
        subject = (row["enterprise_uscc"], row["project_tag"])
        if subject in days_of:
            day = _local_day(row["bucket_start"])
            costs[subject][day] = row["cost"] or 0
            counts[(*subject, day)] = row["n"] or 0
    enterprise_ids = {uscc: e.pk for uscc, e in enterprises_by_uscc({s[0] for s in days_of}).items()}
    for subject, days in days_of.items():
        spikes = daily_spikes({subject: costs.get(subject, {})}, days=sorted(days), thresholds=thresholds)
        keys = {_spike_key(subject, day) for day in days}
        keep = set()
        for spike in spikes:
            key = _spike_key(subject, spike.day)
            keep.add(key)
            links = _day_links(subject, spike.day, enterprise_ids.get(subject[0]))
            values = _stored(spike, key=key, by_pk={}, now=now, links=links,
                             count=counts.get((*subject, spike.day), len(links)))
            AnomalyFlag.objects.update_or_create(key=key, defaults={
                "kind": values.kind, "reason": values.reason, "provider": None,
                "enterprise_uscc": values.enterprise_uscc, "project_tag": values.project_tag, "day": values.day,
                "record_count": values.record_count, "records": values.records, "detected_at": now})
        AnomalyFlag.objects.filter(key__in=keys - keep).delete()


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=PROGRAMME_ZONE)


def _spike_key(subject: tuple[str, str], day: date) -> str:
    return f"{AnomalyKind.DAILY_SPIKE}:{subject[0]}:{subject[1]}:{day:%Y-%m-%d}"


def _day_links(subject: tuple[str, str], day: date, enterprise_id: int | None) -> list[list]:
    """The costliest records of the subject's day (by the (enterprise, started_at) index when it is registered)."""
    rows = UsageRecord.objects.filter(enterprise_uscc=subject[0], project_tag=subject[1],
                                      started_at__gte=_start(day), started_at__lt=_start(day + timedelta(1)))
    if enterprise_id is not None:
        rows = rows.filter(enterprise_id=enterprise_id)
    return [[pk, record_id] for pk, record_id in
            rows.order_by("-cost_microfen", "pk").values_list("pk", "record_id")[:RECORD_LINKS_PER_FLAG]]


def _insert_new(flags: list[AnomalyFlag]) -> None:
    """Insert the flags whose key is not stored yet (one INSERT … ON CONFLICT DO NOTHING per flag; the ORM's
    bulk_create cost most of a run when every late record is flagged)."""
    if not flags:
        return
    ops = connection.ops
    json_value = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (f"INSERT INTO {AnomalyFlag._meta.db_table} (key, kind, reason, provider_id, enterprise_uscc, project_tag, "
           f"day, record_count, records, detected_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, {json_value}, %s) "
           "ON CONFLICT (key) DO NOTHING")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [
            (f.key, f.kind, f.reason, f.provider_id, f.enterprise_uscc, f.project_tag, ops.adapt_datefield_value(f.day),
             f.record_count, json.dumps(f.records), ops.adapt_datetimefield_value(f.detected_at)) for f in flags])


def flags_for_range(low: int, high: int, *, now: datetime,
                    thresholds: AnomalyThresholds = DEFAULT_THRESHOLDS) -> int:
    """Store the flags of the records logged in [low, high) (and of records attributed there); return how many
    records were checked. The daily rollups must be current to at least ``high``."""
    attributed = list(UsageAttribution.objects.filter(log_index__gte=low, log_index__lt=high)
                      .values_list("record_id", flat=True))
    in_range = Q(log_index__gte=low, log_index__lt=high)
    if attributed:
        in_range |= Q(pk__in=attributed) | Q(corrects_id__in=attributed)
    new = _facts(UsageRecord.objects.filter(in_range), with_window=True)
    if not new:
        return 0
    by_pk = {r.pk: r for r in new}
    stored = []
    for flag in (*outside_production_window(new), *late_arrivals(new, thresholds=thresholds),
                 *impossible_quantities(new, thresholds=thresholds)):
        stored.append(_stored(flag, key=f"{flag.kind}:{flag.record_pks[0]}", by_pk=by_pk, now=now))
    neighbours = _neighbours(new, set(by_pk), longest_records_raise(new))
    everyone = {**by_pk, **{r.pk: r for r in neighbours}}
    for flag in shared_hardware([*new, *neighbours]):
        if any(pk in by_pk for pk in flag.record_pks):
            first, second = sorted(flag.record_pks)
            stored.append(_stored(flag, key=f"{flag.kind}:{first}:{second}", by_pk=everyone, now=now))
    _insert_new(stored)
    _spike_flags(new, thresholds=thresholds, now=now)
    return len(new)


def anomalies_behind() -> bool:
    done = MonitorWatermark.objects.filter(name=ANOMALY_WATERMARK).values_list("tree_size", flat=True).first() or 0
    return log_tree_size() > done


def anomalies_advance(*, now: datetime, chunk: int = ANOMALY_CHUNK,
                      thresholds: AnomalyThresholds = DEFAULT_THRESHOLDS) -> int:
    """Bring the rollups up to date, then check every record logged since the anomaly watermark, one chunk per
    transaction (a run that stops resumes from the last committed chunk); return the new watermark."""
    rolled = rollups_advance(now=now)
    while True:
        with transaction.atomic():
            mark = watermark_locked(ANOMALY_WATERMARK)
            rolled = max(rolled, MonitorWatermark.objects.get(name=ROLLUP_WATERMARK).tree_size)
            if mark.tree_size >= rolled:
                return mark.tree_size
            high = min(rolled, mark.tree_size + chunk)
            flags_for_range(mark.tree_size, high, now=now, thresholds=thresholds)
            mark.tree_size = high
            mark.updated_at = now
            mark.save(update_fields=["tree_size", "updated_at"])


def flags_checked_through() -> datetime | None:
    return MonitorWatermark.objects.filter(name=ANOMALY_WATERMARK).values_list("updated_at", flat=True).first()

