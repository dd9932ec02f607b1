"""公示 of a proposed award through the services and the API: no voucher before the period ends, issuance on the
first worker run after its last working day, the review clock paused or not as the version says, and objections
decided by a reviewer who neither reviewed nor approved the case."""

import json
from datetime import date

import pytest
import time_machine
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.applications import services
from yingdu.applications.models import ApplicationStatus
from yingdu.applications.selectors import application_sla
from yingdu.applications.tests.support import draft, eligible_works, under_review
from yingdu.audits.dbaudit import db_audit
from yingdu.documents.models import DocumentKind, IssuedDocument
from yingdu.policy.selectors import work_calendar
from yingdu.policy.services import calendar_year_publish
from yingdu.portal.selectors import workbench_counts
from yingdu.publicity.models import ObjectionDecision, PublicityObjection
from yingdu.publicity.selectors import publicity_awards
from yingdu.publicity.services import publicity_awards_issue
from yingdu.rules.statutory import statutory_holidays
from yingdu.rules.workdays import SpecialDay
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import (
    calendar_from_year_cleared,
    make_enterprise,
    make_metering_provider,
    make_staff,
    make_user,
)
from yingdu.transparency.catalogue import CATALOGUE
from yingdu.transparency.models import LogEntry
from yingdu.vouchers.models import Voucher

from .support import beijing, publicity_policy

pytestmark = pytest.mark.django_db

OBJECTION = {"contact": "13900139000", "content": "该作品并非在怀柔区制作，请核实制作地点。"}
# approved on Wednesday 30 September 2026; with 5 working days of 公示 across National Day (1–7 October, Saturday
# 10 October worked) the last day is Tuesday 13 October
PROPOSED_AT = beijing(2026, 9, 30, 15)
LAST_DAY = date(2026, 10, 13)


@pytest.fixture
def world():
    reviewer, approver = verified(make_staff(Role.REVIEWER)), verified(make_staff(Role.APPROVER))
    enterprise = make_enterprise(verified_by=reviewer)
    [work] = eligible_works(enterprise, make_metering_provider(), 1)

    class World:
        pass

    w = World()
    w.reviewer, w.approver, w.enterprise, w.work = reviewer, approver, enterprise, work
    w.decider = verified(make_staff(Role.REVIEWER))
    return w


def propose(world, *, moment=PROPOSED_AT, excluded: bool = False, working_days: int = 5):
    publicity_policy(working_days=working_days, excluded_from_sla=excluded)
    application = under_review(draft(world.work, now=moment), world.reviewer, now=moment)
    return services.application_approve(application=application, actor=world.approver, now=moment, reason="符合条件")


def _types_from(index: int) -> list[str]:
    return list(LogEntry.objects.filter(index__gte=index).order_by("index").values_list("event_type", flat=True))


def _object(application, moment) -> int:
    with time_machine.travel(moment, tick=False):
        answer = Client().post(f"/api/v1/publicity/awards/{application.pk}/objections", OBJECTION,
                               content_type="application/json")
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def _decide(user, objection_id: int, decision: str, moment, reason: str = "经核实，作品在怀柔区制作"):
    with time_machine.travel(moment, tick=False):
        return client_for(user).post(f"/api/v1/publicity/objections/{objection_id}/decision",
                                     {"decision": decision, "reason": reason}, content_type="application/json")


# --- the proposed award and its issuance ----------------------------------------------------------------------------

def test_approval_under_publicity_proposes_the_award_and_issues_nothing(world):
    before = LogEntry.objects.count()
    application = propose(world)
    assert application.status == ApplicationStatus.PUBLICITY and application.get_status_display() == "公示中"
    assert application.approved_amount_fen == 240_000 and application.decided_at is None
    assert not Voucher.objects.filter(application_id=application.pk).exists()
    assert "applications.propose" in _types_from(before) and "vouchers.issue" not in _types_from(before)
    detail = application.transitions.get(action="propose").detail
    assert detail["publicity_ends_on"] == LAST_DAY.isoformat() and detail["publicity_working_days"] == 5
    [shown] = publicity_awards(today=date(2026, 10, 9))
    assert (shown.application_id, shown.amount_fen, shown.publicity_ends_on) == (application.pk, 240_000, LAST_DAY)


def test_no_voucher_before_the_period_ends_then_the_next_worker_run_issues_it_once(world):
    application = propose(world)
    for moment in (beijing(2026, 10, 5, 12), beijing(2026, 10, 13, 23, 59)):  # a holiday; the last day's evening
        assert publicity_awards_issue(now=moment) == 0
    assert not Voucher.objects.filter(application_id=application.pk).exists()
    before = LogEntry.objects.count()
    run = beijing(2026, 10, 14, 0, 5)
    assert publicity_awards_issue(now=run) == 1
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.decided_at == run
    voucher = Voucher.objects.get(application_id=application.pk)
    assert voucher.amount_fen == application.approved_amount_fen == 240_000
    types = _types_from(before)
    assert types.index("applications.publicity_conclude") < types.index("vouchers.issue")
    conclude = json.loads(bytes(LogEntry.objects.get(event_type="applications.publicity_conclude").entry))
    assert conclude["actor"] == "system" and conclude["detail"]["publicity_ends_on"] == LAST_DAY.isoformat()
    # the decision takes effect, and its notice is numbered, when the period ends (not when it was proposed)
    decision = IssuedDocument.objects.get(kind=DocumentKind.DECISION, subject_id=application.pk)
    assert conclude["document_number"] == decision.number and decision.issued_at == run
    assert publicity_awards_issue(now=beijing(2026, 10, 14, 0, 15)) == 0
    assert Voucher.objects.filter(application_id=application.pk).count() == 1
    assert publicity_awards(today=date(2026, 10, 14)) == []
    assert db_audit().ok, db_audit().summary()


def test_a_period_spanning_new_year_ends_by_the_published_2027_calendar(world):
    calendar_from_year_cleared(2027)
    calendar_year_publish(year=2027, special_days=[SpecialDay(d.day_on, d.kind, d.name, "国办发明电〔2026〕")
                                                   for d in statutory_holidays(2027)],
                          source="https://www.gov.cn/2027", actor=verified(make_staff(Role.ADMIN)),
                          now=beijing(2026, 11, 2))
    application = propose(world, moment=beijing(2026, 12, 28, 10))
    # Tuesday 29, 30, 31 December; New Year's Day (Friday) and the weekend do not count; Monday 4 and Tuesday 5 January
    last_day = work_calendar().add_working_days(start_on=date(2026, 12, 28), working_days=5)
    assert last_day == date(2027, 1, 5)
    assert application.transitions.get(action="propose").detail["publicity_ends_on"] == "2027-01-05"
    assert publicity_awards_issue(now=beijing(2027, 1, 1, 9)) == 0
    assert publicity_awards_issue(now=beijing(2027, 1, 5, 18)) == 0
    assert not Voucher.objects.filter(application_id=application.pk).exists()
    assert publicity_awards_issue(now=beijing(2027, 1, 6, 0, 10)) == 1
    assert Voucher.objects.get(application_id=application.pk).issued_on == date(2027, 1, 6)


def test_without_a_publicity_period_approval_issues_at_once_as_before(world):
    application = under_review(draft(world.work, now=PROPOSED_AT), world.reviewer, now=PROPOSED_AT)
    approved = services.application_approve(application=application, actor=world.approver, now=PROPOSED_AT)
    assert approved.status == ApplicationStatus.APPROVED and approved.decided_at == PROPOSED_AT
    assert Voucher.objects.filter(application_id=approved.pk).exists()
    assert not approved.transitions.filter(action="propose").exists()


# --- the review clock ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("excluded", [True, False])
def test_the_review_clock_pauses_during_publicity_only_when_the_policy_says_so(world, excluded):
    application = propose(world, excluded=excluded)
    during = application_sla(application, today=date(2026, 10, 12))
    later = application_sla(application, today=date(2026, 10, 13))
    assert during.paused_now is excluded and application.sla_paused is excluded
    if excluded:
        assert during.badge == "paused" and during.working_days_left == later.working_days_left
    else:
        assert later.working_days_left == during.working_days_left - 1
    publicity_awards_issue(now=beijing(2026, 10, 14, 0, 5))
    application.refresh_from_db()
    decided = application_sla(application, today=date(2026, 12, 1))
    # 30 September and the five working days of 公示, both ends included, as for a supplement request
    assert decided.paused_working_days == (6 if excluded else 0)


@time_machine.travel(beijing(2026, 10, 12, 10), tick=False)
def test_enterprise_and_staff_pages_show_the_publicity_and_the_paused_clock(world):
    application = propose(world, excluded=True)
    for user in (world.enterprise.registered_by, world.reviewer):
        html = client_for(user).get(f"/applications/{application.pk}/").content.decode()
        assert 'data-testid="publicity-state"' in html and "2026-10-13" in html
        assert "公示期间时限暂停" in html and "已暂停 · 剩" in html


# --- objections: decided by an outside reviewer -----------------------------------------------------------------------

def test_an_upheld_objection_returns_the_case_and_no_voucher_is_issued(world):
    application = propose(world, excluded=True)
    objection_id = _object(application, beijing(2026, 10, 9, 10))
    before = LogEntry.objects.count()
    answer = _decide(world.decider, objection_id, "upheld", beijing(2026, 10, 12, 10), reason="制作地点不在怀柔区")
    assert answer.status_code == 200, answer.content
    assert answer.json()["decision"] == "upheld" and answer.json()["application_status"] == "under_review"
    assert _types_from(before) == ["publicity.objection_decided", "applications.publicity_return"]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW and application.approved_amount_fen is None
    returned = application.transitions.get(action="publicity_return")
    assert f"公示异议 #{objection_id} 成立" in returned.reason and "制作地点不在怀柔区" in returned.reason
    # the clock runs again from the return
    assert not application.sla_paused
    assert publicity_awards_issue(now=beijing(2026, 10, 14, 0, 5)) == 0
    assert not Voucher.objects.filter(application_id=application.pk).exists()
    assert publicity_awards(today=date(2026, 10, 12)) == []
    raw = bytes(LogEntry.objects.get(event_type="publicity.objection_decided").entry).decode()
    assert "制作地点" not in raw and "reason_commitment" in raw
    for entry in LogEntry.objects.filter(event_type__in=["applications.propose", "applications.publicity_return",
                                                         "publicity.objection_decided"]):
        declared = CATALOGUE.validate(json.loads(bytes(entry.entry)))
        assert declared.version == CATALOGUE[entry.event_type].version
    assert db_audit().ok, db_audit().summary()


def test_a_dismissed_objection_lets_issuance_go_ahead_and_an_open_one_holds_it(world):
    application = propose(world)
    objection_id = _object(application, beijing(2026, 10, 9, 10))
    # still open at the end of the period: not issued
    assert publicity_awards_issue(now=beijing(2026, 10, 14, 0, 5)) == 0
    answer = _decide(world.decider, objection_id, "dismissed", beijing(2026, 10, 14, 9))
    assert answer.status_code == 200 and answer.json()["application_status"] == "publicity"
    objection = PublicityObjection.objects.get(pk=objection_id)
    assert (objection.decision, objection.decided_by_id) == (ObjectionDecision.DISMISSED, world.decider.pk)
    assert publicity_awards_issue(now=beijing(2026, 10, 14, 9, 10)) == 1
    assert Voucher.objects.filter(application_id=application.pk).count() == 1


def test_the_insider_and_other_roles_are_refused_and_a_decision_is_taken_once(world):
    application = propose(world)
    objection_id = _object(application, beijing(2026, 10, 9, 10))
    moment = beijing(2026, 10, 12, 10)
    # the reviewer who accepted and reviewed the case
    insider = _decide(world.reviewer, objection_id, "dismissed", moment)
    assert insider.status_code == 403 and insider.json()["code"] == "publicity_objection_insider"
    # an approver has no reviewer role; a staff member with both who approved the case is an insider too
    assert _decide(world.approver, objection_id, "dismissed", moment).json()["code"] == "role_not_allowed"
    # not staff: the objection does not exist for them
    member = _decide(world.enterprise.registered_by, objection_id, "dismissed", moment)
    assert member.status_code == 404 and member.json()["code"] == "publicity_objection_not_found"
    with time_machine.travel(moment, tick=False):
        anonymous = Client().post(f"/api/v1/publicity/objections/{objection_id}/decision",
                                  {"decision": "dismissed", "reason": "x"}, content_type="application/json")
    assert anonymous.status_code in (401, 403)
    bad = _decide(world.decider, objection_id, "maybe", moment)
    assert bad.status_code == 400 and bad.json()["code"] == "objection_decision_invalid"
    no_reason = _decide(world.decider, objection_id, "dismissed", moment, reason="  ")
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    assert not PublicityObjection.objects.get(pk=objection_id).decision
    assert _decide(world.decider, objection_id, "dismissed", moment).status_code == 200
    again = _decide(world.decider, objection_id, "upheld", moment)
    assert again.status_code == 409 and again.json()["code"] == "publicity_objection_decided"
    assert PublicityObjection.objects.get(pk=objection_id).decision == ObjectionDecision.DISMISSED


def test_an_approver_who_is_also_a_reviewer_may_not_decide_on_the_case_they_approved(world):
    both = verified(make_user(roles=(Role.REVIEWER, Role.APPROVER), totp=True))
    publicity_policy(working_days=5)
    application = under_review(draft(world.work, now=PROPOSED_AT), world.reviewer, now=PROPOSED_AT)
    application = services.application_approve(application=application, actor=both, now=PROPOSED_AT)
    objection_id = _object(application, beijing(2026, 10, 9, 10))
    refused = _decide(both, objection_id, "dismissed", beijing(2026, 10, 12, 10))
    assert refused.status_code == 403 and refused.json()["code"] == "publicity_objection_insider"


def test_the_page_asks_for_confirmation_and_the_workbench_counts_the_objection(world):
    application = propose(world)
    objection_id = _object(application, beijing(2026, 10, 9, 10))
    with time_machine.travel(beijing(2026, 10, 12, 10), tick=False):
        today = date(2026, 10, 12)
        assert workbench_counts(world.decider, today=today)["/publicity/objections/"] == 1
        assert workbench_counts(world.reviewer, today=today).get("/publicity/objections/", 0) == 0
        client = client_for(world.decider)
        url = f"/publicity/objections/{objection_id}/"
        assert client.get("/publicity/objections/").status_code == 200
        form = {"decision": "upheld", "reason": "制作地点不在怀柔区"}
        asked = client.post(url, form)
        assert asked.status_code == 200 and 'name="confirmed"' in asked.content.decode()
        assert not PublicityObjection.objects.get(pk=objection_id).decision
        done = client.post(url, {**form, "confirmed": "1"})
        assert done.status_code == 302
        assert PublicityObjection.objects.get(pk=objection_id).decision == ObjectionDecision.UPHELD
        assert workbench_counts(world.decider, today=today)["/publicity/objections/"] == 0
        assert client_for(world.enterprise.registered_by).get(url).status_code in (403, 404)
        public = Client().get("/publicity/").content.decode()
        outcomes = Client().get("/api/v1/publicity/objections").json()
    assert "异议成立，已撤回拟支持并退回审核" in public
    assert outcomes == [{"objection_id": objection_id, "enterprise_name": world.enterprise.name,
                         "work_title": world.work.title, "submitted_on": "2026-10-09", "decision": "upheld",
                         "decided_on": "2026-10-12"}]
    for text in (public, json.dumps(outcomes, ensure_ascii=False)):
        assert OBJECTION["contact"] not in text and "怀柔区制作" not in text and "制作地点不在" not in text


def test_tampering_with_a_decided_objection_is_named(world):
    from yingdu.testing.tamper import assert_tampering_is_named

    application = propose(world)
    objection_id = _object(application, beijing(2026, 10, 9, 10))
    assert _decide(world.decider, objection_id, "dismissed", beijing(2026, 10, 12, 10)).status_code == 200
    assert_tampering_is_named(PublicityObjection)


def test_the_approval_page_says_the_award_goes_to_publicity_and_the_system_steps_cannot_be_posted(world):
    publicity_policy(working_days=5)
    application = under_review(draft(world.work, now=PROPOSED_AT), world.reviewer, now=PROPOSED_AT)
    with time_machine.travel(PROPOSED_AT, tick=False):
        client = client_for(world.approver)
        asked = client.post(f"/applications/{application.pk}/approve/", {"reason": "符合条件"})
        assert asked.status_code == 200 and "作为拟支持项目公示 5 个工作日" in asked.content.decode()
        for step in ("propose", "publicity_conclude", "publicity_return"):
            client.post(f"/applications/{application.pk}/{step}/", {"reason": "x", "confirmed": "1"})
        application.refresh_from_db()
        assert application.status == ApplicationStatus.UNDER_REVIEW
        approved = client.post(f"/applications/{application.pk}/approve/",
                               {"reason": "符合条件", "confirmed": "1"}, follow=True)
        assert approved.redirect_chain[0][1] == 302
        assert "已批准为拟支持，进入公示" in approved.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PUBLICITY
    assert not Voucher.objects.filter(application_id=application.pk).exists()


@pytest.mark.parametrize("decision", ["upheld", "dismissed"])
def test_the_enterprise_members_are_told_of_a_decided_objection_in_their_inbox(world, decision, mailoutbox,
                                                                               django_capture_on_commit_callbacks):
    from yingdu.inbox.models import Notification

    application = propose(world)
    objection_id = _object(application, beijing(2026, 10, 9, 10))
    member = world.enterprise.registered_by
    member.email = "member@drama.example.cn"
    member.save(update_fields=["email"])
    outsider = make_enterprise(verified_by=world.reviewer).registered_by
    assert not Notification.objects.filter(kind="publicity.objection_decided").exists()
    with django_capture_on_commit_callbacks(execute=True):
        answer = _decide(world.decider, objection_id, decision, beijing(2026, 10, 12, 10), reason="制作地点不在怀柔区")
    assert answer.status_code == 200, answer.content
    [told] = Notification.objects.filter(kind="publicity.objection_decided")
    assert told.recipient == member and told.link == f"/applications/{application.pk}/"
    expected = "公示异议成立，拟支持的补贴已撤回" if decision == "upheld" else "公示异议不成立"
    assert expected in told.subject and f"编号 {objection_id}" in told.body
    # the objector's contact and text and the decision's reason stay with staff
    assert OBJECTION["contact"] not in told.body and "制作地点" not in told.body
    with time_machine.travel(beijing(2026, 10, 12, 11), tick=False):
        page = client_for(verified(member)).get(f"/inbox/{told.pk}/")
        assert page.status_code == 200 and expected in page.content.decode()
        assert client_for(verified(outsider)).get(f"/inbox/{told.pk}/").status_code == 404
    assert [message.to for message in mailoutbox] == [[member.email]] and expected in mailoutbox[0].subject
