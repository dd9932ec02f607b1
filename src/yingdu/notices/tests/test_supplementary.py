"""Records that come to count after a work's notice are told by a supplementary notice before the amount is
approved (issue 14, item 1): a quarantined record attributed later, a provider's late record."""

import json
from datetime import date, datetime
from fractions import Fraction
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse

from yingdu.accounts.models import Role
from yingdu.actors import SYSTEM
from yingdu.applications import services as applications
from yingdu.applications.tests.support import declare, draft, release
from yingdu.errors import DomainError
from yingdu.metering import services as metering
from yingdu.notices import services
from yingdu.notices.models import DataNotice, PendingNotice
from yingdu.policy.selectors import work_calendar
from yingdu.policy.services import calendar_year_provisional_derive
from yingdu.rules.money import round_fen
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import (
    calendar_from_year_cleared,
    make_enterprise,
    make_metering_provider,
    make_staff,
    make_user,
)
from yingdu.transparency.models import LogEntry

from .conftest import SHANGHAI, at, evidence
from .test_calendar_life import official_2027
from .test_counted_records import ingest

pytestmark = pytest.mark.django_db

MICROFEN_PER_FEN = 1_000_000


def code_of(call) -> str:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value.code


def last_entry(event_type: str) -> dict:
    return json.loads(bytes(LogEntry.objects.filter(event_type=event_type).order_by("-index").first().entry))


def fen(microfen: int) -> int:
    return round_fen(Fraction(microfen, MICROFEN_PER_FEN))


@pytest.fixture
def case():
    """An application under review whose data notice lists one record (125 card-hours at 8.00 yuan), and a
    quarantined record of the same enterprise (2.5 card-hours, a mistyped project tag) on no notice."""
    now = at("2026-09-21 10:00")
    reviewer, approver = verified(make_staff(Role.REVIEWER)), verified(make_staff(Role.APPROVER))
    member = make_user(email="finance@drama.example.cn")
    enterprise = make_enterprise(member=member, verified_by=reviewer)
    work = declare(enterprise, now=now)
    release(work, now=now)
    meter = make_metering_provider(price_fen=800)
    tagged, typo = ingest(meter, enterprise.uscc, [(work.project_tag, "125", "2026-03-01T09:00:00+08:00"),
                                                   ("typo-tag", "2.5", "2026-03-02T09:00:00+08:00")], now=now)
    member = verified(member)
    application = applications.application_submit(application=draft(work, now=now), actor=member, now=now)
    application = applications.application_accept(application=application, actor=reviewer, now=now)
    application = applications.application_start_review(application=application, actor=reviewer, now=now)
    first = DataNotice.objects.get(work=work)
    assert list(first.records.all()) == [tagged] and first.supplements is None
    return SimpleNamespace(reviewer=reviewer, approver=approver, member=member, enterprise=enterprise, work=work,
                           meter=meter, tagged=tagged, typo=typo, application=application, first=first)


def test_a_record_attributed_after_the_notice_is_told_by_a_supplementary_notice_before_approval(case):
    attributor = verified(make_staff(Role.REVIEWER))
    metering.usage_record_attach(record=case.typo, work=case.work, actor=attributor, reason="服务商确认标签填错",
                                 now=at("2026-09-22 10:00"))
    supplement = DataNotice.objects.get(work=case.work, supplements=case.first)
    assert list(supplement.records.all()) == [case.typo]
    assert (supplement.record_count, supplement.cost_microfen) == (1, 2_000 * MICROFEN_PER_FEN)
    # e-mailed to the enterprise's contact: delivered, with an objection window of its own
    assert supplement.delivered_at is not None and supplement.objection_deadline_on > date(2026, 9, 22)
    entry = last_entry("notices.issued")
    assert entry["supplements"] == case.first.pk and entry["record_count"] == 1

    # the enterprise objects to the supplementary notice's record; the notice before it is not what it objects to
    assert code_of(lambda: services.objection_file(
        notice=supplement, explanation="多计", evidence=[evidence()], claims=[(case.tagged.pk, "100")],
        actor=case.member, now=at("2026-09-23 10:00"))) == "claim_record_invalid"
    objection = services.objection_file(notice=supplement, explanation="该记录不是本作品的。", evidence=[evidence()],
                                        claims=[(case.typo.pk, "0")], actor=case.member, now=at("2026-09-23 10:00"))
    approve = lambda: applications.application_approve(  # noqa: E731
        application=case.application, actor=case.approver, now=at("2026-09-25 10:00"))
    assert code_of(approve) == "objection_pending"
    services.objection_decide(objection=objection, decision="reject", reason="服务商作业日志证实属于本作品",
                              actor=case.reviewer, now=at("2026-09-24 10:00"))
    approved = approve()
    assert approved.status == "approved"
    # what the enterprise was told, both notices together, is the base the subsidy pays for, to the fen
    assert fen(case.first.cost_microfen + supplement.cost_microfen) == approved.verified_cost_fen == 102_000


# pages and the API act at the request's time: the days of the case, not the real date
@time_machine.travel(datetime(2026, 9, 23, 10, tzinfo=SHANGHAI), tick=False)
def test_a_late_record_blocks_approval_until_staff_issue_the_supplementary_notice_from_the_application_page(case):
    # the provider pushes a record of March after the notice was issued
    [late] = ingest(case.meter, case.enterprise.uscc, [(case.work.project_tag, "10", "2026-03-05T09:00:00+08:00")],
                    now=at("2026-09-22 09:00"))
    approve = lambda: applications.application_approve(  # noqa: E731
        application=case.application, actor=case.approver, now=at("2026-09-25 10:00"))
    with pytest.raises(DomainError) as refused:
        approve()
    assert refused.value.code == "notice_incomplete" and refused.value.detail == {"unnoticed_records": 1}
    assert str(applications.MSG_NOTICE_INCOMPLETE).format(count=1) == refused.value.message

    page = reverse("applications:detail", args=[case.application.pk])
    staff = client_for(case.reviewer)
    html = staff.get(page).content.decode()
    assert 'data-testid="notice-gap"' in html and "出具补充告知书" in html
    # the member sees what was told and what is outstanding, but cannot issue notices
    member = client_for(case.member)
    assert "出具补充告知书" not in member.get(page).content.decode()
    assert member.post(reverse("notices:supplement", args=[case.work.pk]), {"next": page}).status_code == 403
    assert not DataNotice.objects.filter(supplements__isnull=False).exists()

    response = staff.post(reverse("notices:supplement", args=[case.work.pk]), {"next": page})
    supplement = DataNotice.objects.get(supplements=case.first)
    assert response.status_code == 302 and response["Location"] == reverse("notices:detail", args=[supplement.pk])
    assert list(supplement.records.all()) == [late]
    detail = staff.get(response["Location"]).content.decode()
    assert "用量数据补充告知书" in detail and 'data-testid="supplements"' in detail
    assert "告知后才能批准" not in staff.get(page).content.decode()
    # asking again finds nothing more to tell
    again = staff.post(reverse("notices:supplement", args=[case.work.pk]), {"next": page}, follow=True)
    assert str(services.MSG_NOTHING_TO_SUPPLEMENT) in again.content.decode()
    assert DataNotice.objects.filter(supplements=case.first).count() == 1
    # a "next" to another site is not followed
    away = staff.post(reverse("notices:supplement", args=[case.work.pk]), {"next": "https://evil.example/x"})
    assert away.status_code == 302 and away["Location"] == reverse("notices:list")
    assert approve().status == "approved"


@time_machine.travel(datetime(2026, 9, 23, 10, tzinfo=SHANGHAI), tick=False)
def test_the_supplement_api_issues_refuses_and_hides_other_enterprises_works(case):
    url = f"/api/v1/works/{case.work.pk}/notices/supplement"
    staff = client_for(case.reviewer)
    nothing = staff.post(url)
    assert nothing.status_code == 409 and nothing.json()["code"] == "notice_nothing_to_supplement"
    metering.usage_record_attach(record=case.typo, work=case.work, actor=verified(make_staff(Role.REVIEWER)),
                                 reason="标签笔误", now=at("2026-09-22 10:00"))
    # the attribution issued it already; the API shows it on the notices list
    listed = staff.get(f"/api/v1/notices?work_id={case.work.pk}").json()
    assert sorted((n["supplements_id"], n["record_count"]) for n in listed if n["supplements_id"]) == [
        (case.first.pk, 1)]
    assert staff.post(url).json()["code"] == "notice_nothing_to_supplement"
    [late] = ingest(case.meter, case.enterprise.uscc, [(case.work.project_tag, "1", "2026-03-06T09:00:00+08:00")],
                    now=at("2026-09-22 11:00"))
    member = client_for(case.member)
    refused = member.post(url)
    assert refused.status_code == 403 and refused.json()["code"] == "role_not_allowed"
    outsider = client_for(make_user())
    assert outsider.post(url).status_code in (401, 403, 404)
    issued = staff.post(url)
    assert issued.status_code == 201
    body = issued.json()
    assert body["supplements_id"] == case.first.pk and [r["id"] for r in body["records"]] == [late.pk]


def test_a_supplement_due_across_an_unpublished_year_is_owed_then_issued_as_a_supplement(case):
    calendar_from_year_cleared(2027)
    calendar_year_provisional_derive(year=2027, now=at("2026-11-01 09:00"))
    assert 2027 not in work_calendar().published_years
    metering.usage_record_attach(record=case.typo, work=case.work, actor=verified(make_staff(Role.REVIEWER)),
                                 reason="标签笔误", now=at("2026-12-28 10:00"))
    owed = PendingNotice.objects.get(work=case.work)
    assert owed.supplements == case.first and owed.notice is None
    assert last_entry("notices.deferred")["supplements"] == case.first.pk
    assert code_of(lambda: applications.application_approve(
        application=case.application, actor=case.approver, now=at("2026-12-29 10:00"))) == "notice_incomplete"
    # publishing the official year issues what was owed, as the supplement it was owed as
    official_2027(verified(make_staff(Role.ADMIN)), at("2026-12-30 09:00"))
    owed.refresh_from_db()
    issued = owed.notice
    assert issued is not None and issued.supplements == case.first and list(issued.records.all()) == [case.typo]
    assert services.data_notice_supplement(work=case.work, actor=SYSTEM, now=at("2026-12-30 11:00")) is None
