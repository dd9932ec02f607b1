"""Keyset pagination for long lists: newest first by a unique, increasing integer key (a log index, an id).

A page is the rows with key < after, highest first, plus one row to know whether another page follows; the cursor
of the next page is the last key shown. Rows that arrive while someone pages have higher keys, so they never shift
a later page: no row is shown twice or skipped. The cursor is the plain key (``?after=1234``), which a person can
read and a script can build; anything else is refused with ``cursor_invalid``.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yingdu.api_types import DB_INT_MAX
from yingdu.errors import DomainError

#: rows per page of a list page
PAGE_SIZE = 50

MSG_CURSOR_INVALID = _("翻页位置无效：after 须为正整数（上一页最后一条的序号）")
MSG_CURSOR_WITH_OFFSET = _("after 与 offset 不能同时使用：用游标翻页时请去掉 offset")


@dataclass(frozen=True)
class KeysetPage:
    items: list
    after: int | None
    next_after: int | None

    @property
    def is_first(self) -> bool:
        return self.after is None


def cursor_parse(text: str | None) -> int | None:
    """The key of ``?after=``: None when absent or empty; DomainError(cursor_invalid, 400) when not a key."""
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not 0 < int(text) <= DB_INT_MAX:
        raise DomainError(MSG_CURSOR_INVALID, code="cursor_invalid", field="after", status=400)
    return int(text)


def keyset_page(queryset: QuerySet, *, key: str, after: int | None, size: int | None = None) -> KeysetPage:
    """One page of ``queryset`` ordered by ``-key``, starting below ``after`` (``size`` rows, PAGE_SIZE unless given)."""
    size = size or PAGE_SIZE
    if after is not None:
        queryset = queryset.filter(**{f"{key}__lt": after})
    rows = list(queryset.order_by(f"-{key}")[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(items=rows, after=after, next_after=getattr(rows[-1], key) if more else None)


def query_without(params, *names: str) -> str:
    """The query string of ``params`` (a QueryDict) without ``names``, for links that replace them."""
    kept = [(name, value) for name, values in params.lists() if name not in names for value in values if value != ""]
    return urlencode(kept)


def api_keyset_page(request, response, queryset: QuerySet, *, key: str, after: str | None, limit: int,
                    offset: int = 0) -> list:
    """One page of a list API, newest first by ``key``: below the cursor ``after`` (or at ``offset``, kept for
    existing clients); when another page follows, the response carries ``Link: <…after=N>; rel="next"`` and
    ``X-Next-After: N``. Raises cursor_invalid / cursor_with_offset (400)."""
    cursor = cursor_parse(after)
    if cursor is not None and offset:
        raise DomainError(MSG_CURSOR_WITH_OFFSET, code="cursor_with_offset", field="offset", status=400)
    if cursor is not None:
        queryset = queryset.filter(**{f"{key}__lt": cursor})
    rows = list(queryset.order_by(f"-{key}")[offset:offset + limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        next_after = getattr(rows[-1], key)
        query = query_without(request.GET, "after", "offset")
        link = request.build_absolute_uri(f"{request.path}?{query}{'&' if query else ''}after={next_after}")
        response["Link"] = f'<{link}>; rel="next"'
        response["X-Next-After"] = str(next_after)
    return rows
