"""What a projection is: the rows of a table recomputed from log entries, and how they are compared with the table.

A projection sees every entry of the types it handles, in log order, and builds the rows those entries imply. Rows
named by a key that the entries carry (an application id, a transfer id…) are held in memory as ``ExpectedRows``
(these tables are small); tables that store the index of their entry (usage records) are compared page by page as
the entries stream past (``Projection.page``), so memory stays bounded by one page.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from yingdu.transparency.catalogue import CATALOGUE
from yingdu.transparency.services import commitment

EDITED = "edited"
DELETED = "deleted"
INSERTED = "inserted"


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between a table and the log: which row, how, which fields, and the entry that disagrees."""

    table: str
    row: object
    kind: str
    fields: tuple[str, ...] = ()
    log_index: int | None = None
    detail: str = ""

    def format(self) -> str:
        fields = f" fields={','.join(self.fields)}" if self.fields else ""
        entry = f" entry=#{self.log_index}" if self.log_index is not None else " entry=none"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.table} row={self.row} {self.kind}{fields}{entry}{detail}"


class MismatchSink:
    """Collects mismatches and rows checked, per table."""

    def __init__(self) -> None:
        self.mismatches: list[Mismatch] = []
        self.rows_checked: dict[str, int] = {}

    def add(self, mismatch: Mismatch) -> None:
        self.mismatches.append(mismatch)

    def checked(self, table: str, count: int) -> None:
        self.rows_checked[table] = self.rows_checked.get(table, 0) + count


def parse_time(text: str | None) -> datetime | None:
    """An entry's RFC 3339 time ("…Z", see transparency.services.event_time) as an aware datetime."""
    return None if text is None else datetime.fromisoformat(text)


def parse_date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def as_utc(value):
    """Datetimes from either database compared in UTC (SQLite returns naive UTC from a raw cursor)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


@dataclass(frozen=True)
class Committed:
    """An expected value known only by its salted commitment (transparency.services.commitment).

    ``names`` are the row's fields committed to, in the entry's key names; ``salt_of`` names whose salt was used:
    ``("enterprise", id)`` for an enterprise's salt, ``("row", field)`` for a salt stored in the row itself.
    """

    digest: str
    names: tuple[str, ...]
    salt_of: tuple[str, object]
    keys: tuple[str, ...] | None = None

    @property
    def row_fields(self) -> tuple[str, ...]:
        """The row's fields this commitment covers, its salt column included when the salt is in the row."""
        kind, ref = self.salt_of
        return (*self.names, ref) if kind == "row" else self.names

    def matches(self, row: Mapping, salts: Mapping[int, str]) -> bool:
        kind, ref = self.salt_of
        salt = row.get(ref) if kind == "row" else salts.get(ref)
        if not salt:
            return False
        keys = self.keys or self.names
        try:
            return commitment(salt=salt, values={key: row.get(name) for key, name in zip(keys, self.names, strict=False)}) \
                == self.digest
        except ValueError:
            return False


@dataclass
class ExpectedRow:
    values: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    created: int | None = None


class ExpectedRows:
    """The rows of one table implied by the entries so far, keyed by the id the entries carry."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.rows: dict[object, ExpectedRow] = {}
        self.problems: list[Mismatch] = []

    def create(self, key, index: int, values: Mapping) -> None:
        if key in self.rows and self.rows[key].created is not None:
            self.problems.append(Mismatch(self.table, key, EDITED, (), index, "a second entry creates this row"))
            return
        row = self.rows.setdefault(key, ExpectedRow())
        row.created = index
        self.set(key, index, values)

    def set(self, key, index: int, values: Mapping) -> None:
        row = self.rows.setdefault(key, ExpectedRow())
        for name, value in values.items():
            row.values[name] = value
            row.sources[name] = index

    def compare(self, actual: Iterable[tuple[object, Mapping]], sink: MismatchSink, *, salts: Mapping = {},
                equal: Mapping[str, Callable] = {}) -> None:
        """Report rows missing from the table, rows no entry created, and fields that differ."""
        for problem in self.problems:
            sink.add(problem)
        seen = set()
        count = 0
        for key, row in actual:
            count += 1
            seen.add(key)
            expected = self.rows.get(key)
            if expected is None or expected.created is None:
                sink.add(Mismatch(self.table, key, INSERTED, (), None, "no log entry creates this row"))
                continue
            differing, reported = [], []
            for name, value in expected.values.items():
                if isinstance(value, Committed):
                    if not value.matches(row, salts):
                        differing.append(name)
                        reported.extend(value.row_fields)
                    continue
                got = row.get(name)
                compare = equal.get(name)
                if not (compare(got, value) if compare else as_utc(got) == value):
                    differing.append(name)
                    reported.append(name)
            if differing:
                sink.add(Mismatch(self.table, key, EDITED, tuple(dict.fromkeys(reported)),
                                  max(expected.sources[name] for name in differing)))
        sink.checked(self.table, count)
        for key, expected in self.rows.items():
            if key not in seen:
                index = expected.created if expected.created is not None else min(expected.sources.values())
                sink.add(Mismatch(self.table, key, DELETED, (), index, "the log has this row, the table does not"))


class Projection:
    """Recomputes one or more tables from the entries it handles; compares at the end (or page by page)."""

    #: the name entry types give as their ``projection`` in the catalogue
    name: str = ""
    #: tables this projection audits, with the fields of each that no entry records (listed in the report)
    tables: Mapping[str, tuple[str, ...]] = {}

    def handles(self, event_type: str) -> bool:
        declared = CATALOGUE.get(event_type)
        return declared is not None and bool(self.name) and declared.projection == self.name

    def entry(self, index: int, event_type: str, event: dict) -> None:
        raise NotImplementedError

    def page(self, start: int, end: int, sink: MismatchSink) -> None:
        """Called after entries [start, end) were seen, for tables that store their entry's index."""

    def finish(self, tree_size: int, sink: MismatchSink) -> None:
        raise NotImplementedError
