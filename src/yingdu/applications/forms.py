from django import forms
from django.utils.translation import gettext_lazy as _

from yingdu.rules.money import Money, MoneyParseError


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    items = forms.CharField(label=_("需补充的材料"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=_("每行一项"))

    def item_list(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("items") or "").splitlines() if line.strip()]


class MaterialForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput)
    upload = forms.FileField(label=_("文件"), help_text=_("PDF、PNG 或 JPEG，最大 10 MB"))


class InvoiceForm(forms.Form):
    """An invoice of the work's compute: amounts typed in yuan, stored in fen."""

    invoice_code = forms.CharField(label=_("发票代码"), required=False, max_length=12,
                                   help_text=_("10 或 12 位数字；全电发票没有发票代码，请留空"))
    invoice_number = forms.CharField(label=_("发票号码"), max_length=20,
                                     help_text=_("8 位数字；全电发票为 20 位数字"))
    issued_on = forms.DateField(label=_("开票日期"), widget=forms.DateInput(attrs={"type": "date"}))
    seller_uscc = forms.CharField(label=_("销售方统一社会信用代码"), max_length=30,
                                  help_text=_("须为在平台登记的算力服务商"))
    amount = forms.CharField(label=_("金额（不含税，元）"), max_length=20, widget=forms.TextInput(
        attrs={"inputmode": "decimal"}))
    tax = forms.CharField(label=_("税额（元）"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    upload = forms.FileField(label=_("发票文件"), help_text=_("PDF 或 OFD 版式文件，最大 10 MB"))

    def _fen(self, name: str) -> int:
        try:
            return Money.from_yuan(self.cleaned_data[name]).fen
        except MoneyParseError as error:
            raise forms.ValidationError(str(error.message)) from None

    def clean_amount(self) -> int:
        return self._fen("amount")

    def clean_tax(self) -> int:
        return self._fen("tax")


class InvoiceWithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
