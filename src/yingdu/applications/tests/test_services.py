"""The application workflow through its services: pre-check, annual limit, four-eyes, amounts, log entries."""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.applications import services
from yingdu.applications.eligibility import precheck
from yingdu.applications.models import ApplicationStatus
from yingdu.applications.selectors import application_queue, application_sla
from yingdu.errors import DomainError
from yingdu.policy.models import PolicyVersion
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_staff, make_user, pdf_bytes
from yingdu.transparency.models import LogEntry
from yingdu.works.services import work_distribution_record

from .support import declare, draft, eligible_works, member_of, pdf

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def conditions(application, today=None):
    return {c.code: c for c in precheck(application, today=today or timezone.localdate()).conditions}


def test_precheck_lists_every_condition_with_its_reason(enterprise):
    work = declare(enterprise)
    application = draft(work, commitment=False)
    checked = conditions(application)
    assert set(checked) == {"policy_in_force", "enterprise_verified", "work_details", "work_released",
                            "verified_cost_positive", "annual_limit", "overseas_evidence", "materials_complete",
                            "no_other_application"}
    assert not checked["work_released"].passed and "上线记录" in checked["work_released"].reason
    assert not checked["verified_cost_positive"].passed and "0" in checked["verified_cost_positive"].reason
    assert not checked["materials_complete"].passed and "承诺书" in checked["materials_complete"].reason
    assert checked["enterprise_verified"].passed and checked["annual_limit"].passed
    with pytest.raises(DomainError) as refused:
        services.application_submit(application=application, actor=member_of(enterprise), now=timezone.now())
    assert refused.value.code == "precheck_failed"
    assert {f["code"] for f in refused.value.detail["failed"]} == {
        "work_released", "verified_cost_positive", "materials_complete"}
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_overseas_claim_needs_overseas_evidence(enterprise, meter):
    [work] = eligible_works(enterprise, meter, 1)
    application = draft(work, overseas=True)
    checked = conditions(application)
    assert not checked["overseas_evidence"].passed
    assert "出海发行协议" in checked["materials_complete"].reason
    work_distribution_record(work=work, actor=member_of(enterprise), territory="美国", platform="reelshort",
                             listed_title="Lost in the Stars", went_live_on=date(2026, 6, 1),
                             agreement=pdf("协议.pdf"), listing_evidence=pdf("上线证明.pdf"), now=timezone.now())
    checked = conditions(application)
    assert checked["overseas_evidence"].passed and checked["materials_complete"].passed


def test_full_workflow_computes_the_amount_and_logs_every_step(enterprise, meter, reviewer, approver):
    [work] = eligible_works(enterprise, meter, 1)
    member = member_of(enterprise)
    application = draft(work)
    first_index = LogEntry.objects.count()
    now = timezone.now()
    application = services.application_submit(application=application, actor=member, now=now)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.policy_version.version_id == "huairou-2026-04" and application.limit_year == now.year
    application = services.application_accept(application=application, actor=reviewer, now=now)
    assert application.accepted_on == timezone.localdate(now) and application.sla_working_days == 30
    application = services.application_start_review(application=application, actor=reviewer, now=now)
    # 1000 card-hours × 8.00 yuan = 8,000.00 yuan verified; 30 % = 2,400.00 yuan, under the 20,000.00 cap
    assert application.verified_cost_fen == 800_000
    assert application.review_amount_fen == 240_000
    assert "核定成本 8,000.00 元 × 补贴比例 30%" in application.review_explanation
    application = services.application_request_supplement(
        application=application, actor=reviewer, items=["授权链文件"], message="请补充剧本授权", now=now)
    assert application.status == ApplicationStatus.SUPPLEMENT_REQUESTED
    services.application_material_upload(application=application, code="authenticity_commitment",
                                         upload=pdf("承诺书2.pdf", pdf_bytes("v2")), actor=member, now=now)
    application = services.application_resubmit(application=application, actor=member, now=now,
                                                response="已补充")
    assert application.status == ApplicationStatus.UNDER_REVIEW
    application = services.application_approve(application=application, actor=approver, now=now, reason="符合条件")
    assert application.status == ApplicationStatus.APPROVED and application.approved_amount_fen == 240_000
    types = list(LogEntry.objects.filter(index__gte=first_index).order_by("index")
                 .values_list("event_type", flat=True))
    for expected in ("applications.submit", "applications.accept", "applications.start_review",
                     "applications.request_supplement", "applications.material_upload", "applications.resubmit",
                     "applications.approve"):
        assert expected in types
    approve_entry = json.loads(bytes(LogEntry.objects.filter(event_type="applications.approve").get().entry))
    assert approve_entry["detail"]["approved_amount_fen"] == 240_000 and approve_entry["actor"] == approver.pk
    assert [t.action for t in application.transitions.all()] == [
        "submit", "accept", "start_review", "request_supplement", "resubmit", "approve"]


def test_sixth_work_of_a_year_is_refused(enterprise, meter):
    works = eligible_works(enterprise, meter, 6)
    member = member_of(enterprise)
    for work in works[:5]:
        services.application_submit(application=draft(work), actor=member, now=timezone.now())
    sixth = draft(works[5])
    assert not conditions(sixth)["annual_limit"].passed
    with pytest.raises(DomainError) as refused:
        services.application_submit(application=sixth, actor=member, now=timezone.now())
    assert refused.value.code == "annual_limit_reached"
    assert "已达到" in str(refused.value.message) or "上限为 5 部" in str(refused.value.message)
    sixth.refresh_from_db()
    assert sixth.status == ApplicationStatus.DRAFT


def test_withdrawn_or_rejected_applications_free_their_place(enterprise, meter, approver):
    works = eligible_works(enterprise, meter, 6)
    member = member_of(enterprise)
    submitted = [services.application_submit(application=draft(w), actor=member, now=timezone.now())
                 for w in works[:5]]
    services.application_withdraw(application=submitted[0], actor=member, now=timezone.now())
    sixth = services.application_submit(application=draft(works[5]), actor=member, now=timezone.now())
    assert sixth.status == ApplicationStatus.SUBMITTED
    services.application_reject(application=submitted[1], actor=approver, reason="材料不实", now=timezone.now())
    again = services.application_submit(application=draft(works[1]), actor=member, now=timezone.now())
    assert again.status == ApplicationStatus.SUBMITTED


def test_a_work_cannot_have_two_open_applications(enterprise, meter):
    [work] = eligible_works(enterprise, meter, 1)
    draft(work)
    with pytest.raises(DomainError) as refused:
        draft(work)
    assert refused.value.code == "application_exists"


def test_a_reviewer_cannot_approve_their_own_review(enterprise, meter, approver):
    [work] = eligible_works(enterprise, meter, 1)
    both = make_user(roles=(Role.REVIEWER, Role.APPROVER), totp=True)
    both = verified(both)
    application = services.application_submit(application=draft(work), actor=member_of(enterprise),
                                              now=timezone.now())
    services.application_accept(application=application, actor=both, now=timezone.now())
    application = services.application_start_review(application=application, actor=both, now=timezone.now())
    with pytest.raises(DomainError) as refused:
        services.application_approve(application=application, actor=both, now=timezone.now())
    assert refused.value.code == "four_eyes" and refused.value.status == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert services.application_approve(application=application, actor=approver,
                                        now=timezone.now()).status == ApplicationStatus.APPROVED


def test_roles_are_enforced_by_the_services(enterprise, meter, reviewer):
    [work] = eligible_works(enterprise, meter, 1)
    application = draft(work)
    outsider = verified(make_enterprise(verified_by=reviewer).registered_by)
    with pytest.raises(DomainError) as refused:
        services.application_submit(application=application, actor=outsider, now=timezone.now())
    assert refused.value.status == 403
    application = services.application_submit(application=application, actor=member_of(enterprise),
                                              now=timezone.now())
    with pytest.raises(DomainError) as refused:
        services.application_accept(application=application, actor=member_of(enterprise), now=timezone.now())
    assert refused.value.code == "role_not_allowed"
    unverified_reviewer = make_staff(Role.REVIEWER)  # no two-factor in this session
    with pytest.raises(DomainError):
        services.application_accept(application=application, actor=unverified_reviewer, now=timezone.now())
    with pytest.raises(DomainError) as refused:
        services.application_reject(application=application, actor=make_staff_verified(Role.APPROVER), reason=" ",
                                    now=timezone.now())
    assert refused.value.code == "reason_required"


def make_staff_verified(role):
    return verified(make_staff(role))


def test_overseas_topup_pays_the_difference_and_is_not_a_new_work(enterprise, meter, reviewer, approver):
    works = eligible_works(enterprise, meter, 5)
    member = member_of(enterprise)
    base = None
    for work in works:
        application = services.application_submit(application=draft(work), actor=member, now=timezone.now())
        base = base or application
    services.application_accept(application=base, actor=reviewer, now=timezone.now())
    services.application_start_review(application=base, actor=reviewer, now=timezone.now())
    base = services.application_approve(application=base, actor=approver, now=timezone.now())
    assert base.approved_amount_fen == 240_000
    work_distribution_record(work=base.work, actor=member, territory="东南亚", platform="dramabox",
                             listed_title="Star Drift", went_live_on=date(2026, 7, 1),
                             agreement=pdf("协议.pdf"), listing_evidence=pdf("证明.pdf"), now=timezone.now())
    topup = services.application_topup_create(base=base, actor=member, now=timezone.now())
    services.application_material_upload(application=topup, code="authenticity_commitment", upload=pdf(),
                                         actor=member, now=timezone.now())
    checked = conditions(topup)
    assert checked["annual_limit"].passed and "不计入" in checked["annual_limit"].reason
    topup = services.application_submit(application=topup, actor=member, now=timezone.now())
    assert topup.counts_toward_limit is False
    services.application_accept(application=topup, actor=reviewer, now=timezone.now())
    topup = services.application_start_review(application=topup, actor=reviewer, now=timezone.now())
    # reading A: 8,000.00 × 30 % × 1.3 = 3,120.00; 2,400.00 already approved → 720.00 more
    assert topup.review_amount_fen == 72_000
    assert "本次出海追加" in topup.review_explanation
    with pytest.raises(DomainError) as refused:
        services.application_topup_create(base=base, actor=member, now=timezone.now())
    assert refused.value.code == "application_exists"


@pytest.fixture
def policy_from_january():
    """The seeded default version, in force from 2026-01-01 for tests dated before April."""
    PolicyVersion.objects.filter(version_id="huairou-2026-04").update(effective_from=date(2026, 1, 1))


def test_sla_deadline_through_the_workflow(enterprise, meter, reviewer, policy_from_january):
    [work] = eligible_works(enterprise, meter, 1)
    member = member_of(enterprise)
    application = draft(work, now=at(date(2026, 2, 9)))
    application = services.application_submit(application=application, actor=member, now=at(date(2026, 2, 9)))
    application = services.application_accept(application=application, actor=reviewer, now=at(date(2026, 2, 10)))
    sla = application_sla(application, today=date(2026, 2, 10))
    assert sla.deadline_on == date(2026, 3, 30) and sla.working_days_left == 30
    application = services.application_start_review(application=application, actor=reviewer,
                                                    now=at(date(2026, 2, 11)))
    application = services.application_request_supplement(
        application=application, actor=reviewer, items=["补充截图"], message="截图不清晰", now=at(date(2026, 3, 2)))
    paused = application_sla(application, today=date(2026, 3, 4))
    assert paused.badge == "paused" and paused.paused_working_days == 3
    application = services.application_resubmit(application=application, actor=member, now=at(date(2026, 3, 6)))
    sla = application_sla(application, today=date(2026, 3, 6))
    assert sla.paused_working_days == 5
    # 2026-03-30 + 5 working days (03-31, 04-01, 04-02, 04-03, then 04-07 after the Qingming holiday)
    assert sla.deadline_on == date(2026, 4, 7)


def test_an_open_objection_to_the_data_notice_pauses_the_clock(enterprise, meter, reviewer):
    from yingdu.notices.models import DataNotice
    from yingdu.notices.services import objection_file

    # a Wednesday in 2026 whose objection window ends inside the published 2026 calendar
    now = datetime(2026, 6, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(now, tick=False):
        [work] = eligible_works(enterprise, meter, 1)
        member = member_of(enterprise)
        application = services.application_submit(application=draft(work, now=now), actor=member, now=now)
        services.application_accept(application=application, actor=reviewer, now=now + timedelta(minutes=1))
        application = services.application_start_review(application=application, actor=reviewer,
                                                        now=now + timedelta(minutes=2))
        today = now.date()
        before = application_sla(application, today=today)
        notice = DataNotice.objects.get(work=work)
        objection_file(notice=notice, explanation="第 1 条记录数量有误", evidence=[pdf("说明.pdf")], claims=[],
                       actor=member, now=now + timedelta(minutes=3))
        during = application_sla(application, today=today)
        assert before.badge == "on_track" and not before.paused_now
        assert during.badge == "paused" and during.paused_now
        assert during.paused_working_days == 1
        # the queue reads objections for all rows at once and must reach the same clock
        [row] = [row for row in application_queue(reviewer, today=today) if row.application.pk == application.pk]
        assert row.sla == during


def test_queue_queries_do_not_grow_with_the_number_of_applications(enterprise, meter, reviewer):
    works = eligible_works(enterprise, meter, 3)
    member = member_of(enterprise)

    def accept(work):
        application = services.application_submit(application=draft(work), actor=member, now=timezone.now())
        services.application_accept(application=application, actor=reviewer, now=timezone.now())

    today = timezone.localdate()
    accept(works[0])
    application_queue(reviewer, today=today)
    with CaptureQueriesContext(connection) as one:
        application_queue(reviewer, today=today)
    for work in works[1:]:
        accept(work)
    with CaptureQueriesContext(connection) as three:
        rows = application_queue(reviewer, today=today)
    assert len(rows) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_approval_issues_a_voucher_with_the_fixed_amount(enterprise, meter, reviewer, approver):
    from yingdu.vouchers.models import Voucher

    [work] = eligible_works(enterprise, meter, 1)
    moment = at(date(2026, 9, 21))
    application = services.application_submit(application=draft(work, now=moment), actor=member_of(enterprise),
                                              now=moment)
    services.application_accept(application=application, actor=reviewer, now=moment)
    services.application_start_review(application=application, actor=reviewer, now=moment)
    application = services.application_approve(application=application, actor=approver, now=moment)
    voucher = Voucher.objects.get(application_id=application.pk)
    assert voucher.amount_fen == application.approved_amount_fen == 240_000
    assert application.transitions.get(action="approve").detail["approved_amount_fen"] == voucher.amount_fen
