"""The redemption and voucher lists: filters, keyset pages, object-level access (issue 16 item 3, issue 18 item 1)."""

from datetime import date

import pytest
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for, verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user
from yingdu.testing.redemptions import redeem_with_code
from yingdu.vouchers import services
from yingdu.vouchers.models import RedemptionStatus

from .conftest import at, issue

pytestmark = pytest.mark.django_db

NOW = at(date(2030, 3, 2))


@pytest.fixture
def two_wallets(voucher_policy, approver, enterprise, metered):
    other = make_enterprise(member=make_user(), verified_by=verified(make_staff(Role.REVIEWER)), name="雁栖另一家传媒有限公司")
    mine, theirs = issue(enterprise, approver), issue(other, approver, work_id=2)
    return mine, theirs


def _refs(response) -> list[str]:
    return [r.order_ref for r in response.context["listing"].rows]


def test_redemption_pages_are_complete_and_stable_while_redemptions_arrive(two_wallets, metered, member):
    mine, _theirs = two_wallets
    for n in range(55):
        redeem_with_code(provider=metered.provider, voucher=mine, order_ref=f"O{n:02}", amount_fen=100, now=NOW)
    client = client_for(member)
    first = client.get("/vouchers/redemptions/")
    assert first.status_code == 200 and _refs(first) == [f"O{n:02}" for n in range(54, 4, -1)]
    redeem_with_code(provider=metered.provider, voucher=mine, order_ref="LATE", amount_fen=100, now=NOW)
    second = client.get("/vouchers/redemptions/", {"after": first.context["listing"].keyset.next_after})
    assert _refs(second) == ["O04", "O03", "O02", "O01", "O00"]
    assert second.context["listing"].keyset.next_after is None
    # the API pages the same way, with the cursor in the Link header
    api = client.get("/api/v1/redemptions", {"limit": 30})
    refs = [r["order_ref"] for r in api.json()]
    api = client.get("/api/v1/redemptions", {"limit": 30, "after": api.headers["X-Next-After"]})
    refs += [r["order_ref"] for r in api.json()]
    assert refs == ["LATE", *[f"O{n:02}" for n in range(54, -1, -1)]] and "Link" not in api.headers
    bad = client.get("/api/v1/redemptions", {"after": "x"})
    assert bad.status_code == 400 and bad.json()["code"] == "cursor_invalid"


def test_redemption_filters_cannot_reach_another_enterprises_redemptions(two_wallets, metered, member):
    mine, theirs = two_wallets
    redeem_with_code(provider=metered.provider, voucher=mine, order_ref="MINE", amount_fen=100, now=NOW)
    redeem_with_code(provider=metered.provider, voucher=theirs, order_ref="THEIRS", amount_fen=100, now=NOW,
                     max_amount_fen=100)
    client = client_for(member)
    assert _refs(client.get("/vouchers/redemptions/")) == ["MINE"]
    assert _refs(client.get("/vouchers/redemptions/", {"voucher": theirs.number})) == []
    assert _refs(client.get("/vouchers/redemptions/", {"order_ref": "THEIRS"})) == []
    # the staff-only filters are not offered to an enterprise (and a value for them is ignored, not widened)
    page = client.get("/vouchers/redemptions/", {"enterprise_uscc": theirs.enterprise.uscc})
    assert "enterprise_uscc" not in page.context["listing"].form.fields and _refs(page) == ["MINE"]
    assert _refs(client.get("/vouchers/redemptions/", {"status": RedemptionStatus.PENDING,
                                                       "voucher": mine.number.lower()})) == ["MINE"]
    assert _refs(client.get("/vouchers/redemptions/", {"status": RedemptionStatus.CONFIRMED})) == []
    bad = client.get("/vouchers/redemptions/", {"submitted_from": "yesterday"})
    assert bad.status_code == 400 and "submitted_from" in bad.context["listing"].form.errors
    api = Client().get("/api/v1/redemptions", {"order_ref": "THEIRS"}, HTTP_X_API_KEY=metered.api_key)
    assert [r["order_ref"] for r in api.json()] == ["THEIRS"]
    other_provider = make_metering_provider()
    assert Client().get("/api/v1/redemptions", {"order_ref": "THEIRS"},
                        HTTP_X_API_KEY=other_provider.api_key).json() == []
    staff = client_for(verified(make_staff(Role.FINANCE)))
    assert _refs(staff.get("/vouchers/redemptions/", {"enterprise_uscc": theirs.enterprise.uscc})) == ["THEIRS"]
    assert _refs(staff.get("/vouchers/redemptions/", {"status": RedemptionStatus.CONFIRMED})) == ["THEIRS"]


def test_the_finance_voucher_list_filters_by_enterprise_and_pages(two_wallets, finance, approver, enterprise):
    mine, theirs = two_wallets
    for n in range(55):
        issue(enterprise, approver, amount_fen=1000, work_id=100 + n)
    client = client_for(finance)
    page = client.get("/vouchers/finance/", {"enterprise": theirs.enterprise.uscc})
    assert page.status_code == 200 and [v.voucher.number for v in page.context["views"]] == [theirs.number]
    by_name = client.get("/vouchers/finance/", {"enterprise": "雁栖另一家"})
    assert [v.voucher.number for v in by_name.context["views"]] == [theirs.number]
    first = client.get("/vouchers/finance/")
    assert len(first.context["views"]) == 50 and first.context["page"].paginator.count == 57
    second = client.get("/vouchers/finance/", {"page": 2})
    numbers = [v.voucher.number for v in first.context["views"]] + [v.voucher.number for v in second.context["views"]]
    assert len(set(numbers)) == 57 and mine.number in numbers
    assert client.get("/vouchers/finance/", {"status": "nonsense"}).status_code == 400


@pytest.fixture
def statements(two_wallets, metered, finance):
    """Three settlement statements of the metered provider, for periods ending on 2, 3 and 4 March 2030."""
    mine, _theirs = two_wallets
    made = []
    for day in (2, 3, 4):
        redeem_with_code(provider=metered.provider, voucher=mine, order_ref=f"S{day}", amount_fen=100,
                         max_amount_fen=100, now=at(date(2030, 3, day)))
        made.append(services.settlement_create(provider=metered.provider, period_start_on=date(2030, 3, 1),
                                               period_end_on=date(2030, 3, day), actor=finance,
                                               now=at(date(2030, 3, day), 18)))
    return made


def test_the_settlement_list_pages_and_filters_on_the_page_and_the_api(statements, metered, finance, monkeypatch):
    monkeypatch.setattr("yingdu.keyset.PAGE_SIZE", 2)
    client = client_for(finance)
    numbers = [s.number for s in reversed(statements)]
    first = client.get("/vouchers/finance/settlements/", {"status": "open"})
    assert [s.number for s in first.context["statements"]] == numbers[:2]
    assert f'status=open&amp;after={statements[1].pk}" rel="next"' in first.content.decode()
    last = client.get("/vouchers/finance/settlements/", {"status": "open", "after": statements[1].pk})
    assert [s.number for s in last.context["statements"]] == numbers[2:]
    for params, expected in [({"number": statements[0].number.lower()}, [statements[0].number]),
                             ({"period_from": "2030-03-03"}, numbers[:2]), ({"period_to": "2030-03-02"}, numbers[2:]),
                             ({"status": "paid"}, [])]:
        page = client.get("/vouchers/finance/settlements/", params)
        assert [s.number for s in page.context["statements"]] == expected, params
        assert [s["number"] for s in client.get("/api/v1/redemptions/statements", params).json()] == expected
    assert [s.number for s in client.get("/vouchers/finance/settlements/",
                                         {"provider": metered.provider.pk}).context["statements"]] == numbers[:2]
    api = client.get("/api/v1/redemptions/statements", {"limit": 2})
    assert api.headers["X-Next-After"] == str(statements[1].pk)
    bad = client.get("/vouchers/finance/settlements/", {"period_from": "3月1日"})
    assert bad.status_code == 400 and "period_from" in bad.context["listing"].form.errors
    assert 'id="filter_provider"' in bad.content.decode() and 'id="id_provider"' in bad.content.decode()
    assert client.get("/api/v1/redemptions/statements", {"status": "x"}).json()["code"] == "filter_invalid"
    # another provider's key filtering for these statements sees nothing
    other = make_metering_provider()
    assert Client().get("/api/v1/redemptions/statements", {"number": statements[0].number},
                        HTTP_X_API_KEY=other.api_key).json() == []


def test_the_voucher_api_uses_the_finance_pages_filters(two_wallets, finance, member):
    mine, theirs = two_wallets
    client = client_for(finance)
    assert [v["number"] for v in client.get("/api/v1/vouchers", {"enterprise": "雁栖另一家"}).json()] == [theirs.number]
    first = client.get("/api/v1/vouchers", {"limit": 1})
    assert [v["number"] for v in first.json()] == [theirs.number] and first.headers["X-Next-After"] == str(theirs.pk)
    assert client.get("/api/v1/vouchers", {"status": "lost"}).json()["code"] == "filter_invalid"
    own = client_for(member)
    assert own.get("/api/v1/vouchers", {"enterprise": theirs.enterprise.uscc}).json() == []
    assert own.get("/api/v1/vouchers", {"number": theirs.number}).json() == []
    assert [v["number"] for v in own.get("/api/v1/vouchers").json()] == [mine.number]


def test_the_claim_list_filters_and_pages(two_wallets, metered, finance, member):
    mine, theirs = two_wallets
    redeem_with_code(provider=metered.provider, voucher=mine, order_ref="C1", amount_fen=100, max_amount_fen=100,
                     now=NOW)
    second = verified(make_staff(Role.FINANCE))
    for voucher in (mine, theirs):
        two_people(services.voucher_revoke, first=finance, second=second, voucher=voucher, reason="虚报",
                   now=at(date(2030, 3, 12)))
    client = client_for(finance)
    claims = client.get("/vouchers/finance/claims/")
    assert [c.voucher.number for c, _form in claims.context["rows"]] == [mine.number]
    assert [c.voucher.number for c, _form in client.get("/vouchers/finance/claims/", {
        "enterprise": mine.enterprise.uscc, "repaid": "no"}).context["rows"]] == [mine.number]
    assert client.get("/vouchers/finance/claims/", {"repaid": "yes"}).context["rows"] == []
    assert client.get("/vouchers/finance/claims/", {"voucher": theirs.number}).context["rows"] == []
    bad = client.get("/vouchers/finance/claims/", {"repaid": "perhaps"})
    assert bad.status_code == 400 and "repaid" in bad.context["listing"].form.errors
