"""Rows recomputed from the catalogue's declarations: every entry type's ``Row`` specs, applied in log order.

For each table written by a declared ``Row`` the projection keeps the rows the entries imply (keyed by primary key)
and compares them at the end with the table, column by column. Columns of the table that no declaration writes are
reported as not audited, with the reason the app declared (``catalogue.not_audited``), or as undeclared.
"""

from collections.abc import Mapping

from django.db import models

from yingdu.transparency.catalogue import (
    CATALOGUE,
    NOT_AUDITED_COLUMNS,
    Committed,
    Const,
    Derived,
    EventType,
    Row,
)

from .base import Committed as CommittedValue
from .base import ExpectedRows, MismatchSink, Projection

UNDECLARED = "not recorded by any entry, and no reason declared"


def _normalise(value):
    """Database values in the form the decoded entries have (bytes for binary columns)."""
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _source_value(source, event: Mapping, item: Mapping | None, declared: EventType, row: Row, salts):
    if isinstance(source, Const):
        return source.value
    if isinstance(source, Derived):
        return source.compute(event, item) if item is not None else source.compute(event)
    if isinstance(source, Committed):
        if source.salt_column is not None:
            salt_of = ("row", source.salt_column)
        else:
            salt_of = ("salt", (source.salt_model._meta.label, event.get(source.salt_key)))
        keys = tuple(source.columns)
        # in a row written per list item, the item carries its own commitment (e.g. one per recovery code)
        digest = item[source.digest] if isinstance(item, Mapping) and source.digest in item else event[source.digest]
        return CommittedValue(digest, tuple(source.columns.values()), salt_of, keys=keys)
    if item is not None:
        if source.startswith("^"):
            return event[source[1:]]
        return item[source]
    return event[source]


def _present(source, event: Mapping, item: Mapping | None) -> bool:
    """Whether the entry (of its version) carries what this source needs; absent fields are simply not compared."""
    if isinstance(source, str):
        if item is not None and not source.startswith("^"):
            return source in item
        return source.removeprefix("^") in event
    if isinstance(source, Committed):
        return source.digest in event or (isinstance(item, Mapping) and source.digest in item)
    return True


class CatalogueProjection(Projection):
    """Every table written by a declared Row, recomputed from the entries that declare it."""

    name = "catalogue"

    def __init__(self) -> None:
        self.by_type: dict[str, EventType] = {declared.name: declared for declared in CATALOGUE if declared.rows}
        self.models: dict[str, type[models.Model]] = {}
        self.columns: dict[str, set[str]] = {}
        for declared in self.by_type.values():
            for row in declared.rows:
                table = row.model._meta.db_table
                self.models[table] = row.model
                columns = self.columns.setdefault(table, set())
                for column, source in row.columns.items():
                    if isinstance(source, Committed):
                        columns.update(source.columns.values())
                        if source.salt_column:
                            columns.add(source.salt_column)
                    else:
                        columns.add(column)
        self.expected = {table: ExpectedRows(table) for table in self.models}
        self.tables = {table: self._unrecorded(table) for table in self.models}

    def _unrecorded(self, table: str) -> tuple[str, ...]:
        """The table's columns that no entry records, each with its reason (or flagged as undeclared)."""
        model = self.models[table]
        reasons = NOT_AUDITED_COLUMNS.get(model._meta.label, {})
        names = []
        for model_field in model._meta.concrete_fields:
            if model_field.primary_key or model_field.attname in self.columns[table]:
                continue
            reason = reasons.get(model_field.attname) or reasons.get(model_field.name) or UNDECLARED
            names.append(f"{model_field.attname} ({reason})")
        return tuple(names)

    def handles(self, event_type: str) -> bool:
        return event_type in self.by_type

    def _salts(self) -> dict[tuple[str, object], str]:
        """The commitment salts that Committed sources name, by (model label, primary key)."""
        salt_models = {source.salt_model for declared in self.by_type.values() for row in declared.rows
                       for source in row.columns.values()
                       if isinstance(source, Committed) and source.salt_model is not None}
        salts = {}
        for model in salt_models:
            label = model._meta.label
            salts.update(((label, pk), salt) for pk, salt in
                         model._base_manager.values_list("pk", "commitment_salt").iterator())
        return salts

    def entry(self, index: int, event_type: str, event: dict) -> None:
        declared = self.by_type[event_type]
        decoded = declared.decode(event)
        for row in declared.rows:
            items = decoded.get(row.each) if row.each else [None]
            for item in items or ():
                self._apply(index, declared, row, decoded, item)

    def _apply(self, index: int, declared: EventType, row: Row, event: dict, item: dict | None) -> None:
        expected = self.expected[row.model._meta.db_table]
        if not _present(row.key, event, item):
            # an entry of an earlier version that does not name the row (the audit cannot place it)
            return
        key = _source_value(row.key, event, item, declared, row, None)
        if row.action == "delete":
            expected.rows.pop(key, None)
            return
        values = {column: _source_value(source, event, item, declared, row, None)
                  for column, source in row.columns.items() if _present(source, event, item)}
        if row.action == "create":
            expected.create(key, index, values)
        else:
            expected.set(key, index, values)

    def finish(self, tree_size: int, sink: MismatchSink) -> None:
        salts = self._salts()
        for table, model in sorted(self.models.items()):
            columns = sorted(self.columns[table])
            rows = ((row["pk"], {name: _normalise(value) for name, value in row.items()})
                    for row in model._base_manager.values("pk", *columns).order_by("pk").iterator())
            self.expected[table].compare(rows, sink, salts=salts)


