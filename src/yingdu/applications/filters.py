"""Filter of the application list and its Excel export: status, enterprise (staff), work, submission dates."""

import django_filters
from django.utils.translation import gettext_lazy as _

from yingdu.lists import EnterpriseSearchFilter, date_range

from .models import Application, ApplicationStatus


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ApplicationStatus.choices, empty_label=_("全部"))
    enterprise = EnterpriseSearchFilter(label=_("企业名称或信用代码"))
    work = django_filters.CharFilter(label=_("作品名称"), field_name="work__title", lookup_expr="icontains",
                                     max_length=200)
    submitted_from, submitted_to = date_range("submitted_on", _("提交日期自"), _("提交日期至"))

    class Meta:
        model = Application
        fields: list[str] = []

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.filters["enterprise"]
