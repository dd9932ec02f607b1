"""Profile, recovery codes, a new authenticator and an admin's reset of another staff member's two-factor."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.accounts.models import Role, User
from yingdu.accounts.services_self import (
    MSG_RESET_OWN,
    RECOVERY_CODE_COUNT,
    recovery_code_use,
    recovery_codes_generate,
    two_factor_reset,
)
from yingdu.audits.dbaudit import db_audit
from yingdu.errors import DomainError
from yingdu.metering.services import provider_register_with_operator
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import PASSWORD, make_staff, make_user, unique_uscc
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _entries(event_type: str) -> int:
    return LogEntry.objects.filter(event_type=event_type).count()


def _code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(device.digits)


# --- profile ----------------------------------------------------------------------------------------------------

def test_the_profile_shows_who_i_am_and_saves_contact_details_as_an_entry():
    user = make_user("profiled", display_name="张三")
    client = client_for(user)
    page = client.get("/accounts/profile/")
    text = page.content.decode()
    assert page.status_code == 200 and "profiled" in text and "张三" in text and "不需要" in text
    response = client.post("/accounts/profile/", {"display_name": "张三丰", "phone": "+86 138-0000-0000",
                                                  "email": "zhang@example.com"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.phone, user.email) == ("张三丰", "+86 138-0000-0000", "zhang@example.com")
    entry = LogEntry.objects.get(event_type="accounts.profile_updated").entry.decode()
    # the phone number in any of its forms is absent (a random hex commitment may contain "138", not these)
    assert "zhang@example.com" not in entry and "138-0000-0000" not in entry and "13800000000" not in entry
    # saving the same values again writes nothing
    client.post("/accounts/profile/", {"display_name": "张三丰", "phone": "+86 138-0000-0000",
                                       "email": "zhang@example.com"})
    assert _entries("accounts.profile_updated") == 1
    assert db_audit().ok, db_audit().summary()


@pytest.mark.parametrize(("data", "field"), [
    ({"display_name": "", "phone": "", "email": ""}, "display_name"),
    ({"display_name": "李四", "phone": "call me", "email": ""}, "phone"),
    ({"display_name": "李四", "phone": "", "email": "not-an-address"}, "email"),
])
def test_bad_profile_input_is_shown_beside_the_field_and_changes_nothing(data, field):
    user = make_user("badprofile", display_name="李四")
    response = client_for(user).post("/accounts/profile/", data)
    assert response.status_code == 200 and response.context["form"].errors[field]
    assert _entries("accounts.profile_updated") == 0


def test_the_profile_page_needs_a_login_and_the_menu_links_it():
    assert Client().get("/accounts/profile/")["Location"].startswith("/accounts/login/")
    page = client_for(make_staff(Role.REVIEWER)).get("/accounts/profile/")
    text = page.content.decode()
    assert 'data-testid="nav-profile"' in text and "已绑定身份验证器" in text and "审核员" in text


def test_the_profile_api_updates_and_refuses_a_bad_address():
    client = client_for(make_user("apiprofile"))
    ok = client.put("/api/v1/me/profile", {"display_name": "王五", "email": "wang@example.com"},
                    content_type="application/json")
    assert ok.status_code == 200 and ok.json()["display_name"] == "王五"
    bad = client.put("/api/v1/me/profile", {"display_name": "王五", "email": "nope"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "email_invalid"


def test_a_new_provider_operator_must_change_the_generated_password():
    admin = verified(make_staff(Role.ADMIN))
    _provider, password = provider_register_with_operator(
        name="测试算力", uscc=unique_uscc(), is_local=True, operator_username="op-new", create_operator=True,
        actor=admin, now=NOW)
    operator = User.objects.get(username="op-new")
    assert password and operator.must_change_password
    assert db_audit().ok, db_audit().summary()


# --- recovery codes ---------------------------------------------------------------------------------------------

def test_staff_generate_ten_codes_shown_once_and_regenerating_replaces_them():
    staff = make_staff(Role.REVIEWER)
    client = client_for(staff)
    response = client.post("/accounts/2fa/recovery-codes/")
    codes = response.context["codes"]
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))
    assert all(code in response.content.decode() for code in codes)
    entry = LogEntry.objects.get(event_type="accounts.recovery_codes_generated").entry.decode()
    assert not any(code in entry for code in codes)
    later = client.get("/accounts/2fa/recovery-codes/")
    assert later.context["codes"] is None and codes[0] not in later.content.decode()
    again = client.post("/accounts/2fa/recovery-codes/").context["codes"]
    assert set(again).isdisjoint(codes)
    assert StaticDevice.objects.filter(user=staff).count() == 1
    assert StaticToken.objects.filter(device__user=staff).count() == RECOVERY_CODE_COUNT
    assert db_audit().ok, db_audit().summary()


def test_non_staff_cannot_get_recovery_codes():
    user = make_user("member")
    response = client_for(user).post("/accounts/2fa/recovery-codes/")
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    with pytest.raises(DomainError) as caught:
        recovery_codes_generate(user=verified(user), now=NOW)
    assert caught.value.code == "staff_only"
    assert not StaticDevice.objects.filter(user=user).exists()


def test_staff_who_did_not_pass_two_factor_cannot_generate_codes():
    staff = make_staff(Role.APPROVER)
    with pytest.raises(DomainError) as caught:
        recovery_codes_generate(user=staff, now=NOW)
    assert caught.value.code == "two_factor_required"
    response = client_for(staff, two_factor=False).post("/accounts/2fa/recovery-codes/")
    assert response["Location"].startswith("/accounts/2fa/")


def test_a_recovery_code_passes_the_two_factor_step_once():
    staff = make_staff(Role.FINANCE)
    codes = recovery_codes_generate(user=verified(staff), now=NOW)
    client = Client()
    login = client.post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
    assert login["Location"].startswith("/accounts/2fa/")
    assert "/accounts/2fa/recovery/" in client.get(login["Location"]).content.decode()
    response = client.post("/accounts/2fa/recovery/", {"code": codes[0].upper(), "next": "/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert client.get("/accounts/profile/").status_code == 200
    assert _entries("accounts.recovery_code_used") == 1
    assert StaticToken.objects.filter(device__user=staff).count() == RECOVERY_CODE_COUNT - 1
    assert db_audit().ok, db_audit().summary()
    # the same code a second time
    other = Client()
    other.post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
    reused = other.post("/accounts/2fa/recovery/", {"code": codes[0]})
    assert reused.status_code == 200 and reused.context["form"].errors["code"]
    with pytest.raises(DomainError) as caught:
        StaticDevice.objects.filter(user=staff).update(throttling_failure_count=0)
        recovery_code_use(user=staff, code=codes[0], now=NOW)
    assert caught.value.code == "recovery_code_invalid"
    assert _entries("accounts.recovery_code_used") == 1


# --- a new authenticator ------------------------------------------------------------------------------------------

def test_a_verified_staff_user_replaces_the_authenticator():
    staff = make_staff(Role.AUDITOR)
    old = TOTPDevice.objects.get(user=staff)
    client = client_for(staff)
    page = client.get("/accounts/2fa/reenrol/")
    assert page.status_code == 200 and page.context["secret"]
    new = TOTPDevice.objects.get(user=staff, confirmed=False)
    wrong = client.post("/accounts/2fa/reenrol/", {"token": "000000" if _code(new) != "000000" else "111111"})
    assert wrong.status_code == 200 and TOTPDevice.objects.filter(pk=old.pk).exists()
    new.refresh_from_db()
    new.throttle_reset()
    response = client.post("/accounts/2fa/reenrol/", {"token": _code(new)})
    assert response.status_code == 302, response.context["form"].errors
    assert list(TOTPDevice.objects.filter(user=staff).values_list("pk", flat=True)) == [new.pk]
    assert client.get("/accounts/profile/").context["two_factor_verified"]
    assert _entries("accounts.two_factor_reenrolled") == 1
    assert db_audit().ok, db_audit().summary()


def test_re_enrolment_needs_a_verified_staff_session():
    assert client_for(make_user("plain")).get("/accounts/2fa/reenrol/")["Location"] == "/accounts/profile/"
    staff = make_staff(Role.REVIEWER)
    assert client_for(staff, two_factor=False).get("/accounts/2fa/reenrol/")["Location"].startswith("/accounts/2fa/")


# --- an admin resets another staff member's two-factor ------------------------------------------------------------

def test_an_admin_resets_another_staff_members_two_factor():
    admin = make_staff(Role.ADMIN)
    target = make_staff(Role.REVIEWER)
    recovery_codes_generate(user=verified(target), now=NOW)
    response = client_for(admin).post("/accounts/2fa/reset/", {"username": target.username})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert not StaticDevice.objects.filter(user=target).exists()
    entry = LogEntry.objects.get(event_type="accounts.two_factor_reset")
    assert f'"actor":{admin.pk}' in entry.entry.decode()
    assert db_audit().ok, db_audit().summary()
    client = Client()
    login = client.post("/accounts/login/", {"username": target.username, "password": PASSWORD})
    assert login["Location"].startswith("/accounts/2fa/setup/")


def test_an_admin_cannot_reset_their_own_two_factor():
    admin = make_staff(Role.ADMIN)
    with pytest.raises(DomainError) as caught:
        two_factor_reset(user=admin, actor=verified(admin), now=NOW)
    assert (caught.value.code, caught.value.message) == ("two_factor_reset_own", MSG_RESET_OWN)
    response = client_for(admin).post("/accounts/2fa/reset/", {"username": admin.username})
    assert response.status_code == 200 and str(MSG_RESET_OWN) in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin).exists()
    assert _entries("accounts.two_factor_reset") == 0


def test_only_an_admin_may_reset_two_factor():
    target = make_staff(Role.APPROVER)
    with pytest.raises(DomainError) as caught:
        two_factor_reset(user=target, actor=verified(make_staff(Role.REVIEWER)), now=NOW)
    assert caught.value.code == "two_factor_reset_forbidden"
    assert client_for(make_staff(Role.FINANCE)).post("/accounts/2fa/reset/",
                                                     {"username": target.username}).status_code == 403
    with pytest.raises(DomainError) as caught:
        two_factor_reset(user=make_user("notstaff"), actor=verified(make_staff(Role.ADMIN)), now=NOW)
    assert caught.value.code == "not_staff"
    assert TOTPDevice.objects.filter(user=target).exists()
