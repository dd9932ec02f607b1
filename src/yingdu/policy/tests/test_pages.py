"""The estimator, the public policy page, and the admin pages for drafts and calendar imports."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.policy.models import CalendarYearVersion, PolicyStatus, PolicyVersion
from yingdu.policy.terms import version_terms
from yingdu.rules.money import MSG_MONEY_NEGATIVE, MSG_MONEY_NOT_A_NUMBER, MSG_MONEY_TOO_MANY_DECIMALS
from yingdu.testing.clients import client_for
from yingdu.testing.factories import make_enterprise, make_staff

from .support import CALENDAR_2027_CSV, log_entries_from, log_size, tomorrow

pytestmark = pytest.mark.django_db


def _edit_data(edit_page, **changes) -> dict:
    """The edit form's current values (as the browser would post them) with some changed."""
    initial = {name: ("" if value is None else value) for name, value in edit_page.context["form"].initial.items()}
    return {**initial, **changes}


@pytest.fixture
def admin_client():
    return client_for(make_staff(Role.ADMIN))


def test_the_estimator_shows_the_amount_and_explanation_on_the_version_in_force():
    response = Client().get("/policy/estimate/", {"cost": "50,000.00", "overseas": "on"})
    body = response.content.decode()
    assert response.status_code == 200
    assert '<strong data-testid="quote-amount">19,500.00</strong>' in body
    assert "按口径 A（补贴额再上浮 30%）" in body and "huairou-2026-04" in body


def test_the_estimator_form_is_blank_before_any_input():
    body = Client().get("/policy/estimate/").content.decode()
    assert "核定算力成本" in body and "quote-amount" not in body and 'class="error"' not in body


@pytest.mark.parametrize(("cost", "message"), [
    ("-100", MSG_MONEY_NEGATIVE), ("100.123", MSG_MONEY_TOO_MANY_DECIMALS), ("一万", MSG_MONEY_NOT_A_NUMBER),
])
def test_bad_cost_is_shown_beside_the_field_in_chinese(cost, message):
    start = log_size()
    body = Client().get("/policy/estimate/", {"cost": cost}).content.decode()
    assert f'<p class="error" role="alert">{message}</p>' in body
    assert "quote-amount" not in body and log_size() == start


def test_the_public_policy_page_shows_the_version_in_force_checklist_and_history():
    body = Client().get("/policy/").content.decode()
    assert "huairou-2026-04" in body and "现行" in body
    assert "20,000.00 元" in body and "26,000.00 元" in body and "30%" in body
    assert "作品上线页面截图" in body
    assert 'href="/policy/calendar/2026/"' in body


def test_the_public_sees_a_calendar_year_but_not_a_draft(draft):
    assert "国庆节" in Client().get("/policy/calendar/2026/").content.decode()
    assert Client().get("/policy/calendar/2099/").status_code == 404
    assert Client().get(f"/policy/versions/{draft.version_id}/").status_code == 404
    assert Client().get("/policy/versions/huairou-2026-04/").status_code == 200


def test_navigation_offers_the_policy_to_everyone_and_its_management_to_admins(admin_client):
    assert 'href="/policy/"' in Client().get("/").content.decode()
    assert 'href="/policy/manage/"' not in Client().get("/").content.decode()
    assert 'href="/policy/manage/"' in admin_client.get("/").content.decode()


def test_the_home_page_takes_its_numbers_from_the_version_in_force(draft, admin):
    from yingdu.policy import services

    services.policy_version_update_draft(version=draft, changes={"regular_rate": "0.35"}, actor=admin,
                                         now=timezone.now())
    assert "作品实际制作算力费用的 30%" in Client().get("/").content.decode()


def test_an_admin_creates_edits_diffs_and_publishes_a_draft(admin_client):
    response = admin_client.post("/policy/manage/drafts/", {"version_id": "huairou-2027-01", "title": "2027 年修订"})
    assert response.status_code == 302 and response["Location"] == "/policy/versions/huairou-2027-01/edit/"
    form = admin_client.get("/policy/versions/huairou-2027-01/edit/")
    assert form.status_code == 200 and 'value="20000.00"' in form.content.decode()
    data = _edit_data(form, regular_rate="0.35", regular_cap="25,000", overseas_cap="32500",
                      eligible_service_categories=["compute", "model_service"])
    response = admin_client.post("/policy/versions/huairou-2027-01/edit/", data)
    assert response.status_code == 302
    version = PolicyVersion.objects.get(version_id="huairou-2027-01")
    assert version.regular_cap_fen == 2_500_000 and version.eligible_service_categories == ["compute", "model_service"]

    detail = admin_client.get("/policy/versions/huairou-2027-01/").content.decode()
    assert 'data-field="regular_rate"' in detail and "35%" in detail and 'data-field="annual_work_limit"' not in detail

    start = log_size()
    response = admin_client.post("/policy/versions/huairou-2027-01/publish/",
                                 {"effective_from": tomorrow().isoformat()})
    assert response.status_code == 302
    assert [event_type for event_type, _event in log_entries_from(start)] == ["policy.version_published"]
    version.refresh_from_db()
    assert version.status == PolicyStatus.PUBLISHED and version.effective_from == tomorrow()


def test_a_bad_term_on_the_edit_page_is_shown_beside_its_field(admin_client, draft):
    form = admin_client.get(f"/policy/versions/{draft.version_id}/edit/")
    start = log_size()
    data = _edit_data(form, regular_rate="0.12345", eligible_service_categories=["compute"])
    response = admin_client.post(f"/policy/versions/{draft.version_id}/edit/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["regular_rate"] == [
        "常规补贴比例应为 0 到 1 之间的小数（如 0.30 表示 30%），最多四位小数。"]
    assert log_size() == start


def test_a_past_effective_date_is_refused_on_the_page(admin_client, draft):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = admin_client.post(f"/policy/versions/{draft.version_id}/publish/",
                                 {"effective_from": yesterday.isoformat()})
    assert response.status_code == 400 and "生效日期不能早于今天" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT


def test_the_page_refuses_to_edit_a_published_version(admin_client):
    version = PolicyVersion.objects.get(version_id="huairou-2026-04")
    before = (version_terms(version), log_size())
    page = admin_client.get("/policy/versions/huairou-2026-04/edit/")
    assert page.status_code == 409 and 'data-code="policy_version_published"' in page.content.decode()
    response = admin_client.post("/policy/versions/huairou-2026-04/edit/", {"title": "改", "regular_rate": "0.9"})
    assert response.status_code == 409 and "已发布，不能修改" in response.content.decode()
    response = admin_client.post("/policy/versions/huairou-2026-04/publish/",
                                 {"effective_from": tomorrow().isoformat()})
    assert response.status_code == 409
    version.refresh_from_db()
    assert (version_terms(version), log_size()) == before


def _admin_pages(draft):
    return [
        ("get", "/policy/manage/", {}),
        ("post", "/policy/manage/drafts/", {"version_id": "x-2027", "title": "x"}),
        ("get", f"/policy/versions/{draft.version_id}/edit/", {}),
        ("post", f"/policy/versions/{draft.version_id}/edit/", {"title": "x"}),
        ("post", f"/policy/versions/{draft.version_id}/publish/", {"effective_from": tomorrow().isoformat()}),
        ("get", "/policy/calendar/import/", {}),
        ("post", "/policy/calendar/publish/", {"content": CALENDAR_2027_CSV, "fmt": "csv", "based_on_version": "0",
                                               "source": "x"}),
    ]


def test_no_one_but_an_admin_reaches_the_admin_pages(draft):
    outsiders = {
        "reviewer": (client_for(make_staff(Role.REVIEWER)), 403),
        "enterprise member": (client_for(make_enterprise().registered_by), 403),
        "admin without two-factor": (client_for(make_staff(Role.ADMIN), two_factor=False), 302),
        "anonymous": (Client(), 302),
    }
    start = log_size()
    for who, (client, status) in outsiders.items():
        for method, url, data in _admin_pages(draft):
            response = getattr(client, method)(url, data)
            assert response.status_code == status, (who, url, response.status_code)
            if status == 302:
                assert response["Location"].startswith(("/accounts/login/", "/accounts/2fa/")), (who, url)
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT and log_size() == start
    assert not PolicyVersion.objects.filter(version_id="x-2027").exists()
    assert not CalendarYearVersion.objects.filter(year=2027).exists()


def test_an_admin_uploads_a_calendar_previews_the_diff_and_publishes(admin_client):
    start = log_size()
    upload = SimpleUploadedFile("2027.csv", CALENDAR_2027_CSV.encode(), content_type="text/csv")
    preview = admin_client.post("/policy/calendar/import/", {"schedule": upload, "source": "https://www.gov.cn/2027"})
    body = preview.content.decode()
    assert preview.status_code == 200 and "2027 年：3 个放假或调休上班日" in body and "新增" in body
    assert log_size() == start and not CalendarYearVersion.objects.filter(year=2027).exists()

    publish_form = preview.context["publish_form"]
    response = admin_client.post("/policy/calendar/publish/", {
        name: publish_form.initial[name] for name in ("content", "fmt", "based_on_version", "source")})
    assert response.status_code == 302 and response["Location"] == "/policy/calendar/2027/"
    assert [event_type for event_type, _event in log_entries_from(start)] == ["calendar.year_published"]
    assert CalendarYearVersion.objects.get(year=2027).source == "https://www.gov.cn/2027"

    again = SimpleUploadedFile("2027.csv", CALENDAR_2027_CSV.encode(), content_type="text/csv")
    body = admin_client.post("/policy/calendar/import/", {"schedule": again, "source": "https://www.gov.cn/2027"})
    assert "完全相同，无需发布" in body.content.decode()
    assert "/policy/calendar/publish/" not in body.content.decode()


def test_a_bad_calendar_file_lists_its_problems_and_writes_nothing(admin_client):
    start = log_size()
    upload = SimpleUploadedFile(
        "2027.csv", b"date,kind,name,source_url\n2027-01-04,workday,x,y\n2027-13-01,holiday,z,y\n")
    response = admin_client.post("/policy/calendar/import/", {"schedule": upload})
    body = response.content.decode()
    assert "本来就是工作日" in body and "日期“2027-13-01”无效" in body and "2 处问题" in body
    assert log_size() == start
