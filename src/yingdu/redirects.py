"""Where a form sends the user back to: the ``next`` it carried, when it stays on this site."""

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str = "portal:dashboard") -> str:
    """The request's ``next`` (POST, then GET) when it is a URL of this host, else the ``default`` URL name."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return reverse(default)
