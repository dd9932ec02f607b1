"""Bounded types and limits at the API boundary: every integer, string and list the API accepts has a range.

Declared once here and used by every app's api.py, so that out-of-range input is refused with 400 and the error
body before it reaches the database (SQLite and PostgreSQL both store integers as signed 64-bit).
"""

import json
import re
from typing import Annotated, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from yingdu.errors import DomainError

# The database's integer range: primary keys, log indexes and sizes are signed 64-bit on SQLite and PostgreSQL.
DB_INT_MAX = 2**63 - 1

# Pages: the largest page any list operation returns (the log's entries endpoint keeps its own 1,000 cap).
PAGE_LIMIT_MAX = 1000
# Offsets are bounded by the database's range only; a larger one would overflow the SQL LIMIT/OFFSET clause.
OFFSET_MAX = DB_INT_MAX

# Strings: a code, status or name-like token (statuses, kinds, actions, numbers, USCC, SKUs)…
TOKEN_MAX_LENGTH = 64
# …a search query or a title…
LINE_MAX_LENGTH = 200
# …a reason, explanation or other free text (the longest text field a person types on the pages)…
TEXT_MAX_LENGTH = 10_000
# …and lists in bodies (claims, roles, checklist items, dates of a calendar).
LIST_MAX_ITEMS = 1000

# JSON bodies: no legitimate body nests deeper than a few levels (the ingest batch is body → records → record →
# field); 32 leaves room and stays far below Python's recursion limit, which a deeper body would otherwise hit.
JSON_MAX_DEPTH = 32

Id = Annotated[int, Field(ge=1, le=DB_INT_MAX, description="数据库标识（1 … 2^63−1）")]
Index = Annotated[int, Field(ge=0, le=DB_INT_MAX, description="序号或大小（0 … 2^63−1）")]
Offset = Annotated[int, Field(ge=0, le=OFFSET_MAX, description="跳过的条数")]
Limit = Annotated[int, Field(ge=1, le=PAGE_LIMIT_MAX, description=f"每页条数（最多 {PAGE_LIMIT_MAX}）")]
Page = Annotated[int, Field(ge=1, le=DB_INT_MAX // PAGE_LIMIT_MAX, description="页码（从 1 开始）")]
# Counts stored in 32-bit integer columns (PositiveIntegerField is `integer` on PostgreSQL).
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
# No string may hold a NUL character: PostgreSQL text cannot store or compare one (a query with it is a DataError).
NO_NUL = r"^[^\x00]*$"
Token = Annotated[str, Field(max_length=TOKEN_MAX_LENGTH, pattern=NO_NUL)]
Line = Annotated[str, Field(max_length=LINE_MAX_LENGTH, pattern=NO_NUL)]
Text = Annotated[str, Field(max_length=TEXT_MAX_LENGTH, pattern=NO_NUL)]
TokenList = Annotated[list[Token], Field(max_length=LIST_MAX_ITEMS)]
LineList = Annotated[list[Line], Field(max_length=LIST_MAX_ITEMS)]
# Calendar years: the platform's years (any policy period and its published calendars are far inside this range).
Year = Annotated[int, Field(ge=2000, le=2100, description="公历年份")]

MSG_JSON_INVALID = _("请求正文不是有效的 JSON")
MSG_JSON_TOO_DEEP = _("请求正文的 JSON 嵌套层数超过 {depth} 层")
MSG_BODY_TOO_LARGE = _("请求正文超过 {limit} 字节")


def json_nesting_exceeds(body: bytes, depth: int) -> bool:
    """Whether the JSON text nests arrays/objects deeper than ``depth``, measured without recursion.

    Strings are removed first (brackets inside them do not count); then each round deletes, in one left-to-right
    pass, every innermost ``[]``/``{}`` pair, which lowers the nesting by exactly one, so ``depth`` rounds empty any
    text not deeper.
    """
    text = _STRING.sub(b"", body)
    text = text.translate(None, _NOT_BRACKETS)
    for _round in range(depth):
        if not text:
            return False
        shorter = _EMPTY_PAIR.sub(b"", text)
        if shorter == text:
            return False  # unbalanced: the JSON parser refuses it
        text = shorter
    return bool(text)


def json_body_check_size(raw: bytes) -> None:
    """Refuse a request body over settings.API_JSON_MAX_BYTES with 413 ``request_too_large``."""
    limit = settings.API_JSON_MAX_BYTES
    if len(raw) > limit:
        raise DomainError(str(MSG_BODY_TOO_LARGE).format(limit=limit), code="request_too_large", status=413,
                          detail={"limit": limit})


def json_loads_bounded(body: bytes | str) -> Any:
    """Parse a JSON request body within the size and depth limits, or raise a DomainError (400/413)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    json_body_check_size(raw)
    if json_nesting_exceeds(raw, JSON_MAX_DEPTH):
        raise DomainError(str(MSG_JSON_TOO_DEEP).format(depth=JSON_MAX_DEPTH), code="json_too_deep",
                          detail={"limit": JSON_MAX_DEPTH})
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise DomainError(MSG_JSON_INVALID, code="invalid_request") from None


# "…" with escapes, as an unrolled loop (runs of plain bytes matched at once: ~10× faster on a 1,000-record body)
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_EMPTY_PAIR = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
