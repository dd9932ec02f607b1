"""The work list (page and API, one FilterSet): keyset pages, each filter, bad values, isolation (issue 16.3)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_staff, make_user
from yingdu.works.services import work_declare

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _declare(enterprise, title: str, tag: str, day: int, form: str = "micro_drama"):
    return work_declare(enterprise=enterprise, actor=enterprise.registered_by, title=title, form=form,
                        project_tag=tag, production_start_on=date(2026, 1, 1), production_end_on=date(2026, 12, 31),
                        now=datetime(2026, 3, day, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def works():
    reviewer = verified(make_staff(Role.REVIEWER))
    mine = make_enterprise(member=make_user(), verified_by=reviewer, name="怀柔甲影业有限公司")
    theirs = make_enterprise(member=make_user(), verified_by=reviewer, name="雁栖乙传媒有限公司")
    return {"reviewer": reviewer, "mine": mine, "theirs": theirs,
            "a": _declare(mine, "长城之春", "spring", 1), "b": _declare(mine, "雁栖湖畔", "lake", 2, "short_drama"),
            "c": _declare(mine, "长城之夏", "summer", 3), "t": _declare(theirs, "他家的剧", "theirs-tag", 4)}


def _titles(response) -> list[str]:
    return [work.title for work in response.context["listing"].rows]


def test_the_work_page_and_api_page_by_keyset(works, monkeypatch):
    monkeypatch.setattr("yingdu.keyset.PAGE_SIZE", 2)
    client = client_for(works["mine"].registered_by)
    first = client.get("/works/")
    assert first.status_code == 200 and _titles(first) == ["长城之夏", "雁栖湖畔"]
    assert f'after={works["b"].pk}" rel="next"' in first.content.decode()
    last = client.get("/works/", {"after": works["b"].pk})
    assert _titles(last) == ["长城之春"] and 'rel="next"' not in last.content.decode()
    api = client.get("/api/v1/works", {"limit": 2})
    assert [w["title"] for w in api.json()] == ["长城之夏", "雁栖湖畔"] and "rel=\"next\"" in api.headers["Link"]
    api = client.get("/api/v1/works", {"limit": 2, "after": api.headers["X-Next-After"]})
    assert [w["title"] for w in api.json()] == ["长城之春"] and "Link" not in api.headers


def test_each_work_filter_narrows_the_page_and_the_api_alike(works):
    staff = client_for(works["reviewer"])
    cases = [
        ({"q": "长城"}, ["长城之夏", "长城之春"]),
        ({"q": "LAKE"}, ["雁栖湖畔"]),
        ({"form": "short_drama"}, ["雁栖湖畔"]),
        ({"enterprise": "雁栖乙"}, ["他家的剧"]),
        ({"enterprise": works["mine"].uscc.lower()}, ["长城之夏", "雁栖湖畔", "长城之春"]),
        ({"declared_from": "2026-03-02", "declared_to": "2026-03-03"}, ["长城之夏", "雁栖湖畔"]),
        ({"declared_to": "2026-03-01"}, ["长城之春"]),
    ]
    for params, expected in cases:
        assert _titles(staff.get("/works/", params)) == expected, params
        assert [w["title"] for w in staff.get("/api/v1/works", params).json()] == expected, params


def test_a_bad_work_filter_is_an_error_beside_the_field_and_a_stable_api_code(works):
    client = client_for(works["mine"].registered_by)
    page = client.get("/works/", {"form": "opera", "declared_from": "not-a-date"})
    assert page.status_code == 400 and _titles(page) == []
    assert set(page.context["listing"].form.errors) == {"form", "declared_from"}
    assert 'data-testid="list-error"' in page.content.decode()
    api = client.get("/api/v1/works", {"form": "opera"})
    assert api.status_code == 400 and api.json()["code"] == "filter_invalid"
    assert list(api.json()["detail"]["fields"]) == ["form"]
    assert client.get("/api/v1/works", {"after": "0"}).json()["code"] == "cursor_invalid"


def test_an_enterprise_filtering_for_another_enterprises_works_sees_nothing(works):
    client = client_for(works["mine"].registered_by)
    page = client.get("/works/", {"enterprise": works["theirs"].uscc})
    assert "enterprise" not in page.context["listing"].form.fields
    assert "他家的剧" not in _titles(page)
    assert _titles(client.get("/works/", {"q": "他家"})) == []
    assert client.get("/api/v1/works", {"q": "theirs-tag"}).json() == []
    assert "他家的剧" not in [w["title"] for w in client.get("/api/v1/works",
                                                          {"enterprise": works["theirs"].uscc}).json()]
