"""The policy, calendar and workdays API, and the same answers from the API, the estimator page and the CLI."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.policy.models import CalendarYearVersion, PolicyStatus, PolicyVersion
from yingdu.policy.terms import version_terms
from yingdu.testing.clients import client_for
from yingdu.testing.factories import make_enterprise, make_staff

from .support import CALENDAR_2027_CSV, log_entries_from, log_size, tomorrow

pytestmark = pytest.mark.django_db


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def patch_json(client, url, body):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def test_current_policy_is_public_with_every_term():
    body = Client().get("/api/v1/policy/current").json()
    assert body["version_id"] == "huairou-2026-04" and body["effective_from"] == "2026-04-01"
    assert body["regular_rate"] == "0.3" and body["regular_cap_fen"] == 2_000_000
    assert body["overseas_reading"] == "A" and body["overseas_cap_fen"] == 2_600_000
    assert body["spot_check_sample_rate"] == "0.1" and body["annual_budget_fen"] is None
    assert body["materials_checklist"][0] == {"code": "business_licence",
                                              "label": "营业执照（企业注册时上传，已核验怀柔区注册地）"}
    missing = Client().get("/api/v1/policy/current", {"on": "2026-03-31"})
    assert missing.status_code == 404 and missing.json()["code"] == "policy_not_in_force"


def test_quote_answers_with_amount_capped_policy_explanation_and_detail():
    body = post_json(Client(), "/api/v1/policy/quote", {"cost": "50000.00", "overseas": True}).json()
    assert body["amount"] == "19500.00" and body["capped"] is False and body["policy"] == "huairou-2026-04"
    assert body["detail"]["rate_applied"] == "0.39" and body["detail"]["amount_fen"] == 1_950_000


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"cost": "-1"}, 400, "money_negative"),
    ({"cost": "1.001"}, 400, "money_too_many_decimals"),
    ({"cost": "十万"}, 400, "money_not_a_number"),
    ({"cost": "50000", "prior_works": 5}, 409, "annual_limit_reached"),
    ({"cost": "50000", "prior_works": -1}, 400, "prior_works_invalid"),
    ({"cost": "50000", "on": "2020-01-01"}, 404, "policy_not_in_force"),
    ({"cost": 50000.5}, 400, "invalid_request"),
    ({}, 400, "invalid_request"),
])
def test_bad_quote_input_gets_a_stable_code_and_a_chinese_message(body, status, code):
    start = log_size()
    response = post_json(Client(), "/api/v1/policy/quote", body)
    assert response.status_code == status
    error = response.json()
    assert error["code"] == code and error["message"] and not error["message"].isascii()
    assert log_size() == start


@pytest.mark.parametrize(("cost", "overseas"), [
    ("50000", False), ("50000", True), ("66666.67", False), ("66,666.63", True), ("0.02", False), ("120000", True),
])
def test_the_cli_the_estimator_page_and_the_api_give_the_same_answer(cost, overseas):
    out = StringIO()
    call_command("quote", "--cost", cost, *(["--overseas"] if overseas else []), "--json", stdout=out)
    from_cli = json.loads(out.getvalue())
    from_api = post_json(Client(), "/api/v1/policy/quote", {"cost": cost, "overseas": overseas}).json()
    page = Client().get("/policy/estimate/", {"cost": cost, **({"overseas": "on"} if overseas else {})})
    from_page = page.context["result"]
    assert {key: from_api[key] for key in from_cli} == from_cli
    assert (from_page.amount.format_yuan(), from_page.capped, from_page.policy_version, from_page.explanation) == (
        from_cli["amount"], from_cli["capped"], from_cli["policy"], from_cli["explanation"])
    assert from_page.explanation in page.content.decode()


def test_bad_cost_gets_the_same_code_from_the_cli_the_page_and_the_api():
    for cost in ("-5", "1.234", "abc"):
        out = StringIO()
        with pytest.raises(CommandError):
            call_command("quote", "--cost", cost, "--json", stdout=out, stderr=StringIO())
        from_cli = json.loads(out.getvalue())
        from_api = post_json(Client(), "/api/v1/policy/quote", {"cost": cost}).json()
        page = Client().get("/policy/estimate/", {"cost": cost})
        assert from_cli == {"refused": from_api["code"], "message": from_api["message"]}
        assert page.context["form"].errors["cost"] == [from_api["message"]]


def test_versions_list_published_versions_to_the_public_and_drafts_to_admins(draft):
    public = [item["version_id"] for item in Client().get("/api/v1/policy/versions").json()]
    assert public == ["huairou-2026-04"]
    admin_view = client_for(make_staff(Role.ADMIN)).get("/api/v1/policy/versions").json()
    assert {item["version_id"] for item in admin_view} == {"huairou-2026-04", draft.version_id}
    assert Client().get(f"/api/v1/policy/versions/{draft.version_id}").json()["code"] == "policy_version_not_found"


def test_an_admin_drafts_diffs_and_publishes_through_the_api():
    client = client_for(make_staff(Role.ADMIN))
    created = post_json(client, "/api/v1/policy/drafts",
                        {"version_id": "huairou-2027-01", "title": "2027 年修订", "terms": {"regular_rate": "0.35"}})
    assert created.status_code == 201 and created.json()["status"] == "draft"
    updated = patch_json(client, "/api/v1/policy/versions/huairou-2027-01",
                         {"terms": {"annual_work_limit": 6}, "change_note": "每年支持 6 部"})
    assert updated.status_code == 200 and updated.json()["annual_work_limit"] == 6
    diff = client.get("/api/v1/policy/versions/huairou-2027-01/diff").json()
    assert diff["base_version_id"] == "huairou-2026-04"
    assert {change["field"] for change in diff["changes"]} == {"title", "regular_rate", "annual_work_limit"}
    start = log_size()
    published = post_json(client, "/api/v1/policy/versions/huairou-2027-01/publish",
                          {"effective_from": tomorrow().isoformat()})
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert [event_type for event_type, _event in log_entries_from(start)] == ["policy.version_published"]
    on_date = post_json(Client(), "/api/v1/policy/quote", {"cost": "10000", "on": tomorrow().isoformat()}).json()
    assert on_date["amount"] == "3500.00" and on_date["policy"] == "huairou-2027-01"


def test_the_api_refuses_to_edit_a_published_version():
    client = client_for(make_staff(Role.ADMIN))
    version = PolicyVersion.objects.get(version_id="huairou-2026-04")
    before = (version_terms(version), log_size())
    response = patch_json(client, "/api/v1/policy/versions/huairou-2026-04", {"terms": {"regular_rate": "0.9"}})
    assert response.status_code == 409 and response.json()["code"] == "policy_version_published"
    response = post_json(client, "/api/v1/policy/versions/huairou-2026-04/publish",
                         {"effective_from": tomorrow().isoformat()})
    assert response.status_code == 409 and response.json()["code"] == "policy_version_published"
    version.refresh_from_db()
    assert (version_terms(version), log_size()) == before


def test_a_bad_term_through_the_api_names_its_field():
    client = client_for(make_staff(Role.ADMIN))
    response = post_json(client, "/api/v1/policy/drafts",
                         {"version_id": "huairou-2027-01", "title": "x", "terms": {"regular_rate": 0.35}})
    assert response.status_code == 400
    assert response.json()["code"] == "policy_term_invalid" and response.json()["detail"]["field"] == "regular_rate"
    assert not PolicyVersion.objects.filter(version_id="huairou-2027-01").exists()


def test_no_one_but_an_admin_writes_through_the_api(draft):
    outsiders = {
        "reviewer": (client_for(make_staff(Role.REVIEWER)), 403),
        "enterprise member": (client_for(make_enterprise().registered_by), 403),
        "admin without two-factor": (client_for(make_staff(Role.ADMIN), two_factor=False), 403),
        "anonymous": (Client(), 401),
    }
    calls = [
        (post_json, "/api/v1/policy/drafts", {"version_id": "x-2027", "title": "x"}),
        (patch_json, f"/api/v1/policy/versions/{draft.version_id}", {"terms": {"regular_rate": "0.9"}}),
        (post_json, f"/api/v1/policy/versions/{draft.version_id}/publish", {"effective_from": tomorrow().isoformat()}),
        (post_json, "/api/v1/calendar/preview", {"content": CALENDAR_2027_CSV}),
        (post_json, "/api/v1/calendar/publish", {"content": CALENDAR_2027_CSV, "source": "x"}),
    ]
    start = log_size()
    for who, (client, status) in outsiders.items():
        for send, url, body in calls:
            response = send(client, url, body)
            # a draft is not even visible to a non-admin, so changing it is "not found"
            expected = {status, 404} if "/versions/" in url and status == 403 else {status}
            assert response.status_code in expected, (who, url, response.status_code)
            assert response.json()["code"] in {"role_not_allowed", "not_authenticated", "policy_version_not_found"}
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT and log_size() == start
    assert not CalendarYearVersion.objects.filter(year=2027).exists()


def test_calendar_and_workdays_endpoints():
    client = Client()
    year = client.get("/api/v1/calendar/2026").json()
    assert year["version"] == 1 and {"date": "2026-10-10", "kind": "workday", "name": "国庆节",
                                     "source": year["special_days"][0]["source"]} in year["special_days"]
    assert [item["year"] for item in client.get("/api/v1/calendar").json()][-1] == 2026
    missing = client.get("/api/v1/calendar/2027")
    assert missing.status_code == 404 and missing.json()["code"] == "calendar_year_missing"
    assert client.get("/api/v1/workdays/add", {"start": "2026-02-10", "n": 30}).json()["result"] == "2026-03-30"
    between = client.get("/api/v1/workdays/between", {"start": "2026-09-24", "end": "2026-10-09"}).json()
    assert between["working_days"] == 5
    assert client.get("/api/v1/workdays/is", {"day": "2026-10-10"}).json()["kind"] == "workday"
    unknown = client.get("/api/v1/workdays/add", {"start": "2026-12-20", "n": 30})
    assert unknown.status_code == 400 and unknown.json()["code"] == "calendar_year_missing"
    assert unknown.json()["detail"]["year"] == 2027


def test_an_admin_previews_and_publishes_a_calendar_year_through_the_api():
    client = client_for(make_staff(Role.ADMIN))
    start = log_size()
    preview = post_json(client, "/api/v1/calendar/preview", {"content": CALENDAR_2027_CSV}).json()
    assert preview["year"] == 2027 and preview["base_version"] == 0 and len(preview["added"]) == 3
    assert log_size() == start
    published = post_json(client, "/api/v1/calendar/publish",
                          {"content": CALENDAR_2027_CSV, "source": "https://www.gov.cn/2027", "based_on_version": 0})
    assert published.status_code == 201 and published.json()["version"] == 1
    assert [event_type for event_type, _event in log_entries_from(start)] == ["calendar.year_published"]
    assert Client().get("/api/v1/workdays/is", {"day": "2027-01-01"}).json()["kind"] == "holiday"
    bad = post_json(client, "/api/v1/calendar/preview",
                    {"content": "date,kind,name,source_url\n2028-01-03,workday,x,y\n"})
    assert bad.status_code == 400 and bad.json()["code"] == "schedule_file_invalid"
    assert bad.json()["detail"]["problems"][0]["code"] == "schedule_workday_not_weekend"
