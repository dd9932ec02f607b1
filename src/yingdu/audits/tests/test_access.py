"""Who may see and act on spot-check cases, from outside: pages and API."""

from datetime import date

import pytest
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.actors import SYSTEM
from yingdu.audits import draws, services
from yingdu.audits.models import CaseFinding, CaseStatus, SpotCheckCase
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_provider_operator, make_staff
from yingdu.vouchers.models import Revocation

from .conftest import AFTER_Q3, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(q3_works):
    draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=AFTER_Q3)
    return SpotCheckCase.objects.select_related("enterprise").order_by("rank").first()


@pytest.fixture
def other_member(db):
    return make_enterprise(verified_by=verified(make_staff(Role.REVIEWER))).registered_by


def test_an_enterprise_sees_its_own_cases_and_not_anothers(case, other_member):
    own = client_for(case.enterprise.registered_by)
    assert own.get(f"/audits/cases/{case.pk}/").status_code == 200
    assert f"/audits/cases/{case.pk}/" in own.get("/audits/").content.decode()
    assert own.get(f"/api/v1/audits/cases/{case.pk}").status_code == 200

    other = client_for(other_member)
    assert other.get(f"/audits/cases/{case.pk}/").status_code == 404
    assert other.get(f"/api/v1/audits/cases/{case.pk}").status_code == 404
    assert other.get("/api/v1/audits/cases").json() == []
    assert other.post(f"/audits/cases/{case.pk}/response", {"text": "x"}).status_code == 404


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.APPROVER, Role.FINANCE])
def test_other_staff_roles_are_refused(case, role):
    client = client_for(make_staff(role))
    assert client.get("/audits/").status_code == 403
    assert client.get(f"/audits/cases/{case.pk}/").status_code == 403
    assert client.post(f"/audits/cases/{case.pk}/finding", {"outcome": "fraud", "summary": "x"}).status_code == 403
    assert client.get("/api/v1/audits/cases").status_code == 403
    assert client.get(f"/api/v1/audits/cases/{case.pk}").status_code == 404
    response = client.post(f"/api/v1/audits/cases/{case.pk}/findings",
                           {"outcome": "fraud", "summary": "x"}, content_type="application/json")
    assert response.status_code == 404
    assert not CaseFinding.objects.exists()


def test_anonymous_users_and_providers_are_refused(case):
    assert Client().get("/audits/").status_code == 302
    assert Client().get("/api/v1/audits/cases").status_code == 401
    provider = client_for(make_provider_operator())
    assert provider.get("/audits/").status_code == 403
    assert provider.get("/api/v1/audits/cases").status_code == 403


def test_an_auditor_without_two_factor_is_sent_to_the_second_factor(case):
    client = client_for(make_staff(Role.AUDITOR), two_factor=False)
    assert client.get("/audits/").url.startswith("/accounts/")
    assert client.get("/api/v1/audits/cases").status_code == 403


def test_the_enterprise_cannot_record_or_confirm_findings(case):
    member = client_for(case.enterprise.registered_by)
    assert member.post(f"/audits/cases/{case.pk}/finding",
                       {"outcome": "compliant", "summary": "自评合规"}).status_code == 403
    response = member.post(f"/api/v1/audits/cases/{case.pk}/findings", {"outcome": "compliant", "summary": "x"},
                           content_type="application/json")
    assert response.status_code == 403
    assert not CaseFinding.objects.exists()


def test_fraud_through_the_pages_needs_a_second_auditor(case):
    first, second = make_staff(Role.AUDITOR), make_staff(Role.AUDITOR)
    recorder = client_for(first)
    response = recorder.post(f"/audits/cases/{case.pk}/finding", {"outcome": "fraud", "summary": "用量造假"})
    assert response.status_code == 302
    assert "记录人不能复核" in recorder.get(f"/audits/cases/{case.pk}/").content.decode()
    refused = recorder.post(f"/audits/cases/{case.pk}/review", {"decision": "confirm", "reason": "同意"})
    assert refused.status_code == 400 and not Revocation.objects.exists()

    confirmed = client_for(second).post(f"/audits/cases/{case.pk}/review", {"decision": "confirm", "reason": "同意"})
    assert confirmed.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED_FRAUD and Revocation.objects.exists()


def test_the_api_refuses_a_self_confirmation(case):
    first = make_staff(Role.AUDITOR)
    recorded = client_for(first).post(f"/api/v1/audits/cases/{case.pk}/findings",
                                      {"outcome": "fraud", "summary": "用量造假"}, content_type="application/json")
    assert recorded.status_code == 201
    refused = client_for(first).post(f"/api/v1/audits/findings/{recorded.json()['id']}/review",
                                     {"decision": "confirm", "reason": "同意"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "four_eyes"


def test_the_enterprise_sees_its_response_on_the_case_page(case):
    member = client_for(case.enterprise.registered_by)
    services.case_response_file(case=case, text="我们的说明", evidence=[], actor=verified(case.enterprise.registered_by),
                                now=at(date(2026, 10, 12)))
    assert "我们的说明" in member.get(f"/audits/cases/{case.pk}/").content.decode()
