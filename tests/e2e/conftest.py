"""Browser journeys: Playwright drives Debian's Chromium (no downloaded browser), headless."""

import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
# axe-core from its npm package (`make test-e2e` fetches it; the Makefile passes its path)
AXE_JS = ROOT / os.environ.get("YINGDU_AXE_JS", "var/npm/axe-core-4.11.0/axe.min.js")
# what the accessibility checks refuse: axe's two highest impacts, on the WCAG 2.x A and AA rules and best practices
AXE_IMPACTS = ("serious", "critical")
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
    "wcag22aa", "best-practice"]}, resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under var/screenshots/ (git-ignored) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def overflow_culprits(page) -> list[str]:
    """The elements that force sideways scrolling at the current viewport width (none when the page fits), once the
    page has handled a change of the viewport: the browser runs resize handlers (charts redraw at the new width)
    before the next animation frame, so two frames after it the page is as a user who turned the phone sees it."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    if page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1:
        return []
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 60))""")


def assert_fits_width(page) -> None:
    """Nothing on the page forces sideways scrolling at the current viewport width."""
    culprits = overflow_culprits(page)
    assert not culprits, f"page is wider than the viewport; widest elements: {culprits}"


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (axe injected by an init script)."""
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in AXE_IMPACTS]


def log_in(page, base_url: str, username: str, *, device=None, password: str | None = None) -> None:
    """Log in through the login page (and the TOTP step when a device is given) and wait for the dashboard; the
    password is the factories' unless given."""
    from django_otp.oath import totp
    from playwright.sync_api import expect

    from yingdu.testing.factories import PASSWORD

    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password or PASSWORD)
    page.get_by_role("button", name="登录").click()
    if device is not None:
        expect(page.get_by_role("heading", name="双因素认证")).to_be_visible()
        code = str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)
        page.get_by_label("动态验证码").fill(code)
        page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


# A Tuesday in an ordinary week: the demo's review started ten days before, its calendar years are published.
DEMO_AT = datetime(2026, 11, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def demo(settings, tmp_path):
    """The demo programme, built as at DEMO_AT (the clock then runs on from there); its people's credentials."""
    import time_machine
    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    with time_machine.travel(DEMO_AT, tick=True):
        call_command("demo", stdout=open("/dev/null", "w"))
        yield json.loads((tmp_path / "demo_credentials.json").read_text())


def sign_in_demo_person(page, base_url: str, username: str, password: str) -> None:
    """Log in as one of the demo's people, with their confirmed authenticator when they have one (staff)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from yingdu.accounts.selectors import user_get_by_username

    device = TOTPDevice.objects.filter(user=user_get_by_username(username), confirmed=True).first()
    log_in(page, base_url, username, device=device, password=password)
