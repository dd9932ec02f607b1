"""Small database helpers shared by the apps' services."""

from django.db import connection


def insert_rows(model, field_names: list[str], rows: list[tuple]) -> None:
    """Batched INSERT of plain value tuples, for hot paths where building model instances costs too much.

    Values must already be in database form (see ``connection.ops.adapt_datetimefield_value`` and friends).
    On PostgreSQL the rows go through ``COPY … FROM STDIN``, several times faster than a pipelined executemany.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(field_names))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
