from django import forms
from django.utils.translation import gettext_lazy as _

from .services import EnterpriseDetails

_TEXT = {"class": "input"}


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=200)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=40,
                           help_text=_("18位，营业执照上的代码；空格和连字符会自动忽略"),
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    registered_address = forms.CharField(label=_("注册地址"), max_length=300, help_text=_("须为北京市怀柔区注册地址"))
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=100)
    contact_name = forms.CharField(label=_("联系人"), max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20)
    licence = forms.FileField(label=_("营业执照"), help_text=_("PDF、PNG 或 JPEG，不超过 10 MB"))

    def details(self) -> EnterpriseDetails:
        data = self.cleaned_data
        return EnterpriseDetails(**{k: data[k] for k in ("name", "uscc", "registered_address",
                                                        "legal_representative", "contact_name", "contact_phone")})


class AccountAndEnterpriseForm(EnterpriseForm):
    username = forms.CharField(label=_("登录用户名"), max_length=150)
    display_name = forms.CharField(label=_("您的姓名"), max_length=100)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, help_text=_("至少10位，不能是常见密码或纯数字"))
    password_again = forms.CharField(label=_("再次输入密码"), widget=forms.PasswordInput)

    field_order = ["username", "display_name", "email", "password", "password_again"]

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致。"))
        return data


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    effective_on = forms.DateField(label=_("生效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    huairou_confirmed = forms.BooleanField(label=_("已核实该企业在北京市怀柔区注册"), required=False)
