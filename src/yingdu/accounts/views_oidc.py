"""The OpenID Connect sign-in pages: start, the provider's callback, and linking a first-time identity."""

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from yingdu.errors import DomainError

from .forms import LoginForm
from .oidc import (
    MSG_OIDC_UNAVAILABLE,
    PENDING_IDENTITY,
    OidcCallbackView,
    OidcRequestView,
    OidcUnavailable,
    oidc_config,
)
from .services_self import IDENTITY_PROOF_PASSWORD, identity_link
from .throttle import login_spray_record_failure, login_spray_refused

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _configured_or_404() -> None:
    if oidc_config() is None:
        raise Http404


def _provider_call(request, view):
    try:
        return view(request)
    except (OidcUnavailable, requests.RequestException):
        messages.error(request, MSG_OIDC_UNAVAILABLE)
        return redirect("accounts:login")


def oidc_authenticate(request):
    """Start a sign-in at the provider (state, nonce and PKCE verifier kept in the session)."""
    _configured_or_404()
    return _provider_call(request, OidcRequestView.as_view())


def oidc_callback(request):
    """The provider sends the browser back here with a code; a state or nonce that does not match is refused."""
    _configured_or_404()
    return _provider_call(request, OidcCallbackView.as_view())


def oidc_link(request):
    """First sign-in of an identity: prove an existing account with its password, or register an enterprise."""
    _configured_or_404()
    pending = request.session.get(PENDING_IDENTITY)
    if pending is None:
        return redirect("accounts:login")
    if request.method == "POST" and login_spray_refused(request, request.POST.get("password", "")):
        return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            try:
                identity_link(user=user, issuer=pending["issuer"], subject=pending["subject"],
                              proof=IDENTITY_PROOF_PASSWORD, now=timezone.now())
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                request.session.pop(PENDING_IDENTITY, None)
                login(request, user, backend=PASSWORD_BACKEND)
                messages.success(request, _("已关联统一身份认证，今后可直接用它登录。"))
                return redirect("portal:dashboard")
        elif form.non_field_errors():
            login_spray_record_failure(request, request.POST.get("username", ""), request.POST.get("password", ""))
    return render(request, "accounts/oidc_link.html", {"form": form, "pending": pending})
