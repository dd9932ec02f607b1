from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user
from yingdu.testing.redemptions import code_for
from yingdu.vouchers import redemptions, services
from yingdu.vouchers.models import RedemptionStatus

from .conftest import issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def voucher(enterprise, approver):
    # issued today under the default policy (no budget limit, no expiry, every category)
    return issue(enterprise, approver, 1_000_000, now=timezone.now())


def post_redemption(metered, body: dict):
    return Client().post("/api/v1/redemptions", body, content_type="application/json",
                         HTTP_X_API_KEY=metered.api_key)


def body(voucher, **overrides):
    """A redemption request with a fresh code from the holder (created now, for any local provider)."""
    code = overrides.pop("code", None) or code_for(voucher, now=timezone.now())
    return {"voucher_number": voucher.number, "code": code, "order_ref": "API-1", "category": "compute",
            "amount": "1200.50", **overrides}


def test_provider_redeems_by_api_key_idempotently_and_a_changed_request_conflicts(voucher, metered):
    request = body(voucher)
    created = post_redemption(metered, request)
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "pending" and created.json()["amount_fen"] == 120_050
    replay = post_redemption(metered, request)
    assert replay.status_code == 200 and replay.json()["id"] == created.json()["id"]
    conflict = post_redemption(metered, {**request, "amount": "1200.51"})
    assert conflict.status_code == 409 and conflict.json()["code"] == "redemption_conflict"
    assert voucher.redemptions.count() == 1


def test_redemption_api_refuses_bad_requests_with_codes(voucher, metered):
    assert Client().post("/api/v1/redemptions", body(voucher), content_type="application/json").status_code == 401
    bad_amount = post_redemption(metered, body(voucher, amount="12.345"))
    assert bad_amount.status_code == 400 and bad_amount.json()["code"] == "money_too_many_decimals"
    too_much = post_redemption(metered, body(voucher, amount="10000.01"))
    assert too_much.status_code == 409 and too_much.json()["code"] == "voucher_insufficient_balance"
    assert "available_fen" not in too_much.json()["detail"] and "10,000" not in too_much.json()["message"]
    unknown = post_redemption(metered, body(voucher, voucher_number="HR-1999-000001"))
    assert unknown.status_code == 404 and unknown.json()["code"] == "voucher_or_code_invalid"
    no_code = post_redemption(metered, {**body(voucher), "code": ""})
    assert no_code.status_code == 400 and no_code.json()["code"] == "redemption_code_required"


def test_ineligible_category_is_refused_by_the_api(voucher_policy, enterprise, approver, metered):
    restricted = issue(enterprise, approver, 1_000_000)  # the 2030 test policy: compute and model services only
    refused = post_redemption(metered, body(restricted, category="data_product"))
    assert refused.status_code == 400 and refused.json()["code"] == "redemption_category_ineligible"


def test_enterprise_confirms_through_the_api_and_another_enterprise_gets_404(voucher, member, metered):
    redemption_id = post_redemption(metered, body(voucher)).json()["id"]
    other = make_enterprise(member=make_user(), verified_by=verified(make_staff(Role.REVIEWER)))
    stranger = client_for(other.registered_by)
    assert stranger.get(f"/api/v1/vouchers/{voucher.number}").status_code == 404
    assert stranger.get("/api/v1/vouchers").json() == []
    assert stranger.get(f"/api/v1/redemptions/{redemption_id}").status_code == 404
    assert stranger.post(f"/api/v1/redemptions/{redemption_id}/confirm").status_code == 404
    other_provider = make_metering_provider()
    assert Client().get(f"/api/v1/redemptions/{redemption_id}",
                        HTTP_X_API_KEY=other_provider.api_key).status_code == 404

    owner = client_for(member)
    [listed] = owner.get("/api/v1/vouchers").json()
    assert listed["number"] == voucher.number and listed["available_fen"] == 1_000_000 - 120_050
    confirmed = owner.post(f"/api/v1/redemptions/{redemption_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == RedemptionStatus.CONFIRMED
    again = owner.post(f"/api/v1/redemptions/{redemption_id}/confirm")
    assert again.status_code == 409 and again.json()["code"] == "redemption_not_pending"
    detail = owner.get(f"/api/v1/vouchers/{voucher.number}").json()
    assert detail["balance_fen"] == 1_000_000 - 120_050
    assert [(h["kind"], h["direction"]) for h in detail["history"]] == [("issue", "in"), ("redeem", "out")]


def test_provider_sees_only_its_redemptions_and_statements(voucher, member, metered, finance):
    post_redemption(metered, body(voucher))
    redemption = voucher.redemptions.get()
    redemptions.redemption_confirm(redemption=redemption, actor=member, now=timezone.now())
    today = timezone.localdate()
    statement = services.settlement_create(provider=metered.provider, period_start_on=today - timedelta(days=30),
                                           period_end_on=today, actor=finance, now=timezone.now())
    mine = Client().get("/api/v1/redemptions/statements", HTTP_X_API_KEY=metered.api_key).json()
    assert [s["number"] for s in mine] == [statement.number]
    lines = Client().get(f"/api/v1/redemptions/statements/{statement.pk}", HTTP_X_API_KEY=metered.api_key).json()
    assert [line["order_ref"] for line in lines["redemptions"]] == ["API-1"]
    other = make_metering_provider()
    assert Client().get("/api/v1/redemptions/statements", HTTP_X_API_KEY=other.api_key).json() == []
    assert Client().get("/api/v1/redemptions", HTTP_X_API_KEY=other.api_key).json() == []
    assert Client().get(f"/api/v1/redemptions/statements/{statement.pk}",
                        HTTP_X_API_KEY=other.api_key).status_code == 404


def test_revocation_through_the_api_is_for_finance_only(voucher, finance, member, approver):
    for user in (member, approver):
        refused = client_for(user).post(f"/api/v1/vouchers/{voucher.number}/revoke", {"reason": "x"},
                                        content_type="application/json")
        assert refused.status_code in (403, 404)
    proposed = client_for(finance).post(f"/api/v1/vouchers/{voucher.number}/revoke", {"reason": "材料造假"},
                                        content_type="application/json")
    assert proposed.status_code == 202 and proposed.json()["code"] == "second_person_required"
    second = verified(make_staff(Role.FINANCE))
    revoked = client_for(second).post(f"/api/v1/vouchers/{voucher.number}/revoke", {"reason": "材料造假"},
                                      content_type="application/json")
    assert revoked.status_code == 200 and revoked.json() == {"number": voucher.number, "status": "revoked",
                                                            "voided_fen": 1_000_000, "claimed_fen": 0}


def test_enterprise_creates_lists_and_revokes_codes_through_the_api(voucher, member, metered):
    owner = client_for(member)
    created = owner.post(f"/api/v1/vouchers/{voucher.number}/codes",
                         {"provider_id": metered.provider.pk, "max_amount": "500.00"}, content_type="application/json")
    assert created.status_code == 201, created.content
    issued = created.json()
    assert issued["status"] == "active" and issued["max_amount_fen"] == 50_000
    assert issued["provider"] == metered.provider.name and len(issued["code"].replace("-", "")) == 16
    listed = owner.get(f"/api/v1/vouchers/{voucher.number}/codes").json()
    assert [c["id"] for c in listed] == [issued["id"]] and "code" not in listed[0]

    # the provider redeems within the limit: confirmed at once, the code is used
    redeemed = post_redemption(metered, body(voucher, code=issued["code"], amount="500.00"))
    assert redeemed.status_code == 201 and redeemed.json()["status"] == RedemptionStatus.CONFIRMED
    [used] = owner.get(f"/api/v1/vouchers/{voucher.number}/codes").json()
    assert used["status"] == "used" and used["redemption_id"] == redeemed.json()["id"]
    again = owner.post(f"/api/v1/vouchers/{voucher.number}/codes/{used['id']}/revoke")
    assert again.status_code == 409 and again.json()["code"] == "redemption_code_not_active"

    spare = owner.post(f"/api/v1/vouchers/{voucher.number}/codes", {}, content_type="application/json").json()
    revoked = owner.post(f"/api/v1/vouchers/{voucher.number}/codes/{spare['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    refused = post_redemption(metered, body(voucher, code=spare["code"], order_ref="API-2"))
    assert refused.status_code == 404 and refused.json()["code"] == "voucher_or_code_invalid"


def test_codes_api_is_for_the_holder_only(voucher, member, metered, finance):
    other = make_enterprise(member=make_user(), verified_by=verified(make_staff(Role.REVIEWER)))
    stranger = client_for(other.registered_by)
    assert stranger.post(f"/api/v1/vouchers/{voucher.number}/codes", {},
                         content_type="application/json").status_code == 404
    assert stranger.get(f"/api/v1/vouchers/{voucher.number}/codes").status_code == 404
    # staff may read the voucher, but only its holder hands out codes
    assert client_for(finance).post(f"/api/v1/vouchers/{voucher.number}/codes", {},
                                    content_type="application/json").status_code == 404
    # a provider's API key cannot create codes
    assert Client().post(f"/api/v1/vouchers/{voucher.number}/codes", {}, content_type="application/json",
                         HTTP_X_API_KEY=metered.api_key).status_code == 401
    issued = client_for(member).post(f"/api/v1/vouchers/{voucher.number}/codes", {},
                                     content_type="application/json").json()
    assert stranger.post(f"/api/v1/vouchers/{voucher.number}/codes/{issued['id']}/revoke").status_code == 404
    bad_limit = client_for(member).post(f"/api/v1/vouchers/{voucher.number}/codes", {"max_amount": "20000.00"},
                                        content_type="application/json")
    assert bad_limit.status_code == 400 and bad_limit.json()["code"] == "redemption_code_limit_above_available"


def test_wrong_codes_by_api_lock_the_provider_out_with_429(voucher, metered, monkeypatch):
    monkeypatch.setattr(redemptions, "CODE_FAILURE_LIMIT", 2)
    for attempt in range(2):
        wrong = post_redemption(metered, body(voucher, code="ABCD-EFGH-JKMN-PQRS", order_ref=f"W-{attempt}"))
        assert wrong.status_code == 404 and wrong.json()["code"] == "voucher_or_code_invalid"
    locked = post_redemption(metered, body(voucher, order_ref="W-9"))
    assert locked.status_code == 429 and locked.json()["code"] == "redemption_code_locked"
