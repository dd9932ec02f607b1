"""Small database helpers shared by the apps' services."""

from django.db import connection


def insert_rows(model, field_names: list[str], rows: list[tuple]) -> None:
    """Batched INSERT of plain value tuples, for hot paths where building model instances costs too much.

    Values must already be in database form (see ``connection.ops.adapt_datetimefield_value`` and friends).
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names)
    placeholders = ", ".join(["%s"] * len(field_names))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
