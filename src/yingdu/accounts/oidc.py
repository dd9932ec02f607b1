"""OpenID Connect sign-in for enterprise and provider users (the unified identity, 统一身份认证), on
mozilla-django-oidc: authorization code flow with state, nonce and PKCE (S256); ID tokens signed RS256, checked
against the provider's JWKS, issuer and audience.

Configured only from ``settings.YINGDU_OIDC`` (the environment): off, with every endpoint answering 404, unless the
issuer, client id and client secret are all set. The provider's endpoints come from its discovery document.

An identity signs in only as the user it was linked to (``LinkedIdentity``); an identity seen for the first time is
kept in the session as *pending* until the person proves an existing account with its password or registers an
enterprise (docs/decisions.md, "Issue 19 item 3"). Staff accounts never sign in this way.
"""

from dataclasses import dataclass
from functools import lru_cache

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .selectors import linked_identity_user, user_may_use_linked_identity
from .services_self import MSG_IDENTITY_STAFF

# the session key of an identity that signed in at the provider but is not linked to an account yet
PENDING_IDENTITY = "oidc_pending_identity"
SIGN_ALGORITHM = "RS256"
TIMEOUT_SECONDS = 10

MSG_OIDC_FAILED = _("统一身份认证登录未成功，请重试，或使用用户名和密码登录。")
MSG_OIDC_UNAVAILABLE = _("统一身份认证服务暂时无法访问，请稍后再试，或使用用户名和密码登录。")
MSG_ACCOUNT_INACTIVE = _("该账户已停用。")


class OidcUnavailable(Exception):
    """The provider's discovery document could not be fetched or does not name the configured issuer."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    uscc_claim: str
    enterprise_name_claim: str


def oidc_config() -> OidcConfig | None:
    """The configuration from the environment, or None when OpenID Connect sign-in is off."""
    values = getattr(settings, "YINGDU_OIDC", None) or {}
    if not (values.get("issuer") and values.get("client_id") and values.get("client_secret")):
        return None
    return OidcConfig(issuer=values["issuer"].rstrip("/"), client_id=values["client_id"],
                      client_secret=values["client_secret"], scopes=values.get("scopes") or "openid profile email",
                      uscc_claim=values.get("uscc_claim") or "uscc",
                      enterprise_name_claim=values.get("enterprise_name_claim") or "enterprise_name")


@lru_cache(maxsize=8)
def _discovery(issuer: str) -> dict:
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise OidcUnavailable(str(error)) from error
    # OpenID Connect Discovery 1.0 §4.3: the document's issuer is exactly the one it was fetched for
    if document.get("issuer", "").rstrip("/") != issuer:
        raise OidcUnavailable(f"discovery names issuer {document.get('issuer')!r}, not {issuer!r}")
    return document


def oidc_discovery(config: OidcConfig) -> dict:
    """The provider's discovery document (cached per issuer once fetched)."""
    return _discovery(config.issuer)


_ENDPOINTS = {"OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint", "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
              "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint", "OIDC_OP_JWKS_ENDPOINT": "jwks_uri"}


def _oidc_setting(attr: str, *default):
    """mozilla-django-oidc's settings, from YINGDU_OIDC and the discovery document instead of Django settings."""
    config = oidc_config()
    if config is None:
        raise OidcUnavailable("OpenID Connect sign-in is not configured")
    fixed = {
        "OIDC_RP_CLIENT_ID": config.client_id, "OIDC_RP_CLIENT_SECRET": config.client_secret,
        "OIDC_RP_SCOPES": config.scopes, "OIDC_RP_SIGN_ALGO": SIGN_ALGORITHM, "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True, "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256", "OIDC_CREATE_USER": False,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "accounts:oidc_callback", "OIDC_TIMEOUT": TIMEOUT_SECONDS,
        "OIDC_RP_IDP_SIGN_KEY": None, "OIDC_ALLOW_UNSECURED_JWT": False, "OIDC_VERIFY_SSL": True,
        "OIDC_STORE_ACCESS_TOKEN": False, "OIDC_STORE_ID_TOKEN": False,
        "LOGIN_REDIRECT_URL": settings.LOGIN_REDIRECT_URL,
    }
    if attr in fixed:
        return fixed[attr]
    if attr in _ENDPOINTS:
        return oidc_discovery(config)[_ENDPOINTS[attr]]
    return import_from_settings(attr, *default)


def pending_identity(config: OidcConfig, *, subject: str, claims: dict) -> dict:
    """What the session keeps of a first-time identity: issuer, subject and the claims that pre-fill a
    registration (the e-mail address only when the provider says it is verified)."""
    def text(name: str) -> str:
        value = claims.get(name)
        return value.strip() if isinstance(value, str) else ""

    return {"issuer": config.issuer, "subject": subject, "name": text("name"),
            "email": text("email") if claims.get("email_verified") is True else "",
            "uscc": text(config.uscc_claim), "enterprise_name": text(config.enterprise_name_claim)}


def axes_not_a_password_attempt(request, credentials) -> bool:
    """django-axes: a sign-in answered by the provider's callback carries no password, so it is not counted (a
    first-time identity returns no user here and would otherwise count as a failed login of the address)."""
    credentials = credentials or {}
    return request is not None and "nonce" in credentials and not credentials.get("password")


class OidcBackend(OIDCAuthenticationBackend):
    """Answers only the callback of a sign-in this site started (it is given the nonce); never creates users."""

    get_settings = staticmethod(_oidc_setting)
    get_user = ModelBackend.get_user

    def __init__(self, *args, **kwargs):
        # the endpoints are read when a callback is answered, not each time Django loads the backends
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or oidc_config() is None:
            return None
        super().__init__()
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The library checks the signature (JWKS), expiry and nonce; this adds issuer and audience (OpenID Connect
        Core 1.0 §3.1.3.7, steps 2 and 3)."""
        payload = super().verify_token(token, **kwargs)
        config = oidc_config()
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if payload.get("iss", "").rstrip("/") != config.issuer or config.client_id not in audiences:
            raise SuspiciousOperation("ID token of another issuer or client")
        if not payload.get("sub") or "exp" not in payload:
            raise SuspiciousOperation("ID token without subject or expiry")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 1.0 §5.3.2: the UserInfo sub must equal the ID token's
        if claims.get("sub") != payload["sub"]:
            raise SuspiciousOperation("UserInfo subject differs from the ID token's")
        config = oidc_config()
        user = linked_identity_user(issuer=config.issuer, subject=payload["sub"])
        if user is None:
            self.request.session[PENDING_IDENTITY] = pending_identity(config, subject=payload["sub"], claims=claims)
            return None
        if not user.is_active:
            self.request.oidc_refusal = MSG_ACCOUNT_INACTIVE
            return None
        if not user_may_use_linked_identity(user):
            self.request.oidc_refusal = MSG_IDENTITY_STAFF
            return None
        return user


class OidcRequestView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(_oidc_setting)


class OidcCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(_oidc_setting)

    @property
    def failure_url(self):
        if PENDING_IDENTITY in self.request.session:
            return reverse("accounts:oidc_link")
        return reverse("accounts:login")

    def login_failure(self):
        if PENDING_IDENTITY not in self.request.session:
            messages.error(self.request, getattr(self.request, "oidc_refusal", MSG_OIDC_FAILED))
        return super().login_failure()

    def login_success(self):
        self.request.session.pop(PENDING_IDENTITY, None)
        return super().login_success()
