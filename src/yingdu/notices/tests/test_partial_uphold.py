"""Partial uphold, and the provider's word on more usage (issue 14, item 3)."""

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from yingdu.accounts.models import Role
from yingdu.applications.eligibility import verified_cost
from yingdu.duties.models import Proposal
from yingdu.duties.services import proposal_confirm
from yingdu.errors import DomainError, SecondPersonRequired
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.metering.models import RecordOrigin, UsageRecord
from yingdu.metering.tests.tamper import assert_clean
from yingdu.notices import services
from yingdu.notices.models import ClaimStatus, Objection, ObjectionClaim, ObjectionStatus
from yingdu.policy.selectors import policy_version_require_in_force
from yingdu.push import signed_batch
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_staff, usage_record

from .conftest import at, evidence

pytestmark = pytest.mark.django_db

PRICE_FEN = 800
MICRO = 1_000_000


def issue(world, *, end_on=date(2026, 9, 23), now="2026-09-24 10:00"):
    return services.data_notice_issue(work=world.work, period_start_on=date(2026, 9, 1), period_end_on=end_on,
                                      actor=world.reviewer, now=at(now))


def object_to(world, notice, claims, *, now="2026-09-28 10:00"):
    return services.objection_file(notice=notice, explanation="数量有误", evidence=[evidence()],
                                   claims=[(record.pk, quantity) for record, quantity in claims], actor=world.member,
                                   now=at(now))


def later_notice_agrees_with_verified_cost(world, quantity_total: str):
    later = issue(world, end_on=date(2026, 9, 30), now="2026-10-20 10:00")
    assert later.cost_microfen == int(Decimal(quantity_total) * MICRO) * PRICE_FEN
    version = policy_version_require_in_force(on=date(2026, 10, 20))
    assert verified_cost(world.work, rounding_rule=version.rounding_rule).fen * 1_000_000 == later.cost_microfen
    return later


def code_of(call) -> str:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value.code


def test_a_partial_uphold_lowers_to_the_decided_quantity_exactly(world):
    notice = issue(world)
    objection = object_to(world, notice, [(world.records[0], "6"), (world.records[1], "2")])
    decided = services.objection_decide(
        objection=objection, decision="uphold", reason="部分属实", actor=world.reviewer, now=at("2026-10-08 10:00"),
        claims=[services.ClaimDecision(record_id=world.records[0].pk, quantity="8.5", reason="日志显示 8.5 卡时")])
    assert decided.status == ObjectionStatus.PARTIALLY_UPHELD
    first, second = ObjectionClaim.objects.filter(objection=objection).order_by("record_id")
    assert (first.decided_quantity, first.status, first.decision_reason) == (
        Decimal("8.5"), ClaimStatus.DECIDED, "日志显示 8.5 卡时")
    assert (second.decided_quantity, second.decision_reason) == (Decimal("2"), "")
    assert first.correction.quantity == Decimal("-1.5") and second.correction.quantity == Decimal("-0.5")
    # 8.5 + 2 + 4
    [result] = [m for m in mail.outbox if "异议处理结果" in m.subject]
    assert "部分采纳" in result.subject and "决定 8.5" in result.body and "日志显示 8.5 卡时" in result.body
    # each record is named by the provider's record id, as on the notice, not by a database row number
    assert f"记录 {world.records[0].record_id}：主张 6" in result.body
    assert f"记录 {world.records[0].pk}：" not in result.body
    later_notice_agrees_with_verified_cost(world, "14.5")
    assert_clean()


def test_a_raise_waits_for_the_providers_signed_correction_then_counts(world):
    operator = world.meter.operator
    operator.email = "ops@meter.example.cn"
    operator.save(update_fields=["email"])
    notice = issue(world)
    objection = object_to(world, notice, [(world.records[2], "100")])
    claims = [services.ClaimDecision(record_id=world.records[2].pk, quantity="50", reason="合同约定 50 卡时")]
    with pytest.raises(SecondPersonRequired):
        services.objection_decide(objection=objection, decision="uphold", reason="部分属实", actor=world.reviewer,
                                  now=at("2026-10-08 10:00"), claims=claims)
    proposal = Proposal.objects.get(case_kind="objection", case_id=objection.pk)
    assert proposal.params["claims"][0]["quantity"] == "50"
    second = verified(make_staff(Role.REVIEWER))
    decided = proposal_confirm(proposal=proposal, actor=second, now=at("2026-10-09 10:00"))
    assert decided.status == ObjectionStatus.PARTIALLY_UPHELD
    claim = ObjectionClaim.objects.get(objection=objection)
    assert claim.status == ClaimStatus.AWAITING_PROVIDER and claim.decided_quantity == Decimal("50")
    assert claim.correction is None and not UsageRecord.objects.filter(corrects=world.records[2]).exists()
    later_notice_agrees_with_verified_cost(world, "16.5")  # nothing above the signed 4 counts yet
    page = reverse("notices:detail", args=[notice.pk])
    member = client_for(world.member)
    assert 'data-testid="provider-answered"' not in member.get(page).content.decode()
    [claim_out] = member.get(f"/api/v1/notices/{notice.pk}").json()["objections"][0]["claims"]
    assert claim_out["status"] == "awaiting_provider" and claim_out["provider_correction_id"] is None
    to_provider = [m for m in mail.outbox if m.to == ["ops@meter.example.cn"]]
    assert len(to_provider) == 1 and "决定数量 50" in to_provider[0].body
    raw = usage_record(world.enterprise.uscc, "drama-notice", quantity="46", record_id="fix-1",
                       corrects=world.records[2].record_id, started_at="2026-09-12T09:00:00+08:00",
                       ended_at="2026-09-12T11:00:00+08:00")
    body = signed_batch([raw], world.meter.private_key)
    [result] = usage_batch_ingest(provider=world.meter.provider, key_id=body["key_id"], records=body["records"],
                                  batch_signature=body["batch_signature"], now=at("2026-10-15 12:00"))
    assert result.status == "accepted"
    assert UsageRecord.objects.get(corrects=world.records[2]).origin == RecordOrigin.PROVIDER
    later_notice_agrees_with_verified_cost(world, "62.5")  # 10 + 2.5 + 50
    # the claim's decided row is unchanged; the page and the API show the provider's answer beside it
    fix = UsageRecord.objects.get(corrects=world.records[2])
    html = member.get(page).content.decode()
    assert f"服务商已提交签名更正 46（日志序号 {fix.log_index}）" in html
    assert f"记录 {world.records[2].record_id} → 100" in html
    [claim_out] = member.get(f"/api/v1/notices/{notice.pk}").json()["objections"][0]["claims"]
    assert claim_out["status"] == "awaiting_provider" and claim_out["provider_correction_id"] == fix.pk
    # (the operator's e-mail was set behind the log's back: only the objection and usage tables are checked)
    assert_clean(models=[Objection, ObjectionClaim, UsageRecord])


def test_a_raise_within_the_signed_quantity_is_corrected_by_the_platform(world):
    notice = issue(world)
    lower = object_to(world, notice, [(world.records[0], "4")])
    services.objection_decide(objection=lower, decision="uphold", reason="属实", actor=world.reviewer,
                              now=at("2026-10-08 10:00"))
    back = object_to(world, notice, [(world.records[0], "12")], now="2026-10-09 10:00")
    claims = [services.ClaimDecision(record_id=world.records[0].pk, quantity="12", reason="")]
    with pytest.raises(SecondPersonRequired):
        services.objection_decide(objection=back, decision="uphold", reason="复核", actor=world.reviewer,
                                  now=at("2026-10-10 10:00"), claims=claims)
    services.objection_decide(objection=back, decision="uphold", reason="复核",
                              actor=verified(make_staff(Role.REVIEWER)), now=at("2026-10-10 11:00"), claims=claims)
    claim = ObjectionClaim.objects.get(objection=back)
    # back up to the signed 10 at once; the 2 above it wait for the provider
    assert claim.status == ClaimStatus.AWAITING_PROVIDER and claim.correction.quantity == Decimal("6")
    later_notice_agrees_with_verified_cost(world, "16.5")


def test_decided_quantities_are_refused_out_of_range_without_reason_or_for_unknown_records(world):
    notice = issue(world)
    objection = object_to(world, notice, [(world.records[0], "6"), (world.records[2], "9")])

    def decide(record, quantity, reason="理由"):
        return lambda: services.objection_decide(
            objection=objection, decision="uphold", reason="", actor=world.reviewer, now=at("2026-10-08 10:00"),
            claims=[services.ClaimDecision(record_id=record.pk, quantity=quantity, reason=reason)])

    assert code_of(decide(world.records[0], "5")) == "decision_quantity_out_of_range"   # below the claimed 6
    assert code_of(decide(world.records[0], "11")) == "decision_quantity_out_of_range"  # above the current 10
    assert code_of(decide(world.records[2], "10")) == "decision_quantity_out_of_range"  # above the claimed 9
    assert code_of(decide(world.records[0], "7", reason=" ")) == "decision_claim_reason_required"
    assert code_of(decide(world.records[1], "2")) == "decision_claim_unknown"
    assert code_of(decide(world.records[0], "abc")) == "claim_quantity_invalid"
    assert objection.claims.filter(status=ClaimStatus.OPEN).count() == 2
    assert not UsageRecord.objects.filter(origin=RecordOrigin.OBJECTION).exists()


def test_the_api_takes_decided_claims_and_refuses_bad_ones_with_stable_codes(world):
    notice = issue(world)
    objection = object_to(world, notice, [(world.records[0], "6")])
    url = f"/api/v1/objections/{objection.pk}/decision"
    client = client_for(world.reviewer)
    with mock.patch("django.utils.timezone.now", return_value=at("2026-10-08 10:00")):
        for claims, code in (([{"record_id": world.records[0].pk, "quantity": "3", "reason": "x"}],
                              "decision_quantity_out_of_range"),
                             ([{"record_id": world.records[0].pk, "quantity": "7"}], "decision_claim_reason_required"),
                             ([{"record_id": 999999, "quantity": "7", "reason": "x"}], "decision_claim_unknown")):
            response = client.post(url, data={"decision": "uphold", "reason": "", "claims": claims},
                                   content_type="application/json")
            assert response.status_code == 400 and response.json()["code"] == code, response.content
        response = client.post(url, data={"decision": "uphold", "reason": "部分属实", "claims": [
            {"record_id": world.records[0].pk, "quantity": 7, "reason": "按日志"}]}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "partially_upheld"
    assert body["claims"][0]["decided_quantity"] == "7" and body["claims"][0]["status"] == "decided"


def test_the_page_prefills_each_claim_and_shows_refusals_beside_the_form(world):
    notice = issue(world)
    objection = object_to(world, notice, [(world.records[0], "6")])
    client = client_for(world.reviewer)
    page = client.get(reverse("notices:detail", args=[notice.pk])).content.decode()
    assert f'name="decided-{world.records[0].pk}" value="6"' in page
    url = reverse("notices:objection_decide", args=[objection.pk])
    with mock.patch("django.utils.timezone.now", return_value=at("2026-10-08 10:00")):
        refused = client.post(url, {"decision": "uphold", "reason": "", f"decided-{world.records[0].pk}": "8"})
        assert refused.status_code == 400 and "请说明理由" in refused.content.decode()
        done = client.post(url, {"decision": "uphold", "reason": "", f"decided-{world.records[0].pk}": "8",
                                 f"decided-reason-{world.records[0].pk}": "按日志"})
    assert done.status_code == 302
    assert ObjectionClaim.objects.get(objection=objection).decided_quantity == Decimal("8")
    page = client.get(reverse("notices:detail", args=[notice.pk])).content.decode()
    assert "部分采纳" in page and "按日志" in page
