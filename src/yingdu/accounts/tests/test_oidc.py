"""OpenID Connect sign-in against a real provider (panva's oidc-provider under node, started here): linking a
first-time identity, registration from it, staff refused, state and nonce checked, off when unconfigured."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.test import Client

from yingdu.accounts.models import LinkedIdentity, Role
from yingdu.accounts.oidc import PENDING_IDENTITY, oidc_config, pending_identity
from yingdu.accounts.services import role_grant
from yingdu.accounts.services_self import (
    IDENTITY_PROOF_PASSWORD,
    MSG_IDENTITY_STAFF,
    MSG_IDENTITY_TAKEN,
    MSG_IDENTITY_USER_HAS_ONE,
    identity_link,
    user_profile_update,
)
from yingdu.actors import SYSTEM
from yingdu.audits.dbaudit import db_audit
from yingdu.enterprises.models import Enterprise
from yingdu.errors import Conflict, Forbidden
from yingdu.testing.factories import PASSWORD, licence_pdf, make_enterprise, make_staff, make_user, unique_uscc
from yingdu.testing.oidc_provider import provider_sign_in, provider_start, provider_stop
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CALLBACK = "http://testserver/accounts/oidc/callback/"
NEW_USCC = unique_uscc()
ACCOUNTS = {
    "newcomer-sub": {"name": "王五", "email": "wangwu@example.com", "email_verified": True, "uscc": NEW_USCC,
                     "enterprise_name": "北京怀柔光影有限公司"},
    "member-sub": {"name": "赵六", "email": "zhaoliu@example.com", "email_verified": True},
    "staff-sub": {"name": "钱七"},
}


@pytest.fixture(scope="module")
def provider():
    running = provider_start(redirect_uris=[CALLBACK], accounts=ACCOUNTS)
    yield running
    provider_stop(running)


@pytest.fixture
def oidc_on(settings, provider):
    settings.YINGDU_OIDC = {**provider.settings(), "scopes": "openid profile email enterprise"}
    return provider


def _provider_round_trip(client: Client, login: str) -> str:
    """Start at the platform, sign in at the provider; the callback URL (path and query) it sends the browser to."""
    start = client.get("/accounts/oidc/authenticate/")
    assert start.status_code == 302
    callback = urlsplit(provider_sign_in(start["Location"], login=login))
    return f"{callback.path}?{callback.query}"


def _sign_in(client: Client, login: str):
    return client.get(_provider_round_trip(client, login))


def _signed_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_unconfigured_there_is_no_button_and_every_endpoint_is_not_found(settings):
    settings.YINGDU_OIDC = {"issuer": "", "client_id": "", "client_secret": ""}
    assert oidc_config() is None
    page = Client().get("/accounts/login/")
    assert page.status_code == 200 and "oidc-sign-in" not in page.content.decode()
    for path in ("/accounts/oidc/authenticate/", "/accounts/oidc/callback/?code=x&state=y", "/accounts/oidc/link/"):
        assert Client().get(path).status_code == 404, path


def test_configured_the_login_page_offers_the_unified_identity(oidc_on):
    page = Client().get("/accounts/login/")
    assert 'id="oidc-sign-in"' in page.content.decode()
    start = Client().get("/accounts/oidc/authenticate/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(oidc_on.issuer)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == [CALLBACK]


def test_first_sign_in_links_only_after_the_account_password_then_signs_in_directly(oidc_on):
    member = make_enterprise().registered_by
    # the same verified e-mail as the identity: still no link without the password
    user_profile_update(user=member, display_name="赵六", phone="", email="zhaoliu@example.com", now=NOW)
    client = Client()
    response = _sign_in(client, "member-sub")
    assert response.status_code == 302 and response["Location"] == "/accounts/oidc/link/"
    assert _signed_in_user_id(client) is None and not LinkedIdentity.objects.exists()
    assert not AccessAttempt.objects.exists()  # a first-time identity is not a failed password login
    assert "赵六" in client.get("/accounts/oidc/link/").content.decode()

    wrong = client.post("/accounts/oidc/link/", {"username": member.username, "password": "not-the-password"})
    assert wrong.status_code == 200 and "用户名或密码不正确" in wrong.content.decode()
    assert _signed_in_user_id(client) is None and not LinkedIdentity.objects.exists()

    linked = client.post("/accounts/oidc/link/", {"username": member.username, "password": PASSWORD})
    assert linked.status_code == 302 and _signed_in_user_id(client) == member.pk
    identity = LinkedIdentity.objects.get()
    assert (identity.user_id, identity.issuer, identity.subject) == (member.pk, oidc_on.issuer, "member-sub")
    assert PENDING_IDENTITY not in client.session
    entry = LogEntry.objects.get(event_type="accounts.identity_linked")
    assert b'"proof":"password"' in entry.entry and b"member-sub" not in entry.entry
    assert db_audit().ok, db_audit().summary()

    again = Client()
    response = _sign_in(again, "member-sub")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert _signed_in_user_id(again) == member.pk


def test_a_staff_account_cannot_be_linked_even_with_its_password(oidc_on):
    staff = make_staff(Role.REVIEWER)
    client = Client()
    _sign_in(client, "staff-sub")
    response = client.post("/accounts/oidc/link/", {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 200 and str(MSG_IDENTITY_STAFF) in response.content.decode()
    assert _signed_in_user_id(client) is None and not LinkedIdentity.objects.exists()
    with pytest.raises(Forbidden):
        identity_link(user=staff, issuer=oidc_on.issuer, subject="staff-sub", proof=IDENTITY_PROOF_PASSWORD, now=NOW)


def test_a_linked_user_who_became_staff_is_refused_and_keeps_two_factor(oidc_on):
    user = make_user("later_staff")
    identity_link(user=user, issuer=oidc_on.issuer, subject="staff-sub", proof=IDENTITY_PROOF_PASSWORD, now=NOW)
    role_grant(user=user, role=Role.REVIEWER, actor=SYSTEM, now=NOW)
    client = Client()
    response = _sign_in(client, "staff-sub")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert _signed_in_user_id(client) is None
    assert str(MSG_IDENTITY_STAFF) in client.get("/accounts/login/").content.decode()


def test_a_state_that_this_browser_did_not_start_is_refused(oidc_on):
    client = Client()
    callback = _provider_round_trip(client, "member-sub")
    forged = callback.replace("state=", "state=forged")
    assert client.get(forged).status_code == 400
    assert _signed_in_user_id(client) is None and PENDING_IDENTITY not in client.session
    # a callback in a browser that started no sign-in at all
    other = Client()
    response = other.get(callback)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert _signed_in_user_id(other) is None and PENDING_IDENTITY not in other.session


def test_an_id_token_whose_nonce_differs_from_the_sessions_is_refused(oidc_on):
    member = make_enterprise().registered_by
    identity_link(user=member, issuer=oidc_on.issuer, subject="member-sub", proof=IDENTITY_PROOF_PASSWORD, now=NOW)
    client = Client()
    callback = _provider_round_trip(client, "member-sub")
    session = client.session
    state = parse_qs(urlsplit(callback).query)["state"][0]
    session["oidc_states"][state]["nonce"] = "a-nonce-of-another-sign-in"
    session.save()
    assert client.get(callback).status_code == 400
    assert _signed_in_user_id(client) is None


def test_registration_from_an_identity_is_prefilled_and_links_the_new_account(oidc_on):
    client = Client()
    _sign_in(client, "newcomer-sub")
    form = client.get("/enterprises/register/").content.decode()
    assert 'id="oidc-pending"' in form
    for value in (NEW_USCC, "北京怀柔光影有限公司", "王五", "wangwu@example.com"):
        assert f'value="{value}"' in form, value
    response = client.post("/enterprises/register/", {
        "username": "wangwu", "display_name": "王五", "email": "wangwu@example.com",
        "password": "Yingdu-Wangwu-2026", "password_again": "Yingdu-Wangwu-2026",
        "name": "北京怀柔光影有限公司", "uscc": NEW_USCC, "registered_address": "北京市怀柔区杨宋镇影都路9号",
        "legal_representative": "王五", "contact_name": "王五", "contact_phone": "13911113333",
        "licence": licence_pdf()})
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(uscc=NEW_USCC)
    user = enterprise.registered_by
    assert _signed_in_user_id(client) == user.pk and PENDING_IDENTITY not in client.session
    assert LinkedIdentity.objects.get(subject="newcomer-sub").user_id == user.pk
    entry = LogEntry.objects.get(event_type="accounts.identity_linked")
    assert b'"proof":"registration"' in entry.entry
    assert db_audit().ok, db_audit().summary()

    again = Client()
    _sign_in(again, "newcomer-sub")
    assert _signed_in_user_id(again) == user.pk


def test_an_identity_signs_in_as_one_account_and_an_account_has_one_identity_per_issuer(oidc_on):
    first, second = make_user("first_holder"), make_user("second_holder")
    identity_link(user=first, issuer=oidc_on.issuer, subject="member-sub", proof=IDENTITY_PROOF_PASSWORD, now=NOW)
    with pytest.raises(Conflict) as taken:
        identity_link(user=second, issuer=oidc_on.issuer, subject="member-sub", proof=IDENTITY_PROOF_PASSWORD,
                      now=NOW)
    assert taken.value.message == MSG_IDENTITY_TAKEN
    with pytest.raises(Conflict) as has_one:
        identity_link(user=first, issuer=oidc_on.issuer, subject="other-sub", proof=IDENTITY_PROOF_PASSWORD,
                      now=NOW)
    assert has_one.value.message == MSG_IDENTITY_USER_HAS_ONE
    assert LinkedIdentity.objects.count() == 1


def test_an_unverified_email_claim_is_not_used(oidc_on):
    pending = pending_identity(oidc_config(), subject="s", claims={"sub": "s", "name": " 孙八 ",
                                                                   "email": "x@example.com", "email_verified": False})
    assert pending["email"] == "" and pending["name"] == "孙八"


def test_an_unreachable_provider_sends_back_to_the_login_page(settings):
    settings.YINGDU_OIDC = {"issuer": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s"}
    client = Client()
    response = client.get("/accounts/oidc/authenticate/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "统一身份认证服务暂时无法访问" in client.get("/accounts/login/").content.decode()


def test_tampering_with_a_linked_identity_is_named():
    from yingdu.testing.tamper import assert_tampering_is_named

    user = make_user("tamper_linked")
    identity_link(user=user, issuer="https://id.example.gov.cn", subject="110101199001011234",
                  proof=IDENTITY_PROOF_PASSWORD, now=NOW)
    make_user("tamper_other")  # a user the identity could be moved to
    assert_tampering_is_named(LinkedIdentity)
