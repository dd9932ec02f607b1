"""Anomaly flags on usage records: pure rules over plain values (no Django import), each with a Chinese reason.

The database side (which records, which work windows, which units) is in ``monitoring.py``; these functions only
compute, so they are tested with hand-made records.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from yingdu.rules.money import Money, round_fen

PROGRAMME_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class AnomalyThresholds:
    """Every threshold of the anomaly rules in one place, like a policy value (defaults: ``DEFAULT_THRESHOLDS``)."""

    # a subject's day is a spike when its cost exceeds spike_factor × its average over the trailing_days before it,
    # and at least spike_min_active_days of those days had usage (a work's first days are not spikes)
    spike_factor: Fraction = Fraction(3)
    trailing_days: int = 7
    spike_min_active_days: int = 3
    # a record received later than this after it ended
    late_after: timedelta = timedelta(hours=72)
    # the most GPUs one record may cover: time-based quantities above duration × this are impossible
    max_gpus_per_record: int = 8


DEFAULT_THRESHOLDS = AnomalyThresholds()


class AnomalyKind(StrEnum):
    OUTSIDE_WINDOW = "outside_production_window"
    SHARED_GPU = "shared_gpu"
    SHARED_NODE = "shared_node"
    DAILY_SPIKE = "daily_spike"
    LATE_ARRIVAL = "late_arrival"
    IMPOSSIBLE_QUANTITY = "impossible_quantity"


KIND_LABELS = {
    AnomalyKind.OUTSIDE_WINDOW: "超出制作周期",
    AnomalyKind.SHARED_GPU: "同一 GPU 被两家企业同时使用",
    AnomalyKind.SHARED_NODE: "同一节点被两家企业同时使用",
    AnomalyKind.DAILY_SPIKE: "单日用量突增",
    AnomalyKind.LATE_ARRIVAL: "迟报",
    AnomalyKind.IMPOSSIBLE_QUANTITY: "数量超出时长允许的上限",
}

# Time-based units and the seconds of GPU time one unit stands for. Units are compared after lower-casing and
# removing spaces, so "GPU秒", "gpu 秒" and "GPU-second" are one unit; units not listed (seconds of generated video,
# 1k tokens, items…) are not time-based and get no duration check.
UNIT_SECONDS = {
    "卡时": 3600, "卡小时": 3600, "gpu时": 3600, "gpu小时": 3600, "card-hour": 3600, "card-hours": 3600,
    "gpu-hour": 3600, "gpu-hours": 3600,
    "卡分钟": 60, "gpu分钟": 60, "card-minute": 60, "gpu-minute": 60,
    "卡秒": 1, "gpu秒": 1, "card-second": 1, "gpu-second": 1, "gpu-seconds": 1,
}


def unit_seconds(unit: str) -> int | None:
    """Seconds of one GPU's time per unit, or None when the unit is not time-based."""
    return UNIT_SECONDS.get(unit.strip().lower().replace(" ", "").replace("_", "-"))


@dataclass(frozen=True)
class RecordFacts:
    """What the rules need to know about one stored usage record."""

    pk: int
    record_id: str
    provider_id: int
    enterprise_uscc: str
    project_tag: str
    quantity: Decimal
    unit: str
    started_at: datetime
    ended_at: datetime
    received_at: datetime
    cost_microfen: int = 0
    node_id: str = ""
    gpu_id: str = ""
    # the production window of the work the record counts for (directly or by attribution), when it has one
    window: tuple[date, date] | None = None


@dataclass(frozen=True)
class Flag:
    kind: AnomalyKind
    reason: str
    record_pks: tuple[int, ...]
    enterprise_uscc: str = ""
    project_tag: str = ""
    day: date | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def outside_production_window(records: Iterable[RecordFacts], *, zone: ZoneInfo = PROGRAMME_ZONE) -> list[Flag]:
    """Records that start before their work's first production day or end after its last (local dates)."""
    flags = []
    for record in records:
        if record.window is None:
            continue
        first_on, last_on = record.window
        if record.started_at < _start_of(first_on, zone) or record.ended_at > _start_of(last_on + timedelta(1), zone):
            flags.append(Flag(
                AnomalyKind.OUTSIDE_WINDOW,
                f"用量时间 {_local(record.started_at, zone)} – {_local(record.ended_at, zone)} 不在作品制作周期 "
                f"{first_on:%Y-%m-%d} 至 {last_on:%Y-%m-%d} 内",
                (record.pk,), record.enterprise_uscc, record.project_tag))
    return flags


def _overlapping_pairs(records: list[RecordFacts]):
    """Pairs of records whose [started_at, ended_at) intervals overlap (a sweep over records sorted by start)."""
    active: list[RecordFacts] = []
    for record in sorted(records, key=lambda r: (r.started_at, r.pk)):
        active = [other for other in active if other.ended_at > record.started_at]
        for other in active:
            yield other, record
        active.append(record)


def shared_hardware(records: Iterable[RecordFacts], *, zone: ZoneInfo = PROGRAMME_ZONE) -> list[Flag]:
    """One provider's GPU, or node, used by two different enterprises at overlapping times.

    A node holds several GPUs, so two enterprises on one node are flagged only when the records do not name two
    different GPUs; the same GPU is flagged once, as a GPU.
    """
    by_gpu: dict[tuple[int, str], list[RecordFacts]] = defaultdict(list)
    by_node: dict[tuple[int, str], list[RecordFacts]] = defaultdict(list)
    for record in records:
        if record.gpu_id:
            by_gpu[(record.provider_id, record.gpu_id)].append(record)
        if record.node_id:
            by_node[(record.provider_id, record.node_id)].append(record)
    flags = []
    for kind, groups, noun in ((AnomalyKind.SHARED_GPU, by_gpu, "GPU"), (AnomalyKind.SHARED_NODE, by_node, "节点")):
        for (_provider_id, hardware_id), group in sorted(groups.items()):
            for first, second in _overlapping_pairs(group):
                if first.enterprise_uscc == second.enterprise_uscc:
                    continue
                if kind == AnomalyKind.SHARED_NODE and first.gpu_id and second.gpu_id:
                    continue  # both name their GPU: different GPUs are fine, the same GPU is flagged above
                overlap_from = max(first.started_at, second.started_at)
                overlap_to = min(first.ended_at, second.ended_at)
                flags.append(Flag(
                    kind,
                    f"{noun} {hardware_id} 在 {_local(overlap_from, zone)} – {_local(overlap_to, zone)} 同时被企业 "
                    f"{first.enterprise_uscc}（记录 {first.record_id}）与 {second.enterprise_uscc}"
                    f"（记录 {second.record_id}）使用",
                    (first.pk, second.pk), first.enterprise_uscc, first.project_tag))
    return flags


def late_arrivals(records: Iterable[RecordFacts], *, thresholds: AnomalyThresholds = DEFAULT_THRESHOLDS
                  ) -> list[Flag]:
    """Records received more than ``thresholds.late_after`` after they ended."""
    limit_hours = Fraction(thresholds.late_after.total_seconds()) / 3600
    flags = []
    for record in records:
        delay = record.received_at - record.ended_at
        if delay > thresholds.late_after:
            hours = Fraction(delay.total_seconds()) / 3600
            flags.append(Flag(
                AnomalyKind.LATE_ARRIVAL,
                f"用量结束 {float(hours):.1f} 小时后才上报（上限 {limit_hours} 小时）",
                (record.pk,), record.enterprise_uscc, record.project_tag))
    return flags


def max_time_quantity(*, unit: str, started_at: datetime, ended_at: datetime, max_gpus: int) -> Fraction | None:
    """The most a time-based quantity can be: elapsed seconds × max GPUs ÷ seconds per unit; None if not time-based."""
    seconds_per_unit = unit_seconds(unit)
    if seconds_per_unit is None:
        return None
    elapsed = Fraction((ended_at - started_at).total_seconds())
    return max(elapsed, Fraction(0)) * max_gpus / seconds_per_unit


def impossible_quantities(records: Iterable[RecordFacts], *, thresholds: AnomalyThresholds = DEFAULT_THRESHOLDS
                          ) -> list[Flag]:
    """Time-based records (card-hours, GPU-seconds…) claiming more GPU time than the duration allows."""
    flags = []
    for record in records:
        limit = max_time_quantity(unit=record.unit, started_at=record.started_at, ended_at=record.ended_at,
                                  max_gpus=thresholds.max_gpus_per_record)
        # a negative correction takes time back; its size is what must fit in the duration
        if limit is None or Fraction(abs(record.quantity)) <= limit:
            continue
        hours = Fraction((record.ended_at - record.started_at).total_seconds()) / 3600
        flags.append(Flag(
            AnomalyKind.IMPOSSIBLE_QUANTITY,
            f"数量 {record.quantity.normalize():f} {record.unit} 超过时长允许的上限 {float(limit):.6g} {record.unit}"
            f"（{float(hours):.4g} 小时 × 每条记录最多 {thresholds.max_gpus_per_record} 卡）",
            (record.pk,), record.enterprise_uscc, record.project_tag))
    return flags


def daily_costs(records: Iterable[RecordFacts], *, zone: ZoneInfo = PROGRAMME_ZONE
                ) -> dict[tuple[str, str], dict[date, int]]:
    """Cost in micro-fen per (enterprise USCC, project tag) and local day of the record's start."""
    totals: dict[tuple[str, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for record in records:
        totals[(record.enterprise_uscc, record.project_tag)][record.started_at.astimezone(zone).date()] += (
            record.cost_microfen)
    return totals


def daily_spikes(costs: Mapping[tuple[str, str], Mapping[date, int]], *, days: Iterable[date],
                 thresholds: AnomalyThresholds = DEFAULT_THRESHOLDS) -> list[Flag]:
    """Days on which a subject's cost exceeds ``spike_factor`` × its trailing average (days without usage count 0).

    Record links are left empty; the caller knows which records make up the day.
    """
    flags = []
    trailing = thresholds.trailing_days
    for (uscc, tag), per_day in sorted(costs.items()):
        for day in sorted(days):
            today = per_day.get(day, 0)
            before = [per_day.get(day - timedelta(offset), 0) for offset in range(1, trailing + 1)]
            active = sum(1 for value in before if value > 0)
            if active < thresholds.spike_min_active_days or today <= 0:
                continue
            average = Fraction(sum(before), trailing)
            if average > 0 and today > thresholds.spike_factor * average:
                flags.append(Flag(
                    AnomalyKind.DAILY_SPIKE,
                    f"{day:%Y-%m-%d} 费用 {yuan_display(today)} 元，是前 {trailing} 天日均 {yuan_display(average)} 元的 "
                    f"{float(today / average):.1f} 倍（阈值 {thresholds.spike_factor} 倍）",
                    (), uscc, tag, day))
    return flags


def yuan_display(microfen: Fraction | int) -> str:
    """Micro-fen as yuan for a page or a reason ("1,234.50"), half-up to the fen: display only."""
    return Money(round_fen(Fraction(microfen) / 1_000_000)).format_display()


def detect(records: list[RecordFacts], *, spike_days: Iterable[date], zone: ZoneInfo = PROGRAMME_ZONE,
           thresholds: AnomalyThresholds = DEFAULT_THRESHOLDS) -> list[Flag]:
    """Every rule over one set of records; spike flags link that day's records, costliest first."""
    flags = [
        *outside_production_window(records, zone=zone),
        *shared_hardware(records, zone=zone),
        *late_arrivals(records, thresholds=thresholds),
        *impossible_quantities(records, thresholds=thresholds),
    ]
    spikes = daily_spikes(daily_costs(records, zone=zone), days=spike_days, thresholds=thresholds)
    if spikes:
        members: dict[tuple[str, str, date], list[RecordFacts]] = defaultdict(list)
        for record in records:
            members[(record.enterprise_uscc, record.project_tag, record.started_at.astimezone(zone).date())].append(
                record)
        for spike in spikes:
            day_records = sorted(members[(spike.enterprise_uscc, spike.project_tag, spike.day)],
                                 key=lambda r: (-r.cost_microfen, r.pk))
            flags.append(Flag(spike.kind, spike.reason, tuple(r.pk for r in day_records), spike.enterprise_uscc,
                              spike.project_tag, spike.day))
    return flags
