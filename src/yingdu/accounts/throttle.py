"""Login throttling beyond django-axes (one login name from one address): one address trying one password against
many login names (password spraying) is refused once it has failed for LOGIN_SPRAY_USERNAME_LIMIT distinct names
within LOGIN_SPRAY_WINDOW_MINUTES of its last failure.

Neither the password nor the names are kept: the cache key is HMAC-SHA256(SECRET_KEY, address ‖ 0x00 ‖ password)
and its value the set of HMACs of the names' keys. The counts live in Django's cache (per process with the default
local-memory cache; see docs/decisions.md, "Login throttling across names").
"""

import hashlib
import hmac

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache

from .identity import username_key

CACHE_PREFIX = "yingdu:login-spray:"


def axes_username(request, credentials=None) -> str | None:
    """The name django-axes counts failures under: the login name's key, so that ``Admin`` and ``ＡＤＭＩＮ`` share
    the lock of ``admin`` (settings.AXES_USERNAME_CALLABLE)."""
    data = credentials if credentials else getattr(request, "data", request.POST)
    raw = data.get(settings.AXES_USERNAME_FORM_FIELD) if data else None
    return username_key(raw) if isinstance(raw, str) else raw


def _keyed(*parts: str) -> str:
    message = "\x00".join(parts).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _cache_key(request, password: str) -> str:
    return CACHE_PREFIX + _keyed("spray", get_client_ip_address(request) or "", password)


def login_spray_refused(request, password: str) -> bool:
    """Whether this address has already tried this password against too many names."""
    if not password:
        return False
    return len(cache.get(_cache_key(request, password)) or ()) >= settings.LOGIN_SPRAY_USERNAME_LIMIT


def login_spray_record_failure(request, username: str, password: str) -> None:
    """Count a failed login: one more name tried with this password from this address."""
    if not password or not username:
        return
    key = _cache_key(request, password)
    names = set(cache.get(key) or ())
    names.add(_keyed("name", username_key(username))[:32])
    cache.set(key, frozenset(names), timeout=int(settings.LOGIN_SPRAY_WINDOW_MINUTES * 60))
