"""Public pages a visitor uses without logging in: the estimator and the transparency page, in Chinese."""

import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from yingdu.transparency.keys import verifier_keys

from .conftest import assert_fits_width

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_estimator_gives_the_same_amount_as_the_cli(live_server, page, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/policy/estimate/")
    expect(page.get_by_role("heading", name="补贴测算器")).to_be_visible()
    page.get_by_label(re.compile("核定算力成本")).fill("1.555")
    page.get_by_role("button", name="测算").click()
    expect(page.locator("p.error")).to_contain_text("小数")
    expect(page.get_by_test_id("quote-amount")).to_have_count(0)
    page.get_by_label(re.compile("核定算力成本")).fill("50,000.00")
    page.get_by_label(re.compile("出海")).check()
    page.get_by_role("button", name="测算").click()
    expect(page.get_by_test_id("quote-amount")).to_have_text("19,500.00")
    assert_fits_width(page)
    screenshot(page, f"estimator-{width}")
    # The CLI reads the same database as the live server: the test database, not the developer's var/ one.
    from django.db import connection
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}"}
    cli = subprocess.run([sys.executable, "-m", "yingdu.cli", "quote", "--cost", "50000", "--overseas"],
                         capture_output=True, text=True, env=env)
    assert cli.stdout.strip() == "19500.00", cli.stderr


def test_transparency_page_shows_a_verifiable_checkpoint(live_server, page, screenshot):
    from yingdu.transparency.tasks import checkpoint_sign_when_grown

    checkpoint_sign_when_grown.call()  # as the worker does; the page itself never signs
    page.goto(f"{live_server.url}/transparency/")
    expect(page.get_by_role("heading", name="防篡改日志", exact=True)).to_be_visible()
    expect(page.get_by_test_id("verifier-key").first).to_have_text(verifier_keys()[0].format())
    note = page.get_by_test_id("checkpoint-note").inner_text()
    from yingdu.tlog import verify_note
    assert verify_note(note.rstrip("\n") + "\n", verifier_keys=verifier_keys()).tree_size >= 1
    assert_fits_width(page)
    screenshot(page, "transparency-1280")
