"""The one definition of the usage records that count for a work (DESIGN §4), read by the verified cost, the data
notice, the enterprise's usage page and monitoring.

A record counts for a work when its *original* (the record itself, or the record it corrects) is

- an accepted record tagged to the work, or a quarantined record staff attributed to the work, and
- started (Asia/Shanghai date) within the work's production window.

A correction counts wherever its original counts, whatever work or status its own row holds: a platform correction
of an attributed record copies the original's empty ``work`` (docs/decisions.md, "Records that count for a work").
Each row is priced as it was stored (the catalogue in force at the time of use); the net of an original and its
corrections is the sum of their rows.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate

from .models import RecordStatus, UsageAttribution, UsageRecord

PROGRAMME_ZONE = ZoneInfo("Asia/Shanghai")
QUANTITY_FIELD = DecimalField(max_digits=24, decimal_places=6)

__all__ = [
    "CountedTotal",
    "counted_totals_by_work",
    "counted_work",
    "day_bounds",
    "work_counted_cost_microfen",
    "work_counted_originals",
    "work_counted_records",
]


def day_bounds(*, start_on: date, end_on: date) -> tuple[datetime, datetime]:
    """[start, end) of a period of Asia/Shanghai calendar days as aware datetimes."""
    return (datetime.combine(start_on, time.min, PROGRAMME_ZONE),
            datetime.combine(end_on + timedelta(days=1), time.min, PROGRAMME_ZONE))


def counted_work(field: str = "id"):
    """An expression: ``field`` of the work a row counts for (its original's work if accepted, else the work staff
    attributed its original to), or NULL. The production window is not checked here."""
    column = "_id" if field == "id" else f"__{field}"
    return Case(
        When(corrects__isnull=True, status=RecordStatus.ACCEPTED, then=F(f"work{column}")),
        When(corrects__isnull=True, status=RecordStatus.QUARANTINED, then=F(f"attribution__work{column}")),
        When(corrects__status=RecordStatus.ACCEPTED, then=F(f"corrects__work{column}")),
        When(corrects__status=RecordStatus.QUARANTINED, then=F(f"corrects__attribution__work{column}")),
        default=None,
    )


def _originals(works: Q, attributions: Q, *, bounds: tuple[datetime, datetime] | None,
               tree_size: int | None) -> QuerySet:
    """Primary keys of the original records that count: accepted ones of the works and quarantined ones attributed
    to them, started within each work's production window, and within ``bounds`` when given."""
    accepted = UsageRecord.objects.filter(works, corrects__isnull=True, status=RecordStatus.ACCEPTED)
    attributed = UsageAttribution.objects.filter(attributions, record__corrects__isnull=True,
                                                 record__status=RecordStatus.QUARANTINED)
    if bounds is not None:
        accepted = accepted.filter(started_at__gte=bounds[0], started_at__lt=bounds[1])
        attributed = attributed.filter(record__started_at__gte=bounds[0], record__started_at__lt=bounds[1])
    accepted = accepted.alias(started_on=TruncDate("started_at", tzinfo=PROGRAMME_ZONE)).filter(
        started_on__gte=F("work__production_start_on"), started_on__lte=F("work__production_end_on"))
    attributed = attributed.alias(started_on=TruncDate("record__started_at", tzinfo=PROGRAMME_ZONE)).filter(
        started_on__gte=F("work__production_start_on"), started_on__lte=F("work__production_end_on"))
    if tree_size is not None:
        # an attribution logged after the tree size is not part of that state of the log
        accepted = accepted.filter(log_index__lt=tree_size)
        attributed = attributed.filter(log_index__lt=tree_size, record__log_index__lt=tree_size)
    return accepted.values("pk").union(attributed.values("record_id"), all=True)


def _rows(originals: QuerySet, *, tree_size: int | None) -> QuerySet[UsageRecord]:
    """The originals and their corrections, by the index on COALESCE(corrects_id, id) (one query)."""
    rows = UsageRecord.objects.alias(origin_id=Coalesce("corrects_id", "id")).filter(origin_id__in=originals)
    if tree_size is not None:
        rows = rows.filter(log_index__lt=tree_size)
    return rows


def work_counted_records(work, *, start_on: date | None = None, end_on: date | None = None,
                         tree_size: int | None = None) -> QuerySet[UsageRecord]:
    """Every row that counts for the work, originals and their corrections, by log index: started in [start_on,
    end_on] (Asia/Shanghai dates, the original's start) and, with ``tree_size``, logged before it."""
    # the window as aware bounds too, so that the (work, started_at) index narrows the scan
    bounds = day_bounds(start_on=max(work.production_start_on, start_on or work.production_start_on),
                        end_on=min(work.production_end_on, end_on or work.production_end_on))
    originals = _originals(Q(work=work), Q(work=work), bounds=bounds, tree_size=tree_size)
    return _rows(originals, tree_size=tree_size).order_by("log_index")


def work_counted_originals(work, *, start_on: date | None = None, end_on: date | None = None,
                           tree_size: int | None = None) -> QuerySet[UsageRecord]:
    """The original records that count for the work, each annotated with its ``effective_quantity`` and
    ``effective_cost_microfen``: its own figures plus those of its corrections (logged before ``tree_size``)."""
    corrections = UsageRecord.objects.filter(corrects=OuterRef("pk"))
    if tree_size is not None:
        corrections = corrections.filter(log_index__lt=tree_size)
    corrections = corrections.order_by().values("corrects")
    quantity = Subquery(corrections.annotate(total=Sum("quantity")).values("total"), output_field=QUANTITY_FIELD)
    cost = Subquery(corrections.annotate(total=Sum("cost_microfen")).values("total"))
    return (work_counted_records(work, start_on=start_on, end_on=end_on, tree_size=tree_size)
            .filter(corrects__isnull=True)
            .annotate(effective_quantity=F("quantity") + Coalesce(quantity, Value(Decimal(0)),
                                                                  output_field=QUANTITY_FIELD),
                      effective_cost_microfen=F("cost_microfen") + Coalesce(cost, Value(0))))


def work_counted_cost_microfen(work, *, start_on: date | None = None, end_on: date | None = None,
                               tree_size: int | None = None) -> int:
    """Exact cost of the rows that count for the work, in micro-fen (rounded once, by the caller's policy rule)."""
    rows = work_counted_records(work, start_on=start_on, end_on=end_on, tree_size=tree_size)
    return rows.order_by().aggregate(total=Sum("cost_microfen"))["total"] or 0


@dataclass(frozen=True)
class CountedTotal:
    record_count: int
    cost_microfen: int


def counted_totals_by_work(works: QuerySet) -> dict[int, CountedTotal]:
    """Row count and exact cost of the records that count, for each of the given works that has any (one query)."""
    work_ids = works.values("pk")
    originals = _originals(Q(work__in=work_ids), Q(work__in=work_ids), bounds=None, tree_size=None)
    rows = (_rows(originals, tree_size=None).annotate(counted_work_id=counted_work())
            .values("counted_work_id").annotate(n=Count("id"), cost=Sum("cost_microfen")).order_by())
    return {row["counted_work_id"]: CountedTotal(row["n"], row["cost"] or 0) for row in rows}
