"""Password change, reset by e-mail and the forced change of a generated password: each a log entry."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from yingdu.accounts.forms_self import MSG_PASSWORDS_DIFFER
from yingdu.accounts.models import User
from yingdu.accounts.services import user_register
from yingdu.accounts.services_self import MSG_OLD_PASSWORD_WRONG, user_password_change
from yingdu.accounts.views_self import MSG_RESET_THROTTLED, RESET_LIMIT_PER_EMAIL, RESET_LIMIT_PER_IP
from yingdu.audits.dbaudit import db_audit
from yingdu.errors import DomainError
from yingdu.testing.clients import client_for
from yingdu.testing.factories import PASSWORD, make_user
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NEW_PASSWORD = "Lantern-Quarry-5820"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _entries(event_type: str) -> int:
    return LogEntry.objects.filter(event_type=event_type).count()


def _change(client, old=PASSWORD, new1=NEW_PASSWORD, new2=NEW_PASSWORD):
    return client.post("/accounts/password/", {"old_password": old, "new_password1": new1, "new_password2": new2})


def test_password_change_keeps_the_session_and_is_an_entry():
    user = make_user("changer")
    client = client_for(user)
    response = _change(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    assert client.get("/accounts/profile/").status_code == 200  # still signed in
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _entries("accounts.password_changed") == 1
    entry = LogEntry.objects.get(event_type="accounts.password_changed").entry.decode()
    assert NEW_PASSWORD not in entry and user.password not in entry
    assert db_audit().ok, db_audit().summary()


@pytest.mark.parametrize(("old", "new1", "new2", "field", "message"), [
    ("Wrong-Password-1234", NEW_PASSWORD, NEW_PASSWORD, "old_password", str(MSG_OLD_PASSWORD_WRONG)),
    (PASSWORD, "12345678901", "12345678901", "new_password1", "密码强度不足"),
    (PASSWORD, "short", "short", "new_password1", "密码强度不足"),
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "new_password2", str(MSG_PASSWORDS_DIFFER)),
])
def test_a_refused_password_change_changes_nothing(old, new1, new2, field, message):
    user = make_user("refused")
    response = _change(client_for(user), old, new1, new2)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert _entries("accounts.password_changed") == 0


def test_the_service_refuses_a_wrong_old_password_with_a_stable_code():
    user = make_user()
    with pytest.raises(DomainError) as caught:
        user_password_change(user=user, old_password="nope-nope-nope", new_password=NEW_PASSWORD, now=NOW)
    assert caught.value.code == "old_password_wrong"


# --- reset by e-mail ---------------------------------------------------------------------------------------------

def _reset_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)


def test_reset_by_email_sets_a_new_password_once():
    user = make_user("forgetful", email="forgetful@example.com")
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": "Forgetful@Example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    [message] = mail.outbox
    assert message.to == ["forgetful@example.com"] and "重置密码" in message.subject
    link = _reset_link(message)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD,
                                                         "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _entries("accounts.password_reset") == 1
    assert db_audit().ok, db_audit().summary()
    # the same link a second time
    again = Client().get(link, follow=True)
    assert not again.context["validlink"]
    assert "已经使用过或已过期" in again.content.decode()


def test_an_expired_reset_link_is_refused(monkeypatch):
    make_user("late", email="late@example.com")
    Client().post("/accounts/password/reset/", {"email": "late@example.com"})
    link = _reset_link(mail.outbox[0])
    later = datetime.now() + timedelta(days=4)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    response = Client().get(link, follow=True)
    assert not response.context["validlink"]
    assert _entries("accounts.password_reset") == 0


def test_a_weak_password_through_the_reset_link_is_refused():
    user = make_user("weak", email="weak@example.com")
    client = Client()
    client.post("/accounts/password/reset/", {"email": "weak@example.com"})
    form_page = client.get(_reset_link(mail.outbox[0]), follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "password1",
                                                             "new_password2": "password1"})
    assert response.status_code == 200 and response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and _entries("accounts.password_reset") == 0


def test_an_unknown_address_gets_the_same_answer_and_no_mail():
    make_user("known", email="known@example.com")
    known = Client().post("/accounts/password/reset/", {"email": "known@example.com"}, follow=True)
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    assert "重置密码的链接已发送" in known.content.decode() and "重置密码的链接已发送" in unknown.content.decode()
    assert len(mail.outbox) == 1


def test_reset_requests_are_throttled_per_address():
    make_user("spammed", email="spammed@example.com")
    client = Client()
    for _attempt in range(RESET_LIMIT_PER_EMAIL):
        assert client.post("/accounts/password/reset/", {"email": "spammed@example.com"}).status_code == 302
    refused = client.post("/accounts/password/reset/", {"email": "spammed@example.com"})
    assert refused.status_code == 429 and str(MSG_RESET_THROTTLED) in refused.content.decode()
    assert len(mail.outbox) == RESET_LIMIT_PER_EMAIL
    # an unknown address is throttled the same way (the answer does not tell whether it exists)
    for _attempt in range(RESET_LIMIT_PER_EMAIL):
        client.post("/accounts/password/reset/", {"email": "ghost@example.com"}, REMOTE_ADDR="10.0.0.9")
    assert client.post("/accounts/password/reset/", {"email": "ghost@example.com"},
                       REMOTE_ADDR="10.0.0.9").status_code == 429


def test_reset_requests_are_throttled_per_client_address():
    client = Client(REMOTE_ADDR="10.1.2.3")
    for number in range(RESET_LIMIT_PER_IP):
        assert client.post("/accounts/password/reset/", {"email": f"a{number}@example.com"}).status_code == 302
    assert client.post("/accounts/password/reset/", {"email": "another@example.com"}).status_code == 429
    assert Client(REMOTE_ADDR="10.1.2.4").post("/accounts/password/reset/",
                                               {"email": "another@example.com"}).status_code == 302


# --- a generated password is changed at first login ---------------------------------------------------------------

def _generated(username: str = "newop") -> User:
    return user_register(username=username, password="Yd-Generated-Secret-1", must_change_password=True, now=NOW)


def test_a_generated_password_leads_every_page_to_the_change_and_the_api_answers_403():
    user = _generated()
    client = Client()
    assert client.post("/accounts/login/", {"username": "newop", "password": "Yd-Generated-Secret-1"}).status_code \
        == 302
    for page in ("/dashboard/", "/accounts/profile/", "/vouchers/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/", page
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "初始密码由他人生成" in page.content.decode()
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    assert client.get("/static/yingdu/app.css").status_code in (200, 404)
    response = _change(client, old="Yd-Generated-Secret-1")
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/dashboard/")["Location"] != "/accounts/password/"
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    assert db_audit().ok, db_audit().summary()


def test_signing_out_is_allowed_while_the_change_is_pending():
    user = _generated("leaver")
    client = client_for(user)
    assert client.post("/accounts/logout/")["Location"] == "/"


def test_the_api_can_change_a_generated_password():
    user = _generated("apiop")
    client = client_for(user)
    response = client.post("/api/v1/me/password", {"old_password": "Yd-Generated-Secret-1",
                                                   "new_password": NEW_PASSWORD}, content_type="application/json")
    assert response.status_code == 200 and response.json()["must_change_password"] is False
    assert client.get("/api/v1/me/profile").status_code == 200
    refused = client.post("/api/v1/me/password", {"old_password": "Yd-Generated-Secret-1",
                                                  "new_password": "Another-Lantern-77"},
                          content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "old_password_wrong"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_admin_create_with_a_generated_password_sets_the_flag(capsys):
    call_command("admin_create", "chief2", "--generate-password")
    user = User.objects.get(username="chief2")
    assert user.must_change_password
    assert db_audit().ok, db_audit().summary()


def test_an_edited_flag_is_named_by_the_audit():
    user = _generated("flagged")
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    report = db_audit()
    assert any(m.table == "accounts_user" and m.row == user.pk and "must_change_password" in m.fields
               for m in report.mismatches), report.summary()
