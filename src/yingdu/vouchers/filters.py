"""Filters of the redemption and voucher lists (pages, API): django-filter over what the user may see."""

import django_filters
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yingdu.lists import CodeFilter, EnterpriseSearchFilter, date_range, day_range
from yingdu.metering.models import Provider

from .models import (
    RecoveryClaim,
    Redemption,
    RedemptionStatus,
    SettlementStatement,
    StatementStatus,
    Voucher,
    VoucherStatus,
)


class RedemptionFilter(django_filters.FilterSet):
    """Status, voucher number, order number, provider and enterprise USCC (staff), submission dates."""

    status = django_filters.ChoiceFilter(label=_("状态"), choices=RedemptionStatus.choices, empty_label=_("全部状态"))
    voucher = CodeFilter(label=_("券号"), field_name="voucher__number", max_length=32)
    order_ref = django_filters.CharFilter(label=_("订单号"), lookup_expr="exact", max_length=100)
    provider = django_filters.ModelChoiceFilter(label=_("服务商"), queryset=Provider.objects.order_by("name"),
                                                empty_label=_("全部服务商"))
    enterprise_uscc = CodeFilter(label=_("企业统一社会信用代码"), field_name="voucher__enterprise__uscc", max_length=18)
    submitted_from, submitted_to = day_range("submitted_at", _("提交日期自"), _("提交日期至"))

    class Meta:
        model = Redemption
        fields: list[str] = []

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.filters["provider"]
            del self.filters["enterprise_uscc"]


class VoucherFilter(django_filters.FilterSet):
    """Status, number, enterprise name or USCC."""

    status = django_filters.ChoiceFilter(label=_("状态"), choices=VoucherStatus.choices, empty_label=_("全部状态"))
    number = CodeFilter(label=_("券号"), max_length=32)
    enterprise = EnterpriseSearchFilter()

    class Meta:
        model = Voucher
        fields: list[str] = []



class StatementFilter(django_filters.FilterSet):
    """Status, number, provider (finance), the period's end dates."""

    status = django_filters.ChoiceFilter(label=_("状态"), choices=StatementStatus.choices, empty_label=_("全部状态"))
    number = CodeFilter(label=_("结算单号"), max_length=32)
    provider = django_filters.ModelChoiceFilter(label=_("服务商"), queryset=Provider.objects.order_by("name"),
                                                empty_label=_("全部服务商"))
    period_from, period_to = date_range("period_end_on", _("期间结束自"), _("期间结束至"))

    class Meta:
        model = SettlementStatement
        fields: list[str] = []

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.filters["provider"]

    @property
    def form(self):
        form = super().form
        form.auto_id = "filter_%s"  # the settlements page also has the form that creates a statement
        return form


class ClaimFilter(django_filters.FilterSet):
    """Enterprise name or USCC, voucher number, whether repaid in full."""

    enterprise = EnterpriseSearchFilter()
    voucher = CodeFilter(label=_("券号"), field_name="voucher__number", max_length=32)
    repaid = django_filters.ChoiceFilter(label=_("还款"), method="filter_repaid", empty_label=_("全部"),
                                         choices=[("yes", _("已全额还款")), ("no", _("尚未还清"))])

    class Meta:
        model = RecoveryClaim
        fields: list[str] = []

    def filter_repaid(self, queryset, name, value):
        repaid = Q(repaid_fen__gte=F("amount_fen"))
        return queryset.filter(repaid) if value == "yes" else queryset.exclude(repaid)
