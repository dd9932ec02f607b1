"""Usage rollups: hourly and daily sums kept by the monitoring task from the log, behind a watermark.

The task reads the log in ranges of log indexes [watermark, tree size): the usage records (originals and
corrections) stored there are added to their hour and day; the attributions logged there move the rows of their
record logged *before* the range from "no work" to the attributed work (rows inside the range are summed with the
work they count for at the end of the range). The sequencer lock is a row lock held to commit, so every entry below
the tree size read from the log head is committed: nothing can arrive behind the watermark.

Rollups are derived data (not audited); ``rollups_recompute`` sums the raw rows below the watermark in one pass so
that ``yingdu usage_rollup_check`` can compare (and, with ``--repair``, replace).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, Count, F, Sum, When
from django.db.models.functions import Coalesce, TruncHour

from yingdu.transparency.models import LogHead

from .anomalies import PROGRAMME_ZONE
from .models import MonitorWatermark, RecordStatus, RollupPeriod, UsageAttribution, UsageRecord, UsageRollup

ROLLUP_WATERMARK = "usage_rollup"
# log indexes read per transaction: a long backlog (first run, a restore) is worked off in resumable steps
ROLLUP_CHUNK = 200_000

Key = tuple[str, datetime, int, str, str, int | None, str]


@dataclass
class Sums:
    quantity: Decimal = Decimal(0)
    cost_microfen: int = 0
    record_count: int = 0

    def add(self, quantity, cost, count, sign: int = 1) -> None:
        self.quantity += sign * Decimal(quantity or 0)
        self.cost_microfen += sign * int(cost or 0)
        self.record_count += sign * int(count or 0)

    def is_zero(self) -> bool:
        return not self.quantity and not self.cost_microfen and not self.record_count


@dataclass
class Deltas:
    sums: dict[Key, Sums] = field(default_factory=lambda: defaultdict(Sums))

    def add(self, *, hour: datetime, provider_id: int, uscc: str, tag: str, work_id: int | None, sku: str,
            quantity, cost, count, sign: int = 1) -> None:
        hour = hour.astimezone(PROGRAMME_ZONE)
        day = hour.replace(hour=0, minute=0, second=0, microsecond=0)
        for period, start in ((RollupPeriod.HOUR.value, hour), (RollupPeriod.DAY.value, day)):
            self.sums[(period, start, provider_id, uscc, tag, work_id, sku)].add(quantity, cost, count, sign)


def work_as_of(tree_size: int):
    """The work a row counts for as the log stood at ``tree_size`` (counting.counted_work, with attributions
    logged at or after ``tree_size`` not yet made)."""
    return Case(
        When(corrects__isnull=True, status=RecordStatus.ACCEPTED, then=F("work_id")),
        When(corrects__isnull=True, status=RecordStatus.QUARANTINED, attribution__log_index__lt=tree_size,
             then=F("attribution__work_id")),
        When(corrects__status=RecordStatus.ACCEPTED, then=F("corrects__work_id")),
        When(corrects__status=RecordStatus.QUARANTINED, corrects__attribution__log_index__lt=tree_size,
             then=F("corrects__attribution__work_id")),
        default=None,
    )


def _hourly(records, *, work):
    return (records.annotate(hour=TruncHour("started_at", tzinfo=PROGRAMME_ZONE), rollup_work=work)
            .values("hour", "provider_id", "enterprise_uscc", "project_tag", "rollup_work", "sku")
            .annotate(q=Sum("quantity"), c=Sum("cost_microfen"), n=Count("id")).order_by())


def _range_deltas(low: int, high: int) -> Deltas:
    """What the log entries in [low, high) change: new rows, and rows moved by new attributions."""
    deltas = Deltas()
    for row in _hourly(UsageRecord.objects.filter(log_index__gte=low, log_index__lt=high), work=work_as_of(high)):
        deltas.add(hour=row["hour"], provider_id=row["provider_id"], uscc=row["enterprise_uscc"],
                   tag=row["project_tag"], work_id=row["rollup_work"], sku=row["sku"], quantity=row["q"],
                   cost=row["c"], count=row["n"])
    attributed = dict(UsageAttribution.objects.filter(log_index__gte=low, log_index__lt=high)
                      .values_list("record_id", "work_id"))
    if attributed:
        earlier = (UsageRecord.objects.filter(log_index__lt=low)
                   .annotate(origin_id=Coalesce("corrects_id", "id")).filter(origin_id__in=list(attributed))
                   .annotate(hour=TruncHour("started_at", tzinfo=PROGRAMME_ZONE))
                   .values("hour", "provider_id", "enterprise_uscc", "project_tag", "sku", "origin_id")
                   .annotate(q=Sum("quantity"), c=Sum("cost_microfen"), n=Count("id")).order_by())
        for row in earlier:
            common = {"hour": row["hour"], "provider_id": row["provider_id"], "uscc": row["enterprise_uscc"],
                      "tag": row["project_tag"], "sku": row["sku"], "quantity": row["q"], "cost": row["c"],
                      "count": row["n"]}
            deltas.add(work_id=None, sign=-1, **common)
            deltas.add(work_id=attributed[row["origin_id"]], **common)
    return deltas


UPSERT = """
INSERT INTO {table} (period, bucket_start, provider_id, enterprise_uscc, project_tag, work_id, sku, quantity,
                     cost_microfen, record_count)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (period, bucket_start, provider_id, enterprise_uscc, project_tag, COALESCE(work_id, 0), sku)
DO UPDATE SET quantity = {table}.quantity + excluded.quantity,
              cost_microfen = {table}.cost_microfen + excluded.cost_microfen,
              record_count = {table}.record_count + excluded.record_count
"""


def _apply(deltas: Deltas) -> None:
    """Add the deltas to the stored rollups in one INSERT … ON CONFLICT DO UPDATE per row (PostgreSQL and SQLite);
    rows that an attribution emptied are deleted. The caller holds the watermark lock."""
    changes = {key: sums for key, sums in deltas.sums.items() if not sums.is_zero()}
    if not changes:
        return
    ops = connection.ops
    rows = [(period, ops.adapt_datetimefield_value(start), provider_id, uscc, tag, work_id, sku,
             ops.adapt_decimalfield_value(sums.quantity, 28, 6), sums.cost_microfen, sums.record_count)
            for (period, start, provider_id, uscc, tag, work_id, sku), sums in changes.items()]
    with connection.cursor() as cursor:
        cursor.executemany(UPSERT.format(table=UsageRollup._meta.db_table), rows)
    emptied: dict[str, set[datetime]] = defaultdict(set)
    for (period, start, *_rest), sums in changes.items():
        if sums.record_count < 0:  # only an attribution takes rows away
            emptied[period].add(start)
    for period, starts in emptied.items():
        UsageRollup.objects.filter(period=period, bucket_start__in=starts, record_count=0).delete()


def _normal(key: Key) -> Key:
    period, start, *rest = key
    return (period, start.astimezone(PROGRAMME_ZONE), *rest)


def _key_of(row: UsageRollup) -> Key:
    return (row.period, row.bucket_start.astimezone(PROGRAMME_ZONE), row.provider_id, row.enterprise_uscc,
            row.project_tag, row.work_id, row.sku)


def watermark_locked(name: str) -> MonitorWatermark:
    """The named watermark, locked for the caller's transaction (one run of a task at a time)."""
    MonitorWatermark.objects.get_or_create(name=name)
    return MonitorWatermark.objects.select_for_update().get(name=name)


def log_tree_size() -> int:
    head = LogHead.objects.filter(pk=1).values_list("tree_size", flat=True).first()
    return head or 0


def rollups_behind() -> bool:
    """True when the log has entries the rollups have not read (the periodic task's cheap condition)."""
    done = MonitorWatermark.objects.filter(name=ROLLUP_WATERMARK).values_list("tree_size", flat=True).first() or 0
    return log_tree_size() > done


def rollups_advance(*, now: datetime, chunk: int = ROLLUP_CHUNK, until: int | None = None) -> int:
    """Read the log from the watermark to its current size (or ``until``), one chunk per transaction; return the
    new watermark. Running it again with nothing new changes nothing."""
    while True:
        with transaction.atomic():
            mark = watermark_locked(ROLLUP_WATERMARK)
            target = log_tree_size() if until is None else min(until, log_tree_size())
            if mark.tree_size >= target:
                return mark.tree_size
            high = min(target, mark.tree_size + chunk)
            _apply(_range_deltas(mark.tree_size, high))
            mark.tree_size = high
            mark.updated_at = now
            mark.save(update_fields=["tree_size", "updated_at"])


def rollups_recompute(*, tree_size: int) -> dict[Key, Sums]:
    """The rollups as they should be at ``tree_size``, summed from the raw rows in one pass."""
    deltas = Deltas()
    for row in _hourly(UsageRecord.objects.filter(log_index__lt=tree_size), work=work_as_of(tree_size)):
        deltas.add(hour=row["hour"], provider_id=row["provider_id"], uscc=row["enterprise_uscc"],
                   tag=row["project_tag"], work_id=row["rollup_work"], sku=row["sku"], quantity=row["q"],
                   cost=row["c"], count=row["n"])
    return {_normal(key): sums for key, sums in deltas.sums.items() if not sums.is_zero()}


@dataclass
class RollupCheck:
    tree_size: int
    stored_rows: int
    expected_rows: int
    differences: list[tuple[Key, Sums | None, Sums | None]]

    @property
    def ok(self) -> bool:
        return not self.differences


def rollups_check(*, repair: bool = False) -> RollupCheck:
    """Compare the stored rollups with a recomputation from the raw rows at the watermark (under its lock, so the
    task does not move it meanwhile); with ``repair``, replace them by the recomputation."""
    with transaction.atomic():
        mark = watermark_locked(ROLLUP_WATERMARK)
        expected = rollups_recompute(tree_size=mark.tree_size)
        stored = {_key_of(row): Sums(row.quantity, row.cost_microfen, row.record_count)
                  for row in UsageRollup.objects.all()}
        differences = [(key, stored.get(key), expected.get(key)) for key in sorted(
            set(stored) | set(expected), key=lambda k: (k[0], k[1], k[2], k[3], k[4], k[5] or 0, k[6]))
            if stored.get(key) != expected.get(key)]
        if repair and differences:
            UsageRollup.objects.all().delete()
            replacement = Deltas()
            replacement.sums.update(expected)
            _apply(replacement)
    return RollupCheck(mark.tree_size, len(stored), len(expected), differences)


def hour_floor(moment: datetime) -> datetime:
    local = moment.astimezone(PROGRAMME_ZONE)
    return local.replace(minute=0, second=0, microsecond=0)


def day_floor(moment: datetime, *, days_back: int = 0) -> datetime:
    local = moment.astimezone(PROGRAMME_ZONE)
    day = local.date() - timedelta(days=days_back)
    return datetime(day.year, day.month, day.day, tzinfo=PROGRAMME_ZONE)
