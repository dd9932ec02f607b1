"""Filter of the application list and its Excel export: status, enterprise (staff), work, submission dates."""

import django_filters
from django.utils.translation import gettext_lazy as _

from yingdu.lists import DateFilter

from .models import Application, ApplicationStatus


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ApplicationStatus.choices, empty_label=_("全部"))
    enterprise = django_filters.CharFilter(label=_("企业名称或信用代码"), method="filter_enterprise", max_length=100)
    work = django_filters.CharFilter(label=_("作品名称"), field_name="work__title", lookup_expr="icontains",
                                     max_length=200)
    submitted_from = DateFilter(label=_("提交日期自"), field_name="submitted_on", lookup_expr="gte")
    submitted_to = DateFilter(label=_("提交日期至"), field_name="submitted_on", lookup_expr="lte")

    class Meta:
        model = Application
        fields: list[str] = []

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.filters["enterprise"]

    def filter_enterprise(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(enterprise__name__icontains=value) | queryset.filter(enterprise__uscc=value.upper())
