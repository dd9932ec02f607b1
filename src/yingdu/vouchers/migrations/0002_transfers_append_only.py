"""Transfers are append-only: the database refuses UPDATE and DELETE of a transfer row.

PostgreSQL: a BEFORE UPDATE OR DELETE row trigger (TRUNCATE, used by the test runner's flush, is not affected).
SQLite: a BEFORE UPDATE trigger only; the test runner flushes SQLite tables with DELETE, so deletes there are
refused by the services (none deletes) and detected by ledger_check against the log.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """CREATE FUNCTION vouchers_transfer_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'vouchers_transfer is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER vouchers_transfer_append_only BEFORE UPDATE OR DELETE ON vouchers_transfer
    FOR EACH ROW EXECUTE FUNCTION vouchers_transfer_append_only()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS vouchers_transfer_append_only ON vouchers_transfer",
    "DROP FUNCTION IF EXISTS vouchers_transfer_append_only()",
]
SQLITE_FORWARD = ["""CREATE TRIGGER vouchers_transfer_append_only BEFORE UPDATE ON vouchers_transfer
BEGIN
    SELECT RAISE(ABORT, 'vouchers_transfer is append-only: UPDATE refused');
END"""]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS vouchers_transfer_append_only"]


def _run(schema_editor, statements_by_vendor: dict) -> None:
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD})


def backward(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("vouchers", "0001_ledger_vouchers_redemptions")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
