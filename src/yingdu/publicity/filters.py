"""Filter of the staff's list of 公示 objections: enterprise, work, submission dates."""

import django_filters
from django.utils.translation import gettext_lazy as _

from yingdu.lists import EnterpriseSearchFilter, day_range

from .models import PublicityObjection


class PublicityObjectionFilter(django_filters.FilterSet):
    enterprise = EnterpriseSearchFilter(field_name="application__enterprise")
    work = django_filters.CharFilter(label=_("作品名称"), field_name="application__work__title",
                                     lookup_expr="icontains", max_length=200)
    submitted_from, submitted_to = day_range("submitted_at", _("提交日期自"), _("提交日期至"))

    class Meta:
        model = PublicityObjection
        fields: list[str] = []
