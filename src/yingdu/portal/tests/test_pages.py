import re

import pytest
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for
from yingdu.testing.factories import make_enterprise, make_staff

pytestmark = pytest.mark.django_db

EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")


def test_home_page_is_chinese():
    response = Client().get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in body
    assert "影都算力券服务平台" in body and "企业注册" in body


def test_healthz_reports_the_database():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_unknown_page_is_a_friendly_chinese_404(settings):
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_forbidden_page_is_a_friendly_chinese_403():
    member = make_enterprise().registered_by
    response = client_for(member).get("/enterprises/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def _pages_for_everyone():
    enterprise = make_enterprise()
    staff = client_for(make_staff(Role.ADMIN))
    member = client_for(enterprise.registered_by)
    return [
        (Client(), "/"), (Client(), "/accounts/login/"), (Client(), "/enterprises/register/"),
        (Client(), "/api/v1/docs"), (member, "/dashboard/"), (member, f"/enterprises/{enterprise.pk}/"),
        (staff, "/enterprises/"), (staff, f"/enterprises/{enterprise.pk}/"), (staff, "/dashboard/"),
    ]


def test_no_page_loads_anything_from_another_host():
    for client, url in _pages_for_everyone():
        response = client.get(url)
        assert response.status_code == 200, url
        assert not EXTERNAL.search(response.content.decode()), url


def test_every_referenced_static_asset_is_served_locally():
    client = Client()
    body = client.get("/").content.decode() + client.get("/api/v1/docs").content.decode()
    assets = set(re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", body))
    assert any(a.endswith("app.css") for a in assets) and any("swagger" in a for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_openapi_document_lists_the_enterprise_routes():
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/enterprises/{enterprise_id}" in schema["paths"]
    assert "/api/v1/me" in schema["paths"]


def test_api_validation_errors_have_the_stable_error_shape():
    enterprise = make_enterprise()
    client = client_for(enterprise.registered_by)
    response = client.post(f"/api/v1/enterprises/{enterprise.pk}/resubmit", data="not json",
                           content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "detail"} and body["code"] == "invalid_request"


def test_api_domain_errors_carry_code_message_and_field():
    enterprise = make_enterprise()
    client = client_for(make_staff(Role.REVIEWER))
    response = client.post(f"/api/v1/enterprises/{enterprise.pk}/verify", data={"huairou_confirmed": False},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "huairou_not_confirmed", "message": "请先核实该企业在怀柔区注册，再核验通过",
                               "detail": {"field": "huairou_confirmed"}}
    response = client.post(f"/api/v1/enterprises/{enterprise.pk}/verify", data={"huairou_confirmed": True},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "verified"
    again = client.post(f"/api/v1/enterprises/{enterprise.pk}/verify", data={"huairou_confirmed": True},
                        content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


def test_public_uscc_check_names_the_problem():
    body = Client().get("/api/v1/enterprises/uscc/9111000060003734IL").json()
    assert body["valid"] is False and body["code"] == "uscc_character" and "第17位" in body["message"]
    assert Client().get("/api/v1/enterprises/uscc/91110000600037341l").json() == {
        "valid": True, "normalized": "91110000600037341L", "code": None, "message": None}


def test_chinese_is_the_default_even_for_an_english_browser():
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "企业注册" in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


def test_the_language_switch_turns_the_shell_to_english_and_back():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get("/").content.decode()
    assert '<html lang="en">' in body and "Register an enterprise" in body and "Log in" in body
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "企业注册" in client.get("/").content.decode()


def test_headline_policy_numbers_come_from_policy_data():
    from yingdu.rules.default_policy import HUAIROU_2026_DEFAULT
    body = Client().get("/").content.decode()
    assert f"每家企业每年最多支持 {HUAIROU_2026_DEFAULT['annual_work_limit']} 部作品" in body
    assert "20,000.00" in body and "26,000.00" in body
