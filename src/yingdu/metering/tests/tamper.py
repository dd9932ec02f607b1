"""Changes made behind the application's back (one UPDATE, DELETE or INSERT), each in a savepoint rolled back after
the database audit ran; the audit must name the table, the row and (for an update) the column."""

from django.db import connection, transaction

from yingdu.audits.dbaudit import db_audit
from yingdu.audits.projections import DELETED, EDITED, INSERTED


def audited(change):
    """The audit report with ``change`` applied; the change is rolled back afterwards."""
    sid = transaction.savepoint_create()
    try:
        change()
        return db_audit()
    finally:
        transaction.savepoint_rollback(sid)


def _named(report, *, table: str, kind: str, rows, field: str | None = None) -> bool:
    return any(mismatch.table == table and mismatch.kind == kind and mismatch.row in rows
               and (field is None or field in mismatch.fields) for mismatch in report.mismatches)


def _describe(report) -> str:
    return "\n".join(mismatch.format() for mismatch in report.mismatches) or "no mismatch"


def assert_update_named(model, pk, field: str, value, *, rows=None, reported: str | None = None) -> None:
    """UPDATE one column of one row: the audit names the table, the row (``rows``: its names) and the column."""
    report = audited(lambda: model._base_manager.filter(pk=pk).update(**{field: value}))
    attname = model._meta.get_field(field).attname
    assert _named(report, table=model._meta.db_table, kind=EDITED, rows=rows or (pk,), field=reported or attname), \
        f"update of {model._meta.db_table}.{attname} row {pk} not named:\n{_describe(report)}"


def assert_delete_named(model, pk, *, rows=None) -> None:
    """DELETE one row with one statement (foreign keys are checked at commit, never reached)."""
    report = audited(lambda: model._base_manager.filter(pk=pk)._raw_delete(connection.alias))
    assert _named(report, table=model._meta.db_table, kind=DELETED, rows=rows or (pk,)), \
        f"delete of {model._meta.db_table} row {pk} not named:\n{_describe(report)}"


def assert_insert_named(model, pk, *, changes=None, rows=None) -> None:
    """INSERT a copy of a row under a fresh id (``changes``: values that unique constraints need changed)."""
    copy = model._base_manager.get(pk=pk)
    copy.pk = None
    for name, value in (changes or {}).items():
        setattr(copy, name, value)
    inserted = []

    def insert():
        [row] = model._base_manager.bulk_create([copy])
        inserted.append(row.pk)

    report = audited(insert)
    expected_rows = rows(inserted[0]) if callable(rows) else (rows or (inserted[0],))
    assert _named(report, table=model._meta.db_table, kind=INSERTED, rows=expected_rows), \
        f"insert into {model._meta.db_table} not named:\n{_describe(report)}"


def assert_clean(*, models=None) -> None:
    """The audit finds no mismatch (in the tables of ``models``, when given)."""
    report = db_audit()
    if models is None:
        assert report.ok, report.summary()
    else:
        tables = {model._meta.db_table for model in models}
        assert not [m for m in report.mismatches if m.table in tables], report.summary()
