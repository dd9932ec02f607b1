"""An enterprise never sees another's works or applications: every route with an id, page and API, is a 404."""

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from yingdu.applications import invoices
from yingdu.applications import urls as application_urls
from yingdu.applications.api import router as applications_router
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise
from yingdu.works import urls as work_urls
from yingdu.works.api import router as works_router
from yingdu.works.services import work_distribution_record

from .support import draft, eligible_works, pdf, png

pytestmark = pytest.mark.django_db

# the fixture's records are made at one fixed moment (a Monday in September 2026, Beijing morning)
MOMENT = datetime(2026, 9, 21, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def foreign(enterprise, meter):
    """A work of ``enterprise`` with a release, a distribution and a submitted application with a material."""
    [work] = eligible_works(enterprise, meter, 1)
    distribution = work_distribution_record(
        work=work, actor=verified(enterprise.registered_by), territory="美国", platform="reelshort",
        listed_title="Lost", went_live_on=work.production_start_on, agreement=pdf(), listing_evidence=pdf(),
        now=MOMENT)
    application = draft(work, now=MOMENT)
    invoice = invoices.application_invoice_declare(
        application=application, invoice_code="", invoice_number="2" * 20, issued_on=work.production_start_on,
        seller_uscc=meter.provider.uscc, amount_fen=100, tax_fen=6, upload=pdf("发票.pdf"),
        actor=verified(enterprise.registered_by), now=MOMENT)
    return {"work": work.pk, "release": work.releases.get().pk, "distribution": distribution.pk,
            "application": application.pk, "material": application.materials.get().pk, "invoice": invoice.pk}


def _page_paths(ids) -> list[tuple[str, str]]:
    w, a = ids["work"], ids["application"]
    return [
        ("get", f"/works/{w}/"), ("post", f"/works/{w}/details/"), ("post", f"/works/{w}/releases/"),
        ("post", f"/works/{w}/distributions/"), ("get", f"/works/{w}/files/screenshot/{ids['release']}/"),
        ("get", f"/works/{w}/files/agreement/{ids['distribution']}/"),
        ("get", f"/works/{w}/files/listing/{ids['distribution']}/"),
        ("get", f"/applications/{a}/"), ("post", f"/applications/{a}/topup/"),
        ("post", f"/applications/{a}/materials/"), ("post", f"/applications/{a}/supplement/answer/"), ("get", f"/applications/{a}/materials/{ids['material']}/"),
        ("post", f"/applications/{a}/submit/"), ("post", f"/applications/{a}/withdraw/"),
        ("get", f"/applications/{a}/notices/acceptance.pdf"), ("post", f"/applications/{a}/invoices/"),
        ("post", f"/applications/{a}/invoices/{ids['invoice']}/withdraw/"),
        ("get", f"/applications/{a}/invoices/{ids['invoice']}/file/"),
    ]


def _api_paths(ids) -> list[tuple[str, str]]:
    w, a = ids["work"], ids["application"]
    base = "/api/v1"
    return [
        ("get", f"{base}/works/{w}"), ("get", f"{base}/works/{w}/details"), ("post", f"{base}/works/{w}/details"),
        ("get", f"{base}/works/{w}/releases"), ("post", f"{base}/works/{w}/releases"),
        ("get", f"{base}/works/{w}/releases/{ids['release']}/screenshot"),
        ("get", f"{base}/works/{w}/distributions"), ("post", f"{base}/works/{w}/distributions"),
        ("get", f"{base}/works/{w}/distributions/{ids['distribution']}/agreement"),
        ("get", f"{base}/applications/{a}"), ("get", f"{base}/applications/{a}/precheck"),
        ("get", f"{base}/applications/{a}/timeline"), ("post", f"{base}/applications/{a}/materials"),
        ("post", f"{base}/applications/{a}/topup"), ("post", f"{base}/applications/{a}/withdraw"),
        ("get", f"{base}/applications/{a}/notices/acceptance"), ("get", f"{base}/applications/{a}/invoices"),
        ("post", f"{base}/applications/{a}/invoices"),
        ("post", f"{base}/applications/{a}/invoices/{ids['invoice']}/withdraw"),
        ("get", f"{base}/applications/{a}/invoices/{ids['invoice']}/file"),
    ]


def _valid_body(path: str) -> dict:
    """A well-formed request body, so that the 404 comes from the object lookup and not from validation."""
    if path.endswith("/details"):
        return {"content_type": "application/json", "data": json.dumps({
            "title": "x", "form": "micro_drama", "episode_count": 1, "episode_min_seconds": 60,
            "episode_max_seconds": 60, "aspect_ratio": "9:16", "ai_techniques": ["other"], "reason": "x"})}
    if path.endswith("/releases"):
        return {"data": {"platform": "douyin", "url": "https://x.example/1", "went_live_on": "2026-05-01",
                         "licence_number": "D110126040001", "screenshot": png()}}
    if path.endswith("/distributions"):
        return {"data": {"territory": "美国", "platform": "reelshort", "listed_title": "x",
                         "went_live_on": "2026-05-01", "agreement": pdf(), "listing_evidence": pdf()}}
    if path.endswith("/materials"):
        return {"data": {"code": "authenticity_commitment", "upload": pdf()}}
    if path.endswith("/invoices"):
        return {"data": {"invoice_number": "3" * 20, "issued_on": "2026-04-01", "seller_uscc": "x",
                         "amount_fen": "100", "tax_fen": "0", "upload": pdf()}}
    return {"content_type": "application/json", "data": "{}"}


def test_every_route_with_an_id_is_covered():
    ids = {"work": 1, "application": 1, "release": 1, "distribution": 1, "material": 1, "invoice": 1}
    checked = {re.sub(r"/\d+", "/N", path) for _method, path in _page_paths(ids)}
    for prefix, patterns in (("/works/", work_urls.urlpatterns), ("/applications/", application_urls.urlpatterns)):
        for pattern in patterns:
            route = str(pattern.pattern)
            if "<int:" not in route:
                continue
            shape = prefix + re.sub(r"<int:\w+>", "N", route)
            # a slug segment (file kind, workflow action) matches any checked value in that position
            regex = re.escape(shape).replace(re.escape("<slug:kind>"), "[a-z_]+").replace(
                re.escape("<slug:action>"), "[a-z_]+")
            assert any(re.fullmatch(regex, path) for path in checked), f"page route {route} is not checked"
    checked_api = {re.sub(r"/\d+", "/N", path) for _method, path in _api_paths(ids)}
    for prefix, router in (("/api/v1/works", works_router), ("/api/v1/applications", applications_router)):
        for route in router.path_operations:
            if "{int:" not in route:
                continue
            regex = re.escape(prefix + re.sub(r"\{int:\w+\}", "N", route)).replace(
                re.escape("{kind}"), "[a-z_]+").replace(re.escape("{action}"), "[a-z_]+")
            assert any(re.fullmatch(regex, path) for path in checked_api), f"API route {route} is not checked"


def test_another_enterprise_gets_404_on_every_page_and_api_route(foreign, reviewer):
    outsider = make_enterprise(verified_by=reviewer)
    client = client_for(outsider.registered_by)
    for method, path in [*_page_paths(foreign), *_api_paths(foreign)]:
        kwargs = _valid_body(path) if path.startswith("/api/") and method == "post" else {}
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == 404, f"{method.upper()} {path} → {response.status_code}"
    # a draft for someone else's work, by id, is also "not found"
    assert client.post("/applications/new/", {"work_id": foreign["work"]}).status_code == 404
    assert client.post("/api/v1/applications", data={"work_id": foreign["work"]},
                       content_type="application/json").status_code == 404


def test_lists_show_only_the_own_enterprise(foreign, reviewer):
    outsider = make_enterprise(verified_by=reviewer)
    client = client_for(outsider.registered_by)
    assert client.get("/api/v1/works").json() == []
    assert client.get("/api/v1/applications").json() == []
    assert "申请 #" not in client.get("/applications/").content.decode()
    assert client.get("/api/v1/applications/queue").status_code == 403
    assert client.get("/applications/queue/").status_code == 403


def test_anonymous_and_staff_without_two_factor_see_nothing(foreign):
    from django.test import Client

    from yingdu.accounts.models import Role
    from yingdu.testing.factories import make_staff

    anonymous = Client()
    assert anonymous.get(f"/api/v1/applications/{foreign['application']}").status_code == 401
    assert anonymous.get(f"/applications/{foreign['application']}/").status_code == 302
    half_staff = client_for(make_staff(Role.REVIEWER), two_factor=False)
    assert half_staff.get(f"/api/v1/applications/{foreign['application']}").status_code == 404


def test_staff_see_every_application_and_the_member_their_own(foreign, enterprise, reviewer):
    staff = client_for(reviewer)
    assert staff.get(f"/api/v1/applications/{foreign['application']}").status_code == 200
    member = client_for(enterprise.registered_by)
    body = member.get(f"/api/v1/applications/{foreign['application']}/precheck").json()
    assert body["passed"] is True and len(body["conditions"]) == 9
