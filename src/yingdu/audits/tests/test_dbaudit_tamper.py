"""Tamper test (issue 8): random single-row edits, deletes and inserts made with raw SQL behind the application's
back, each in a savepoint rolled back after the audit; the audit must name every one."""

import random
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import JSONField

from yingdu.applications.models import Application, ApplicationTransition
from yingdu.audits.dbaudit import db_audit
from yingdu.audits.projections import DELETED, EDITED, INSERTED
from yingdu.enterprises.models import Enterprise, EnterpriseStateChange
from yingdu.metering.models import Provider, UsageRecord
from yingdu.transparency.models import LogHead
from yingdu.vouchers.models import Account, Redemption, Transfer, Voucher

from .dbaudit_support import build_programme

pytestmark = pytest.mark.django_db

SEED = 20261127
ROUNDS = 30
# an offset that moves an integer or a foreign key to a value no row has
FAR = 7919

# the columns each audit compares, by field name; an edit picks one at random
AUDITED = {
    UsageRecord: ["provider", "record_id", "content_sha256", "enterprise_uscc", "project_tag", "sku", "quantity",
                  "started_at", "ended_at", "node_id", "job_id", "gpu_id", "corrects", "status", "quarantine_reason",
                  "enterprise", "work", "category", "price_fen", "cost_microfen", "origin", "signing_key",
                  "batch_root", "received_at"],
    Application: ["enterprise", "work", "kind", "overseas_claimed", "topup_of", "status", "created_by", "created_at",
                  "submitted_at", "submitted_on", "counts_toward_limit", "limit_year", "policy_version",
                  "accepted_on", "sla_working_days", "verified_cost_fen", "review_amount_fen", "reviewed_at",
                  "approved_amount_fen", "decided_at", "decision_reason", "reviewer"],
    Voucher: ["number", "enterprise", "account", "work_id", "application_id", "amount_fen", "budget_year",
              "issued_on", "issued_at", "issued_by", "expires_on", "policy_version", "eligible_service_categories",
              "status", "status_changed_at"],
    Transfer: ["kind", "from_account", "to_account", "amount_fen", "reason", "voucher", "redemption", "statement",
               "claim", "repayment", "actor", "created_at"],
    Redemption: ["provider", "voucher", "order_ref", "category", "amount_fen", "status", "api_key", "submitted_at",
                 "submitted_by", "decided_at", "decided_by", "decision_reason", "statement"],
    Enterprise: ["organisation", "name", "uscc", "registered_address", "licence_sha256", "registered_by",
                 "registered_at", "state", "commitment_salt", "legal_representative", "contact_name",
                 "contact_phone"],
    EnterpriseStateChange: ["enterprise", "action", "from_state", "to_state", "actor", "at", "effective_on",
                            "reason"],
    ApplicationTransition: ["application", "action", "from_status", "to_status", "actor", "at", "on", "reason",
                            "detail"],
}
CORE = [UsageRecord, Application, Voucher, Transfer]
SECONDARY = [Redemption, Enterprise, EnterpriseStateChange, ApplicationTransition]


def _changed(field, value, rng):
    """A different value of the same type, as an attacker with database access would write it."""
    if isinstance(field, JSONField):
        return ["tampered"] if value != ["tampered"] else {"tampered": True}
    internal = field.get_internal_type()
    if internal == "BooleanField":
        return not value
    if field.is_relation or internal.endswith("IntegerField"):
        return (value or 0) + FAR + rng.randrange(100)
    if internal == "DecimalField":
        return value + 1
    if internal == "DateTimeField":
        return (value or Application.objects.first().created_at) + timedelta(seconds=1 + rng.randrange(3600))
    if internal == "DateField":
        return (value or Application.objects.first().created_at.date()) + timedelta(days=1)
    if internal == "BinaryField":
        return bytes(value)[:-1] + b"\x00" if value and bytes(value)[-1:] != b"\x00" else b"\x01" * 32
    return value[:-1] + ("x" if value[-1:] != "x" else "y") if value else "x"


def _quoted(model, field):
    return connection.ops.quote_name(field.column)


def _unlock_transfers():
    """What an attacker does first: the append-only trigger on ledger transfers is dropped (rolled back after)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks are pending: run them now, then defer again
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("ALTER TABLE vouchers_transfer DISABLE TRIGGER vouchers_transfer_append_only")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS vouchers_transfer_append_only")


def _edit(model, row_id, rng) -> str:
    name = rng.choice(AUDITED[model])
    field = model._meta.get_field(name)
    value = model.objects.filter(pk=row_id).values_list(field.attname, flat=True).get()
    new = field.get_db_prep_save(_changed(field, value, rng), connection)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET {_quoted(model, field)} = %s "
                       f"WHERE id = %s", [new, row_id])
    return field.attname


def _delete(model, row_id) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id = %s", [row_id])


def _insert(model, row_id, rng) -> int:
    """A copy of a row under a new id, with its unique columns changed so that the database accepts it."""
    fields = [f for f in model._meta.concrete_fields]
    values = model.objects.filter(pk=row_id).values(*(f.attname for f in fields)).get()
    new_id = max(model.objects.values_list("pk", flat=True)) + 1 + rng.randrange(50)
    values["id"] = new_id
    if model is UsageRecord:
        values["record_id"] += "-copy"
        values["log_index"] = rng.choice([0, LogHead.objects.get().tree_size + 5])
    elif model is Application:
        values.update(status="withdrawn", topup_of_id=None)
    elif model is Voucher:
        values["number"] += "-C"
        values["application_id"] += FAR
        values["account_id"] = Account.objects.filter(voucher__isnull=True).values_list("pk", flat=True).first()
    elif model is Redemption:
        values["order_ref"] += "-copy"
    elif model is Enterprise:
        values["uscc"] = values["uscc"][:-1] + ("X" if values["uscc"][-1] != "X" else "Y")
        values["organisation_id"] = Provider.objects.values_list("organisation_id", flat=True).first()
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    params = [f.get_db_prep_save(values[f.attname], connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "
                       f"VALUES ({', '.join(['%s'] * len(fields))})", params)
    return new_id


def _tamper_and_audit(model, kind, rng):
    """One round: tamper inside a savepoint, audit, roll back; return what was done and the mismatches found."""
    row_ids = sorted(model.objects.values_list("pk", flat=True))
    row_id = rng.choice(row_ids)
    log_index = UsageRecord.objects.get(pk=row_id).log_index if model is UsageRecord else None
    with transaction.atomic():
        _unlock_transfers()
        if kind == EDITED:
            changed = _edit(model, row_id, rng)
        elif kind == DELETED:
            _delete(model, row_id)
            changed = None
        else:
            row_id = _insert(model, row_id, rng)
            changed = None
        report = db_audit()
        transaction.set_rollback(True)
    return row_id, changed, log_index, report.mismatches


def _named(model, kind, row_id, changed, log_index, mismatches) -> bool:
    table = model._meta.db_table
    for mismatch in mismatches:
        if mismatch.table != table or mismatch.kind != kind:
            continue
        if kind == EDITED and mismatch.row == row_id and changed.removesuffix("_id") in {
                name.removesuffix("_id") for name in mismatch.fields}:
            return True
        if kind == DELETED and (mismatch.row == row_id or (log_index is not None and mismatch.log_index == log_index)):
            return True
        if kind == INSERTED and mismatch.row == row_id:
            return True
    return False


def _run_rounds(models, rounds, rng):
    missed = []
    for model in models:
        for round_number in range(rounds):
            kind = (EDITED, DELETED, INSERTED)[round_number % 3]
            row_id, changed, log_index, mismatches = _tamper_and_audit(model, kind, rng)
            if not _named(model, kind, row_id, changed, log_index, mismatches):
                missed.append((model.__name__, kind, row_id, changed, [m.format() for m in mismatches]))
    return missed


def test_every_random_edit_delete_and_insert_is_reported():
    build_programme()
    assert db_audit().ok
    rng = random.Random(SEED)
    missed = _run_rounds(CORE, ROUNDS, rng) + _run_rounds(SECONDARY, 9, rng)
    assert not missed, missed
    assert db_audit().ok, "the savepoints rolled every change back"
