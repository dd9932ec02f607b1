"""Filter of the work lists (page, API): title or project tag, form, enterprise (staff), declaration dates."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yingdu.lists import EnterpriseSearchFilter, day_range

from .models import Work, WorkForm


class WorkFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("作品名称或项目标签"), method="filter_title_or_tag", max_length=200)
    form = django_filters.ChoiceFilter(label=_("作品形式"), choices=WorkForm.choices, empty_label=_("全部形式"))
    enterprise = EnterpriseSearchFilter()
    declared_from, declared_to = day_range("declared_at", _("登记日期自"), _("登记日期至"))

    class Meta:
        model = Work
        fields: list[str] = []

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.filters["enterprise"]

    def filter_title_or_tag(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(project_tag__icontains=value))
