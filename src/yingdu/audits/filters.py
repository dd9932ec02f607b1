"""Filter of the spot-check case lists (page, API): status, quarter, enterprise (staff), check due dates."""

import django_filters
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from yingdu.lists import EnterpriseSearchFilter, date_range

from .models import CaseStatus, SpotCheckCase


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CaseStatus.choices, empty_label=_("全部状态"))
    quarter = django_filters.CharFilter(
        label=_("季度"), field_name="draw__quarter", max_length=6,
        validators=[RegexValidator(r"^\d{4}Q[1-4]$", _("季度的写法如 2026Q3"))])
    enterprise = EnterpriseSearchFilter()
    due_from, due_to = date_range("due_on", _("检查截止日自"), _("检查截止日至"))

    class Meta:
        model = SpotCheckCase
        fields: list[str] = []

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.filters["enterprise"]
