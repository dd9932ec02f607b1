"""Staff must pass TOTP two-factor before any staff page or staff data is reachable."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for
from yingdu.testing.factories import PASSWORD, make_enterprise, make_staff, make_user

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(device.digits)


def reset_throttle(device: TOTPDevice) -> None:
    """django-otp delays the next attempt after a failure; tests move past the delay instead of sleeping."""
    device.refresh_from_db()
    device.throttle_reset()


def login(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    client.last_redirect = response["Location"]
    return client


STAFF_PAGES = ["/enterprises/", "/dashboard/"]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_without_a_confirmed_device_are_sent_to_enrolment_not_the_page(page):
    staff = make_user("reviewer1", roles=(Role.REVIEWER,))
    client = login("reviewer1")
    assert client.last_redirect.startswith("/accounts/2fa/setup/")
    response = client.get(page)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")
    assert client.get("/api/v1/me").json()["roles"] == []
    assert staff.totpdevice_set.filter(confirmed=True).count() == 0


def test_staff_with_a_device_must_enter_a_code_before_staff_pages():
    make_staff(Role.REVIEWER, username="reviewer2")
    make_enterprise()
    client = login("reviewer2")
    assert client.last_redirect.startswith("/accounts/2fa/?next=")
    assert client.get("/enterprises/")["Location"].startswith("/accounts/2fa/")
    assert client.get("/api/v1/enterprises").json() == []


def test_a_wrong_code_is_refused_and_a_right_code_opens_staff_pages():
    staff = make_staff(Role.REVIEWER, username="reviewer3")
    enterprise = make_enterprise()
    client = login("reviewer3")
    device = staff.totpdevice_set.get()
    wrong = str((int(current_code(device)) + 1) % 1_000_000).zfill(6)
    response = client.post("/accounts/2fa/", {"token": wrong, "next": "/enterprises/"})
    assert response.status_code == 200
    assert "动态验证码不正确" in response.content.decode()
    assert client.get("/enterprises/").status_code == 302
    reset_throttle(device)
    response = client.post("/accounts/2fa/", {"token": current_code(device), "next": "/enterprises/"})
    assert response.status_code == 302 and response["Location"] == "/enterprises/"
    page = client.get("/enterprises/")
    assert page.status_code == 200 and enterprise.name in page.content.decode()
    assert Role.REVIEWER in client.get("/api/v1/me").json()["roles"]


def test_enrolment_shows_a_secret_and_confirms_with_a_code_from_it():
    make_user("newstaff", roles=(Role.AUDITOR,))
    client = login("newstaff")
    page = client.get("/accounts/2fa/setup/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user__username="newstaff", confirmed=False)
    assert client.post("/accounts/2fa/setup/", {"token": "000000"}).status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    reset_throttle(device)
    response = client.post("/accounts/2fa/setup/", {"token": current_code(device), "next": "/enterprises/"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/enterprises/").status_code == 200


def test_a_second_wrong_code_at_once_is_throttled_with_a_clear_message():
    staff = make_staff(Role.REVIEWER, username="reviewer4")
    client = login("reviewer4")
    device = staff.totpdevice_set.get()
    wrong = str((int(current_code(device)) + 1) % 1_000_000).zfill(6)
    client.post("/accounts/2fa/", {"token": wrong})
    response = client.post("/accounts/2fa/", {"token": current_code(device)})
    assert "尝试次数过多" in response.content.decode()
    assert client.get("/enterprises/").status_code == 302


def test_enterprise_members_do_not_need_two_factor():
    enterprise = make_enterprise()
    enterprise.registered_by.username = "member1"
    enterprise.registered_by.save()
    client = login("member1")
    assert client.last_redirect == "/dashboard/"
    assert client.get(f"/enterprises/{enterprise.pk}/").status_code == 200


def test_a_staff_session_from_client_for_passes_two_factor():
    client = client_for(make_staff(Role.ADMIN))
    assert client.get("/enterprises/").status_code == 200
