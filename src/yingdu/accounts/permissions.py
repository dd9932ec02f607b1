"""View guards: login, two-factor for staff, and role checks; object access is decided in selectors."""

from functools import wraps
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from .selectors import user_granted_staff_roles, user_is_otp_verified, user_roles


def _redirect_with_next(request, url_name: str):
    return redirect(f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}")


def staff_two_factor_redirect(request):
    """Where a staff user without a verified second factor must go first, or None."""
    if user_granted_staff_roles(request.user) and not user_is_otp_verified(request.user):
        return _redirect_with_next(request, "accounts:two_factor")
    return None


def login_required(view):
    """Anonymous users go to login; staff who skipped two-factor go to the TOTP step."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _redirect_with_next(request, "accounts:login")
        pending = staff_two_factor_redirect(request)
        if pending is not None:
            return pending
        return view(request, *args, **kwargs)

    return wrapper


def role_required(*roles: str):
    """Only users acting in one of ``roles`` (staff roles count only after two-factor)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not (user_roles(request.user) & set(roles)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
