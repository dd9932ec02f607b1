"""The spot-check case list (page and API, one FilterSet): pages, each filter, bad values, isolation (issue 16.3)."""

import pytest

from yingdu.accounts.models import Role
from yingdu.actors import SYSTEM
from yingdu.audits import draws
from yingdu.audits.models import SpotCheckCase
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_staff

from .conftest import AFTER_Q3

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(q3_works):
    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    return list(SpotCheckCase.objects.select_related("enterprise").order_by("-id"))


def _ids(response) -> list[int]:
    return [case.pk for case in response.context["cases"]]


def test_each_case_filter_narrows_the_page_and_the_api_alike(cases, auditor):
    client = client_for(auditor)
    everything = sorted(case.pk for case in cases)
    due_on = cases[0].due_on.isoformat()
    for params, expected in [({"quarter": "2026Q3"}, everything), ({"quarter": "2026Q4"}, []),
                             ({"status": "open"}, everything), ({"status": "closed_fraud"}, []),
                             ({"enterprise": cases[0].enterprise.uscc.lower()}, everything),
                             ({"enterprise": "没有这家"}, []), ({"due_from": due_on, "due_to": due_on}, everything),
                             ({"due_to": "2026-01-01"}, [])]:
        assert sorted(_ids(client.get("/audits/", params))) == expected, params
        assert sorted(c["id"] for c in client.get("/api/v1/audits/cases", params).json()) == expected, params


def test_the_case_api_pages_by_cursor(cases, auditor):
    assert len(cases) >= 3
    client = client_for(auditor)
    first = client.get("/api/v1/audits/cases", {"limit": 2, "quarter": "2026Q3"})
    assert [c["id"] for c in first.json()] == [cases[0].pk, cases[1].pk] and "quarter=2026Q3" in first.headers["Link"]
    rest = client.get("/api/v1/audits/cases", {"limit": 2, "quarter": "2026Q3", "after": first.headers["X-Next-After"]})
    assert [c["id"] for c in rest.json()] == [case.pk for case in cases[2:4]]


def test_a_bad_case_filter_is_an_error_beside_the_field_and_a_stable_api_code(cases, auditor):
    client = client_for(auditor)
    page = client.get("/audits/", {"quarter": "Q3", "status": "lost"})
    assert page.status_code == 400 and _ids(page) == []
    assert set(page.context["listing"].form.errors) == {"quarter", "status"}
    assert "季度的写法如 2026Q3" in page.content.decode()
    api = client.get("/api/v1/audits/cases", {"quarter": "Q3"})
    assert api.status_code == 400 and api.json()["code"] == "filter_invalid"


def test_another_enterprise_filtering_for_these_cases_sees_nothing(cases):
    stranger = make_enterprise(verified_by=verified(make_staff(Role.REVIEWER))).registered_by
    client = client_for(stranger)
    for params in ({"enterprise": cases[0].enterprise.uscc}, {"quarter": "2026Q3"}, {"status": "open"}):
        assert _ids(client.get("/audits/", params)) == [], params
        assert client.get("/api/v1/audits/cases", params).json() == [], params
