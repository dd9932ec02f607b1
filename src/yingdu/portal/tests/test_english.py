"""English is genuinely available: the main page of each app reads in English once the user picks it with the switch,
and the English catalogue is complete and compiled."""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user, make_work

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
HEADING = re.compile(r"<(h[12])\b[^>]*>(.*?)</\1>", re.S)
TAG = re.compile(r"<[^>]+>")


def _catalogue_dir() -> Path:
    import yingdu

    return Path(yingdu.__file__).resolve().parent / "locale" / "en" / "LC_MESSAGES"


def english(client):
    """Switch the client to English exactly as the language switch in the page header does."""
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Language"] == "en"
    return response.content.decode()


def assert_english(body: str, words: tuple[str, ...], *, data: tuple[str, ...] = (), fragment: bool = False) -> None:
    """The key English words appear, and no <h1>/<h2> keeps a Chinese text (data such as names aside)."""
    assert fragment or '<html lang="en">' in body
    for word in words:
        assert word in body, word
    for _tag, inner in HEADING.findall(body):
        text = TAG.sub("", inner)
        for value in data:
            text = text.replace(value, "")
        assert not CJK.search(text), f"untranslated heading: {text.strip()!r}"


@pytest.fixture
def reviewer():
    return verified(make_staff(Role.REVIEWER))


@pytest.fixture
def enterprise(reviewer):
    return make_enterprise(member=make_user(), verified_by=reviewer)


def test_enterprise_detail_in_english(enterprise, reviewer):
    body = page(english(client_for(enterprise.registered_by)), f"/enterprises/{enterprise.pk}/")
    assert_english(body, ("Unified social credit code", "Registered address", "State history", "Verified"),
                   data=(enterprise.name,))
    staff_body = page(english(client_for(reviewer)), "/enterprises/")
    assert_english(staff_body, ("Enterprise name", "All states", "Filter"))


def test_works_list_and_detail_in_english(enterprise):
    work = make_work(enterprise, title="测试微短剧")
    client = english(client_for(enterprise.registered_by))
    body = page(client, "/works/")
    assert_english(body, ("Register a new work", "Production period", "AI micro-drama"))
    detail = page(client, f"/works/{work.pk}/")
    assert_english(detail, ("Subsidy applications", "Release records", "Overseas distribution", "Metering project tag"),
                   data=(work.title, "AI微短剧"))


def test_provider_portal_and_usage_page_in_english(enterprise):
    meter = make_metering_provider()
    body = page(english(client_for(meter.operator)), "/metering/provider/")
    assert_english(body, ("API keys", "Signing public keys", "Price list", "Upload CSV", "Local provider"),
                   data=(meter.provider.name,))
    usage = page(english(client_for(enterprise.registered_by)), "/metering/usage/")
    assert_english(usage, ("Compute usage", "Daily compute cost over the last 30 days", "Loading"))
    live = page(english(client_for(enterprise.registered_by)), "/metering/usage/live/")
    assert_english(live, ("Totals by work", "Recent records"), fragment=True)


def test_notices_list_in_english(enterprise, reviewer):
    member = english(client_for(enterprise.registered_by))
    body = page(member, "/metering/notices/")
    assert_english(body, ("Usage data notice", "Objection deadline", "No notices yet."))
    staff = page(english(client_for(reviewer)), "/metering/notices/")
    assert_english(staff, ("Issue notice",))


def test_policy_page_and_estimator_in_english():
    client = english(client_for(make_user()))
    body = page(client, "/policy/")
    assert_english(body, ("Policy in force", "Version history", "Regular subsidy rate", "working days"),
                   data=_policy_titles())
    estimate = page(client, "/policy/estimate/?cost=50000")
    assert_english(estimate, ("Subsidy estimator", "Verified cost", "Rate applied", "yuan"))


def _policy_titles() -> tuple[str, ...]:
    from yingdu.policy.models import PolicyVersion

    return tuple(PolicyVersion.objects.values_list("title", flat=True))


def test_application_queue_in_english(reviewer):
    body = page(english(client_for(reviewer)), "/applications/queue/")
    assert_english(body, ("Review queue", "Export queue (Excel)", "Deadline", "No applications to handle."))


def test_voucher_wallet_in_english(enterprise):
    from yingdu.vouchers.services import voucher_issue

    approver = verified(make_staff(Role.APPROVER))
    voucher_issue(enterprise=enterprise, work_id=1, application_id=4242, amount_fen=1_000_000, actor=approver,
                  now=timezone.now())
    body = page(english(client_for(enterprise.registered_by)), "/vouchers/")
    assert_english(body, ("Voucher wallet", "My compute vouchers", "Face value (yuan)", "Ledger transfers"),
                   data=(enterprise.name,))


def test_dashboard_in_english(enterprise):
    body = page(english(client_for(enterprise.registered_by)), "/dashboard/")
    assert_english(body, ("Current roles", "Enterprise member", "View enterprise details"), data=(enterprise.name,))


def test_chinese_stays_the_default(enterprise):
    response = client_for(enterprise.registered_by).get(f"/enterprises/{enterprise.pk}/")
    body = response.content.decode()
    assert '<html lang="zh-CN">' in body and "统一社会信用代码" in body and "状态记录" in body


# --- the catalogue -------------------------------------------------------------------------------------------------


def _po_entries(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of every active entry of a .po file; a small parser, enough for Django's catalogues."""
    entries, current, field, fuzzy = [], None, None, False

    def finish():
        if current is not None and current.get("msgid"):
            entries.append((current["msgid"], current.get("msgstr", ""), current["fuzzy"]))

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            fuzzy = "fuzzy" in line
        elif line.startswith("msgid "):
            finish()
            current, field = {"fuzzy": fuzzy, "msgid": _unquote(line[6:])}, "msgid"
            fuzzy = False
        elif line.startswith("msgstr "):
            current["msgstr"], field = _unquote(line[7:]), "msgstr"
        elif line.startswith('"') and current is not None:
            current[field] += _unquote(line)
    finish()
    return entries


def _unquote(text: str) -> str:
    escapes = {"n": "\n", "t": "\t"}
    return re.sub(r"\\(.)", lambda match: escapes.get(match.group(1), match.group(1)), text.strip()[1:-1])


def test_every_message_has_an_english_translation():
    po = _catalogue_dir() / "django.po"
    entries = _po_entries(po)
    assert len(entries) > 500
    untranslated = [msgid for msgid, msgstr, _fuzzy in entries if not msgstr.strip()]
    fuzzy = [msgid for msgid, _msgstr, is_fuzzy in entries if is_fuzzy]
    assert not untranslated, f"{len(untranslated)} messages without English: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy translations to check: {fuzzy[:10]}"


def test_english_translations_keep_the_placeholders():
    placeholder = re.compile(r"%\(\w+\)s|\{\w+\}")
    for msgid, msgstr, _fuzzy in _po_entries(_catalogue_dir() / "django.po"):
        assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(msgstr)), msgid


def test_the_compiled_catalogue_matches_the_po_file(tmp_path):
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (gettext) is not installed")
    directory = _catalogue_dir()
    compiled = directory / "django.mo"
    assert compiled.exists(), "django.mo is missing: run `make messages`"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(directory / "django.po")], check=True)

    def catalogue(path: Path) -> dict:
        with path.open("rb") as handle:
            return dict(gettext.GNUTranslations(handle)._catalog)

    assert catalogue(compiled) == catalogue(fresh), "django.mo is older than django.po: run `make messages`"


def test_english_is_not_chosen_from_the_browser(enterprise):
    """English is opt-in with the switch (cookie), never the browser's Accept-Language (docs/decisions.md)."""
    response = client_for(enterprise.registered_by).get("/works/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="zh-CN">' in response.content.decode()


def test_the_empty_choice_of_a_select_is_in_the_page_language():
    from django.utils import translation

    from yingdu.metering.models import UsageRecord

    for language, label in (("zh-hans", "请选择"), ("en", "Choose")):
        with translation.override(language):
            empty = UsageRecord._meta.get_field("category").formfield().choices[0]
            assert empty[0] == "" and str(empty[1]) == label


def _django_msgids(app_path: str) -> list[tuple[str | None, str]]:
    """(context, msgid) of every singular message of one of Django's catalogues (its English .po file)."""
    import django

    po = Path(django.__file__).parent / app_path / "locale" / "en" / "LC_MESSAGES" / "django.po"
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        if "msgid_plural" in block:
            continue
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        context = re.search(r'^msgctxt (".*")', block, re.M)
        text = "".join(_unquote(part) for part in re.findall(r'".*"', msgid.group(1))) if msgid else ""
        if text:
            found.append((_unquote(context.group(1)) if context else None, text))
    return found


# written the same in Chinese: symbols, units and abbreviations (Django's zh-hans catalogue keeps them as they are)
SAME_IN_CHINESE = {"…", "IPv4", "IPv6", "URL", ":?.!", ":", "%s KB", "%s MB", "%s GB", "%s TB", "%s PB", "p.m.", "a.m.",
                   "PM", "AM"}


@pytest.mark.parametrize("app_path", ["conf", "contrib/auth"])
def test_every_message_django_shows_reads_in_chinese(app_path):
    """Django's own messages (form errors, validators, dates) have a Chinese translation: Django's catalogue, or the
    project's zh_Hans catalogue for what this Django version ships untranslated."""
    from django.utils import translation

    with translation.override("zh-hans"):
        untranslated = [text for context, text in _django_msgids(app_path) if text not in SAME_IN_CHINESE
                        and (translation.pgettext(context, text) if context else translation.gettext(text)) == text]
    assert not untranslated, f"Django messages without Chinese: {untranslated}"
