"""Usage records (streamed page by page, linked by log_index) and usage attributions, from the metering.* entries;
the frozen record list of each data notice, from its notices.issued entry."""

import bisect
import hashlib
import json
from datetime import UTC
from decimal import Context, Decimal

from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from yingdu.metering.models import RecordOrigin, RecordStatus, SigningKey, UsageAttribution, UsageRecord
from yingdu.notices.models import DataNotice
from yingdu.rules.uscc import UsccProblem, validate_uscc

from .base import (
    DELETED,
    EDITED,
    INSERTED,
    Committed,
    ExpectedRows,
    Mismatch,
    MismatchSink,
    Projection,
    as_utc,
    parse_time,
)

USAGE_TABLE = UsageRecord._meta.db_table
ATTRIBUTION_TABLE = UsageAttribution._meta.db_table
NOTICE_RECORDS = DataNotice.records.through
NOTICE_RECORDS_TABLE = NOTICE_RECORDS._meta.db_table

# The compared columns of a usage record, in the order of the expected tuples built below.
USAGE_COLUMNS = (
    "provider_id", "record_id", "content_sha256", "enterprise_uscc", "project_tag", "sku", "quantity", "started_at",
    "ended_at", "node_id", "job_id", "gpu_id", "corrects_id", "status", "quarantine_reason", "enterprise_id",
    "work_id", "category", "price_fen", "cost_microfen", "origin", "signing_key_id", "batch_root", "received_at",
    "signature", "batch_index", "batch_size", "batch_path",
)
_DATETIMES = {USAGE_COLUMNS.index(name) for name in ("started_at", "ended_at", "received_at")}
_QUANTITY = USAGE_COLUMNS.index("quantity")
_USCC = USAGE_COLUMNS.index("enterprise_uscc")
# SQLite keeps decimals as REAL; read back as Django does (DatabaseOperations.get_decimalfield_converter).
_FLOAT_TO_DECIMAL = Context(prec=15).create_decimal_from_float
_MICRO = Decimal(1).scaleb(-6)


class _Unknown:
    """A value no entry records (e.g. a correction's node id): equal to anything, listed as not verified."""

    def __eq__(self, other) -> bool:
        return True

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "<not in the entry>"


UNKNOWN = _Unknown()
# signature, batch_index, batch_size, batch_path: of a platform correction (none), of a version-1 entry (not recorded)
_NO_SIGNATURE = (None, None, None, None)
_UNKNOWN_SIGNATURE = (UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN)


class PriceBook:
    """Service categories of each provider's SKUs by effective time, from the metering.price_added entries."""

    def __init__(self) -> None:
        self._starts: dict[tuple[int, str], list] = {}
        self._categories: dict[tuple[int, str], list[str]] = {}

    def add(self, event: dict) -> None:
        key = (event["provider"], event["sku"])
        starts = self._starts.setdefault(key, [])
        categories = self._categories.setdefault(key, [])
        moment = parse_time(event["effective_from"])
        position = bisect.bisect_right(starts, moment)
        starts.insert(position, moment)
        categories.insert(position, event["category"])

    def category_at(self, provider_id: int, sku: str, moment) -> object:
        categories = self._categories.get((provider_id, sku))
        if categories is None:
            return UNKNOWN
        if len(categories) == 1:
            return categories[0]
        position = bisect.bisect_right(self._starts[(provider_id, sku)], moment) - 1
        return categories[position] if position >= 0 else UNKNOWN


class UsageProjection(Projection):
    tables = {
        USAGE_TABLE: ("id (a row is named by the log index of its entry, which it stores)",),
        ATTRIBUTION_TABLE: ("id (a row is named by the log index of its entry, which it stores)",),
        NOTICE_RECORDS_TABLE: ("id (a row is named by its notice and its record's log index)",),
    }
    name = "usage"

    def __init__(self) -> None:
        self.prices = PriceBook()
        self.signing_keys = {key_id: pk for pk, key_id in SigningKey.objects.values_list("pk", "key_id")}
        self.attributions = ExpectedRows(ATTRIBUTION_TABLE)
        self._pending: dict[int, tuple] = {}
        self._times: dict[str, tuple] = {}
        self._last_batch_root: tuple[str | None, bytes | None] = (None, None)
        self._last_signature: tuple[str | None, bytes | None] = (None, None)
        # notice id -> (index of its notices.issued entry, the log indexes of its records)
        self.notice_records: dict[int, tuple[int, list[int]]] = {}
        self.notices_unlisted: set[int] = set()
        sqlite = connection.vendor == "sqlite"
        # Expected datetimes in the form a raw cursor returns them, so that a page compares as plain tuples.
        self._db_time = (lambda moment: moment.astimezone(UTC).replace(tzinfo=None)) if sqlite else (lambda m: m)
        quote = connection.ops.quote_name
        self._page_sql = (
            f"SELECT {quote('log_index')}, {quote('id')}, {', '.join(quote(c) for c in USAGE_COLUMNS)} "
            f"FROM {quote(USAGE_TABLE)} WHERE {quote('log_index')} >= %s AND {quote('log_index')} < %s "
            f"ORDER BY {quote('log_index')}")
        self._outside_sql = (
            f"SELECT {quote('log_index')}, {quote('id')} FROM {quote(USAGE_TABLE)} "
            f"WHERE {quote('log_index')} < 0 OR {quote('log_index')} >= %s ORDER BY {quote('log_index')}")

    def entry(self, index: int, event_type: str, event: dict) -> None:
        if event_type in ("metering.usage_accepted", "metering.usage_quarantined", "metering.usage_corrected"):
            self._pending[index] = self._expected_usage(event_type, event)
        elif event_type == "metering.price_added":
            self.prices.add(event)
        elif event_type == "notices.issued":
            if "records" in event:
                self.notice_records[event["notice"]] = (index, event["records"])
            else:
                self.notices_unlisted.add(event["notice"])
        elif event_type == "metering.usage_attributed":
            self.attributions.create(index, index, {
                "record_id": event["record"], "work_id": event["work"], "enterprise_id": event["enterprise"],
                "actor_id": event["actor"], "at": parse_time(event["at"]),
                "reason": Committed(event["reason_commitment"], ("reason",), ("row", "commitment_salt")),
            })

    def _time(self, text: str):
        """An entry's time in the form the cursor returns it; cached, since a batch shares its times."""
        cached = self._times.get(text)
        if cached is None:
            if len(self._times) > 50_000:
                self._times.clear()
            cached = self._times[text] = (parse_time(text), self._db_time(parse_time(text)))
        return cached

    def _expected_usage(self, event_type: str, event: dict) -> tuple:
        record = json.loads(event["record"])
        started_at, started_db = self._time(record["started_at"])
        provider_id = event["provider"]
        correction = event_type == "metering.usage_corrected"
        quarantine = event.get("quarantine")
        return (
            provider_id, record["record_id"], event["record_sha256"], record["enterprise_uscc"],
            record["project_tag"], record["sku"], Decimal(record["quantity"]), started_db,
            self._time(record["ended_at"])[1],
            *((event.get("node_id", UNKNOWN), event.get("job_id", UNKNOWN), event.get("gpu_id", UNKNOWN))
              if correction else (record.get("node_id", ""), record.get("job_id", ""), record.get("gpu_id", ""))),
            event["corrects"],
            RecordStatus.QUARANTINED if quarantine else RecordStatus.ACCEPTED, quarantine or "",
            event["enterprise"], event["work"], self.prices.category_at(provider_id, record["sku"], started_at),
            event["sku_price_fen"], event["cost_microfen"],
            RecordOrigin.OBJECTION if correction else RecordOrigin.PROVIDER,
            None if correction else self.signing_keys.get(event["signing_key"], event["signing_key"]),
            self._batch_root(event.get("batch_root")), self._time(event["at"])[1],
            *(_NO_SIGNATURE if correction else self._signature(event)),
        )

    def _signature(self, event: dict) -> tuple:
        """The signature and batch columns a provider's record stores (unknown for an entry of version 1)."""
        if "signature" not in event:
            return _UNKNOWN_SIGNATURE
        text = event["signature"]
        if text != self._last_signature[0]:
            self._last_signature = (text, bytes.fromhex(text))
        return self._last_signature[1], event["batch_index"], event["batch_size"], event["batch_path_sha256"]

    def _batch_root(self, text: str | None) -> bytes | None:
        if not text:
            return None
        if text != self._last_batch_root[0]:
            self._last_batch_root = (text, bytes.fromhex(text))
        return self._last_batch_root[1]

    def page(self, start: int, end: int, sink: MismatchSink) -> None:
        pending = self._pending
        with connection.cursor() as cursor:
            cursor.execute(self._page_sql, [start, end])
            rows = cursor.fetchall()
        for row in rows:
            log_index = row[0]
            expected = pending.pop(log_index, None)
            # the entry has the SHA-256 of a batch-signed record's inclusion path, not the path
            actual = row[2:] if row[-1] is None else (*row[2:-1], hashlib.sha256(row[-1]).hexdigest())
            if expected is None:
                sink.add(Mismatch(USAGE_TABLE, row[1], INSERTED, (), log_index,
                                  "the entry at its log_index is not a usage record"))
            elif actual != expected:
                differing = _differing(actual, expected)
                if differing:
                    sink.add(Mismatch(USAGE_TABLE, row[1], EDITED, differing, log_index))
        for log_index in sorted(pending):
            sink.add(Mismatch(USAGE_TABLE, f"log_index={log_index}", DELETED, (), log_index,
                              "the log has this usage record, the table does not"))
        sink.checked(USAGE_TABLE, len(rows))
        pending.clear()

    def finish(self, tree_size: int, sink: MismatchSink) -> None:
        with connection.cursor() as cursor:
            cursor.execute(self._outside_sql, [tree_size])
            for log_index, row_id in cursor.fetchall():
                sink.add(Mismatch(USAGE_TABLE, row_id, INSERTED, ("log_index",), None,
                                  f"log_index {log_index} is outside the log"))
        rows = UsageAttribution.objects.values("log_index", "pk", "record_id", "work_id", "enterprise_id", "actor_id",
                                               "at", "reason", "commitment_salt").iterator()
        self.attributions.compare(((row["log_index"], row) for row in rows), sink)
        self._compare_attributed(sink)
        self._compare_notice_records(sink)

    def _compare_attributed(self, sink: MismatchSink) -> None:
        """The derived attributed enterprise and work of every record against the rows they derive from (the record,
        its attribution, its original's attribution), which the entries have already been compared with."""
        for column, own in (("attributed_enterprise_id", "enterprise_id"), ("attributed_work_id", "work_id")):
            name = own.removesuffix("_id")
            expected = Coalesce(f"attribution__{name}_id", f"corrects__attribution__{name}_id", own)
            differs = (Q(**{f"{column}__isnull": True, "expected__isnull": False})
                       | Q(**{f"{column}__isnull": False, "expected__isnull": True})
                       | (Q(**{f"{column}__isnull": False, "expected__isnull": False})
                          & ~Q(**{column: F("expected")})))
            rows = UsageRecord._base_manager.annotate(expected=expected).filter(differs).values_list(
                "pk", "log_index").order_by("log_index")
            for pk, log_index in rows.iterator():
                sink.add(Mismatch(USAGE_TABLE, pk, EDITED, (column,), log_index,
                                  f"{column} is not the record's own, its attribution's or its original's"))

    def _compare_notice_records(self, sink: MismatchSink) -> None:
        """Each notice's frozen record list against its entry: rows named by id, missing ones by notice and index."""
        expected = self.notice_records
        missing = {notice: set(indexes) for notice, (_entry, indexes) in expected.items()}
        log_index_of = dict(UsageRecord._base_manager.filter(
            pk__in=NOTICE_RECORDS.objects.values("usagerecord_id")).values_list("pk", "log_index"))
        unexpected = []
        count = 0
        for pk, notice, record in NOTICE_RECORDS.objects.values_list("pk", "datanotice_id", "usagerecord_id") \
                .order_by("pk").iterator():
            count += 1
            if notice in self.notices_unlisted:
                continue
            log_index = log_index_of.get(record)
            if log_index in missing.get(notice, ()):
                missing[notice].discard(log_index)
            else:
                unexpected.append((pk, notice, log_index))
        for pk, notice, log_index in unexpected:
            if missing.get(notice):
                missing[notice].pop()
                sink.add(Mismatch(NOTICE_RECORDS_TABLE, pk, EDITED, ("usagerecord_id",), expected[notice][0],
                                  "the notice's entry lists another record"))
                continue
            moved_from = next((other for other, indexes in missing.items() if log_index in indexes), None)
            if moved_from is not None:
                missing[moved_from].discard(log_index)
                sink.add(Mismatch(NOTICE_RECORDS_TABLE, pk, EDITED, ("datanotice_id",), expected[moved_from][0],
                                  f"the record belongs to notice {moved_from}"))
                continue
            sink.add(Mismatch(NOTICE_RECORDS_TABLE, pk, INSERTED, (), expected.get(notice, (None,))[0],
                              "no notice's entry lists this record"))
        for notice, indexes in sorted(missing.items()):
            for log_index in sorted(indexes):
                sink.add(Mismatch(NOTICE_RECORDS_TABLE, f"notice={notice} log_index={log_index}", DELETED, (),
                                  expected[notice][0], "the notice's entry lists this record, the table does not"))
        sink.checked(NOTICE_RECORDS_TABLE, count)


def _differing(actual: tuple, expected: tuple) -> tuple[str, ...]:
    """Names of the columns that differ once both sides are in the same form (the slow path of a page)."""
    differing = []
    for position, (got, wanted) in enumerate(zip(actual, expected, strict=True)):
        if got == wanted:
            continue
        if position in _DATETIMES and as_utc(got) == as_utc(wanted):
            continue
        if position == _QUANTITY and isinstance(got, float) and _FLOAT_TO_DECIMAL(got).quantize(_MICRO) == wanted:
            continue
        if position == _USCC and isinstance(wanted, str) and _normal_uscc(wanted) == got:
            continue
        if isinstance(got, memoryview) and bytes(got) == wanted:
            continue
        differing.append(USAGE_COLUMNS[position])
    return tuple(differing)


def _normal_uscc(text: str) -> str | None:
    try:
        return validate_uscc(text)
    except UsccProblem:
        return None
