"""The redemption and voucher lists: filters, keyset pages, object-level access (issue 16 item 3, issue 18 item 1)."""

from datetime import date

import pytest
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user
from yingdu.testing.redemptions import redeem_with_code
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
