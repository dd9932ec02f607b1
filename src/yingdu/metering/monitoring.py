"""Reads for live monitoring: usage totals, daily chart series, anomaly flags and ingestion counters."""

import bisect
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from yingdu.enterprises.selectors import enterprises_by_uscc
from yingdu.rules.money import Money, round_fen

from .anomalies import (
    DEFAULT_THRESHOLDS,
    PROGRAMME_ZONE,
    AnomalyThresholds,
    Flag,
    RecordFacts,
    detect,
    yuan_display,
)
from .counting import counted_work
from .metrics import MetricFamily
from .models import CatalogueEntry, IngestCounter, RecordStatus, UsageRecord

CHART_DAYS = 30
TOTALS_LIMIT = 50
# Anomalies are computed from the records of the last ANOMALY_DAYS (by start or by receipt), at most
# ANOMALY_MAX_RECORDS of them, newest first; spikes are checked for each of those days.
ANOMALY_DAYS = 14
ANOMALY_MAX_RECORDS = 200_000
RECORD_LINKS_PER_FLAG = 10

# The counters kept by the ingestion (services.ingest_counters_add), as (metric, label value) for /metrics.
INGEST_RECORD_STATUSES = ("accepted", "quarantined", "duplicate", "conflict", "invalid")
INGEST_BATCH_OUTCOMES = ("stored", "refused")


def _yuan(microfen: int | Fraction) -> str:
    """Micro-fen as a plain yuan string with two decimals ("1234.50"), half-up to the fen: display only."""
    return Money(round_fen(Fraction(microfen) / 1_000_000)).format_yuan()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PROGRAMME_ZONE)


def chart_days(*, now: datetime, days: int = CHART_DAYS) -> list[date]:
    today = now.astimezone(PROGRAMME_ZONE).date()
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def with_effective_work(queryset: QuerySet[UsageRecord]) -> QuerySet[UsageRecord]:
    """Records annotated with the work they count for (counting.counted_work: a correction follows its original),
    whatever their start; the production window is not checked here."""
    return queryset.annotate(effective_work_id=counted_work(), effective_work_title=counted_work("title"))


def usage_totals(*, now: datetime, records: QuerySet[UsageRecord] | None = None) -> dict[str, list[dict]]:
    """Record counts and cost per enterprise, work and provider for the last 24 hours and 30 days (by start time)."""
    records = UsageRecord.objects.all() if records is None else records
    base = records.filter(started_at__gte=now - timedelta(days=30))
    recent = Q(started_at__gte=now - timedelta(hours=24))
    aggregates = {"records_24h": Count("id", filter=recent), "cost_24h": Sum("cost_microfen", filter=recent),
                  "records_30d": Count("id"), "cost_30d": Sum("cost_microfen"),
                  "quarantined_30d": Count("id", filter=Q(status=RecordStatus.QUARANTINED, attribution__isnull=True))}

    def rows(queryset) -> list[dict]:
        return [{**row, "cost_24h_yuan": yuan_display(row["cost_24h"] or 0),
                 "cost_30d_yuan": yuan_display(row["cost_30d"] or 0)}
                for row in queryset.order_by("-cost_30d")[:TOTALS_LIMIT]]

    by_enterprise = rows(base.values("enterprise_uscc").annotate(**aggregates))
    names = {uscc: e.name for uscc, e in enterprises_by_uscc({r["enterprise_uscc"] for r in by_enterprise}).items()}
    for row in by_enterprise:
        row["enterprise_name"] = names.get(row["enterprise_uscc"], "")
    by_work = rows(with_effective_work(base).values("enterprise_uscc", "project_tag", "effective_work_id",
                                                    "effective_work_title").annotate(**aggregates))
    by_provider = rows(base.values("provider_id", "provider__name").annotate(**aggregates))
    return {"enterprises": by_enterprise, "works": by_work, "providers": by_provider}


def _unit_book(pairs: set[tuple[int, str]]):
    """unit_at(provider_id, sku, moment): the unit of the catalogue version in force then (one query)."""
    versions: dict[tuple[int, str], list[tuple[datetime, str]]] = {}
    providers = {provider_id for provider_id, _sku in pairs}
    skus = {sku for _provider, sku in pairs}
    for entry in CatalogueEntry.objects.filter(provider_id__in=providers, sku__in=skus).order_by("effective_from"):
        versions.setdefault((entry.provider_id, entry.sku), []).append((entry.effective_from, entry.unit))

    def unit_at(provider_id: int, sku: str, moment: datetime | None = None) -> str:
        found = versions.get((provider_id, sku))
        if not found:
            return ""
        if moment is None:
            return found[-1][1]
        position = bisect.bisect_right([start for start, _unit in found], moment) - 1
        return found[max(position, 0)][1]

    return unit_at


@dataclass
class _Series:
    name: str
    values: dict[date, Decimal]


def _chart(days: list[date], series: dict[object, _Series], unit: str) -> dict:
    """The JSON a chart is drawn from (static/yingdu/charts.js): numbers as decimal strings, never floats."""
    return {"days": [f"{day:%Y-%m-%d}" for day in days], "unit": unit,
            "series": [{"name": s.name, "data": [str(s.values.get(day, 0)) for day in days]}
                       for s in sorted(series.values(), key=lambda s: s.name)]}


def _daily_rows(records: QuerySet[UsageRecord], *, days: list[date], fields: tuple[str, ...]):
    return (records.filter(started_at__gte=_start_of(days[0]))
            .annotate(day=TruncDate("started_at", tzinfo=PROGRAMME_ZONE))
            .values("day", *fields).annotate(cost=Sum("cost_microfen"), quantity=Sum("quantity")).order_by())


def provider_daily_charts(*, now: datetime, days: int = CHART_DAYS) -> dict:
    """Daily cost (yuan) per provider and daily quantity per provider and unit, for the last ``days`` days."""
    day_list = chart_days(now=now, days=days)
    rows = list(_daily_rows(UsageRecord.objects.all(), days=day_list, fields=("provider_id", "provider__name", "sku")))
    unit_at = _unit_book({(row["provider_id"], row["sku"]) for row in rows})
    cost: dict[object, _Series] = {}
    quantity: dict[object, _Series] = {}
    cost_microfen: dict[tuple[int, date], int] = {}
    for row in rows:
        key = (row["provider_id"], row["day"])
        cost_microfen[key] = cost_microfen.get(key, 0) + (row["cost"] or 0)
        cost.setdefault(row["provider_id"], _Series(row["provider__name"], {}))
        unit = unit_at(row["provider_id"], row["sku"]) or row["sku"]
        series = quantity.setdefault((row["provider_id"], unit), _Series(f"{row['provider__name']} · {unit}", {}))
        amount = Decimal(row["quantity"] or 0).quantize(Decimal("0.000001"))
        series.values[row["day"]] = series.values.get(row["day"], Decimal(0)) + amount
    for (provider_id, day), microfen in cost_microfen.items():
        cost[provider_id].values[day] = Decimal(_yuan(microfen))
    return {"cost": _chart(day_list, cost, "元"), "quantity": _chart(day_list, quantity, "")}


def work_daily_cost_chart(records: QuerySet[UsageRecord], *, now: datetime, days: int = CHART_DAYS) -> dict:
    """Daily cost (yuan) per work of the given records (an enterprise's own), for the last ``days`` days."""
    day_list = chart_days(now=now, days=days)
    rows = _daily_rows(with_effective_work(records), days=day_list,
                       fields=("effective_work_id", "effective_work_title"))
    microfen: dict[tuple[object, date], int] = {}
    series: dict[object, _Series] = {}
    for row in rows:
        key = row["effective_work_id"]
        series.setdefault(key, _Series(row["effective_work_title"] or "（待归属）", {}))
        microfen[(key, row["day"])] = microfen.get((key, row["day"]), 0) + (row["cost"] or 0)
    for (key, day), value in microfen.items():
        series[key].values[day] = Decimal(_yuan(value))
    return {"cost": _chart(day_list, series, "元")}


def anomaly_record_facts(*, now: datetime, days: int = ANOMALY_DAYS,
                         thresholds: AnomalyThresholds = DEFAULT_THRESHOLDS) -> list[RecordFacts]:
    """The records the anomaly rules look at: started in the checked days and the trailing days before them, or
    received in the checked days (late records); newest first, at most ANOMALY_MAX_RECORDS."""
    checked_from = _start_of(chart_days(now=now, days=days)[0])
    queryset = (with_effective_work(UsageRecord.objects.all())
                .filter(Q(started_at__gte=checked_from - timedelta(days=thresholds.trailing_days))
                        | Q(received_at__gte=checked_from))
                .annotate(window_start=counted_work("production_start_on"),
                          window_end=counted_work("production_end_on"))
                .values("pk", "record_id", "provider_id", "enterprise_uscc", "project_tag", "sku", "quantity",
                        "started_at", "ended_at", "received_at", "cost_microfen", "node_id", "gpu_id",
                        "window_start", "window_end")
                .order_by("-started_at")[:ANOMALY_MAX_RECORDS])
    rows = list(queryset)
    unit_at = _unit_book({(row["provider_id"], row["sku"]) for row in rows})
    return [RecordFacts(
        pk=row["pk"], record_id=row["record_id"], provider_id=row["provider_id"],
        enterprise_uscc=row["enterprise_uscc"], project_tag=row["project_tag"], quantity=Decimal(row["quantity"]),
        unit=unit_at(row["provider_id"], row["sku"], row["started_at"]), started_at=row["started_at"],
        ended_at=row["ended_at"], received_at=row["received_at"], cost_microfen=row["cost_microfen"],
        node_id=row["node_id"], gpu_id=row["gpu_id"],
        window=(row["window_start"], row["window_end"]) if row["window_start"] else None,
    ) for row in rows]


def anomaly_report(*, now: datetime, days: int = ANOMALY_DAYS,
                   thresholds: AnomalyThresholds = DEFAULT_THRESHOLDS) -> list[dict]:
    """Anomaly flags over recent usage, each with its reason and links to (at most 10 of) its records."""
    facts = anomaly_record_facts(now=now, days=days, thresholds=thresholds)
    by_pk = {fact.pk: fact for fact in facts}
    flags: list[Flag] = detect(facts, spike_days=chart_days(now=now, days=days), thresholds=thresholds)
    return [{
        "kind": str(flag.kind), "label": flag.label, "reason": flag.reason,
        "enterprise_uscc": flag.enterprise_uscc, "project_tag": flag.project_tag, "day": flag.day,
        "record_count": len(flag.record_pks),
        "records": [{"id": pk, "record_id": by_pk[pk].record_id} for pk in flag.record_pks[:RECORD_LINKS_PER_FLAG]],
    } for flag in flags]


def ingest_counter_values() -> dict[str, int]:
    """The ingestion counters (one small table): records by outcome and batches by outcome, missing ones as 0."""
    values = dict(IngestCounter.objects.values_list("name", "value"))
    return {
        **{f"records_{status}": values.get(f"records_{status}", 0) for status in INGEST_RECORD_STATUSES},
        **{f"batches_{outcome}": values.get(f"batches_{outcome}", 0) for outcome in INGEST_BATCH_OUTCOMES},
    }


def quarantine_backlog() -> int:
    """Quarantined records not attributed to a work yet."""
    return UsageRecord.objects.filter(status=RecordStatus.QUARANTINED, attribution__isnull=True).count()


def ingest_metrics() -> list[MetricFamily]:
    """The /metrics families: ingestion counters (kept in the database by the ingestion) and two cheap gauges."""
    counters = ingest_counter_values()
    return [
        MetricFamily("yingdu_usage_records_ingested_total", "counter",
                     "Usage records received, by outcome (quarantined records are stored but not attributed).",
                     [({"status": status}, counters[f"records_{status}"]) for status in INGEST_RECORD_STATUSES]),
        MetricFamily("yingdu_usage_batches_total", "counter",
                     "Usage batches received: stored (processed record by record) or refused as a whole.",
                     [({"outcome": outcome}, counters[f"batches_{outcome}"]) for outcome in INGEST_BATCH_OUTCOMES]),
        MetricFamily("yingdu_usage_quarantine_backlog", "gauge",
                     "Quarantined usage records not yet attributed to a work.", [({}, quarantine_backlog())]),
    ]
