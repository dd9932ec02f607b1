"""Admins register providers with their first operator at /metering/providers/."""

import pytest
from django.test import Client

from yingdu.accounts.models import Role, User
from yingdu.accounts.selectors import user_roles
from yingdu.metering.models import Provider
from yingdu.metering.services import MSG_OPERATOR_HAS_ORGANISATION, MSG_OPERATOR_IS_STAFF, MSG_PROVIDER_EXISTS
from yingdu.testing.clients import client_for
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user, unique_uscc
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db


def form(**overrides) -> dict:
    values = {"name": "怀柔智算中心", "uscc": unique_uscc(), "is_local": "on", "operator_mode": "new",
              "operator_username": "hr_compute_op", "operator_display_name": "赵工"}
    values.update(overrides)
    return values


def test_an_admin_registers_a_provider_with_a_new_operator_whose_password_is_shown_once():
    admin = make_staff(Role.ADMIN)
    client = client_for(admin)
    assert client.get("/metering/providers/").status_code == 200
    response = client.post("/metering/providers/", form())
    assert response.status_code == 200
    body = response.content.decode()
    password = body.split('data-testid="initial-password">')[1].split("<")[0]
    provider = Provider.objects.get(name="怀柔智算中心")
    operator = User.objects.get(username="hr_compute_op")
    assert operator.organisation_id == provider.organisation_id and provider.is_local
    assert password not in operator.password and operator.check_password(password)
    assert Role.PROVIDER_OPERATOR in user_roles(operator)
    login = Client().post("/accounts/login/", {"username": "hr_compute_op", "password": password})
    assert login.status_code == 302 and "/accounts/login/" not in login["Location"]
    listing = client.get("/metering/providers/").content.decode()
    assert "怀柔智算中心" in listing and "hr_compute_op" in listing and password not in listing
    assert LogEntry.objects.filter(event_type="metering.provider_registered").count() == 1


def test_an_existing_user_without_organisation_can_become_the_operator():
    admin = make_staff(Role.ADMIN)
    user = make_user("existing_op")
    response = client_for(admin).post("/metering/providers/", form(operator_mode="existing",
                                                                   operator_username="existing_op", is_local=""))
    assert 'data-testid="initial-password"' not in response.content.decode()
    user.refresh_from_db()
    provider = Provider.objects.get()
    assert user.organisation_id == provider.organisation_id and not provider.is_local


@pytest.mark.parametrize("case", ["member_of_enterprise", "staff", "unknown"])
def test_an_unsuitable_existing_user_is_refused_and_nothing_is_registered(case):
    admin = make_staff(Role.ADMIN)
    username = {"member_of_enterprise": lambda: make_enterprise().registered_by.username,
                "staff": lambda: make_staff(Role.AUDITOR).username, "unknown": lambda: "nobody_here"}[case]()
    entries = LogEntry.objects.count()
    response = client_for(admin).post("/metering/providers/", form(operator_mode="existing",
                                                                   operator_username=username))
    body = response.content.decode()
    expected = {"member_of_enterprise": MSG_OPERATOR_HAS_ORGANISATION, "staff": MSG_OPERATOR_IS_STAFF,
                "unknown": "没有该用户名的账户"}[case]
    assert str(expected) in body
    assert not Provider.objects.exists() and LogEntry.objects.count() == entries


def test_a_duplicate_uscc_creates_no_operator_login():
    admin = make_staff(Role.ADMIN)
    existing = make_metering_provider()
    response = client_for(admin).post("/metering/providers/", form(uscc=existing.provider.uscc,
                                                                   operator_username="never_created"))
    assert str(MSG_PROVIDER_EXISTS) in response.content.decode()
    assert not User.objects.filter(username="never_created").exists()


def test_only_admins_reach_the_provider_admin_page():
    enterprise = make_enterprise()
    meter = make_metering_provider()
    for user in (make_staff(Role.REVIEWER), make_staff(Role.AUDITOR), enterprise.registered_by, meter.operator):
        client = client_for(user)
        assert client.get("/metering/providers/").status_code == 403
        assert client.post("/metering/providers/", form(operator_username=f"x_{user.pk}")).status_code == 403
    assert Client().get("/metering/providers/")["Location"].startswith("/accounts/login/")
    assert client_for(make_staff(Role.ADMIN), two_factor=False).get("/metering/providers/")["Location"].startswith(
        "/accounts/2fa/")
    assert Provider.objects.count() == 1
