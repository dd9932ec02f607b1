"""Forms of a user's own account pages; every save goes through ``services_self``."""

from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .services_self import user_password_reset

MSG_PASSWORDS_DIFFER = _("两次输入的新密码不一致")


def _password_field(label, autocomplete: str = "new-password") -> forms.CharField:
    return forms.CharField(label=label, strip=False,
                           widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}))


class PasswordChangeForm(forms.Form):
    old_password = _password_field(_("原密码"), autocomplete="current-password")
    new_password1 = _password_field(_("新密码"))
    new_password2 = _password_field(_("再次输入新密码"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _("至少10个字符，不能全是数字，不能是常见密码，不能与用户名或姓名相似。")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password1") and cleaned.get("new_password2") \
                and cleaned["new_password1"] != cleaned["new_password2"]:
            self.add_error("new_password2", MSG_PASSWORDS_DIFFER)
        return cleaned


class ResetRequestForm(PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("注册时填写的电子邮箱")
        self.fields["email"].error_messages = {"required": _("请填写电子邮箱。"),
                                               "invalid": _("请输入有效的电子邮箱地址")}


class ResetSetPasswordForm(SetPasswordForm):
    """Django's new-password form, whose save is the logged service (``accounts.password_reset``)."""

    error_messages = {"password_mismatch": MSG_PASSWORDS_DIFFER}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("新密码")
        self.fields["new_password2"].label = _("再次输入新密码")
        self.fields["new_password1"].help_text = _("至少10个字符，不能全是数字，不能是常见密码，不能与用户名或姓名相似。")

    def save(self, commit=True):
        return user_password_reset(user=self.user, new_password=self.cleaned_data["new_password1"],
                                   now=timezone.now())


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("姓名"), max_length=100)
    phone = forms.CharField(label=_("电话"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    email = forms.CharField(label=_("电子邮箱"), max_length=254, required=False,
                            help_text=_("找回密码的链接发到这个地址。"),
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(label=_("恢复码"), max_length=32,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off"}))


class TwoFactorResetForm(forms.Form):
    username = forms.CharField(label=_("工作人员用户名"), max_length=150)
