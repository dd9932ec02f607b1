"""The application list API uses the page's FilterSet and pages by cursor; no filter reaches another enterprise's
applications (issue 16.3)."""

from datetime import UTC, datetime

import pytest

from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_user

from .support import declare, draft, member_of

MOMENT = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafts(enterprise, reviewer):
    other = make_enterprise(member=make_user(), verified_by=reviewer, name="他家影业有限公司")
    mine = [draft(declare(enterprise, title=title, now=MOMENT), now=MOMENT) for title in ("甲剧", "乙剧", "丙剧")]
    return mine, draft(declare(other, title="他家的剧", now=MOMENT), now=MOMENT)


def _titles(response) -> list[str]:
    return [row["work_id"] for row in response.json()]


def test_the_application_api_pages_by_cursor_and_filters_like_the_page(drafts, reviewer):
    mine, theirs = drafts
    client = client_for(reviewer)
    first = client.get("/api/v1/applications", {"limit": 2, "status": "draft"})
    assert [a["id"] for a in first.json()] == [theirs.pk, mine[2].pk] and "status=draft" in first.headers["Link"]
    rest = client.get("/api/v1/applications", {"limit": 2, "status": "draft", "after": first.headers["X-Next-After"]})
    assert [a["id"] for a in rest.json()] == [mine[1].pk, mine[0].pk] and "Link" not in rest.headers
    assert [a["id"] for a in client.get("/api/v1/applications", {"work": "乙"}).json()] == [mine[1].pk]
    assert [a["id"] for a in client.get("/api/v1/applications", {"enterprise": "他家"}).json()] == [theirs.pk]
    assert client.get("/api/v1/applications", {"status": "submitted"}).json() == []
    assert client.get("/api/v1/applications", {"submitted_from": "2026-09-01"}).json() == []
    bad = client.get("/api/v1/applications", {"status": "nonsense"})
    assert bad.status_code == 400 and bad.json()["code"] == "filter_invalid"
    page = client.get("/applications/", {"status": "nonsense"})
    assert page.status_code == 400 and "status" in page.context["listing"].form.errors


def test_an_enterprise_filtering_for_another_enterprises_applications_sees_nothing(drafts, enterprise):
    mine, theirs = drafts
    client = client_for(verified(member_of(enterprise)))
    assert [a["id"] for a in client.get("/api/v1/applications", {"enterprise": theirs.enterprise.uscc}).json()] == [
        a.pk for a in reversed(mine)]
    assert client.get("/api/v1/applications", {"work": "他家"}).json() == []
