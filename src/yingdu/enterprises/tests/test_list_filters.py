"""The staff's enterprise list: filters by name or USCC and state in the URL, errors beside fields, pages of 50."""

import pytest

from yingdu.accounts.models import Role
from yingdu.enterprises.models import EnterpriseState
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_staff

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [enterprise.name for enterprise in response.context["enterprises"]]


def test_the_list_filters_by_name_uscc_and_state_and_pages():
    reviewer = verified(make_staff(Role.REVIEWER))
    verified_one = make_enterprise(verified_by=reviewer, name="雁栖影业有限公司")
    pending = [make_enterprise(name=f"怀柔待审{n:02}有限公司") for n in range(52)]
    client = client_for(reviewer)
    assert _names(client.get("/enterprises/", {"q": "雁栖"})) == ["雁栖影业有限公司"]
    assert _names(client.get("/enterprises/", {"q": verified_one.uscc.lower()})) == ["雁栖影业有限公司"]
    assert _names(client.get("/enterprises/", {"state": EnterpriseState.VERIFIED})) == ["雁栖影业有限公司"]
    first = client.get("/enterprises/", {"state": EnterpriseState.PENDING})
    assert first.status_code == 200 and len(_names(first)) == 50 and first.context["page"].paginator.count == 52
    second = client.get("/enterprises/", {"state": EnterpriseState.PENDING, "page": 2})
    assert set(_names(first)) | set(_names(second)) == {e.name for e in pending}
    assert 'state=pending&amp;page=2' in first.content.decode()
    bad = client.get("/enterprises/", {"state": "nonsense"})
    assert bad.status_code == 400 and _names(bad) == [] and "state" in bad.context["listing"].form.errors


def test_the_api_uses_the_pages_filters_and_pages_by_cursor():
    reviewer = verified(make_staff(Role.REVIEWER))
    named = [make_enterprise(verified_by=reviewer, name=f"雁栖{n}影业有限公司") for n in range(3)]
    make_enterprise(name="怀柔待审有限公司")
    client = client_for(reviewer)
    first = client.get("/api/v1/enterprises", {"q": "雁栖", "limit": 2})
    assert [e["name"] for e in first.json()] == ["雁栖2影业有限公司", "雁栖1影业有限公司"]
    assert first.headers["X-Next-After"] == str(named[1].pk) and "q=%E9%9B%81%E6%A0%96" in first.headers["Link"]
    last = client.get("/api/v1/enterprises", {"q": "雁栖", "limit": 2, "after": first.headers["X-Next-After"]})
    assert [e["name"] for e in last.json()] == ["雁栖0影业有限公司"] and "Link" not in last.headers
    assert [e["name"] for e in client.get("/api/v1/enterprises", {"state": "pending"}).json()] == ["怀柔待审有限公司"]
    assert [e["id"] for e in client.get("/api/v1/enterprises", {"q": named[0].uscc}).json()] == [named[0].pk]
    bad = client.get("/api/v1/enterprises", {"state": "nonsense"})
    assert bad.status_code == 400 and bad.json()["code"] == "filter_invalid" and "state" in bad.json()["detail"]["fields"]


def test_a_member_filtering_for_another_enterprise_sees_nothing():
    reviewer = verified(make_staff(Role.REVIEWER))
    mine, theirs = make_enterprise(verified_by=reviewer), make_enterprise(verified_by=reviewer, name="他家影业有限公司")
    client = client_for(verified(mine.registered_by))
    assert client.get("/api/v1/enterprises", {"q": theirs.uscc}).json() == []
    assert client.get("/api/v1/enterprises", {"q": "他家"}).json() == []
    assert [e["id"] for e in client.get("/api/v1/enterprises").json()] == [mine.pk]
