from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .identity import username_normalise
from .selectors import user_get_by_login_name


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。"),
        "inactive": _("该账户已停用。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")

    def clean(self):
        # a name typed in another case or width (ＡＤＭＩＮ) signs in as the login it stands for (admin)
        username = self.cleaned_data.get("username")
        if username:
            user = user_get_by_login_name(username)
            self.cleaned_data["username"] = user.username if user else username_normalise(username)
        return super().clean()


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("动态验证码"), regex=r"^\s*\d{6}\s*$", max_length=8,
        error_messages={"invalid": _("请输入身份验证器中显示的6位数字。"), "required": _("请输入动态验证码。")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
