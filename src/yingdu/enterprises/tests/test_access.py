"""An enterprise member must not read or change another enterprise through any page or API route."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from yingdu.accounts.models import Role
from yingdu.enterprises.models import EnterpriseState
from yingdu.enterprises.workflow import TRANSITIONS
from yingdu.testing.clients import client_for
from yingdu.testing.factories import make_enterprise, make_provider_operator, make_staff, make_user

pytestmark = pytest.mark.django_db


def _routes_taking_an_enterprise_id():
    """Every URL pattern (pages and API) with an enterprise_id parameter, as (template, route) pairs."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and "enterprise_id" in str(pattern.pattern):
                found.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "/")
    return found


def _fill(route: str, enterprise_id: int, action: str = "verify") -> str:
    return (route.replace("<int:enterprise_id>", str(enterprise_id)).replace("<slug:action>", action)
            .replace("<action>", action).replace("^", "").replace("$", ""))


ROUTES = _routes_taking_an_enterprise_id()
EXPECTED_ROUTES = {
    "/enterprises/<int:enterprise_id>/", "/enterprises/<int:enterprise_id>/licence/",
    "/enterprises/<int:enterprise_id>/<slug:action>/", "/api/v1/enterprises/<int:enterprise_id>",
    "/api/v1/enterprises/<int:enterprise_id>/history", "/api/v1/enterprises/<int:enterprise_id>/licence",
    "/api/v1/enterprises/<int:enterprise_id>/<action>",
}


def test_the_route_list_below_covers_every_route_that_takes_an_enterprise_id():
    assert set(ROUTES) == EXPECTED_ROUTES


@pytest.fixture
def two_enterprises():
    reviewer = make_staff(Role.REVIEWER)
    from yingdu.testing.clients import verified
    mine = make_enterprise(verified_by=verified(reviewer))
    theirs = make_enterprise(name="北京另一家影视有限公司")
    return mine, theirs


@pytest.mark.parametrize("route", sorted(EXPECTED_ROUTES))
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_gets_not_found_for_another_enterprise_on_every_route(two_enterprises, route, method):
    mine, theirs = two_enterprises
    client = client_for(mine.registered_by)
    for action in (TRANSITIONS if "action" in route else ["verify"]):
        url = _fill(route, theirs.pk, action)
        response = getattr(client, method)(url, data={"reason": "x", "huairou_confirmed": "on"},
                                           **({"content_type": "application/json"} if "/api/" in url and method == "post" else {}))
        assert response.status_code in {404, 405}, (url, response.status_code)
        if response.status_code == 404 and "/api/" in url:
            assert response.json()["code"] in {"enterprise_not_found", "not_found"}
    theirs.refresh_from_db()
    assert theirs.state == EnterpriseState.PENDING
    assert list(theirs.state_changes.values_list("action", flat=True)) == ["register"]


def test_a_member_reads_their_own_enterprise_on_page_and_api(two_enterprises):
    mine, theirs = two_enterprises
    client = client_for(mine.registered_by)
    page = client.get(f"/enterprises/{mine.pk}/")
    assert page.status_code == 200 and mine.uscc in page.content.decode()
    assert theirs.uscc not in page.content.decode()
    listing = client.get("/api/v1/enterprises").json()
    assert [e["id"] for e in listing] == [mine.pk]
    assert client.get(f"/api/v1/enterprises/{mine.pk}/licence").status_code == 200


@pytest.mark.parametrize("kind", ["no_organisation", "provider", "staff_without_two_factor"])
def test_users_outside_the_enterprise_see_nothing(two_enterprises, kind):
    mine, _ = two_enterprises
    user = {"no_organisation": make_user, "provider": make_provider_operator,
            "staff_without_two_factor": lambda: make_staff(Role.REVIEWER)}[kind]()
    client = client_for(user, two_factor=False)
    assert client.get("/api/v1/enterprises").json() == []
    assert client.get(f"/api/v1/enterprises/{mine.pk}").status_code == 404
    assert client.get(f"/enterprises/{mine.pk}/").status_code in {302, 404}


def test_anonymous_users_are_sent_to_login_or_refused(two_enterprises):
    from django.test import Client
    mine, _ = two_enterprises
    client = Client()
    assert client.get(f"/enterprises/{mine.pk}/")["Location"].startswith("/accounts/login/")
    response = client.get(f"/api/v1/enterprises/{mine.pk}")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_staff_after_two_factor_see_every_enterprise(two_enterprises):
    mine, theirs = two_enterprises
    client = client_for(make_staff(Role.AUDITOR))
    ids = {e["id"] for e in client.get("/api/v1/enterprises").json()}
    assert ids == {mine.pk, theirs.pk}
    assert client.get(f"/enterprises/{theirs.pk}/").status_code == 200


def test_staff_list_page_is_closed_to_members(two_enterprises):
    mine, _ = two_enterprises
    assert client_for(mine.registered_by).get("/enterprises/").status_code == 403
