"""Production headers (issue 15): HSTS, HTTPS redirect behind a TLS proxy, CSP without inline code, Referrer-Policy,
Permissions-Policy, and `check --deploy` clean in production settings."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for
from yingdu.testing.factories import make_enterprise, make_staff

PACKAGE_DIR = Path(django_settings.PACKAGE_DIR)
SECURITY_SETTINGS = ("SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
                     "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_REDIRECT_EXEMPT",
                     "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SILENCED_SYSTEM_CHECKS")


def _production_env(tmp_path, **extra) -> dict:
    # a clean production environment: nothing of the test run's (the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, which
    # check --deploy rightly refuses, the coverage switch, a developer's overrides)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SECURE_", "DEBUG", "YINGDU_", "SESSION_", "DATABASE_URL", "DJANGO_"))}
    env.update({"YINGDU_ENV": "production", "SECRET_KEY": "k" * 20 + "Zq8!vR2#nL5@wT9$" * 4,
                "ALLOWED_HOSTS": "yingdu.huairou.example", "YINGDU_VAR_DIR": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "DJANGO_SETTINGS_MODULE": "yingdu.settings"})
    env.update(extra)
    return env


def _check_deploy(tmp_path, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
                          env=_production_env(tmp_path, **extra), capture_output=True, text=True, timeout=120)


def _production_settings(tmp_path, **extra) -> dict:
    """The security settings as the production environment makes them (a fresh interpreter reads settings.py)."""
    script = ("import json, django; from django.conf import settings; django.setup(); "
              f"print(json.dumps({{name: getattr(settings, name) for name in {SECURITY_SETTINGS!r}}}))")
    result = subprocess.run([sys.executable, "-c", script], env=_production_env(tmp_path, **extra),
                            capture_output=True, text=True, timeout=120, check=True)
    values = json.loads(result.stdout.strip().splitlines()[-1])
    if values["SECURE_PROXY_SSL_HEADER"]:
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    result = _check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_production_turns_the_https_redirect_and_hsts_off(tmp_path):
    result = _check_deploy(tmp_path, SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W008" in result.stderr and "security.W004" in result.stderr


def test_production_defaults_and_their_environment_switches(tmp_path):
    values = _production_settings(tmp_path)
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False and values["SILENCED_SYSTEM_CHECKS"] == ["security.W021"]
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    changed = _production_settings(tmp_path, SECURE_SSL_REDIRECT="0", SECURE_PROXY_SSL_HEADER="X-Forwarded-Scheme",
                                   SECURE_HSTS_SECONDS="600", SECURE_HSTS_PRELOAD="1")
    assert changed["SECURE_SSL_REDIRECT"] is False
    assert changed["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_SCHEME", "https")
    assert changed["SECURE_HSTS_SECONDS"] == 600
    assert changed["SECURE_HSTS_PRELOAD"] is True and changed["SILENCED_SYSTEM_CHECKS"] == []


def test_development_keeps_plain_http(tmp_path):
    values = _production_settings(tmp_path, YINGDU_ENV="development")
    assert values["SECURE_SSL_REDIRECT"] is False and values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.django_db
def test_behind_the_proxy_plain_http_is_redirected_https_gets_hsts_and_healthz_answers_plain_http(tmp_path):
    values = _production_settings(tmp_path)
    with override_settings(**{name: values[name] for name in SECURITY_SETTINGS if name != "SILENCED_SYSTEM_CHECKS"}):
        plain = Client().get("/accounts/login/")
        assert plain.status_code == 301 and plain["Location"] == "https://testserver/accounts/login/"
        secure = Client().get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
        assert secure.status_code == 200
        assert secure["Strict-Transport-Security"] == f"max-age={values['SECURE_HSTS_SECONDS']}; includeSubDomains"
        health = Client().get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert "Strict-Transport-Security" not in health  # plain HTTP: browsers ignore HSTS there anyway


def _plain_urls() -> list[str]:
    """Every URL of the site without a parameter."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and "<" not in route and not route.startswith("^"):
                found.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def _assert_policy_headers(response, url):
    policy = response.get("Content-Security-Policy", "")
    assert policy, f"{url} ({response.status_code}) has no Content-Security-Policy"
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert response["Referrer-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


@pytest.mark.django_db
def test_every_page_carries_the_content_security_policy_and_the_other_policies():
    urls = _plain_urls()
    assert len(urls) > 30 and "/metering/monitor/" in urls and "/accounts/login/" in urls
    staff = make_staff(Role.REVIEWER, Role.AUDITOR)
    member = make_enterprise().registered_by
    clients = {"anonymous": Client(), "staff": client_for(staff), "member": client_for(member)}
    statuses = set()
    for name, client in clients.items():
        for url in [*urls, "/no-such-page/", "/api/v1/no-such-path"]:
            response = client.get(url)
            statuses.add(response.status_code)
            _assert_policy_headers(response, f"{name} {url}")
    assert {200, 302, 404} <= statuses  # pages, redirects to the login and errors all carry them


# Inline code that a strict CSP blocks: <style> blocks, style="" attributes, <script> without src (JSON data blocks,
# which are not executed, are allowed), event-handler attributes (onclick=…) and javascript: URLs.
INLINE = re.compile(r"""<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:|<script(?![^>]*\bsrc=)(?![^>]*type="application/json")""",
                    re.IGNORECASE)


def _templates() -> list[Path]:
    return sorted(p for p in PACKAGE_DIR.rglob("templates/**/*.html") if ".venv" not in p.parts)


def test_no_template_holds_inline_script_or_style():
    templates = _templates()
    assert len(templates) > 60
    offenders = [f"{path.relative_to(PACKAGE_DIR)}: {match.group(0)}"
                 for path in templates for match in INLINE.finditer(path.read_text())]
    assert offenders == []


@pytest.mark.parametrize("snippet", [
    '<style>p{}</style>', '<p style="color:red">', '<select onchange="go()">', '<a href="javascript:go()">',
    '<script>go()</script>', '<script defer>go()</script>',
])
def test_the_template_scan_finds_each_kind_of_inline_code(snippet):
    assert INLINE.search(snippet)


@pytest.mark.parametrize("snippet", [
    '<script src="/static/yingdu/charts.js" defer></script>', '<script id="d" type="application/json">{}</script>',
    '<link rel="stylesheet" href="/static/yingdu/app.css">', '<div data-style="x">',
])
def test_the_template_scan_allows_external_files_and_json_data(snippet):
    assert not INLINE.search(snippet)
