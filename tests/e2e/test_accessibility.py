"""Every page each person can reach, checked as that person: axe-core finds no serious or critical violation, the
page answers without an error, and it fits a 390 px phone. The pages are found by following the links of the demo
data's pages (each kind of page once), not by a list that could go stale."""

from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from yingdu.testing.crawl import NOT_PAGES, page_kind

from .conftest import AXE_JS, axe_violations, overflow_culprits, sign_in_demo_person

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = [None, "huairou_film", "yanqi_ai", "provider_op", "reviewer", "approver", "finance", "auditor", "admin"]
PAGES_PER_PERSON = 60


def crawl(page, base_url: str, start: str, checked_kinds: set[str], person: str | None):
    """The pages reachable from ``start`` by links, breadth first, each once, as (url, response, check): ``check`` is
    true for the first page of a kind (across people; an object's page for each person). Pages of kinds already
    checked are still opened, for their links."""
    queue, visited = deque([start]), set()
    while queue and len(visited) < PAGES_PER_PERSON:
        url = queue.popleft()
        path = urlsplit(url).path
        if path in visited or NOT_PAGES.search(path):
            continue
        visited.add(path)
        kind = page_kind(path)
        if url == start or ("<id>" in kind and not path.startswith("/policy/")):
            kind = f"{person} {kind}"  # a workbench and an object's page offer each person other things
        page.set_viewport_size({"width": 1280, "height": 900})
        try:
            response = page.goto(url)
        except PlaywrightError as error:  # a link to a download is not a page
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        check = kind not in checked_kinds
        checked_kinds.add(kind)
        yield url, response, check
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            href = urldefrag(href)[0].split("?")[0]
            if href.startswith(base_url) and urlsplit(href).path not in visited:
                queue.append(href)


def test_every_page_each_person_reaches_is_accessible_and_fits_a_phone(live_server, page, demo, screenshot):
    """The people of the demo in turn (and a visitor first); a kind of page already checked for someone else is
    not checked again, except each person's workbench and the pages of objects (whose actions differ by person)."""
    assert AXE_JS.exists(), f"axe-core is missing at {AXE_JS}: `make test-e2e` fetches it"
    page.context.add_init_script(path=str(AXE_JS))
    problems, checked, seen_kinds = [], [], set()
    for person in PEOPLE:
        if person is None:
            page.goto(f"{live_server.url}/")
        else:
            sign_in_demo_person(page, live_server.url, person, demo["password"])
        for url, response, check in crawl(page, live_server.url, page.url, seen_kinds, person):
            path = urlsplit(url).path
            where = f"{person or 'visitor'} {path}"
            if response.status >= 400:
                problems.append(f"{where}: HTTP {response.status}")
                continue
            if not check:
                continue
            checked.append(where)
            for violation in axe_violations(page):
                problems.append(f"{where}: axe {violation['impact']} {violation['id']} — {violation['help']} "
                                f"at {violation['nodes']}")
            page.set_viewport_size({"width": 390, "height": 844})
            culprits = overflow_culprits(page)
            if culprits:
                problems.append(f"{where}: wider than a 390 px phone: {culprits}")
            name = page_kind(path).strip("/").replace("/", "_").replace("<id>", "N") or "home"
            screenshot(page, f"a11y-{person or 'visitor'}-{name}-390")
    print(f"checked {len(checked)} pages:", *checked, sep="\n  ")
    assert len(checked) >= 2 * len(PEOPLE), checked
    assert not problems, "\n".join(problems)
