from django import forms
from django.utils.translation import gettext_lazy as _

from yingdu.metering.models import Provider, ServiceCategory
from yingdu.rules.money import Money, MoneyParseError


class YuanField(forms.CharField):
    """An amount in yuan ("1,200.00"), cleaned to integer fen."""

    def clean(self, value):
        text = super().clean(value)
        try:
            return Money.from_yuan(text).fen
        except MoneyParseError as error:
            raise forms.ValidationError(str(error.message)) from None


class DateInput(forms.DateInput):
    input_type = "date"


class RedemptionForm(forms.Form):
    voucher_number = forms.CharField(label=_("券号"), max_length=32, help_text=_("如 HR-2026-000123，由企业提供"))
    order_ref = forms.CharField(label=_("订单号"), max_length=100, help_text=_("本服务商内唯一；重复提交同一订单是安全的"))
    category = forms.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices)
    amount = YuanField(label=_("核销金额（元）"), max_length=20)
    description = forms.CharField(label=_("订单说明"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=200, widget=forms.TextInput)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class SettlementForm(forms.Form):
    provider = forms.ModelChoiceField(label=_("服务商"), queryset=Provider.objects.order_by("name"))
    period_start_on = forms.DateField(label=_("期间开始"), widget=DateInput)
    period_end_on = forms.DateField(label=_("期间结束"), widget=DateInput,
                                    help_text=_("包含截至该日已确认且尚未结算的全部核销"))


class PaymentForm(forms.Form):
    payment_reference = forms.CharField(label=_("付款凭证号"), max_length=100)


class RepaymentForm(forms.Form):
    amount = YuanField(label=_("还款金额（元）"), max_length=20)
    reference = forms.CharField(label=_("收款凭证号"), max_length=100)
    received_on = forms.DateField(label=_("收款日期"), widget=DateInput)
