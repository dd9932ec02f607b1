from django import forms
from django.utils.translation import gettext_lazy as _

from yingdu.metering.models import Provider, ServiceCategory
from yingdu.rules.money import Money, MoneyParseError


class YuanField(forms.CharField):
    """An amount in yuan ("1,200.00"), cleaned to integer fen."""

    def clean(self, value):
        text = super().clean(value)
        if not text and not self.required:
            return None
        try:
            return Money.from_yuan(text).fen
        except MoneyParseError as error:
            raise forms.ValidationError(str(error.message)) from None


class DateInput(forms.DateInput):
    input_type = "date"


class RedemptionForm(forms.Form):
    voucher_number = forms.CharField(label=_("券号"), max_length=40,
                                     help_text=_("如 HR-2026-7KQ2-9XMR-TB4WE，由持券企业提供"))
    code = forms.CharField(label=_("核销码"), max_length=40,
                           help_text=_("持券企业在算力券钱包中生成的一次性核销码，如 ABCD-EFGH-JKMN-PQRS"),
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    order_ref = forms.CharField(label=_("订单号"), max_length=100, help_text=_("本服务商内唯一；重复提交同一订单是安全的"))
    category = forms.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices)
    amount = YuanField(label=_("核销金额（元）"), max_length=20)
    description = forms.CharField(label=_("订单说明"), max_length=200, required=False)


class RedemptionCodeForm(forms.Form):
    """An enterprise member's new redemption code for one of its active vouchers."""

    voucher = forms.ChoiceField(label=_("算力券"))
    provider = forms.ModelChoiceField(label=_("限定服务商"), queryset=Provider.objects.none(), required=False,
                                      empty_label=_("任一本地服务商"))
    max_amount = YuanField(label=_("限额（元）"), max_length=20, required=False,
                           help_text=_("填写限额：服务商凭码核销不超过该金额时立即生效，视为您已事先确认；"
                                       "不填：服务商提交后仍须您在本页确认。"))

    def __init__(self, *args, vouchers=(), providers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voucher"].choices = [(voucher.number, voucher.number) for voucher in vouchers]
        if providers is not None:
            self.fields["provider"].queryset = providers


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
