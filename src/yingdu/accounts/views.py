import base64
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.errors import DomainError
from yingdu.redirects import safe_next

from .forms import LoginForm, TokenForm
from .oidc import oidc_config
from .selectors import user_confirmed_totp_device, user_granted_staff_roles, user_is_otp_verified
from .services import totp_device_confirm, totp_device_start
from .throttle import login_spray_record_failure, login_spray_refused

MSG_THROTTLED = "尝试次数过多，请稍等几秒后再输入新的动态验证码。"


class PortalLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = False

    def post(self, request, *args, **kwargs):
        # one address trying one password against many names gets the same refusal as a locked name (django-axes)
        if login_spray_refused(request, request.POST.get("password", "")):
            return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "oidc_enabled": oidc_config() is not None}

    def form_invalid(self, form):
        if form.non_field_errors():
            login_spray_record_failure(self.request, self.request.POST.get("username", ""),
                                       self.request.POST.get("password", ""))
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        if user_granted_staff_roles(self.request.user):
            target = "accounts:two_factor" if user_confirmed_totp_device(self.request.user) else "accounts:two_factor_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': self.get_success_url()})}")
        return response


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("您已退出登录。"))
    return redirect("portal:home")


def _require_staff_login(request):
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if not user_granted_staff_roles(request.user):
        return redirect("portal:dashboard")
    return None


def two_factor(request):
    """Second step for staff: a TOTP code from the enrolled authenticator."""
    blocked = _require_staff_login(request)
    if blocked:
        return blocked
    device = user_confirmed_totp_device(request.user)
    if device is None:
        return redirect("accounts:two_factor_setup")
    if user_is_otp_verified(request.user):
        return redirect(safe_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", MSG_THROTTLED)
        elif device.verify_token(form.cleaned_data["token"].strip()):
            otp_login(request, device)
            return redirect(safe_next(request))
        else:
            form.add_error("token", "动态验证码不正确或已过期。")
    return render(request, "accounts/two_factor.html", {"form": form, "next": safe_next(request)})


def two_factor_setup(request):
    """First login of a staff user: enrol an authenticator app by scanning the QR code."""
    blocked = _require_staff_login(request)
    if blocked:
        return blocked
    if user_confirmed_totp_device(request.user):
        return redirect("accounts:two_factor")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    form = TokenForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            totp_device_confirm(device=device, token=form.cleaned_data["token"], now=timezone.now())
        except DomainError as error:
            form.add_error("token", str(error.message))
        else:
            otp_login(request, device)
            messages.success(request, _("双因素认证已启用。"))
            return redirect(safe_next(request))
    if device is None:
        device = totp_device_start(user=request.user, now=timezone.now())
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    secret = _base32(device.bin_key)
    return render(request, "accounts/two_factor_setup.html",
                  {"form": form, "qr_svg": qr_svg, "secret": secret, "next": safe_next(request)})


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")
