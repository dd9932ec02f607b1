"""Small database helpers shared by the apps' services."""

import re
from functools import cache

from django.db import connection

_TYPE_MODIFIER = re.compile(r"\(.*\)")


def insert_rows(model, field_names: list[str], rows: list[tuple]) -> None:
    """Batched INSERT of plain value tuples, for hot paths where building model instances costs too much.

    Values must already be in database form (see ``connection.ops.adapt_datetimefield_value`` and friends).
    On PostgreSQL the rows go through binary ``COPY … FROM STDIN``, several times faster than a pipelined
    executemany; binary, so that no value is formatted as text on one side and parsed on the other (``bytea`` above
    all, which text COPY sends in hex).
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_column_types(model, tuple(field_names)))
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(field_names))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@cache
def _column_types(model, field_names: tuple[str, ...]) -> list[str]:
    """The PostgreSQL type names of the columns (``varchar``, ``numeric``, …: without modifiers), for binary COPY."""
    return [_TYPE_MODIFIER.sub("", model._meta.get_field(name).db_type(connection)).strip() for name in field_names]
