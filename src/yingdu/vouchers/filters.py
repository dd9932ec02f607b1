"""Filters of the redemption and voucher lists (pages, API): django-filter over what the user may see."""

import django_filters
from django.utils.translation import gettext_lazy as _

from yingdu.lists import DayFromFilter, DayToFilter
from yingdu.metering.models import Provider

from .models import Redemption, RedemptionStatus, Voucher, VoucherStatus


class RedemptionFilter(django_filters.FilterSet):
    """Status, voucher number, order number, provider and enterprise USCC (staff), submission dates."""

    status = django_filters.ChoiceFilter(label=_("状态"), choices=RedemptionStatus.choices, empty_label=_("全部状态"))
    voucher = django_filters.CharFilter(label=_("券号"), field_name="voucher__number", method="filter_upper",
                                        max_length=32)
    order_ref = django_filters.CharFilter(label=_("订单号"), lookup_expr="exact", max_length=100)
    provider = django_filters.ModelChoiceFilter(label=_("服务商"), queryset=Provider.objects.order_by("name"),
                                                empty_label=_("全部服务商"))
    enterprise_uscc = django_filters.CharFilter(label=_("企业统一社会信用代码"), field_name="voucher__enterprise__uscc",
                                                method="filter_upper", max_length=18)
    submitted_from = DayFromFilter(label=_("提交日期自"), field_name="submitted_at")
    submitted_to = DayToFilter(label=_("提交日期至"), field_name="submitted_at")

    class Meta:
        model = Redemption
        fields: list[str] = []

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.filters["provider"]
            del self.filters["enterprise_uscc"]

    def filter_upper(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(**{name: value}) if value else queryset


class VoucherFilter(django_filters.FilterSet):
    """Status, number, enterprise name or USCC."""

    status = django_filters.ChoiceFilter(label=_("状态"), choices=VoucherStatus.choices, empty_label=_("全部状态"))
    number = django_filters.CharFilter(label=_("券号"), method="filter_number", max_length=32)
    enterprise = django_filters.CharFilter(label=_("企业名称或统一社会信用代码"), method="filter_enterprise",
                                           max_length=100)

    class Meta:
        model = Voucher
        fields: list[str] = []

    def filter_number(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(number=value) if value else queryset

    def filter_enterprise(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(enterprise__uscc=value.upper()) | queryset.filter(enterprise__name__icontains=value)
