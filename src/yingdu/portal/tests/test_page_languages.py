"""Every page each person reaches, rendered in Chinese and in English, shows no word of the other language: no English
on a Chinese page, no Han character on an English page, except official documents (marked lang="zh-Hans") and what
people typed (the demo's names, titles and reasons). Each main form is also submitted empty in both languages, so
that its error messages are read too. The pages are found by following links from each demo person's pages (one page
per kind), with the Django test client; the allow-list rules are in docs/decisions.md."""

import json
import os
from collections import deque
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings

from yingdu.accounts.selectors import user_get_by_username
from yingdu.testing.clients import client_for
from yingdu.testing.crawl import NOT_PAGES, page_kind
from yingdu.testing.languages import leaks

pytestmark = pytest.mark.django_db

# The moment of the browser suite's accessibility crawl: a Tuesday, the demo's review ten days old.
DEMO_AT = datetime(2026, 11, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PEOPLE = [None, "huairou_film", "yanqi_ai", "provider_op", "reviewer", "approver", "finance", "auditor", "admin"]
LANGUAGES = ("zh-hans", "en")
PAGES_PER_PERSON = 80
# What people typed, shown as they typed it in either language: (app label, model, fields).
TYPED = [
    ("accounts", "User", ("display_name", "username")),
    ("accounts", "Organisation", ("name",)),
    ("enterprises", "Enterprise", ("name", "registered_address", "legal_representative", "contact_name",
                                   "licence_filename")),
    ("enterprises", "EnterpriseStateChange", ("reason",)),
    ("metering", "Provider", ("name",)),
    ("metering", "CatalogueEntry", ("name", "unit")),
    ("metering", "ApiKey", ("label",)),
    ("metering", "SigningKey", ("label",)),
    ("metering", "UsageAttribution", ("reason",)),
    ("works", "Work", ("title",)),
    ("works", "WorkDetails", ("title",)),
    ("works", "WorkRelease", ("platform_name", "reason", "licence_number", "screenshot_filename")),
    ("works", "OverseasDistribution", ("platform_name", "territory", "listed_title", "reason", "agreement_filename",
                                       "listing_filename")),
    ("applications", "ApplicationTransition", ("reason",)),
    ("applications", "Application", ("review_explanation", "approved_explanation", "decision_reason")),
    ("applications", "SupplementRequest", ("message", "response")),
    ("applications", "ApplicationMaterial", ("filename",)),
    ("applications", "ApplicationInvoice", ("filename",)),
    ("vouchers", "Redemption", ("order_ref", "description")),
    ("policy", "PolicyVersion", ("title", "change_note")),
    ("policy", "CalendarSpecialDay", ("name",)),
    ("otp_totp", "TOTPDevice", ("name",)),
]


def _typed_values() -> frozenset[str]:
    from django.apps import apps

    values = set()
    for app_label, model_name, fields in TYPED:
        model = apps.get_model(app_label, model_name)
        for row in model.objects.values_list(*fields):
            values.update(value for value in row if isinstance(value, str) and value.strip())
    for titles in apps.get_model("works", "WorkDetails").objects.values_list("overseas_titles", flat=True):
        values.update(titles)
    return frozenset(values)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data, loaded once for the module inside a transaction that is rolled back at its end (each test runs
    in a savepoint inside it), at a fixed moment."""
    var = tmp_path_factory.mktemp("demo")
    with (django_db_blocker.unblock(), override_settings(VAR_DIR=var, UPLOAD_ROOT=var / "uploads"),
          time_machine.travel(DEMO_AT, tick=False)):
        outer = transaction.atomic()
        outer.__enter__()
        outer._from_testcase = True  # the tests' own transactions nest inside this one
        try:
            with open(os.devnull, "w") as quiet:
                call_command("demo", stdout=quiet)
            credentials = json.loads((settings.VAR_DIR / "demo_credentials.json").read_text())
            yield {"credentials": credentials, "typed": _typed_values(), "uploads": var / "uploads"}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _isolated_uploads(settings, demo):
    """The demo's uploaded files, instead of the per-test directory of the root conftest."""
    settings.UPLOAD_ROOT = demo["uploads"]


class _Page(HTMLParser):
    """The links of a page and its POST forms with at least one visible field a person must fill."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        elif tag == "form":
            self._form = {"action": values.get("action") or "", "method": (values.get("method") or "get").lower(),
                          "hidden": {}, "required": False, "files": False}
        elif self._form is not None and tag in {"input", "textarea", "select"}:
            kind = (values.get("type") or "").lower()
            if kind == "hidden" and values.get("name"):
                self._form["hidden"][values["name"]] = values.get("value") or ""
            elif "required" in values and kind not in {"checkbox", "radio"}:
                self._form["required"] = True

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            if self._form["method"] == "post" and self._form["required"]:
                self.forms.append(self._form)
            self._form = None


def _parse(html: str) -> _Page:
    parser = _Page()
    parser.feed(html)
    return parser


def _render(client, method: str, url: str, language: str, data=None):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    # a form's result is followed to the page it leads to, in the same language (messages included)
    return client.post(url, data or {}, follow=True) if method == "post" else client.get(url)


def _check(response, language: str, where: str, typed: frozenset[str], problems: list[str]) -> None:
    if response.status_code >= 500:
        problems.append(f"{where}: HTTP {response.status_code}")
    if "text/html" not in response.get("Content-Type", ""):
        return
    for leak in leaks(response.content.decode(), page_lang=language, data=typed):
        problems.append(f"{where}: {leak}")


def crawl_in_both_languages(client, start: str, typed: frozenset[str]) -> tuple[list[str], list[str]]:
    """Open the pages reachable from ``start`` (one per kind), each in both languages, then submit each kind of main
    form empty in both languages; the pages checked and the leaks found."""
    queue, seen_paths, seen_kinds, forms, checked, problems = deque([start]), set(), set(), {}, [], []
    while queue and len(seen_kinds) < PAGES_PER_PERSON:
        path = urlsplit(urldefrag(queue.popleft())[0]).path
        kind = page_kind(path)
        if path in seen_paths or kind in seen_kinds or NOT_PAGES.search(path):
            continue
        seen_paths.add(path)
        page = None
        for language in LANGUAGES:
            response = _render(client, "get", path, language)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                break
            _check(response, language, f"{language} GET {path}", typed, problems)
            page = page or _parse(response.content.decode())
        if page is None:
            continue
        seen_kinds.add(kind)
        checked.append(path)
        for href in page.links:
            target = urlsplit(urljoin(path, href))
            if not target.netloc and target.path not in seen_paths:
                queue.append(target.path)
        for form in page.forms:
            action = urlsplit(urljoin(path, form["action"])).path
            forms.setdefault(page_kind(action), (action, form["hidden"]))
    for action, hidden in forms.values():
        for language in LANGUAGES:
            response = _render(client, "post", action, language, hidden)
            _check(response, language, f"{language} POST {action} (empty)", typed, problems)
        checked.append(f"POST {action}")
    return checked, problems


@pytest.mark.parametrize("person", PEOPLE, ids=lambda person: person or "public")
def test_every_page_reads_in_one_language(demo, person):
    with time_machine.travel(DEMO_AT, tick=False):
        client = Client() if person is None else client_for(user_get_by_username(person))
        client.raise_request_exception = False
        checked, problems = crawl_in_both_languages(client, "/" if person is None else "/dashboard/", demo["typed"])
    print(f"{person or 'public'}: checked {len(checked)} pages and forms:", *checked, sep="\n  ")
    assert len(checked) >= 3, checked
    assert not problems, f"{len(problems)} leaks:\n" + "\n".join(problems)


def test_a_leak_in_either_direction_fails_the_check(demo, monkeypatch):
    """The check finds a leak once one is introduced: an English page whose heading lost its translation, and a
    Chinese form whose error messages come out in English."""
    from django.utils.translation import trans_real

    with time_machine.travel(DEMO_AT, tick=False):
        client = client_for(user_get_by_username("huairou_film"))
        problems: list[str] = []
        _check(_render(client, "get", "/dashboard/", "en"), "en", "dashboard", demo["typed"], problems)
        _check(_render(client, "post", "/works/new/", "zh-hans", {"title": ""}), "zh-hans", "works", demo["typed"],
               problems)
        assert problems == []

        monkeypatch.setitem(trans_real.translation("en")._catalog, "工作台", "工作台")
        monkeypatch.setitem(trans_real.translation("zh-hans")._catalog, "This field is required.",
                            "This field is required.")
        _check(_render(client, "get", "/dashboard/", "en"), "en", "dashboard", demo["typed"], problems)
        _check(_render(client, "post", "/works/new/", "zh-hans", {"title": ""}), "zh-hans", "works", demo["typed"],
               problems)
    assert any(problem.startswith("dashboard: <h1> Chinese: '工作台'") for problem in problems), problems
    assert any(problem.startswith("works:") and "'required.'" in problem for problem in problems), problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_server_error_page_reads_in_the_page_language(rf, language):
    from django.utils import translation

    from yingdu.portal.views import error_500

    with translation.override(language):
        response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert leaks(response.content.decode(), page_lang=language) == []


def test_spot_check_cases_read_in_one_language(demo):
    """The demo leaves the last quarter undrawn (the auditor's button); drawn here, the cases' pages are read as the
    auditor and as the members of the enterprises drawn."""
    from yingdu.accounts.services import trusted_actor
    from yingdu.audits.draws import draw_run
    from yingdu.audits.models import SpotCheckCase

    with time_machine.travel(DEMO_AT, tick=False):
        draw_run(quarter="2026Q3", actor=trusted_actor(user_get_by_username("auditor")), now=DEMO_AT)
        members = {case.enterprise.registered_by.username
                   for case in SpotCheckCase.objects.select_related("enterprise__registered_by")}
        problems, checked = [], []
        for person in ["auditor", *sorted(members)]:
            client = client_for(user_get_by_username(person))
            client.raise_request_exception = False
            pages, found = crawl_in_both_languages(client, "/audits/", demo["typed"])
            checked += pages
            problems += found
    assert any(page.startswith("/audits/cases/") for page in checked), checked
    assert not problems, f"{len(problems)} leaks:\n" + "\n".join(problems)
