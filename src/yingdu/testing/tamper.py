"""Per-table tamper checks for the database audit: every audited column of one row edited, the row deleted, a copy
inserted — each with raw SQL behind the application's back, inside a savepoint rolled back after the audit — and
the audit must name the table, the row and (for an edit) the field."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import DatabaseError, connection, models, transaction

from yingdu.audits.dbaudit import db_audit
from yingdu.audits.projections import DELETED, EDITED, INSERTED
from yingdu.audits.projections.catalogue import UNDECLARED
from yingdu.transparency.catalogue import NOT_AUDITED_COLUMNS

# an offset that moves an integer or a foreign key to a value no row has
FAR = 7919


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def unlock_transfers() -> None:
    """What an attacker does first: the append-only trigger on ledger transfers is dropped (rolled back after)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("ALTER TABLE vouchers_transfer DISABLE TRIGGER vouchers_transfer_append_only")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS vouchers_transfer_append_only")


def _text(value: str) -> str:
    """Another string of the same length (so that a length limit still holds)."""
    if not value:
        return "x"
    return value[:-1] + ("x" if value[-1] != "x" else "y")


def _candidates(model_field: models.Field, value) -> list:
    """Different values of the same type, as an attacker with database access would write them (first that the
    database's CHECK constraints accept is used)."""
    if model_field.choices:
        others = [choice for choice, _label in model_field.choices if choice != value]
        return others + ([_text(value)] if isinstance(value, str) else [])
    if isinstance(model_field, models.JSONField):
        return [["tampered"] if value != ["tampered"] else ["other"]]
    internal = model_field.get_internal_type()
    if internal == "BooleanField":
        return [not value]
    if model_field.is_relation or internal.endswith("IntegerField") or internal == "AutoField":
        return [(value or 0) + FAR, (value or 0) - 1, (value or 0) + 1]
    if internal == "DateTimeField":
        return [(value + timedelta(seconds=17)) if value else models.DateTimeField().to_python("2026-01-01T00:00Z")]
    if internal == "DateField":
        return [(value + timedelta(days=1)) if value else models.DateField().to_python("2026-01-01")]
    if internal == "BinaryField":
        value = bytes(value or b"")
        return [value[:-1] + b"\x00" if value and value[-1:] != b"\x00" else b"\x01" * 32]
    return [_text(value)]


def _execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _edit(model, row_id, model_field) -> bool:
    """UPDATE one column of one row to another value; False when the database refuses every candidate."""
    value = model._base_manager.filter(pk=row_id).values_list(model_field.attname, flat=True).get()
    for candidate in _candidates(model_field, value):
        try:
            with transaction.atomic():
                _execute(f"UPDATE {_quote(model._meta.db_table)} SET {_quote(model_field.column)} = %s WHERE id = %s",
                         [model_field.get_db_prep_save(candidate, connection), row_id])
            return True
        except DatabaseError:
            continue
    return False


def _unique_columns(model) -> set[str]:
    names = {f.name for f in model._meta.concrete_fields if f.unique and not f.primary_key}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names.update(constraint.fields)
    for together in model._meta.unique_together:
        names.update(together)
    return names


def _insert(model, row_id, overrides: dict | None = None) -> int:
    """A copy of a row under a new id, with its unique columns changed so that the database accepts it (or set
    to ``overrides``, for conditional unique constraints)."""
    fields = list(model._meta.concrete_fields)
    values = model._base_manager.filter(pk=row_id).values(*(f.attname for f in fields)).get()
    new_id = max(model._base_manager.values_list("pk", flat=True)) + 1 + FAR
    values[model._meta.pk.attname] = new_id
    for name in _unique_columns(model):
        model_field = model._meta.get_field(name)
        values[model_field.attname] = _candidates(model_field, values[model_field.attname])[0]
    for name, value in (overrides or {}).items():
        values[model._meta.get_field(name).attname] = value
    columns = ", ".join(_quote(f.column) for f in fields)
    params = [f.get_db_prep_save(values[f.attname], connection) for f in fields]
    _execute(f"INSERT INTO {_quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})",
             params)
    return new_id


def _named(mismatches, table: str, kind: str, row_id, column: str | None = None) -> bool:
    for mismatch in mismatches:
        if mismatch.table != table or mismatch.kind != kind or mismatch.row != row_id:
            continue
        if column is None or column.removesuffix("_id") in {name.removesuffix("_id") for name in mismatch.fields}:
            return True
    return False


@dataclass
class TamperReport:
    missed: list = field(default_factory=list)
    checked: list = field(default_factory=list)
    #: columns whose every edit the database itself refuses (a CHECK constraint): nothing for the audit to find
    refused: list = field(default_factory=list)


def audited_columns(model) -> list[models.Field]:
    """The table's columns except its primary key and those declared not audited."""
    reasons = NOT_AUDITED_COLUMNS.get(model._meta.label, {})
    return [f for f in model._meta.concrete_fields
            if not f.primary_key and f.attname not in reasons and f.name not in reasons]


def tamper_table(model, *, row_id=None, insert: bool = True, insert_overrides: dict | None = None) -> TamperReport:
    """Edit every audited column of one row (one at a time), delete it, insert a copy; each must be reported."""
    report = TamperReport()
    table = model._meta.db_table
    row_id = row_id if row_id is not None else model._base_manager.order_by("pk").values_list("pk", flat=True)[0]
    rounds = [(EDITED, column) for column in audited_columns(model)] + [(DELETED, None)]
    if insert:
        rounds.append((INSERTED, None))
    for kind, column in rounds:
        with transaction.atomic():
            unlock_transfers()
            target = row_id
            if kind == EDITED:
                if not _edit(model, row_id, column):
                    report.refused.append(column.attname)
                    transaction.set_rollback(True)
                    continue
            elif kind == DELETED:
                _execute(f"DELETE FROM {_quote(table)} WHERE id = %s", [row_id])
            else:
                target = _insert(model, row_id, insert_overrides)
            mismatches = db_audit().mismatches
            transaction.set_rollback(True)
        name = column.attname if column is not None else None
        report.checked.append((kind, name))
        if not _named(mismatches, table, kind, target, name):
            report.missed.append((table, target, kind, name, [m.format() for m in mismatches][:8]))
    return report


def assert_tampering_is_named(model, **insert_overrides) -> None:
    """Every audited column edit of a row of the table, its delete and an inserted copy are each named by the audit
    (``insert_overrides``: values the copy needs to pass the table's conditional unique constraints)."""
    assert db_audit().ok, db_audit().summary()
    report = tamper_table(model, insert_overrides=insert_overrides)
    assert report.missed == [], report.missed
    assert db_audit().ok


def undeclared_columns(report, models_: list) -> dict[str, tuple[str, ...]]:
    """Columns of these tables that no entry records and no reason explains."""
    tables = {model._meta.db_table for model in models_}
    return {table: tuple(name for name in names if UNDECLARED in name)
            for table, names in report.not_in_entries.items()
            if table in tables and any(UNDECLARED in name for name in names)}
