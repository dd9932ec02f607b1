import pytest
from django.test import Client

from yingdu.accounts.models import User
from yingdu.testing.clients import client_for
from yingdu.testing.factories import PASSWORD, make_enterprise, make_user

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2_at_a_real_cost(settings):
    """The suite hashes at Argon2's smallest cost (conftest.py); production's hashers are checked here."""
    from yingdu import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    user = make_user("hashme")
    assert user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in user.password
    parameters = dict(pair.split("=") for pair in user.password.split("$")[3].split(","))
    # OWASP's floor for Argon2id: 19 MiB of memory and two passes
    assert int(parameters["m"]) >= 19 * 1024 and int(parameters["t"]) >= 2


def test_repeated_failed_logins_lock_the_account_even_for_the_right_password(settings):
    make_user("target")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/login/", {"username": "target", "password": "wrong-password-1"})
        assert response.status_code in {200, 429}
    locked = client.post("/accounts/login/", {"username": "target", "password": PASSWORD})
    assert locked.status_code == 429
    assert "暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_failed_login_shows_a_chinese_error_and_a_right_one_logs_in():
    make_user("someone")
    client = Client()
    response = client.post("/accounts/login/", {"username": "someone", "password": "nope-nope-nope"})
    assert "用户名或密码不正确" in response.content.decode()
    assert client.post("/accounts/login/", {"username": "someone", "password": PASSWORD}).status_code == 302


def test_session_api_writes_need_a_csrf_token():
    enterprise = make_enterprise()
    client = client_for(enterprise.registered_by, enforce_csrf_checks=True)
    response = client.post(f"/api/v1/enterprises/{enterprise.pk}/resubmit", data={"reason": "x"},
                           content_type="application/json")
    assert response.status_code == 403
    enterprise.refresh_from_db()
    assert enterprise.state_changes.count() == 1


def test_page_forms_need_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_secret_key_is_not_committed(settings):
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parents[4]
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.split()
    assert not any(name.startswith("var/") for name in tracked)
    assert settings.SECRET_KEY not in (root / "src" / "yingdu" / "settings.py").read_text()
    assert len(settings.SECRET_KEY) >= 40


def test_user_model_is_the_custom_one():
    assert User._meta.label == "accounts.User"


def test_account_writes_are_log_entries_without_the_login_name():
    from yingdu.accounts.models import Role
    from yingdu.transparency.models import LogEntry
    before = LogEntry.objects.count()
    user = make_user("secret_login_name", roles=(Role.AUDITOR,))
    entries = list(LogEntry.objects.filter(index__gte=before).order_by("index"))
    assert [e.event_type for e in entries] == ["accounts.user_registered", "accounts.role_granted"]
    assert all(b"secret_login_name" not in bytes(e.entry) for e in entries)
    assert f'"user":{user.pk}'.encode() in bytes(entries[1].entry)
