"""Under the strict Content-Security-Policy (issue 15) the key pages load, draw their charts and show their tooltips
without a single violation reported by Chromium; an inline script injected on purpose is reported (the check works)."""

import pytest
from playwright.sync_api import expect

from yingdu.accounts.models import Role
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_staff

from .conftest import log_in
from .test_monitoring import seed_usage

pytestmark = pytest.mark.django_db(transaction=True)

# Recorded before any page script runs (Playwright's init scripts are not subject to the page's policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " +
                              (event.sourceFile || "") + ":" + event.lineNumber);
});
"""


def _watch(page) -> list[str]:
    console = []
    page.on("console", lambda message: console.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    return console


def _violations(page, console) -> list[str]:
    return [*console, *page.evaluate("window.__cspViolations || []")]


def test_login_dashboard_and_monitor_with_charts_have_no_csp_violation(live_server, page):
    reviewer = make_staff(Role.REVIEWER, username="csp_e2e_reviewer")
    seed_usage(verified(reviewer))
    console = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/accounts/login/")
    assert _violations(page, console) == []
    log_in(page, live_server.url, reviewer.username, device=reviewer.totpdevice_set.get())
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    assert _violations(page, console) == []

    page.goto(f"{live_server.url}/metering/monitor/")
    chart = page.locator('[data-testid="chart-cost"][data-chart-drawn] canvas')
    expect(chart).to_have_count(1)
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)  # the axis tooltip
    page.wait_for_timeout(500)
    expect(page.get_by_test_id("anomalies")).to_contain_text("impossible-e2e")  # the live region has loaded
    page.get_by_label("语言", exact=True).select_option("en")  # the language switch submits without inline code
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert _violations(page, console) == []

    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui")).to_be_visible()
    page.wait_for_timeout(500)
    assert _violations(page, console) == []

    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.__ran = 1";
                             document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in violation for violation in _violations(page, console))
