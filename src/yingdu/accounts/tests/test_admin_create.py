"""`yingdu admin_create`: the first administrator, made through the services, so the audit stays clean."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yingdu.accounts.models import Role, RoleGrant, User
from yingdu.accounts.selectors import user_roles
from yingdu.audits.dbaudit import db_audit
from yingdu.testing.clients import verified
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db


def test_the_first_admin_has_the_role_an_authenticator_and_log_entries():
    out = io.StringIO()
    call_command("admin_create", "chief", "--generate-password", stdout=out)
    user = User.objects.get(username="chief")
    assert RoleGrant.objects.filter(user=user, role=Role.ADMIN, revoked_at__isnull=True).exists()
    assert Role.ADMIN in user_roles(verified(user))
    assert "TOTP secret" in out.getvalue() and "password: Admin-" in out.getvalue()
    types = set(LogEntry.objects.values_list("event_type", flat=True))
    assert {"accounts.user_registered", "accounts.role_granted", "accounts.two_factor_issued"} <= types
    assert db_audit().ok


def test_a_taken_username_is_refused_and_nothing_is_written():
    call_command("admin_create", "chief", "--generate-password", stdout=io.StringIO())
    before = LogEntry.objects.count()
    with pytest.raises(CommandError, match="username_taken"):
        call_command("admin_create", "CHIEF", "--generate-password", stdout=io.StringIO())
    assert LogEntry.objects.count() == before
