"""Tampering with the database behind the log's back: every single-row change the audit can be asked about is found.

On the demo programme plus vouchers, redemptions, a settlement and a revocation (built through the real services;
tables the demo leaves empty are tampered with by each app's own tests/test_events.py), a seeded random sample of rows of every table is changed
directly in the database — one column UPDATEd, the row DELETEd, or a plausible forged copy INSERTed — and the
database audit must name the table, the row and (for an update) the column. Each change is made in a savepoint and
rolled back before the next. Columns and tables that the audit lists as not recomputed, each with its declared
reason, are the only ones left alone; a table or column without a reason fails the test on its own.
"""

import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, models, transaction

from yingdu.audits.dbaudit import db_audit, table_coverage
from yingdu.audits.projections import all_projections
from yingdu.audits.tests.dbaudit_support import build_programme

pytestmark = pytest.mark.django_db(transaction=False)

SEED = int(os.environ.get("YINGDU_TAMPER_SEED", "20261207"))
# Rows changed per table and kind of change (the sample is drawn from the seed).
UPDATES_PER_TABLE = 3


@dataclass(frozen=True)
class Tamper:
    table: str
    kind: str
    row: object
    column: str = ""
    # rows linked to their entry by log index (usage records) are named by it when the row itself is gone
    log_index: int | None = None

    def __str__(self) -> str:
        column = f".{self.column}" if self.column else ""
        return f"{self.kind} {self.table} row={self.row}{column}"


def _other_value(model_field: models.Field, value, model, rng: random.Random):
    """A different value of the same type (None when there is none)."""
    if model_field.is_relation:
        target = model_field.related_model
        others = list(target._base_manager.exclude(pk=value).values_list("pk", flat=True)[:20]) if value is not None \
            else list(target._base_manager.values_list("pk", flat=True)[:20])
        return rng.choice(others) if others else None
    if model_field.choices:
        choices = [choice for choice, _label in model_field.flatchoices if choice != value]
        return rng.choice(choices) if choices else None
    if isinstance(model_field, models.BooleanField):
        return not value if value is not None else True
    if isinstance(model_field, models.DateTimeField):
        return (value + timedelta(seconds=1)) if value is not None else _some_time()
    if isinstance(model_field, models.DateField):
        return (value + timedelta(days=1)) if value is not None else _some_time().date()
    if isinstance(model_field, models.DecimalField):
        return (value + Decimal(1)) if value is not None else Decimal(1)
    if isinstance(model_field, (models.IntegerField, models.BigIntegerField)):
        return (value + 1) if value is not None else 1
    if isinstance(model_field, models.BinaryField):
        data = bytes(value) if value is not None else b""
        return bytes([data[0] ^ 1]) + data[1:] if data else b"\x01"
    if isinstance(model_field, models.JSONField):
        if isinstance(value, list):
            return [*value, "forged"]
        if isinstance(value, dict):
            return {**value, "forged": True}
        return ["forged"]
    if isinstance(model_field, (models.CharField, models.TextField)):
        text = value or ""
        limit = model_field.max_length or len(text) + 1
        return (text + "x")[-limit:] if len(text) < limit else text[:-1] + ("x" if text[-1:] != "x" else "y")
    return None


def _some_time():
    return datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def _unrecorded(report) -> dict[str, set[str]]:
    """Per table, the columns the audit declares it does not recompute (each listed with its reason)."""
    skipped: dict[str, set[str]] = {}
    for table, names in report.not_in_entries.items():
        skipped[table] = {name.split(" (")[0] for name in names}
    return skipped


def _found(report, tamper: Tamper, model) -> bool:
    pk_name = model._meta.pk.attname
    for mismatch in report.mismatches:
        if mismatch.table != tamper.table:
            continue
        if tamper.kind == "update" and tamper.column and mismatch.fields and tamper.column not in mismatch.fields \
                and tamper.column.removesuffix("_id") not in mismatch.fields:
            continue
        if tamper.kind == "update" and tamper.column == pk_name:
            return True
        if mismatch.row in (tamper.row, str(tamper.row)):
            return True
        # a deleted checkpoint is named by its place in the signing sequence
        if isinstance(mismatch.row, str) and mismatch.row.startswith("sequence ") and tamper.kind == "delete":
            return True
        if tamper.log_index is not None and mismatch.row in (tamper.log_index, f"log_index={tamper.log_index}"):
            return True
        if isinstance(mismatch.row, str) and f"log_index={tamper.log_index}" in mismatch.row:
            return True
    return False


def _log_index(model, pk):
    if any(f.attname == "log_index" for f in model._meta.concrete_fields):
        return model._base_manager.filter(pk=pk).values_list("log_index", flat=True).first()
    return None


def _forged_copy(model, pk, rng: random.Random):
    """A copy of a row with a fresh primary key and its unique columns changed, so that the database accepts it."""
    row = model._base_manager.get(pk=pk)
    pk_field = model._meta.pk
    top = model._base_manager.order_by(f"-{pk_field.attname}").values_list(pk_field.attname, flat=True).first()
    if not isinstance(top, int):
        return None
    setattr(row, pk_field.attname, top + 1000)
    for model_field in model._meta.concrete_fields:
        if model_field.unique and not model_field.primary_key:
            changed = _other_value(model_field, getattr(row, model_field.attname), model, rng)
            if isinstance(changed, int) and not model_field.is_relation:
                changed = getattr(row, model_field.attname) + 1000
            setattr(row, model_field.attname, changed)
    return row


def _attempt(change) -> bool:
    """Apply a change in a savepoint; False when the database itself refuses it (a constraint, or the ledger's
    append-only trigger, which audits/tests/test_dbaudit_tamper.py disables as an attacker would)."""
    try:
        with transaction.atomic():
            change()
    except DatabaseError:
        return False
    return True


def _domain_models(report):
    not_audited = set(report.tables_not_audited)
    return [model for model in apps.get_models() if model._meta.db_table not in not_audited
            and model._meta.managed and not model._meta.proxy]


@pytest.fixture
def demo_programme(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    with open(os.devnull, "w") as quiet:
        call_command("demo", stdout=quiet)
    # vouchers, redemptions, a settlement, a revocation and its claim, on top of the demo
    build_programme(works=3, extra_usage=3)
    return db_audit()


def test_the_demo_programme_is_clean_and_every_table_is_covered(demo_programme):
    report = demo_programme
    assert report.ok, report.summary()
    assert not report.tables_unexplained, report.tables_unexplained
    undeclared = {table: [n for n in names if "no reason declared" in n]
                  for table, names in report.not_in_entries.items()}
    assert not {table: names for table, names in undeclared.items() if names}, undeclared
    with_reason, unexplained = table_coverage(all_projections())
    assert not unexplained and with_reason == report.tables_not_audited


def test_every_single_row_change_in_every_table_is_detected_and_named(demo_programme):
    rng = random.Random(SEED)
    skipped_columns = _unrecorded(demo_programme)
    missed: list[str] = []
    tried = 0
    for model in sorted(_domain_models(demo_programme), key=lambda m: m._meta.db_table):
        table = model._meta.db_table
        pks = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
        if not pks:
            continue
        columns = [f for f in model._meta.concrete_fields
                   if not f.primary_key and f.attname not in skipped_columns.get(table, set())]
        trials: list[tuple[Tamper, object]] = []
        for _ in range(UPDATES_PER_TABLE):
            if not columns:
                break
            pk = rng.choice(pks)
            column = rng.choice(columns)
            current = model._base_manager.filter(pk=pk).values_list(column.attname, flat=True).first()
            value = _other_value(column, current, model, rng)
            if value is None or value == current:
                continue
            trials.append((Tamper(table, "update", pk, column.attname, _log_index(model, pk)),
                           lambda m=model, p=pk, c=column.attname, v=value:
                           m._base_manager.filter(pk=p).update(**{c: v})))
        pk = rng.choice(pks)
        trials.append((Tamper(table, "delete", pk, log_index=_log_index(model, pk)),
                       lambda m=model, p=pk: _delete(m, p)))
        forged = _forged_copy(model, rng.choice(pks), rng)
        if forged is not None:
            trials.append((Tamper(table, "insert", forged.pk),
                           lambda m=model, row=forged: m._base_manager.bulk_create([row])))
        for tamper, change in trials:
            sid = transaction.savepoint_create()
            try:
                if not _attempt(change):
                    continue
                tried += 1
                report = db_audit()
                if not _found(report, tamper, model):
                    missed.append(f"{tamper}: {[m.format() for m in report.mismatches[:3]]}")
            finally:
                transaction.savepoint_rollback(sid)
    assert tried > 100
    assert not missed, f"seed {SEED}: {len(missed)} of {tried} changes not detected:\n" + "\n".join(missed)


def _delete(model, pk) -> None:
    """Delete a row as a database editor would: one DELETE statement (foreign keys are checked at commit, and the
    savepoint is rolled back before that)."""
    model._base_manager.filter(pk=pk)._raw_delete(connection.alias)
