"""Django settings, read from the environment with safe development defaults."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("YINGDU_HOME", PACKAGE_DIR.parent.parent)).resolve()
VAR_DIR = Path(os.environ.get("YINGDU_VAR_DIR", BASE_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_lines(name: str) -> list[str]:
    """Items separated by newlines or commas (C2SP key texts contain neither)."""
    return [item.strip() for item in os.environ.get(name, "").replace("\n", ",").split(",") if item.strip()]


DEBUG = _env_bool("DEBUG", False)
# Development mode: demo data and generated secrets are allowed. Production sets YINGDU_ENV=production.
DEVELOPMENT = os.environ.get("YINGDU_ENV", "development") != "production"


def _development_secret(path: Path) -> str:
    """A secret generated once per checkout under var/, never committed."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEVELOPMENT:
        raise RuntimeError("SECRET_KEY must be set in the environment when YINGDU_ENV=production")
    SECRET_KEY = _development_secret(VAR_DIR / "secret_key")

ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks_db",
    "csp",
    "django_filters",
    "yingdu.transparency",
    "yingdu.accounts",
    "yingdu.enterprises",
    "yingdu.policy",
    "yingdu.works",
    "yingdu.applications",
    "yingdu.metering",
    "yingdu.notices",
    "yingdu.vouchers",
    "yingdu.audits",
    "yingdu.duties",
    "yingdu.publicity",
    "yingdu.inbox",
    "yingdu.documents",
    "yingdu.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "yingdu.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yingdu.portal.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "yingdu.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yingdu.urls"
WSGI_APPLICATION = "yingdu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yingdu.portal.context.navigation",
                "yingdu.portal.context.calendar_banner",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'yingdu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers continue while one writer appends; IMMEDIATE takes the write lock at BEGIN
        # so that two writers queue instead of failing half-way with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # One test database file per test process, so that two suites running at once never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # OpenID Connect sign-in (accounts/oidc.py); answers only the callback of a sign-in it started
    "yingdu.accounts.oidc.OidcBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The platform's public address, for links in e-mails (a notification's page); no trailing slash needed.
SITE_URL = os.environ.get("YINGDU_SITE_URL", "http://127.0.0.1:8000")
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"

# OpenID Connect sign-in for enterprise and provider users (unified identity, 统一身份认证), with
# mozilla-django-oidc. Off unless the issuer, client id and client secret are all set; the endpoints come from
# the issuer's discovery document ({issuer}/.well-known/openid-configuration). README "Identity (OIDC)
# configuration".
YINGDU_OIDC = {
    "issuer": os.environ.get("YINGDU_OIDC_ISSUER", "").strip().rstrip("/"),
    "client_id": os.environ.get("YINGDU_OIDC_CLIENT_ID", "").strip(),
    "client_secret": os.environ.get("YINGDU_OIDC_CLIENT_SECRET", ""),
    "scopes": os.environ.get("YINGDU_OIDC_SCOPES", "openid profile email"),
    # claims that pre-fill an enterprise registration when the provider asserts them
    "uscc_claim": os.environ.get("YINGDU_OIDC_USCC_CLAIM", "uscc"),
    "enterprise_name_claim": os.environ.get("YINGDU_OIDC_ENTERPRISE_NAME_CLAIM", "enterprise_name"),
}

# Login throttling: after AXES_FAILURE_LIMIT failures for one username from one address, that pair is
# locked for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# the OpenID Connect callback carries no password (state, nonce and code protect it): not counted as a failure
AXES_WHITELIST_CALLABLE = "yingdu.accounts.oidc.axes_not_a_password_attempt"
AXES_VERBOSE = False
AXES_ENABLED = _env_bool("AXES_ENABLED", True)
# Failures are counted under the login name's case- and width-insensitive key (accounts.identity).
AXES_USERNAME_CALLABLE = "yingdu.accounts.throttle.axes_username"
# Password spraying: one address that failed with one password for this many distinct login names within the window
# (from its last failure) is refused, whatever name it tries next (accounts.throttle).
LOGIN_SPRAY_USERNAME_LIMIT = int(os.environ.get("LOGIN_SPRAY_USERNAME_LIMIT", "4"))
LOGIN_SPRAY_WINDOW_MINUTES = float(os.environ.get("LOGIN_SPRAY_WINDOW_MINUTES", "15"))

OTP_TOTP_ISSUER = "影都算力券"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]

# Uploaded files live outside the web root and are served only through permission-checked views.
UPLOAD_ROOT = Path(os.environ.get("YINGDU_UPLOAD_ROOT", VAR_DIR / "uploads")).resolve()
UPLOAD_MAX_BYTES = int(os.environ.get("YINGDU_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
# JSON request bodies of the API (issue 15): the largest legitimate one is an ingest batch of 5,000 usage records
# (about 1 KB each with a signature), so 8 MiB; a larger body is refused with 413 `request_too_large`.
# objections to awards in 公示 accepted per client address and hour (yingdu.publicity; a cache counter)
PUBLICITY_OBJECTIONS_PER_HOUR = int(os.environ.get("YINGDU_PUBLICITY_OBJECTIONS_PER_HOUR", "5"))
API_JSON_MAX_BYTES = int(os.environ.get("YINGDU_API_JSON_MAX_BYTES", str(8 * 1024 * 1024)))
# With it, an API error answer that its operation does not declare (yingdu.api_errors) is a server error; the test
# suite turns it on so that every refusal a test or the fuzz provokes must be in the OpenAPI document.
API_ERRORS_STRICT = os.environ.get("YINGDU_API_ERRORS_STRICT") == "1"
# A file to which undeclared error answers are appended (one JSON line each) instead, to find what to declare.
API_ERRORS_RECORD = os.environ.get("YINGDU_API_ERRORS_RECORD") or None

# Path of the Ed25519 key that signs log checkpoints (used by the transparency app).
LOG_SIGNING_KEY_PATH = Path(os.environ.get("YINGDU_LOG_SIGNING_KEY", VAR_DIR / "log_signing.key"))

# Outgoing mail (Django 6.1 MAILERS): the console in development, SMTP from the environment in production.
MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "EMAIL_BACKEND",
            "django.core.mail.backends.console.EmailBackend" if DEVELOPMENT
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
        "OPTIONS": {},
    }
}
if MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": _env_bool("EMAIL_USE_TLS", False),
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "yingdu@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", not DEVELOPMENT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Production sits behind a TLS-terminating reverse proxy (README, "Deploying"). Each of these is read from the
# environment and is on by default when YINGDU_ENV=production, off in development.
PRODUCTION = not DEVELOPMENT
# The proxy tells the platform that the client's request came over HTTPS with this header (set it in the proxy, and
# make sure the proxy overwrites any value a client sends); "" turns it off.
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto" if PRODUCTION else "").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# The proxy's (or an orchestrator's) health check reaches the platform over plain HTTP without the forwarded header:
# /healthz answers it instead of redirecting to HTTPS. It carries no cookie and no personal data.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600) if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
# Preloading is a commitment of the whole registered domain that is slow to undo: the operator opts in.
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = os.environ.get("SECURE_REFERRER_POLICY", "same-origin")
# Browser features no page of the platform uses (yingdu.security.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = {feature: [] for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen", "geolocation",
    "gyroscope", "magnetometer", "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
    "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
)}
# security.W021 ("SECURE_HSTS_PRELOAD is not True") is a choice left to the operator, not an oversight (above).
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp), the same in every environment so that development shows any violation:
# scripts, styles, images and fonts only from the platform itself; no inline script or style (templates load
# yingdu/*.js and yingdu/app.css; tests/portal scan the templates), no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # the API documentation page (Swagger UI) draws its icons from data: URLs in its stylesheet
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

PORTAL_TITLE = _("影都算力券服务平台")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Static files are served by the platform itself (WhiteNoise). Production serves the collected, compressed set (gzip
# and Brotli copies, made once by `make install` / `yingdu static_collect`, yingdu.staticfiles); development also
# straight from the app directories, so that tests and a fresh checkout need no collect step.
WHITENOISE_USE_FINDERS = _env_bool("WHITENOISE_USE_FINDERS", DEVELOPMENT)

# The transparency log: its origin line (also the signing key's name) and verifier keys of earlier signing keys,
# still accepted after a rotation (C2SP vkey text, separated by newlines or commas).
LOG_ORIGIN = os.environ.get("YINGDU_LOG_ORIGIN", "yingdu.huairou.example/log")
# Older verifier keys still published, each "<vkey> [first=N] [last=N]": the tree sizes it signed (docs/decisions.md).
LOG_PREVIOUS_VERIFIER_KEYS = _env_lines("YINGDU_LOG_PREVIOUS_VERIFIER_KEYS")
# The first tree size the current signing key signs (after a rotation: the size in the rotation statement).
LOG_SIGNING_KEY_FIRST_SIZE = int(os.environ.get("YINGDU_LOG_SIGNING_KEY_FIRST_SIZE", "0"))
# Files holding key rotation statements (signed by the old key), in rotation order; published with the keys.
LOG_KEY_ROTATIONS = _env_lines("YINGDU_LOG_KEY_ROTATIONS")
# Witnesses whose cosignatures (C2SP tlog-cosignature, vkey text with type 0x04) are accepted and served with the
# checkpoint; separated by newlines or commas.
LOG_WITNESS_KEYS = _env_lines("YINGDU_LOG_WITNESS_KEYS")
# Witnesses the log submits each new checkpoint to (C2SP tlog-witness add-checkpoint): "<submission URL prefix>
# <cosignature vkey>" items separated by newlines or commas; their keys are accepted as above. A checkpoint is
# "witnessed" once LOG_WITNESS_QUORUM distinct configured witnesses cosigned it (default: all those with a URL).
LOG_WITNESSES = _env_lines("YINGDU_LOG_WITNESSES")
LOG_WITNESS_QUORUM = int(os.environ["YINGDU_LOG_WITNESS_QUORUM"]) if os.environ.get("YINGDU_LOG_WITNESS_QUORUM") \
    else None
LOG_WITNESS_TIMEOUT_SECONDS = float(os.environ.get("YINGDU_LOG_WITNESS_TIMEOUT_SECONDS", "5"))
# The quarterly draw with witnesses (quorum > 0) waits this long after the quarter end for every committed witness to
# reveal its value; after it, a witness that has not revealed is left out and listed as withheld (docs/decisions.md).
DRAW_REVEAL_WAIT_HOURS = int(os.environ.get("YINGDU_DRAW_REVEAL_WAIT_HOURS", "72"))

# Background and periodic work: Django's tasks framework with the django-tasks-db backend, which keeps the queue in
# the platform's own database (SQLite or PostgreSQL); `yingdu worker` runs the tasks and the periodic schedule.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
