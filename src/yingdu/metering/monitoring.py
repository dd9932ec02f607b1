"""Reads for live monitoring: usage totals, daily chart series, anomaly flags and ingestion counters."""

import bisect
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from yingdu.enterprises.selectors import enterprises_by_uscc
from yingdu.keyset import keyset_page
from yingdu.rules.money import Money, round_fen

from .anomalies import KIND_LABELS, PROGRAMME_ZONE, AnomalyKind, yuan_display
from .counting import counted_work
from .metrics import MetricFamily
from .models import AnomalyFlag, CatalogueEntry, IngestCounter, RecordStatus, RollupPeriod, UsageRecord, UsageRollup
from .rollups import day_floor, hour_floor

CHART_DAYS = 30
TOTALS_LIMIT = 50
# The anomaly API's default window: flags of the last ANOMALY_DAYS days (flags are stored by the anomaly task,
# flagging.py, over every record).
ANOMALY_DAYS = 14
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


_TOTALS = ("records_24h", "cost_24h", "records_30d", "cost_30d", "quarantined_30d")


def usage_totals(*, now: datetime) -> dict[str, list[dict]]:
    """Record counts and cost per enterprise, work and provider for the last 24 hours (the 24 hour buckets up to
    the current one) and 30 days (the 30 Beijing days up to today), by start time, from the rollups: the top
    ``TOTALS_LIMIT`` of each by 30-day cost.

    One GROUP BY reads the window's rollups once, per (enterprise, tag, work, provider); the three tables are summed
    from its rows here, instead of three GROUP BYs over the same rollup rows."""
    day_from = day_floor(now, days_back=CHART_DAYS - 1)
    hour_from = hour_floor(now) - timedelta(hours=23)
    recent = Q(period=RollupPeriod.HOUR, bucket_start__gte=hour_from)
    month = Q(period=RollupPeriod.DAY, bucket_start__gte=day_from)
    combinations = (UsageRollup.objects.filter(recent | month)
                    .values("enterprise_uscc", "project_tag", "work_id", "work__title", "provider_id", "provider__name")
                    .annotate(records_24h=Sum("record_count", filter=recent),
                              cost_24h=Sum("cost_microfen", filter=recent),
                              records_30d=Sum("record_count", filter=month), cost_30d=Sum("cost_microfen", filter=month),
                              quarantined_30d=Sum("record_count", filter=month & Q(work__isnull=True)))
                    .order_by())
    groups: dict[str, dict[tuple, dict]] = {"enterprises": {}, "works": {}, "providers": {}}
    for row in combinations:
        keys = {"enterprises": {"enterprise_uscc": row["enterprise_uscc"]},
                "works": {"enterprise_uscc": row["enterprise_uscc"], "project_tag": row["project_tag"],
                          "effective_work_id": row["work_id"], "effective_work_title": row["work__title"]},
                "providers": {"provider_id": row["provider_id"], "provider__name": row["provider__name"]}}
        for table, key in keys.items():
            total = groups[table].setdefault(tuple(key.values()), {**key, **dict.fromkeys(_TOTALS, 0)})
            for name in _TOTALS:
                total[name] += row[name] or 0

    def top(table: str) -> list[dict]:
        ranked = sorted(groups[table].items(), key=lambda item: (-item[1]["cost_30d"], tuple(map(str, item[0]))))
        return [{**total, "cost_24h_yuan": yuan_display(total["cost_24h"]),
                 "cost_30d_yuan": yuan_display(total["cost_30d"])} for _key, total in ranked[:TOTALS_LIMIT]]

    by_enterprise = top("enterprises")
    names = {uscc: e.name for uscc, e in enterprises_by_uscc({r["enterprise_uscc"] for r in by_enterprise}).items()}
    for row in by_enterprise:
        row["enterprise_name"] = names.get(row["enterprise_uscc"], "")
    return {"enterprises": by_enterprise, "works": top("works"), "providers": top("providers")}


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
    """Daily cost (yuan) per provider and daily quantity per provider and unit, for the last ``days`` days (from the
    daily rollups)."""
    day_list = chart_days(now=now, days=days)
    rows = list(UsageRollup.objects.filter(period=RollupPeriod.DAY, bucket_start__gte=_start_of(day_list[0]))
                .values("bucket_start", "provider_id", "provider__name", "sku")
                .annotate(cost=Sum("cost_microfen"), quantity=Sum("quantity")).order_by())
    for row in rows:
        row["day"] = row["bucket_start"].astimezone(PROGRAMME_ZONE).date()
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


ANOMALY_PAGE_SIZE = 50


@dataclass(frozen=True)
class AnomalyFilters:
    kind: str = ""
    provider_id: int | None = None
    enterprise_uscc: str = ""
    day: date | None = None
    since: date | None = None


def anomaly_flags_queryset(filters: AnomalyFilters | None = None) -> QuerySet[AnomalyFlag]:
    """The stored flags matching ``filters``, unordered (the page or the API orders and pages them by id)."""
    filters = filters or AnomalyFilters()
    flags = AnomalyFlag.objects.all()
    if filters.kind:
        flags = flags.filter(kind=filters.kind)
    if filters.provider_id is not None:
        flags = flags.filter(provider_id=filters.provider_id)
    if filters.enterprise_uscc:
        flags = flags.filter(enterprise_uscc=filters.enterprise_uscc)
    if filters.day is not None:
        flags = flags.filter(day=filters.day)
    if filters.since is not None:
        flags = flags.filter(day__gte=filters.since)
    return flags


def anomaly_as_dict(flag: AnomalyFlag) -> dict:
    """One flag as the page and the API show it: its Chinese label and reason, and its first related records."""
    return {
        "id": flag.pk, "kind": flag.kind, "label": KIND_LABELS.get(AnomalyKind(flag.kind), flag.kind)
        if flag.kind in AnomalyKind else flag.kind, "reason": flag.reason,
        "provider_id": flag.provider_id, "enterprise_uscc": flag.enterprise_uscc, "project_tag": flag.project_tag,
        "day": flag.day, "record_count": flag.record_count, "detected_at": flag.detected_at,
        "records": [{"id": pk, "record_id": record_id} for pk, record_id in flag.records[:RECORD_LINKS_PER_FLAG]],
    }


def anomaly_flags(*, filters: AnomalyFilters | None = None, after: int | None = None,
                  limit: int = ANOMALY_PAGE_SIZE) -> tuple[list[dict], int | None]:
    """A page of stored flags, newest first, after the flag id ``after`` (keyset); and the id to continue after, or
    None on the last page."""
    page = keyset_page(anomaly_flags_queryset(filters), key="id", after=after, size=limit)
    return [anomaly_as_dict(flag) for flag in page.items], page.next_after


def anomaly_report(*, now: datetime, days: int = ANOMALY_DAYS, limit: int = 1000) -> list[dict]:
    """The stored flags of the last ``days`` Beijing days (of the records' start, or the spike's day), newest
    first, at most ``limit``."""
    since = chart_days(now=now, days=days)[0]
    return anomaly_flags(filters=AnomalyFilters(since=since), limit=limit)[0]


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
