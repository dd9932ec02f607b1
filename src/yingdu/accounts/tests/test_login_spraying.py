"""One address trying one password against many login names is refused after a few names (password spraying)."""

import pytest
from django.core.cache import cache
from django.test import Client

from yingdu.accounts.throttle import CACHE_PREFIX
from yingdu.testing.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SPRAYED = "Summer-2026-Welcome"


def _try(client, username, password=SPRAYED, address="203.0.113.7"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_one_password_against_many_names_is_refused_with_the_lockout_message(settings):
    settings.LOGIN_SPRAY_USERNAME_LIMIT = 3
    victim = make_user("victim")
    client = Client()
    for name in ("alice", "bob", "carol"):
        assert _try(client, name).status_code == 200
    refused = _try(client, "dave")
    assert refused.status_code == 429
    assert "暂时锁定" in refused.content.decode()
    # even the right password of a real account is refused from that address while it sprays that password...
    assert _try(client, victim.username).status_code == 429
    # ...but another password, or the same one from another address, goes through to the normal check
    assert _try(client, victim.username, password=PASSWORD).status_code == 302
    assert _try(Client(), "erin", address="198.51.100.1").status_code == 200


def test_the_same_name_in_other_cases_counts_once(settings):
    settings.LOGIN_SPRAY_USERNAME_LIMIT = 2
    client = Client()
    for name in ("alice", "ALICE", "Ａｌｉｃｅ", "alice"):
        assert _try(client, name).status_code == 200
    assert _try(client, "bob").status_code == 200
    assert _try(client, "carol").status_code == 429


def test_a_few_typos_of_ones_own_name_are_not_spraying(settings):
    user = make_user("zhangsan")
    client = Client()
    for name in ("zhangsn", "zhagnsan"):
        _try(client, name, password=PASSWORD)
    assert _try(client, user.username, password=PASSWORD).status_code == 302


def test_the_cache_holds_neither_the_password_nor_the_names(settings):
    client = Client()
    _try(client, "alice")
    keys = [key.split(":", 2)[-1] for key in cache._cache if CACHE_PREFIX in key]  # the local-memory cache's keys
    assert len(keys) == 1
    text = keys[0] + repr(cache.get(keys[0]))
    assert SPRAYED not in text and "alice" not in text
