"""Filter of the staff's enterprise list: name or USCC, and state (each with its count)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Enterprise, EnterpriseState


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("企业名称或信用代码"), method="filter_name_or_uscc", max_length=100)
    state = django_filters.ChoiceFilter(label=_("状态"), choices=EnterpriseState.choices, empty_label=_("全部状态"))

    class Meta:
        model = Enterprise
        fields: list[str] = []

    def __init__(self, *args, state_counts: dict[str, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if state_counts is not None:
            self.filters["state"].extra["choices"] = [
                (value, f"{label}（{state_counts.get(value, 0)}）") for value, label in EnterpriseState.choices]

    def filter_name_or_uscc(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(name__icontains=value) | queryset.filter(uscc__icontains=value.upper())
