"""No one decides their own case: structural separation, conflicts of interest with a look-back, and recusal."""

from datetime import date, timedelta

import pytest

from yingdu.accounts.models import Role, RoleGrant
from yingdu.accounts.services import organisation_add_member, role_grant
from yingdu.actors import SYSTEM
from yingdu.applications import services as applications
from yingdu.audits import services as audits
from yingdu.duties.cases import application_case
from yingdu.duties.models import PastMembership, Recusal
from yingdu.duties.selectors import user_linked_organisation_ids
from yingdu.duties.services import recusal_declare
from yingdu.enterprises import services as enterprises
from yingdu.enterprises.models import Enterprise
from yingdu.errors import DomainError
from yingdu.metering.services import usage_record_attach
from yingdu.notices import services as notices
from yingdu.testing.clients import client_for
from yingdu.testing.factories import enterprise_details, licence_pdf, make_enterprise, make_user
from yingdu.transparency.models import LogEntry
from yingdu.vouchers import services as vouchers

from .conftest import NOW, make_insider, staff

pytestmark = pytest.mark.django_db


def refused(call, code: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value.as_dict()
    return caught.value


def test_a_member_is_never_granted_a_staff_role_and_staff_never_join_an_organisation():
    member = make_user()
    make_enterprise(member=member)
    refused(lambda: role_grant(user=member, role=Role.REVIEWER, actor=SYSTEM, now=NOW), "member_cannot_be_staff")
    assert not RoleGrant.objects.filter(user=member).exists()
    reviewer = staff(Role.REVIEWER)
    before = Enterprise.objects.count()
    refused(lambda: enterprises.enterprise_register(user=reviewer, details=enterprise_details(),
                                                    licence=licence_pdf(), now=NOW), "staff_cannot_join")
    assert Enterprise.objects.count() == before
    other = make_enterprise()
    refused(lambda: organisation_add_member(organisation=other.organisation, user=reviewer, now=NOW),
            "staff_cannot_join")
    reviewer.refresh_from_db()
    assert reviewer.organisation_id is None


def test_the_insider_registering_an_enterprise_through_the_api_is_refused_at_the_first_step():
    reviewer = staff(Role.REVIEWER)
    details = enterprise_details()
    response = client_for(reviewer).post("/api/v1/enterprises", data={**details.__dict__, "licence": licence_pdf()})
    assert response.status_code == 409
    assert response.json()["code"] == "staff_cannot_join"
    assert not Enterprise.objects.filter(uscc=details.uscc).exists()


def test_the_registration_page_refuses_staff_with_the_reason_beside_the_form():
    reviewer = staff(Role.REVIEWER)
    details = enterprise_details()
    response = client_for(reviewer).post("/enterprises/register/", data={**details.__dict__, "licence": licence_pdf()})
    assert response.status_code in (200, 400)
    assert "工作人员账户不能成为企业或算力服务商的成员" in response.content.decode()
    assert not Enterprise.objects.filter(uscc=details.uscc).exists()


def _staff_actions(world):
    """Every staff step on the enterprise's cases, as (name, call with the actor); settlements involve only the
    provider (tested below)."""
    return [
        ("enterprise.disqualify", lambda a: enterprises.enterprise_disqualify(
            enterprise=world.enterprise, actor=a, reason="核查", effective_on=date(2026, 11, 10), now=NOW)),
        ("enterprise.reinstate", lambda a: enterprises.enterprise_reinstate(
            enterprise=world.enterprise, actor=a, reason="恢复", effective_on=date(2026, 11, 10), now=NOW)),
        ("application.accept", lambda a: applications.application_accept(application=world.application, actor=a,
                                                                          now=NOW)),
        ("application.start_review", lambda a: applications.application_start_review(
            application=world.application, actor=a, now=NOW)),
        ("application.request_supplement", lambda a: applications.application_request_supplement(
            application=world.application, actor=a, items=["截图"], message="请补充", now=NOW)),
        ("application.approve", lambda a: applications.application_approve(application=world.application, actor=a,
                                                                           now=NOW)),
        ("application.reject", lambda a: applications.application_reject(application=world.application, actor=a,
                                                                          reason="不符合", now=NOW)),
        ("notice.issue", lambda a: notices.data_notice_issue(work=world.works[1], period_start_on=date(2026, 3, 1),
                                                             period_end_on=date(2026, 3, 31), actor=a, now=NOW)),
        ("objection.uphold", lambda a: notices.objection_decide(objection=world.objection, decision="uphold",
                                                                reason="属实", actor=a, now=NOW)),
        ("objection.reject", lambda a: notices.objection_decide(objection=world.objection, decision="reject",
                                                                reason="不属实", actor=a, now=NOW)),
        ("usage.attach", lambda a: usage_record_attach(record=world.record, work=world.works[0], actor=a,
                                                       reason="归属", now=NOW)),
        ("voucher.revoke", lambda a: vouchers.voucher_revoke(voucher=world.voucher, reason="违规", actor=a, now=NOW)),
        ("spot_check.check", lambda a: audits.case_check_update(case=world.case, code="invoices", result="ok",
                                                                note="核对无误", actor=a, now=NOW)),
        ("spot_check.note", lambda a: audits.case_note_add(case=world.case, text="备注", actor=a, now=NOW)),
        ("spot_check.finding", lambda a: audits.case_finding_record(case=world.case, outcome="compliant",
                                                                    summary="合规", actor=a, now=NOW)),
    ]


def test_a_former_member_now_staff_is_refused_every_step_on_the_enterprises_cases(world):
    insider = make_insider(world.member)
    entries = LogEntry.objects.count()
    for name, call in _staff_actions(world):
        error = refused(lambda call=call: call(insider), "conflict_of_interest")
        assert world.enterprise.name in str(error.message), name
    assert LogEntry.objects.count() == entries


def test_a_linked_provider_operator_now_staff_cannot_settle_that_provider(world):
    from yingdu.duties.services import membership_end

    operator = world.meter.operator
    membership_end(user=operator, reason="离职", actor=SYSTEM, now=NOW)
    role_grant(user=operator, role=Role.FINANCE, actor=SYSTEM, now=NOW)
    from yingdu.accounts.services import totp_device_issue
    from yingdu.testing.clients import verified

    totp_device_issue(user=operator, name="t", actor=SYSTEM, now=NOW)
    refused(lambda: vouchers.settlement_mark_paid(statement=world.statement, payment_reference="P",
                                                  actor=verified(operator), now=NOW), "conflict_of_interest")
    refused(lambda: vouchers.settlement_create(provider=world.meter.provider, period_start_on=date(2026, 1, 1),
                                               period_end_on=date(2026, 11, 10), actor=verified(operator), now=NOW),
            "conflict_of_interest")


def test_the_link_lapses_after_the_policy_look_back_and_not_before(world):
    insider = make_insider(world.member)
    organisation = world.enterprise.organisation_id
    today = NOW.date()
    assert organisation in user_linked_organisation_ids(insider, today=today)
    # the default policy's look-back is 24 months: linked on the last day, free the day after
    PastMembership.objects.filter(user=insider).update(ended_at=NOW - timedelta(days=730))  # 2024-11-10
    assert organisation in user_linked_organisation_ids(insider, today=date(2026, 11, 10))
    PastMembership.objects.filter(user=insider).update(ended_at=NOW - timedelta(days=731))
    assert organisation not in user_linked_organisation_ids(insider, today=date(2026, 11, 10))
    accepted = applications.application_accept(application=world.application, actor=insider, now=NOW)
    assert accepted.status == "accepted"


def test_a_recused_reviewer_cannot_act_and_another_can(world):
    first, second = staff(Role.REVIEWER), staff(Role.REVIEWER)
    recusal = recusal_declare(actor=first, case=application_case(world.application), reason="亲属在该企业任职",
                              now=NOW)
    assert LogEntry.objects.filter(event_type="duties.recusal_declared").count() == 1
    refused(lambda: applications.application_accept(application=world.application, actor=first, now=NOW),
            "recused")
    refused(lambda: recusal_declare(actor=first, case=application_case(world.application), reason="再次", now=NOW),
            "already_recused")
    assert applications.application_accept(application=world.application, actor=second, now=NOW).status == "accepted"
    assert Recusal.objects.get(pk=recusal.pk).reason == "亲属在该企业任职"


def test_recusal_needs_a_reason_and_an_existing_case_on_the_page(world):
    reviewer = staff(Role.REVIEWER)
    client = client_for(reviewer)
    page = client.get(f"/duties/recusals/new/?kind=application&id={world.application.pk}")
    assert page.status_code == 200
    assert "声明回避" in page.content.decode()
    empty = client.post("/duties/recusals/new/", {"case_kind": "application", "case_id": world.application.pk,
                                                   "reason": ""})
    assert empty.status_code == 400
    missing = client.post("/duties/recusals/new/", {"case_kind": "application", "case_id": 2**62, "reason": "亲属"})
    assert missing.status_code == 400
    assert "找不到该事项" in missing.content.decode()
    done = client.post("/duties/recusals/new/", {"case_kind": "application", "case_id": world.application.pk,
                                                  "reason": "亲属"})
    assert done.status_code == 302
    assert Recusal.objects.filter(user=reviewer, case_kind="application", case_id=world.application.pk).exists()
    api = client.post("/api/v1/duties/recusals", {"case_kind": "enterprise", "case_id": world.enterprise.pk,
                                                  "reason": "亲属"}, content_type="application/json")
    assert api.status_code == 201


def test_an_enterprise_member_cannot_use_the_duties_pages_or_api(world):
    member = make_user()
    make_enterprise(member=member)
    client = client_for(member)
    assert client.get("/duties/").status_code == 403
    response = client.post("/api/v1/duties/recusals", {"case_kind": "enterprise", "case_id": world.enterprise.pk,
                                                       "reason": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "staff_only"
