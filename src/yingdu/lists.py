"""Filtered, paged lists shared by the pages, the list APIs and the Excel exports (django-filter FilterSets).

Each list has one FilterSet, applied to the queryset its selector narrowed to what the user may see: a filter can only
narrow further, so no filter value reaches a row outside the user's scope. An invalid filter value is an error beside
its field (pages) or 400 ``filter_invalid`` with the fields (APIs), never a silently ignored filter.
"""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.errors import DomainError
from yingdu.widgets import OptionsSelect

from .keyset import KeysetPage, api_keyset_page, cursor_parse, keyset_page, query_without

MSG_FILTER_INVALID = _("筛选条件无效，请按字段旁的提示修改")


def day_start(day) -> datetime:
    """The first moment of a Beijing calendar day (the platform's time zone), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


# Dates a filter accepts: the platform's years (as api_types.Year); outside them a day's bounds could overflow.
FILTER_DATE_MIN = date(2000, 1, 1)
FILTER_DATE_MAX = date(2100, 12, 31)
MSG_DATE_RANGE = _("日期须在 2000-01-01 至 2100-12-31 之间")


class DateFilter(django_filters.DateFilter):
    """A date filter with a date picker, refusing dates outside the platform's years (an error beside the field)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        kwargs.setdefault("validators", [MinValueValidator(FILTER_DATE_MIN, MSG_DATE_RANGE),
                                         MaxValueValidator(FILTER_DATE_MAX, MSG_DATE_RANGE)])
        super().__init__(*args, **kwargs)


class DayFromFilter(DateFilter):
    """Rows on or after a Beijing date, as a range on the datetime column (so that its index serves)."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return qs.filter(**{f"{self.field_name}__gte": day_start(value)})


class DayToFilter(DateFilter):
    """Rows on or before a Beijing date (before the start of the next day)."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return qs.filter(**{f"{self.field_name}__lt": day_start(value + timedelta(days=1))})


def day_range(field_name: str, label_from, label_to) -> tuple[DayFromFilter, DayToFilter]:
    """The pair of Beijing-date filters (from, to, both inclusive) on a datetime column, for a FilterSet's class body:
    ``issued_from, issued_to = day_range("issued_at", _("出具日期自"), _("出具日期至"))``."""
    return (DayFromFilter(label=label_from, field_name=field_name), DayToFilter(label=label_to, field_name=field_name))


def date_range(field_name: str, label_from, label_to) -> tuple[DateFilter, DateFilter]:
    """The pair of date filters (from, to, both inclusive) on a date column."""
    return (DateFilter(label=label_from, field_name=field_name, lookup_expr="gte"),
            DateFilter(label=label_to, field_name=field_name, lookup_expr="lte"))


class CodeFilter(django_filters.CharFilter):
    """An exact code a person may type in either case or with spaces around it (a voucher number, a USCC)."""

    def filter(self, qs, value):
        value = (value or "").strip().upper()
        return qs.filter(**{self.field_name: value}) if value else qs


class EnterpriseSearchFilter(django_filters.CharFilter):
    """An enterprise by part of its name or its whole USCC; ``field_name`` is the path to the enterprise ("" for the
    enterprise itself, "enterprise" for a row that belongs to one)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("企业名称或统一社会信用代码"))
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("field_name", "enterprise")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        prefix = f"{self.field_name}__" if self.field_name else ""
        return qs.filter(Q(**{f"{prefix}name__icontains": value}) | Q(**{f"{prefix}uscc": value.upper()}))


class _LabelledChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """The options of a model choice as (pk, label) rows read in one query, not a model instance per option."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        yield from self.queryset.values_list("pk", self.field.label_field)


class _LabelledModelChoiceField(django_filters.fields.ModelChoiceField):
    iterator = _LabelledChoiceIterator

    def __init__(self, *args, label_field: str, **kwargs):
        self.label_field = label_field
        super().__init__(*args, **kwargs)


class LabelledModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice among rows (an enterprise's works, the providers) whose options show one column (``label_field``,
    the column the model's ``__str__`` returns), written by ``OptionsSelect``: a select of hundreds of works costs
    one small query and a loop, not a model instance and two template includes per option. A chosen value is
    checked as ModelChoiceFilter checks it (a row of the queryset)."""

    field_class = _LabelledModelChoiceField

    def __init__(self, *args, label_field: str, **kwargs):
        kwargs.setdefault("widget", OptionsSelect)
        super().__init__(*args, label_field=label_field, **kwargs)


def api_filter_data(**values) -> dict:
    """A FilterSet's data from an API operation's query parameters: those given (None is absent)."""
    return {name: value for name, value in values.items() if value is not None}


def filter_errors(filterset) -> dict[str, list[str]]:
    return {name: [str(error) for error in errors] for name, errors in filterset.form.errors.items()}


def filterset_qs_or_raise(filterset) -> QuerySet:
    """The filtered queryset; DomainError(filter_invalid, 400) with each field's errors when a value is invalid."""
    if not filterset.is_valid():
        raise DomainError(MSG_FILTER_INVALID, code="filter_invalid", detail={"fields": filter_errors(filterset)})
    return filterset.qs


class ListView:
    """What a list page renders: the filter form, the rows of one page and the links to the next/first page."""

    def __init__(self, *, filterset, rows, page: KeysetPage | None = None, paginator_page=None, query: str = "",
                 error: str = "", status: int = 200):
        self.filterset = filterset
        self.rows = rows
        self.keyset = page
        self.page = paginator_page
        self.query = query
        self.error = error
        self.status = status

    @property
    def form(self):
        return self.filterset.form


def keyset_list(request, filterset, *, key: str, size: int | None = None) -> ListView:
    """A keyset-paged list page (?after=): invalid filters or cursor give an empty page, the errors and status 400."""
    query = query_without(request.GET, "after", "page")
    if not filterset.is_valid():
        return ListView(filterset=filterset, rows=[], query=query, error=str(MSG_FILTER_INVALID), status=400)
    try:
        after = cursor_parse(request.GET.get("after"))
    except DomainError as error:
        return ListView(filterset=filterset, rows=[], query=query, error=str(error.message), status=400)
    page = keyset_page(filterset.qs, key=key, after=after, **({"size": size} if size else {}))
    return ListView(filterset=filterset, rows=page.items, page=page, query=query)


def offset_list(request, filterset, *, per_page: int = 50) -> ListView:
    """A short list paged by number (?page=) with Django's paginator, for lists that stay small (enterprises)."""
    query = query_without(request.GET, "after", "page")
    if not filterset.is_valid():
        return ListView(filterset=filterset, rows=[], query=query, error=str(MSG_FILTER_INVALID), status=400)
    paginator_page = Paginator(filterset.qs, per_page).get_page(request.GET.get("page"))
    return ListView(filterset=filterset, rows=list(paginator_page.object_list), paginator_page=paginator_page,
                    query=query)


def api_list_description(page: str, key: str = "id") -> str:
    """The description of a keyset-paged, filtered list API whose filters are those of the page ``page``."""
    return (f"从新到旧（按 {key}）。翻页用游标：有下一页时响应头 `Link: <…?after=N>; rel=\"next\"` 与 `X-Next-After: N`；"
            f"`after` 为上一页最后一条的 {key}，新增的条目不会使已取得的页重复或漏掉。筛选条件与网页 {page} 相同；"
            "无效的值返回 400 `filter_invalid`（detail.fields 为各字段的说明），无效的游标返回 400 `cursor_invalid`。")


def api_filtered_page(request, response, filterset, *, key: str = "id", after: str | None, limit: int) -> list:
    """One keyset page of a list API filtered by the page's FilterSet (filter_invalid / cursor_invalid, 400)."""
    return api_keyset_page(request, response, filterset_qs_or_raise(filterset), key=key, after=after, limit=limit)
