"""Filters of the usage record lists (page, provider portal, API, export): django-filter over the visible records."""

import django_filters
from django.utils.translation import gettext_lazy as _

from yingdu.lists import CodeFilter, LabelledModelChoiceFilter, day_range
from yingdu.widgets import OptionsSelect
from yingdu.works.models import Work
from yingdu.works.selectors import works_visible_to

from .models import Provider, QuarantineReason, RecordStatus, UsageRecord


def _works(request):
    """The works the user may choose: their own (an API key's request has no user and chooses none)."""
    if request is None or not request.user.is_authenticated:
        return Work.objects.none()
    return works_visible_to(request.user).select_related(None).order_by("title", "pk")


class UsageRecordFilter(django_filters.FilterSet):
    """Record id, enterprise USCC, work (only the user's own), status, SKU, provider (staff) and start dates."""

    record_id = django_filters.CharFilter(label=_("记录编号"), lookup_expr="exact", max_length=128)
    enterprise_uscc = CodeFilter(label=_("统一社会信用代码"), max_length=18)
    work = LabelledModelChoiceFilter(label=_("作品"), field_name="attributed_work", queryset=_works,
                                     empty_label=_("全部作品"), label_field="title")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RecordStatus.choices, empty_label=_("全部状态"),
                                         widget=OptionsSelect)
    sku = django_filters.CharFilter(label="SKU", lookup_expr="exact", max_length=64)
    provider = LabelledModelChoiceFilter(label=_("服务商"), queryset=Provider.objects.order_by("name"),
                                         empty_label=_("全部服务商"), label_field="name")
    started_from, started_to = day_range("started_at", _("开始日期自"), _("开始日期至"))

    class Meta:
        model = UsageRecord
        fields: list[str] = []

    def __init__(self, *args, show_provider: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_provider:
            del self.filters["provider"]


class QuarantineFilter(UsageRecordFilter):
    """The usage record filters that apply to records waiting for attribution, and the quarantine reason."""

    reason = django_filters.ChoiceFilter(label=_("原因"), field_name="quarantine_reason",
                                         choices=QuarantineReason.choices, empty_label=_("全部原因"),
                                         widget=OptionsSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.filters["work"]
        del self.filters["status"]
