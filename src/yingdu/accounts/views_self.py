"""A user's own account pages: password change and reset, profile, recovery codes, a new authenticator; and an
admin's reset of another staff member's two-factor. Views are thin: each calls one service."""

import hashlib

import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.errors import DomainError
from yingdu.redirects import safe_next

from .forms import TokenForm
from .forms_self import (
    PasswordChangeForm,
    ProfileForm,
    RecoveryCodeForm,
    ResetRequestForm,
    ResetSetPasswordForm,
    TwoFactorResetForm,
)
from .models import Role
from .permissions import login_required, role_required
from .selectors import (
    user_confirmed_totp_device,
    user_get_by_username,
    user_granted_staff_roles,
    user_is_otp_verified,
    user_roles,
)
from .services import totp_device_start
from .services_self import (
    recovery_code_use,
    recovery_codes_generate,
    totp_device_reenrol,
    two_factor_reset,
    user_password_change,
    user_profile_update,
)
from .views import _base32

# Password reset requests: at most this many per e-mail address, and per client address, per hour.
RESET_LIMIT_PER_EMAIL = 3
RESET_LIMIT_PER_IP = 10
RESET_WINDOW_SECONDS = 3600
MSG_RESET_THROTTLED = gettext_lazy("找回密码的请求过于频繁，请一小时后再试。")


def _field_error(form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


@login_required
def password_change(request):
    """Old password and the new one twice; the session stays signed in."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_password_change(user=request.user, old_password=form.cleaned_data["old_password"],
                                 new_password=form.cleaned_data["new_password1"], now=timezone.now())
        except DomainError as error:
            _field_error(form, error)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改。"))
            return redirect("accounts:profile")
    return render(request, "accounts/password_change.html",
                  {"form": form, "forced": request.user.must_change_password})


def _over_limit(key: str, limit: int) -> bool:
    """Count one request under ``key`` for the window; True when it is beyond ``limit``."""
    cache.add(key, 0, RESET_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, RESET_WINDOW_SECONDS)
        count = 1
    return count > limit


class PasswordResetRequestView(auth_views.PasswordResetView):
    """The same answer whether or not an account has the address; throttled per address and per client."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    form_class = ResetRequestForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().casefold()
        email_key = "password-reset:email:" + hashlib.sha256(email.encode()).hexdigest()
        ip_key = "password-reset:ip:" + (self.request.META.get("REMOTE_ADDR") or "unknown")
        over_ip = _over_limit(ip_key, RESET_LIMIT_PER_IP)
        over_email = _over_limit(email_key, RESET_LIMIT_PER_EMAIL)
        if over_ip or over_email:
            form.add_error("email", MSG_RESET_THROTTLED)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = ResetSetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
def profile(request):
    """Who I am (organisation, roles, two-factor) and my contact details."""
    user = request.user
    form = ProfileForm(request.POST or None,
                       initial={"display_name": user.display_name, "phone": user.phone, "email": user.email})
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(user=user, now=timezone.now(), **form.cleaned_data)
        except DomainError as error:
            _field_error(form, error)
        else:
            messages.success(request, _("个人资料已保存。"))
            return redirect("accounts:profile")
    granted = user_granted_staff_roles(user)
    roles = sorted(set(user_roles(user)) | set(granted))
    context = {
        "form": form, "profile_user": user, "role_labels": [Role(role).label for role in roles],
        "is_staff_member": bool(granted), "totp_enrolled": user_confirmed_totp_device(user) is not None,
        "two_factor_verified": user_is_otp_verified(user),
        "recovery_codes_left": StaticToken.objects.filter(device__user=user).count(),
    }
    return render(request, "accounts/profile.html", context)


def _staff_only(request):
    if not user_granted_staff_roles(request.user):
        messages.error(request, _("只有工作人员账户使用恢复码和身份验证器。"))
        return redirect("accounts:profile")
    return None


@login_required
def recovery_codes(request):
    """Generate ten one-time recovery codes (shown once); regenerating replaces the earlier ones."""
    refused = _staff_only(request)
    if refused:
        return refused
    codes = None
    if request.method == "POST":
        codes = recovery_codes_generate(user=request.user, now=timezone.now())
    left = StaticToken.objects.filter(device__user=request.user).count()
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "left": left})


def two_factor_recovery(request):
    """The two-factor step with a recovery code instead of the authenticator's code."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if not user_granted_staff_roles(request.user):
        return redirect("portal:dashboard")
    if user_is_otp_verified(request.user):
        return redirect(safe_next(request))
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = recovery_code_use(user=request.user, code=form.cleaned_data["code"], now=timezone.now())
        except DomainError as error:
            _field_error(form, error)
        else:
            otp_login(request, device)
            messages.warning(request, _("您已用恢复码登录，该恢复码已失效。如身份验证器丢失，请重新绑定并生成新的恢复码。"))
            return redirect(safe_next(request))
    return render(request, "accounts/two_factor_recovery.html", {"form": form, "next": safe_next(request)})


@login_required
def two_factor_reenrol(request):
    """A verified staff user replaces the authenticator: scan the new QR code, confirm with its code."""
    refused = _staff_only(request)
    if refused:
        return refused
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    form = TokenForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            totp_device_reenrol(user=request.user, device=device, token=form.cleaned_data["token"], now=timezone.now())
        except DomainError as error:
            _field_error(form, error)
        else:
            # the session was verified with the old device, which is gone: it stays verified with the new one
            otp_login(request, device)
            messages.success(request, _("已更换身份验证器，旧的身份验证器已失效。"))
            return redirect("accounts:profile")
    if device is None:
        device = totp_device_start(user=request.user, now=timezone.now())
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    return render(request, "accounts/two_factor_reenrol.html",
                  {"form": form, "qr_svg": qr_svg, "secret": _base32(device.bin_key)})


@role_required(Role.ADMIN)
def two_factor_reset_view(request):
    """An admin resets another staff member's two-factor (lost authenticator and recovery codes)."""
    form = TwoFactorResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = user_get_by_username(form.cleaned_data["username"].strip())
        if target is None:
            form.add_error("username", _("没有这个用户名。"))
        else:
            try:
                two_factor_reset(user=target, actor=request.user, now=timezone.now())
            except DomainError as error:
                _field_error(form, error)
            else:
                messages.success(request, _("已重置 %(name)s 的双因素认证；其下次登录时须重新绑定身份验证器。")
                                 % {"name": target})
                return redirect("accounts:two_factor_reset")
    return render(request, "accounts/two_factor_reset.html", {"form": form})
