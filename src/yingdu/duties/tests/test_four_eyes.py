"""Four eyes wherever money or rights move: the FOUR_EYES table walked step by step with the same person twice."""

from datetime import date

import pytest
from django.urls import reverse

from yingdu.accounts.models import Role, RoleGrant
from yingdu.accounts.services import role_grant, totp_device_issue
from yingdu.actors import SYSTEM
from yingdu.applications import services as applications
from yingdu.audits import services as audits
from yingdu.duties.models import Proposal, ProposalStatus
from yingdu.duties.rules import FOUR_EYES, Step
from yingdu.duties.services import proposal_confirm, proposal_refuse
from yingdu.enterprises import services as enterprises
from yingdu.enterprises.models import EnterpriseState
from yingdu.errors import DomainError, SecondPersonRequired
from yingdu.notices import services as notices
from yingdu.notices.models import ObjectionStatus
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_user
from yingdu.transparency.models import LogEntry
from yingdu.vouchers import services as vouchers
from yingdu.vouchers.models import StatementStatus, VoucherStatus

from .conftest import NOW, staff

pytestmark = pytest.mark.django_db


def code_of(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def _proposal_walk(call, first, second, done):
    """first proposes (202), first again is refused, second confirms and the step takes effect."""
    entries = LogEntry.objects.count()
    with pytest.raises(SecondPersonRequired) as proposed:
        call(first)
    assert proposed.value.status == 202
    assert not done(), "a proposal alone must change nothing"
    assert LogEntry.objects.count() == entries + 1  # the proposal's own entry only
    assert code_of(lambda: call(first)) == "four_eyes_same_person"
    call(second)
    assert done()
    proposal = Proposal.objects.get(pk=proposed.value.detail["proposal"])
    assert (proposal.status, proposal.proposed_by_id, proposal.decided_by_id) == (
        ProposalStatus.CONFIRMED, first.pk, second.pk)
    decided = LogEntry.objects.filter(event_type="duties.proposal_decided").order_by("-index").first()
    assert decided is not None and decided.index > proposal_entry_index(proposal)


def proposal_entry_index(proposal) -> int:
    import json

    for entry in LogEntry.objects.filter(event_type="duties.proposed").order_by("-index"):
        if json.loads(bytes(entry.entry))["proposal"] == proposal.pk:
            return entry.index
    raise AssertionError("no entry for the proposal")


def walk_enterprise_verify(world):
    # the registrant, now a reviewer (after leaving), may not verify; another reviewer may
    from .conftest import make_insider

    member = make_user()
    pending = make_enterprise(member=member)
    insider = make_insider(member)
    assert code_of(lambda: enterprises.enterprise_verify(enterprise=pending, actor=insider, huairou_confirmed=True,
                                                         now=NOW)) in ("four_eyes", "conflict_of_interest")
    other = staff(Role.REVIEWER)
    assert enterprises.enterprise_verify(enterprise=pending, actor=other, huairou_confirmed=True,
                                         now=NOW).state == EnterpriseState.VERIFIED


def walk_enterprise_reinstate(world):
    enterprises.enterprise_disqualify(enterprise=world.enterprise, actor=world.auditor, reason="骗补",
                                      effective_on=date(2026, 11, 10), now=NOW)
    first, second = staff(Role.ADMIN), staff(Role.ADMIN)
    _proposal_walk(lambda a: enterprises.enterprise_reinstate(enterprise=world.enterprise, actor=a, reason="复核无误",
                                                              effective_on=date(2026, 11, 10), now=NOW),
                   first, second, lambda: _state(world.enterprise) == EnterpriseState.VERIFIED)


def _state(enterprise):
    enterprise.refresh_from_db()
    return enterprise.state


def walk_objection_uphold(world):
    first, second = staff(Role.REVIEWER), staff(Role.REVIEWER)
    _proposal_walk(lambda a: uphold(world, a), first, second,
                   lambda: _objection_status(world.objection) == ObjectionStatus.UPHELD)


def uphold(world, actor):
    return notices.objection_decide(objection=world.objection, decision="uphold", reason="服务商日志证实", actor=actor,
                                    now=NOW)


def _objection_status(objection):
    objection.refresh_from_db()
    return objection.status


def walk_application_approve(world):
    both = verified(make_user())
    for role in (Role.REVIEWER, Role.APPROVER):
        role_grant(user=both, role=role, actor=SYSTEM, now=NOW)
    totp_device_issue(user=both, name="t", actor=SYSTEM, now=NOW)
    both = verified(both)
    application = applications.application_accept(application=world.application, actor=both, now=NOW)
    application = applications.application_start_review(application=application, actor=both, now=NOW)
    # the work's notice has an open objection: no one approves before it is decided
    assert code_of(lambda: applications.application_approve(application=application, actor=world.approver,
                                                            now=NOW)) == "objection_pending"
    notices.objection_decide(objection=world.objection, decision="reject", reason="与服务商日志一致", actor=world.reviewer,
                             now=NOW)
    assert code_of(lambda: applications.application_approve(application=application, actor=both, now=NOW)) == \
        "four_eyes"
    approved = applications.application_approve(application=application, actor=world.approver, now=NOW)
    assert approved.status == "approved"


def walk_voucher_revoke(world):
    first, second = world.finance, staff(Role.FINANCE)
    _proposal_walk(lambda a: vouchers.voucher_revoke(voucher=world.voucher, reason="材料造假", actor=a, now=NOW),
                   first, second, lambda: _voucher_status(world.voucher) == VoucherStatus.REVOKED)


def _voucher_status(voucher):
    voucher.refresh_from_db()
    return voucher.status


def walk_fraud_confirm(world):
    finding = audits.case_finding_record(case=world.case, outcome="fraud", summary="用量造假", actor=world.auditor,
                                         now=NOW)
    assert code_of(lambda: audits.case_fraud_confirm(finding=finding, reason="同意", actor=world.auditor,
                                                     now=NOW)) == "four_eyes"
    confirmed = audits.case_fraud_confirm(finding=finding, reason="同意", actor=staff(Role.AUDITOR), now=NOW)
    assert confirmed.status == "confirmed"


def walk_settlement_pay(world):
    first, second = world.finance, staff(Role.FINANCE)
    with pytest.raises(SecondPersonRequired):
        vouchers.settlement_mark_paid(statement=world.statement, payment_reference="PAY-1", actor=first, now=NOW)
    # the second person enters the reference independently: a different one is refused, not paid
    assert code_of(lambda: vouchers.settlement_mark_paid(statement=world.statement, payment_reference="PAY-2",
                                                         actor=second, now=NOW)) == "proposal_differs"
    assert code_of(lambda: vouchers.settlement_mark_paid(statement=world.statement, payment_reference="PAY-1",
                                                         actor=first, now=NOW)) == "four_eyes_same_person"
    vouchers.settlement_mark_paid(statement=world.statement, payment_reference="PAY-1", actor=second, now=NOW)
    world.statement.refresh_from_db()
    assert world.statement.status == StatementStatus.PAID


def walk_role_grant(world):
    first, second = staff(Role.ADMIN), staff(Role.ADMIN)
    target = make_user()
    _proposal_walk(lambda a: role_grant(user=target, role=Role.REVIEWER, actor=a, now=NOW, reason="新入职"),
                   first, second,
                   lambda: RoleGrant.objects.filter(user=target, role=Role.REVIEWER).exists())
    assert code_of(lambda: role_grant(user=first, role=Role.FINANCE, actor=first, now=NOW, reason="自荐")) == \
        "role_grant_self"


WALKS = {
    Step.ENTERPRISE_VERIFY: walk_enterprise_verify,
    Step.ENTERPRISE_REINSTATE: walk_enterprise_reinstate,
    Step.OBJECTION_UPHOLD: walk_objection_uphold,
    Step.APPLICATION_APPROVE: walk_application_approve,
    Step.VOUCHER_REVOKE: walk_voucher_revoke,
    Step.FRAUD_CONFIRM: walk_fraud_confirm,
    Step.SETTLEMENT_PAY: walk_settlement_pay,
    Step.ROLE_GRANT: walk_role_grant,
}


def test_every_step_of_the_table_has_a_walk():
    assert set(WALKS) == set(FOUR_EYES)


@pytest.mark.parametrize("step", list(FOUR_EYES), ids=str)
def test_the_same_person_cannot_complete_a_four_eyes_step_alone(world, step):
    WALKS[step](world)


def test_an_objection_that_lowers_the_base_is_decided_by_one_reviewer(world):
    from yingdu.notices import services as notices
    from yingdu.notices.tests.conftest import evidence

    notices.objection_decide(objection=world.objection, decision="reject", reason="不属实", actor=world.reviewer,
                             now=NOW)
    lower = notices.objection_file(notice=world.notice, explanation="实际更少", evidence=[evidence()],
                                   claims=[(world.record.pk, "1")], actor=member_now(world), now=NOW)
    decided = notices.objection_decide(objection=lower, decision="uphold", reason="属实", actor=world.reviewer,
                                       now=NOW)
    assert decided.status == ObjectionStatus.UPHELD
    assert not Proposal.objects.filter(case_kind="objection", case_id=lower.pk).exists()


def member_now(world):
    return verified(world.member)


def test_a_proposal_is_confirmed_refused_or_withdrawn_on_the_page_and_api(world):
    first, second, third = world.finance, staff(Role.FINANCE), staff(Role.FINANCE)
    with pytest.raises(SecondPersonRequired) as proposed:
        vouchers.voucher_revoke(voucher=world.voucher, reason="违规", actor=first, now=NOW)
    proposal = Proposal.objects.get(pk=proposed.value.detail["proposal"])
    page = client_for(second).get("/duties/")
    assert page.status_code == 200 and "撤销算力券" in page.content.decode()
    detail = client_for(second).get(reverse("vouchers:detail", args=[world.voucher.number])).content.decode()
    assert "提议“撤销算力券”，等待另一名工作人员确认" in detail and "去确认或驳回" in detail
    own = client_for(first).get(reverse("vouchers:detail", args=[world.voucher.number])).content.decode()
    assert "这是您的提议，须由他人确认" in own
    # the proposer cannot confirm their own proposal through the generic page either
    assert code_of(lambda: proposal_confirm(proposal=proposal, actor=first, now=NOW)) == "four_eyes_same_person"
    # an approver cannot see or confirm a finance proposal
    approver_api = client_for(world.approver).post(f"/api/v1/duties/proposals/{proposal.pk}/confirm", {},
                                                   content_type="application/json")
    assert approver_api.status_code == 404
    refused = client_for(second).post(f"/api/v1/duties/proposals/{proposal.pk}/refuse", {"note": "证据不足"},
                                      content_type="application/json")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert _voucher_status(world.voucher) == VoucherStatus.ACTIVE
    # a new proposal, withdrawn by its proposer; then another, confirmed on the page by a third person
    with pytest.raises(SecondPersonRequired) as again:
        vouchers.voucher_revoke(voucher=world.voucher, reason="违规", actor=first, now=NOW)
    withdrawn = proposal_refuse(proposal=Proposal.objects.get(pk=again.value.detail["proposal"]), actor=first,
                                note="撤回", now=NOW)
    assert withdrawn.status == ProposalStatus.WITHDRAWN
    with pytest.raises(SecondPersonRequired) as third_try:
        vouchers.voucher_revoke(voucher=world.voucher, reason="违规", actor=second, now=NOW)
    response = client_for(third).post(f"/duties/proposals/{third_try.value.detail['proposal']}/confirm/",
                                      {"note": "同意"})
    assert response.status_code == 302
    assert _voucher_status(world.voucher) == VoucherStatus.REVOKED


def test_the_api_answers_202_with_the_proposal_and_the_page_says_it_awaits_a_second_person(world):
    first = world.finance
    response = client_for(first).post(f"/vouchers/finance/revoke/{world.voucher.number}/", {"reason": "违规"},
                                      follow=True)
    assert "须由另一名工作人员确认后生效" in response.content.decode()
    assert _voucher_status(world.voucher) == VoucherStatus.ACTIVE
    admin_one, admin_two = staff(Role.ADMIN), staff(Role.ADMIN)
    enterprises.enterprise_disqualify(enterprise=world.enterprise, actor=world.auditor, reason="骗补",
                                      effective_on=date(2026, 11, 10), now=NOW)
    api = client_for(admin_one).post(f"/api/v1/enterprises/{world.enterprise.pk}/reinstate",
                                     {"reason": "复核", "effective_on": "2026-11-10"}, content_type="application/json")
    assert api.status_code == 202
    assert api.json()["code"] == "second_person_required"
    assert api.json()["detail"]["proposal"] > 0
    assert _state(world.enterprise) == EnterpriseState.DISQUALIFIED
    listed = client_for(admin_two).get("/api/v1/duties/proposals").json()
    assert [p["step"] for p in listed] == ["enterprise.reinstate"]
