"""The data notice list (page and API, one FilterSet): keyset pages, each filter, bad values, isolation (issue 16.3)."""

from datetime import date

import pytest

from yingdu.notices import services
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_user

from .conftest import at, evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(world):
    """Three notices of the world's work, one a day from 24 to 26 September 2026; the middle one objected to."""
    issued = [services.data_notice_issue(work=world.work, period_start_on=date(2026, 9, 1),
                                         period_end_on=date(2026, 9, day), actor=world.reviewer,
                                         now=at(f"2026-09-{day + 14} 10:00"))
              for day in (10, 11, 12)]
    services.objection_file(notice=issued[1], explanation="记录有误", evidence=[evidence()], claims=[],
                            actor=world.member, now=at("2026-09-28 10:00"))
    return issued


def _ids(response) -> list[int]:
    return [notice.pk for notice in response.context["listing"].rows]


def test_the_notice_page_and_api_page_by_keyset(world, notices, monkeypatch):
    monkeypatch.setattr("yingdu.keyset.PAGE_SIZE", 2)
    client = client_for(world.reviewer)
    first = client.get("/metering/notices/", {"work": "测试"})
    assert first.status_code == 200 and _ids(first) == [notices[2].pk, notices[1].pk]
    html = first.content.decode()
    assert f'after={notices[1].pk}" rel="next"' in html and "work=%E6%B5%8B%E8%AF%95&amp;after=" in html
    last = client.get("/metering/notices/", {"work": "测试", "after": notices[1].pk})
    assert _ids(last) == [notices[0].pk] and 'rel="next"' not in last.content.decode()
    api = client.get("/api/v1/notices", {"limit": 2})
    assert [n["id"] for n in api.json()] == [notices[2].pk, notices[1].pk]
    assert api.headers["X-Next-After"] == str(notices[1].pk)
    api = client.get("/api/v1/notices", {"limit": 2, "after": api.headers["X-Next-After"]})
    assert [n["id"] for n in api.json()] == [notices[0].pk] and "Link" not in api.headers


def test_each_notice_filter_narrows_the_page_and_the_api_alike(world, notices):
    client = client_for(world.reviewer)
    cases = [
        ({"enterprise": world.enterprise.uscc.lower()}, [n.pk for n in reversed(notices)]),
        ({"enterprise": "不存在的公司"}, []),
        ({"work": "没有这部剧"}, []),
        ({"objection": "open"}, [notices[1].pk]),
        ({"objection": "none"}, [notices[2].pk, notices[0].pk]),
        ({"objection": "rejected"}, []),
        ({"issued_from": "2026-09-25"}, [notices[2].pk, notices[1].pk]),
        ({"issued_to": "2026-09-24"}, [notices[0].pk]),
        ({"issued_from": "2026-09-25", "issued_to": "2026-09-25"}, [notices[1].pk]),
    ]
    for params, expected in cases:
        assert _ids(client.get("/metering/notices/", params)) == expected, params
        assert [n["id"] for n in client.get("/api/v1/notices", params).json()] == expected, params
    delivered = _ids(client.get("/metering/notices/", {"delivered": "yes"}))
    undelivered = _ids(client.get("/metering/notices/", {"delivered": "no"}))
    assert sorted(delivered + undelivered) == sorted(n.pk for n in notices) and not set(delivered) & set(undelivered)


def test_a_bad_notice_filter_is_an_error_beside_the_field_and_a_stable_api_code(world, notices):
    client = client_for(world.reviewer)
    page = client.get("/metering/notices/", {"objection": "maybe", "issued_from": "3000-01-01"})
    assert page.status_code == 400 and _ids(page) == []
    errors = page.context["listing"].form.errors
    assert set(errors) == {"objection", "issued_from"}
    assert "日期须在 2000-01-01 至 2100-12-31 之间" in page.content.decode()
    api = client.get("/api/v1/notices", {"objection": "maybe"})
    assert api.status_code == 400 and api.json()["code"] == "filter_invalid"
    assert "objection" in api.json()["detail"]["fields"]
    assert client.get("/api/v1/notices", {"after": "x"}).json()["code"] == "cursor_invalid"
    assert client.get("/metering/notices/", {"after": "-1"}).status_code == 400


def test_another_enterprise_filters_its_way_to_nothing(world, notices):
    stranger = make_user()
    make_enterprise(member=stranger, verified_by=world.reviewer, name="另一家影业有限公司")
    client = client_for(verified(stranger))
    for params in ({}, {"enterprise": world.enterprise.uscc}, {"work": world.work.title}, {"objection": "open"}):
        assert _ids(client.get("/metering/notices/", params)) == [], params
        assert client.get("/api/v1/notices", params).json() == [], params
    assert client.get("/api/v1/notices", {"work_id": world.work.pk}).json() == []
    member = client_for(world.member)
    page = member.get("/metering/notices/", {"enterprise": "另一家"})
    assert "enterprise" not in page.context["listing"].form.fields and len(_ids(page)) == 3
