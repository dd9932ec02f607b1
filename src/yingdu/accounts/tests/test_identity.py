"""Login names: normalised, unique up to case and width, no invisible characters, no look-alikes of existing names."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from yingdu.accounts.identity import username_key, username_skeleton
from yingdu.accounts.models import User
from yingdu.accounts.selectors import user_get_by_login_name
from yingdu.accounts.services import (
    MSG_USERNAME_CONFUSABLE,
    MSG_USERNAME_INVISIBLE,
    MSG_USERNAME_TAKEN,
    user_register,
)
from yingdu.errors import DomainError
from yingdu.testing.factories import PASSWORD, make_user

# a fixed time for the entries: the suite passes on any date
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _register(username: str) -> User:
    return user_register(username=username, password=PASSWORD, now=NOW)


def _refusal(username: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        _register(username)
    return caught.value


@pytest.mark.parametrize("username", [
    "admin\u200b",          # zero-width space
    "\u202eadmin",          # right-to-left override
    "ad\u2066min\u2069",    # bidi isolates
    "ad min",               # a space
    "ad\u3000min",          # an ideographic space
    "admin\u00ad",          # a soft hyphen
    "ad\tmin",              # a control character
    "ad\u2028min",          # a line separator
])
def test_names_with_invisible_characters_are_refused(username):
    error = _refusal(username)
    assert (error.code, error.message, error.field) == ("username_invalid_characters", MSG_USERNAME_INVISIBLE,
                                                        "username")
    assert error.detail["characters"]
    assert not User.objects.exists()


def test_a_zero_width_space_is_refused_even_when_the_plain_name_is_free():
    error = _refusal("admin\u200b")
    assert error.detail == {"characters": ["U+200B"]}


def test_a_cyrillic_look_alike_of_an_existing_name_is_refused():
    make_user("admin")
    error = _refusal("\u0430dmin")
    assert (error.code, error.message, error.status) == ("username_confusable", MSG_USERNAME_CONFUSABLE, 409)


def test_look_alikes_are_refused_in_either_order_and_for_mixed_letters():
    make_user("\u0440\u0430ypal")  # Cyrillic р and а
    assert _refusal("paypal").code == "username_confusable"
    make_user("firm")
    assert _refusal("firrn").code == "username_confusable"


def test_a_full_width_name_is_stored_normalised_and_is_the_same_as_the_plain_one():
    user = _register("\uff41\uff44\uff4d\uff49\uff4e")  # ａｄｍｉｎ
    assert (user.username, user.username_key) == ("admin", "admin")
    assert _refusal("admin").code == "username_taken"


@pytest.mark.parametrize("existing, attempt", [("admin", "Admin"), ("Admin", "admin"), ("admin", "ＡＤＭＩＮ"),
                                               ("straße", "STRASSE")])
def test_names_that_differ_only_by_case_or_width_are_taken(existing, attempt):
    make_user(existing)
    error = _refusal(attempt)
    assert (error.code, error.message) == ("username_taken", MSG_USERNAME_TAKEN)
    assert User.objects.count() == 1


def test_distinct_chinese_and_latin_names_register():
    for name in ("张三", "zhang_san", "reviewer.li", "李四@影都"):
        make_user(name)
    assert User.objects.count() == 4


def test_key_and_skeleton_follow_unicode():
    assert username_key("ＡＤＭＩＮ") == username_key("Admin") == "admin"
    assert username_skeleton("\u0430dmin") == username_skeleton("admin")
    assert username_skeleton("admin") != username_skeleton("admln")


def test_a_full_width_login_signs_in_as_the_plain_name():
    make_user("admin")
    client = Client()
    response = client.post("/accounts/login/", {"username": "ＡＤＭＩＮ", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="admin").pk)


def test_a_name_in_another_case_signs_in_and_a_look_alike_does_not():
    make_user("Reviewer")
    assert Client().post("/accounts/login/", {"username": "reviewer", "password": PASSWORD}).status_code == 302
    response = Client().post("/accounts/login/", {"username": "r\u0435viewer", "password": PASSWORD})  # Cyrillic е
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_failed_logins_in_other_cases_count_towards_the_same_lock(settings):
    make_user("target")
    client = Client()
    names = ["target", "TARGET", "Target", "ｔａｒｇｅｔ", "tArget"]
    for name in names[:settings.AXES_FAILURE_LIMIT]:
        client.post("/accounts/login/", {"username": name, "password": "wrong-password-1"})
    assert client.post("/accounts/login/", {"username": "target", "password": PASSWORD}).status_code == 429


def test_a_name_that_collided_before_keys_still_signs_in_by_its_exact_name():
    first = make_user("legacy")
    User.objects.filter(pk=first.pk).update(username="Legacy", username_key="legacy", username_skeleton="x1")
    second = make_user("other")
    User.objects.filter(pk=second.pk).update(username="LEGACY", username_key=None, username_skeleton=None)
    assert user_get_by_login_name("legacy").pk == first.pk
    assert user_get_by_login_name("LEGACY").pk == first.pk  # the key wins
    User.objects.filter(pk=first.pk).update(username_key="something-else")
    assert user_get_by_login_name("LEGACY").pk == second.pk


def test_the_migration_reports_collisions_and_leaves_names_as_they_are(capsys):
    from importlib import import_module

    from django.apps import apps
    migration = import_module("yingdu.accounts.migrations.0004_username_keys_fill")
    first, second, third = make_user("alpha"), make_user("bravo"), make_user("charlie")
    User.objects.filter(pk=second.pk).update(username="ALPHA")
    User.objects.filter(pk=third.pk).update(username="\u0430lpha")  # Cyrillic а
    migration.fill_username_keys(apps, None)
    rows = {row["pk"]: row for row in User.objects.values("pk", "username", "username_key", "username_skeleton")}
    assert rows[first.pk]["username_key"] == "alpha"
    assert rows[second.pk]["username"] == "ALPHA" and rows[second.pk]["username_key"] is None
    assert rows[third.pk]["username_key"] == "\u0430lpha" and rows[third.pk]["username_skeleton"] is None
    out = capsys.readouterr().out
    assert f"user {second.pk} has the same key as user {first.pk}" in out
    assert f"user {third.pk} looks like user {first.pk}" in out
