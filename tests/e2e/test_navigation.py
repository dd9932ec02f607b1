"""The top navigation as the demo's people see it: one line at 1280 px in both languages, and on a phone the menu
button's badge counts what the folded menu's badges count (unread messages and work waiting)."""

import pytest

from .conftest import assert_fits_width, sign_in_demo_person

pytestmark = pytest.mark.django_db(transaction=True)

# how many lines the navigation's links occupy (their vertical middles, 10 px apart or more, counted once)
NAV_LINKS_ROWS = """() => new Set([...document.querySelectorAll('.nav-links a')]
    .map(e => { const r = e.getBoundingClientRect(); return Math.round((r.top + r.bottom) / 20); })).size"""


def _english(page) -> None:
    """Switch to English with the header's language select (it submits itself)."""
    with page.expect_navigation():
        page.select_option(".lang-form select", "en")


@pytest.mark.parametrize("person", ["huairou_film", "yanqi_ai"])
def test_an_enterprise_members_navigation_fits_one_line_at_1280_in_both_languages(live_server, page, demo, screenshot,
                                                                                   person):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_demo_person(page, live_server.url, person, demo["password"])
    lines = {}
    for language in ("zh-hans", "en"):
        if language == "en":
            _english(page)
        page.goto(f"{live_server.url}/dashboard/")
        screenshot(page, f"nav-{person}-{language}-1280")
        lines[language] = page.evaluate(NAV_LINKS_ROWS)
        assert_fits_width(page)
    assert lines == {"zh-hans": 1, "en": 1}, f"{person}: the navigation's links take {lines} lines"


def _count(page, selector: str) -> int:
    badge = page.locator(selector)
    return int(badge.inner_text()) if badge.count() else 0


def test_on_a_phone_the_menu_button_counts_unread_messages_and_work_waiting(live_server, page, demo, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_demo_person(page, live_server.url, "huairou_film", demo["password"])
    page.goto(f"{live_server.url}/dashboard/")
    unread = _count(page, '.nav-links a[href="/inbox/"] .nav-count')
    waiting = _count(page, '.nav-links a[href="/dashboard/"] .nav-count')
    assert unread > 0 and waiting > 0, "the demo member has unread messages and work waiting"
    assert _count(page, '[data-testid="menu-count"]') == unread + waiting
    name = page.locator("button.nav-toggle").inner_text()
    assert str(unread) in name and str(waiting) in name, name
    screenshot(page, "nav-huairou_film-390")
    assert page.locator('[data-testid="menu-count"]').get_attribute("title") == f"未读消息 {unread} 条，待办 {waiting} 项"
    page.click("button.nav-toggle")
    screenshot(page, "nav-huairou_film-390-open")
    assert_fits_width(page)
    # once the messages are read, the button counts the work waiting only
    page.goto(f"{live_server.url}/inbox/")
    with page.expect_navigation():
        page.click('[data-testid="inbox-read-all"]')
    assert _count(page, '[data-testid="menu-count"]') == waiting
    page.click("button.nav-toggle")
    _english(page)
    assert f"(0 unread messages, {waiting} waiting)" in page.locator("button.nav-toggle").inner_text()
