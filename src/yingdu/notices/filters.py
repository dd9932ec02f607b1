"""Filter of the data notice lists (page, API): enterprise (staff), work, delivery, objections, issue dates."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from yingdu.lists import EnterpriseSearchFilter, day_range

from .models import DataNotice, Objection, ObjectionStatus

NO_OBJECTION = "none"


class NoticeFilter(django_filters.FilterSet):
    enterprise = EnterpriseSearchFilter()
    work = django_filters.CharFilter(label=_("作品名称"), field_name="work__title", lookup_expr="icontains",
                                     max_length=200)
    delivered = django_filters.ChoiceFilter(label=_("送达"), method="filter_delivered", empty_label=_("全部"),
                                            choices=[("yes", _("已送达")), ("no", _("未送达"))])
    objection = django_filters.ChoiceFilter(label=_("异议"), method="filter_objection", empty_label=_("全部"),
                                            choices=[(NO_OBJECTION, _("无异议")), *ObjectionStatus.choices])
    issued_from, issued_to = day_range("issued_at", _("出具日期自"), _("出具日期至"))

    class Meta:
        model = DataNotice
        fields: list[str] = []

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.filters["enterprise"]

    def filter_delivered(self, queryset, name, value):
        return queryset.filter(delivered_at__isnull=value != "yes")

    def filter_objection(self, queryset, name, value):
        if value == NO_OBJECTION:
            return queryset.exclude(Exists(Objection.objects.filter(notice=OuterRef("pk"))))
        return queryset.filter(Exists(Objection.objects.filter(notice=OuterRef("pk"), status=value)))
