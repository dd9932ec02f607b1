"""The public schema of log entries, generated from the catalogue for outside auditors (docs/log-schema.md)."""

from yingdu.transparency.catalogue import (
    CATALOGUE,
    NOT_AUDITED_COLUMNS,
    NOT_AUDITED_TABLES,
    Committed,
    Const,
    Derived,
    EventType,
    Kind,
    Row,
)

KIND_FORMS = {
    Kind.INT: "integer", Kind.STR: "string", Kind.BOOL: "true/false",
    Kind.TIME: "time: RFC 3339 UTC with microseconds, `2026-11-27T01:02:03.000004Z`",
    Kind.DATE: "date `YYYY-MM-DD` (Beijing date)", Kind.DECIMAL: "decimal number as a string",
    Kind.HEX: "bytes as lower-case hex", Kind.DIGEST: "64 hex digits: SHA-256 digest or salted commitment",
    Kind.ACTOR: "user id (integer), or `\"system\"` for the platform itself", Kind.INTS: "list of integers",
    Kind.STRS: "list of strings", Kind.ITEMS: "list of objects", Kind.JSON: "any JSON value",
}

# The tests' own entry type (yingdu.testing.events) is not part of the public schema.
TEST_NAMESPACE = "testing."

INTRODUCTION = """# Log entry schema

Generated from the event catalogue (`src/yingdu/*/events.py`) by `yingdu log_schema`; a test fails when this file
and the catalogue differ. Each entry of the transparency log is the RFC 8785 canonical JSON of one object with
`type` (below), `v` (the schema version of that type) and the fields listed for the type. The leaf hash of an
entry is SHA-256(0x00 ‖ entry bytes) (RFC 9162 §2.1.1).

- Personal data, secrets and free text never appear: a field marked *commitment* holds
  HMAC-SHA256(salt, canonical JSON of the committed values); the salt stays in the platform's database, so the
  operator can prove a value to an auditor, and an edit of the value in the database is detected.
- The actor is a user id, or `"system"` when the platform acted by itself (scheduled work, the operator's shell).
  Entries of an earlier version may carry `null` or `"operator"` there.
- A field marked *since v2* is absent from entries of version 1 of that type.
- "Rows" says which table rows the entry creates or changes: `yingdu audit db` recomputes those rows from the
  entries and reports every row, column and entry that differ.
"""


def _source(source) -> str:
    if isinstance(source, str):
        return f"`{source.removeprefix('^')}`"
    if isinstance(source, Const):
        return f"always `{source.value!r}`"
    if isinstance(source, Derived):
        return source.doc or "computed from the entry"
    if isinstance(source, Committed):
        return f"commitment `{source.digest}`"
    return str(source)


def _row(row: Row) -> str:
    verb = {"create": "creates", "update": "updates", "delete": "deletes"}[row.action]
    each = f" (one per item of `{row.each}`)" if row.each else ""
    key = f"`{row.key.removeprefix('^')}`" if isinstance(row.key, str) else (row.key.doc or "the listed id")
    columns = []
    for column, source in row.columns.items():
        if isinstance(source, Committed):
            columns.append(f"{', '.join(source.columns.values())} ← {_source(source)}")
        else:
            columns.append(f"{column} ← {_source(source)}")
    listed = f": {'; '.join(columns)}" if columns else ""
    return f"{verb} `{row.model._meta.db_table}` row {key}{each}{listed}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _event(declared: EventType) -> list[str]:
    lines = [f"### `{declared.name}` (v{declared.version})", "", declared.doc, "",
             "| field | form | meaning |", "|---|---|---|"]
    for name, spec in declared.fields.items():
        since = f" (since v{spec.since})" if spec.since > 1 else ""
        if spec.until is not None:
            since += f" (v{spec.until} and earlier only)"
        null = ", or null" if spec.null else ""
        form = KIND_FORMS[spec.kind]
        if spec.kind is Kind.ITEMS and spec.items:
            form += ": " + ", ".join(f"`{key}` {KIND_FORMS[item.kind].split(':')[0]}" for key, item in spec.items.items())
        lines.append(f"| `{name}` | {form}{null}{since} | {_cell(spec.doc)} |")
    lines.append("")
    if declared.rows:
        lines += [f"Rows: {_row(row)}." for row in declared.rows]
    elif declared.projection:
        lines.append(f"Rows: recomputed by the `{declared.projection}` projection of the audit "
                     "(`src/yingdu/audits/projections/`).")
    else:
        lines.append(f"Rows: none — {declared.not_projected}")
    lines.append("")
    return lines


def log_schema_markdown() -> str:
    """The whole schema document."""
    lines = INTRODUCTION.splitlines() + [""]
    apps: dict[str, list[EventType]] = {}
    for declared in CATALOGUE:
        if declared.name.startswith(TEST_NAMESPACE):
            continue
        apps.setdefault(declared.name.split(".")[0], []).append(declared)
    for namespace, types in sorted(apps.items()):
        lines += [f"## `{namespace}.*`", ""]
        for declared in types:
            lines += _event(declared)
    lines += ["## What the audit does not recompute, and why", ""]
    for label, reason in sorted(NOT_AUDITED_TABLES.items()):
        lines.append(f"- table `{label}`: {reason}")
    for label, columns in sorted(NOT_AUDITED_COLUMNS.items()):
        for column, reason in sorted(columns.items()):
            lines.append(f"- `{label}.{column}`: {reason}")
    return "\n".join(lines).rstrip() + "\n"
