"""公示 of approved awards: off by default, shown for exactly N working days, objections from anyone."""

import pytest
import time_machine
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.publicity.models import PublicityObjection
from yingdu.publicity.selectors import publicity_awards
from yingdu.publicity.services import (
    MSG_CONTACT_INVALID,
    MSG_CONTENT_INVALID,
    MSG_OBJECTION_THROTTLED,
)
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_staff, make_user, make_work
from yingdu.transparency.models import LogEntry

from .support import application_row, beijing, proposed_row, publicity_policy

pytestmark = pytest.mark.django_db

ENTERPRISE_NAME = "北京星河影业有限公司"
OBJECTION = {"contact": "13900139000", "content": "该作品并非在怀柔区制作，请核实制作地点。"}


@pytest.fixture
def enterprise():
    member = make_user(username="wangwu", email="wangwu@example.com", display_name="王五")
    return make_enterprise(member=member, verified_by=verified(make_staff(Role.REVIEWER)), name=ENTERPRISE_NAME)


@pytest.fixture
def award(enterprise):
    """Proposed (approved in 公示) on Wednesday 30 September 2026, the day before the National Day holiday (1–7
    October, with Saturday 10 October an adjusted working day), under a version with 5 working days of 公示."""
    version = publicity_policy(working_days=5)
    work = make_work(enterprise, title="星河迷途")
    return proposed_row(work, amount_fen=1_950_000, proposed_at=beijing(2026, 9, 30, 15), policy_version=version)


def _api_awards(client=None):
    return (client or Client()).get("/api/v1/publicity/awards")


# --- off by default ------------------------------------------------------------------------------------------------

@time_machine.travel(beijing(2026, 9, 30, 16), tick=False)
def test_publicity_is_off_by_default_page_api_and_link_absent(enterprise):
    work = make_work(enterprise, title="星河迷途")
    application_row(work, amount_fen=1_950_000, decided_at=beijing(2026, 9, 30, 15))
    assert Client().get("/publicity/").status_code == 404
    answer = _api_awards()
    assert answer.status_code == 404 and answer.json()["code"] == "publicity_off"
    objection = Client().post("/api/v1/publicity/awards/1/objections", OBJECTION, content_type="application/json")
    assert objection.status_code == 404 and objection.json()["code"] == "publicity_off"
    assert "获批项目公示" not in Client().get("/transparency/statistics/").content.decode()
    assert publicity_awards(today=beijing(2026, 9, 30).date()) == []


def test_an_award_under_a_version_without_publicity_is_not_shown(enterprise, award):
    other = application_row(make_work(enterprise, title="旧政策作品"), amount_fen=100,
                            decided_at=beijing(2026, 9, 30, 9))  # under the default version: no 公示
    shown = [a.application_id for a in publicity_awards(today=beijing(2026, 10, 8).date())]
    assert shown == [award.pk] and other.pk not in shown


# --- exactly N working days ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "shown"), [
    ((2026, 9, 29), False),   # before the proposal
    ((2026, 9, 30), True),    # the day of the proposal
    ((2026, 10, 5), True),    # holiday: not counted
    ((2026, 10, 10), True),   # adjusted working Saturday: day 3
    ((2026, 10, 13), True),   # Tuesday: the 5th working day, last day shown
    ((2026, 10, 14), False),  # gone
])
def test_award_is_shown_for_exactly_five_working_days_across_the_holiday(award, day, shown):
    awards = publicity_awards(today=beijing(*day).date())
    assert ([a.application_id for a in awards] == [award.pk]) is shown


def test_award_shows_only_enterprise_title_and_amount_and_its_end_date(award):
    [shown] = publicity_awards(today=beijing(2026, 10, 8).date())
    assert (shown.enterprise_name, shown.work_title, shown.amount_fen) == (ENTERPRISE_NAME, "星河迷途", 1_950_000)
    assert shown.publicity_ends_on == beijing(2026, 10, 13).date()


@time_machine.travel(beijing(2026, 10, 13, 20), tick=False)
def test_page_and_api_show_the_award_without_personal_data(award):
    page = Client().get("/publicity/")
    html = page.content.decode()
    assert page.status_code == 200 and ENTERPRISE_NAME in html and "星河迷途" in html and "19,500.00" in html
    answer = _api_awards()
    assert answer.status_code == 200
    body = answer.json()
    assert body["publicity_working_days"] == 5
    assert body["awards"] == [{"application_id": award.pk, "enterprise_name": ENTERPRISE_NAME,
                               "work_title": "星河迷途", "amount_fen": 1_950_000, "overseas": False,
                               "approved_on": "2026-09-30", "publicity_ends_on": "2026-10-13",
                               "policy_version": "publicity-2026-09"}]
    for text in (html, answer.content.decode()):
        for personal in ("wangwu", "王五", "李四", "13800138000", award.enterprise.uscc):
            assert personal not in text


@time_machine.travel(beijing(2026, 10, 14, 9), tick=False)
def test_after_the_period_the_award_is_gone_and_objections_are_refused(award):
    assert _api_awards().json()["awards"] == []
    answer = Client().post(f"/api/v1/publicity/awards/{award.pk}/objections", OBJECTION,
                           content_type="application/json")
    assert answer.status_code == 404 and answer.json()["code"] == "award_not_in_publicity"
    assert not PublicityObjection.objects.exists()


# --- objections ----------------------------------------------------------------------------------------------------

@time_machine.travel(beijing(2026, 10, 9, 10), tick=False)
def test_anyone_may_object_and_only_a_commitment_is_logged(award):
    before = LogEntry.objects.count()
    answer = Client().post(f"/api/v1/publicity/awards/{award.pk}/objections", OBJECTION,
                           content_type="application/json")
    assert answer.status_code == 201
    objection = PublicityObjection.objects.get(pk=answer.json()["id"])
    assert (objection.application_id, objection.contact, objection.content) == (
        award.pk, OBJECTION["contact"], OBJECTION["content"])
    [entry] = LogEntry.objects.filter(index__gte=before)
    assert entry.event_type == "publicity.objection_submitted"
    raw = bytes(entry.entry).decode()
    assert OBJECTION["contact"] not in raw and "怀柔区制作" not in raw and "objection_commitment" in raw
    # not shown publicly
    assert OBJECTION["contact"] not in Client().get("/publicity/").content.decode()
    assert OBJECTION["contact"] not in _api_awards().content.decode()


@time_machine.travel(beijing(2026, 10, 9, 10), tick=False)
def test_objection_through_the_page_form_and_errors_beside_the_field(award):
    client = Client()
    bad = client.post("/publicity/", {"application": award.pk, "contact": "13900139000", "content": "太短"})
    assert bad.status_code == 200 and str(MSG_CONTENT_INVALID) in bad.content.decode()
    assert not PublicityObjection.objects.exists()
    good = client.post("/publicity/", {"application": award.pk, **OBJECTION})
    assert good.status_code == 302 and PublicityObjection.objects.count() == 1
    unknown = client.post("/publicity/", {"application": 999999, **OBJECTION})
    assert unknown.status_code == 200 and PublicityObjection.objects.count() == 1


@time_machine.travel(beijing(2026, 10, 9, 10), tick=False)
@pytest.mark.parametrize(("body", "code", "message"), [
    ({"contact": "", "content": OBJECTION["content"]}, "objection_contact_invalid", MSG_CONTACT_INVALID),
    ({"contact": "   ", "content": OBJECTION["content"]}, "objection_contact_invalid", MSG_CONTACT_INVALID),
    ({"contact": "x" * 101, "content": OBJECTION["content"]}, "objection_contact_invalid", MSG_CONTACT_INVALID),
    ({"contact": "a\nb", "content": OBJECTION["content"]}, "objection_contact_invalid", MSG_CONTACT_INVALID),
    ({"contact": "13900139000", "content": "短"}, "objection_content_invalid", MSG_CONTENT_INVALID),
    ({"contact": "13900139000", "content": "长" * 2001}, "objection_content_invalid", MSG_CONTENT_INVALID),
])
def test_bad_objection_is_refused_with_a_code_and_changes_nothing(award, body, code, message):
    before = LogEntry.objects.count()
    answer = Client().post(f"/api/v1/publicity/awards/{award.pk}/objections", body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["code"] == code and answer.json()["message"] == str(message)
    assert not PublicityObjection.objects.exists() and LogEntry.objects.count() == before


@time_machine.travel(beijing(2026, 10, 9, 10), tick=False)
def test_malformed_objection_body_is_a_400_not_a_500(award):
    for body in ("not json", '{"contact": 1}', "[]"):
        answer = Client().post(f"/api/v1/publicity/awards/{award.pk}/objections", body,
                               content_type="application/json")
        assert answer.status_code == 400, body
    assert Client().post("/api/v1/publicity/awards/0/objections", OBJECTION,
                         content_type="application/json").status_code == 400


@time_machine.travel(beijing(2026, 10, 9, 10), tick=False)
def test_objections_are_throttled_per_client(award, settings):
    settings.PUBLICITY_OBJECTIONS_PER_HOUR = 2
    client = Client(REMOTE_ADDR="203.0.113.7")
    url = f"/api/v1/publicity/awards/{award.pk}/objections"
    assert [client.post(url, OBJECTION, content_type="application/json").status_code for _ in range(2)] == [201, 201]
    third = client.post(url, OBJECTION, content_type="application/json")
    assert third.status_code == 429 and third.json()["message"] == str(MSG_OBJECTION_THROTTLED)
    assert PublicityObjection.objects.count() == 2
    other = Client(REMOTE_ADDR="198.51.100.9").post(url, OBJECTION, content_type="application/json")
    assert other.status_code == 201


@time_machine.travel(beijing(2026, 10, 9, 10), tick=False)
def test_staff_see_objections_and_others_do_not(award, enterprise):
    Client().post(f"/api/v1/publicity/awards/{award.pk}/objections", OBJECTION, content_type="application/json")
    staff_page = client_for(verified(make_staff(Role.REVIEWER))).get("/publicity/objections/")
    assert staff_page.status_code == 200 and OBJECTION["contact"] in staff_page.content.decode()
    assert client_for(enterprise.registered_by).get("/publicity/objections/").status_code == 403
    assert Client().get("/publicity/objections/").status_code == 302  # to login


def test_the_policy_term_is_off_by_default_and_refuses_zero(db):
    from yingdu.actors import SYSTEM
    from yingdu.errors import DomainError
    from yingdu.policy.models import PolicyVersion
    from yingdu.policy.services import policy_version_create_draft

    assert PolicyVersion.objects.get(version_id="huairou-2026-04").publicity_working_days is None
    draft = policy_version_create_draft(version_id="draft-off", title="草稿", actor=SYSTEM, now=beijing(2026, 8, 1))
    assert draft.publicity_working_days is None
    with pytest.raises(DomainError) as refused:
        policy_version_create_draft(version_id="draft-zero", title="草稿", actor=SYSTEM, now=beijing(2026, 8, 1),
                                    terms={"publicity_working_days": 0})
    assert refused.value.code == "policy_term_invalid" and refused.value.field == "publicity_working_days"


@time_machine.travel(beijing(2026, 10, 9, 10), tick=False)
def test_the_staff_objection_list_filters_and_pages(award, enterprise, monkeypatch):
    monkeypatch.setattr("yingdu.keyset.PAGE_SIZE", 1)
    for contact in ("first@example.cn", "second@example.cn"):
        Client().post(f"/api/v1/publicity/awards/{award.pk}/objections", {**OBJECTION, "contact": contact},
                      content_type="application/json")
    client = client_for(verified(make_staff(Role.REVIEWER)))
    first = client.get("/publicity/objections/", {"enterprise": enterprise.uscc})
    assert [o.contact for o in first.context["objections"]] == ["second@example.cn"]
    after = first.context["listing"].keyset.next_after
    assert f"after={after}" in first.content.decode()
    last = client.get("/publicity/objections/", {"enterprise": enterprise.uscc, "after": after})
    assert [o.contact for o in last.context["objections"]] == ["first@example.cn"]
    assert last.context["listing"].keyset.next_after is None
    assert client.get("/publicity/objections/", {"enterprise": "没有这家"}).context["objections"] == []
    assert client.get("/publicity/objections/", {"submitted_to": "2026-10-08"}).context["objections"] == []
    assert len(client.get("/publicity/objections/", {"submitted_from": "2026-10-09"}).context["objections"]) == 1
    bad = client.get("/publicity/objections/", {"submitted_from": "10/09"})
    assert bad.status_code == 400 and "submitted_from" in bad.context["listing"].form.errors


def test_the_sla_term_is_off_by_default_shown_with_the_terms_and_set_by_an_admin(db):
    from django.utils import translation

    from yingdu.policy.models import PolicyVersion
    from yingdu.policy.services import policy_version_create_draft
    from yingdu.policy.terms import TERM_LABELS

    default = PolicyVersion.objects.get(version_id="huairou-2026-04")
    assert default.publicity_excluded_from_sla is False
    admin = verified(make_staff(Role.ADMIN))
    draft = policy_version_create_draft(version_id="draft-sla", title="草稿", actor=admin, now=beijing(2026, 8, 1))
    client = client_for(admin)
    answer = client.patch("/api/v1/policy/versions/draft-sla", {"terms": {"publicity_excluded_from_sla": "yes"}},
                          content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "policy_term_invalid"
    answer = client.patch("/api/v1/policy/versions/draft-sla",
                          {"terms": {"publicity_working_days": 5, "publicity_excluded_from_sla": True}},
                          content_type="application/json")
    assert answer.status_code == 200 and answer.json()["publicity_excluded_from_sla"] is True
    draft.refresh_from_db()
    assert draft.publicity_excluded_from_sla is True
    page = client.get("/policy/versions/draft-sla/").content.decode()
    assert "公示期是否计入审核时限" in page and "不计入（公示期间审核时限暂停）" in page
    edit = client.get("/policy/versions/draft-sla/edit/").content.decode()
    assert 'name="publicity_excluded_from_sla"' in edit and "公示期不计入审核时限" in edit
    assert Client().get("/api/v1/policy/versions/huairou-2026-04").json()["publicity_excluded_from_sla"] is False
    with translation.override("en"):
        assert str(TERM_LABELS["publicity_excluded_from_sla"]) == "Publicity period and the review deadline"
