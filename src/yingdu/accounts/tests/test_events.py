"""Accounts in the log: every write is an entry, and an edit behind the log's back is named by the audit."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.hashers import make_password
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.accounts.models import Role, RoleGrant, User
from yingdu.accounts.services import MSG_NOT_ADMIN, role_grant, role_revoke, totp_device_confirm, totp_device_start
from yingdu.actors import SYSTEM
from yingdu.audits.dbaudit import db_audit
from yingdu.errors import DomainError
from yingdu.testing.clients import verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import make_staff, make_user
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db

# a fixed time for the entries (the TOTP code itself is checked against the real clock by django-otp)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _named(report, table: str, row, field: str | None = None) -> bool:
    return any(m.table == table and m.row == row and (field is None or field in m.fields)
               for m in report.mismatches)


def test_a_revoked_role_is_an_entry_and_the_grant_stays_as_history():
    admin = verified(make_staff(Role.ADMIN))
    grant = role_grant(user=make_user(), role=Role.REVIEWER, actor=SYSTEM, now=NOW)
    revoked = role_revoke(grant=grant, actor=admin, now=NOW, reason="调岗")
    assert revoked.revoked_at is not None and RoleGrant.objects.filter(pk=grant.pk).exists()
    assert LogEntry.objects.filter(event_type="accounts.role_revoked").count() == 1
    assert role_revoke(grant=grant, actor=admin, now=NOW, reason="调岗").revoked_at == revoked.revoked_at
    assert LogEntry.objects.filter(event_type="accounts.role_revoked").count() == 1
    assert db_audit().ok


def test_only_an_admin_may_revoke_a_role():
    grant = role_grant(user=make_user(), role=Role.APPROVER, actor=SYSTEM, now=NOW)
    with pytest.raises(DomainError) as caught:
        role_revoke(grant=grant, actor=verified(make_staff(Role.REVIEWER)), now=NOW, reason="调岗")
    assert (caught.value.code, caught.value.message) == ("role_grant_forbidden", MSG_NOT_ADMIN)
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_enrolment_replaces_unconfirmed_devices_and_the_audit_follows():
    user = make_user()
    first = totp_device_start(user=user, now=NOW)
    second = totp_device_start(user=user, now=NOW)
    assert not TOTPDevice.objects.filter(pk=first.pk).exists()
    totp_device_confirm(device=second, token=f"{totp(second.bin_key):06d}", now=NOW)
    assert db_audit().ok, db_audit().summary()


def test_a_forged_role_grant_is_reported_as_inserted():
    user = make_user()
    forged = RoleGrant.objects.create(user=user, role=Role.ADMIN, granted_at=NOW)
    report = db_audit()
    assert any(m.table == "accounts_rolegrant" and m.row == forged.pk and m.kind == "inserted"
               for m in report.mismatches)


def test_an_edited_password_hash_and_totp_secret_are_named():
    user = make_user(roles=(Role.REVIEWER,), totp=True)
    User.objects.filter(pk=user.pk).update(password=make_password("Another-Password-42"))
    device = TOTPDevice.objects.get(user=user)
    TOTPDevice.objects.filter(pk=device.pk).update(key="00" * 20)
    report = db_audit()
    assert _named(report, "accounts_user", user.pk, "password"), report.summary()
    assert _named(report, "otp_totp_totpdevice", device.pk, "key"), report.summary()


def test_a_user_given_superuser_rights_in_the_database_is_named():
    user = make_user()
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    assert _named(db_audit(), "accounts_user", user.pk, "is_superuser")


# --- tables and columns of the self-service pages (accounts/events_self.py) ---------------------------------------

def test_tampering_with_recovery_codes_and_their_device_is_named():
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from yingdu.accounts.services_self import recovery_codes_generate
    from yingdu.testing.tamper import assert_tampering_is_named

    staff = make_staff(Role.REVIEWER)
    recovery_codes_generate(user=verified(staff), now=NOW)
    recovery_codes_generate(user=verified(staff), now=NOW)
    assert_tampering_is_named(StaticDevice)
    assert_tampering_is_named(StaticToken)


def test_tampering_with_a_user_after_a_password_change_and_a_profile_edit_is_named():
    from yingdu.accounts.services import user_register
    from yingdu.accounts.services_self import user_password_change, user_profile_update
    from yingdu.testing.tamper import assert_tampering_is_named

    user = user_register(username="sweep", password="Generated-Secret-42", must_change_password=True, now=NOW)
    user_password_change(user=user, old_password="Generated-Secret-42", new_password="Lantern-Quarry-5820", now=NOW)
    user_profile_update(user=user, display_name="扫描", phone="13800000000", email="sweep@example.com", now=NOW)
    assert_tampering_is_named(User)


def test_tampering_with_a_re_enrolled_authenticator_is_named():
    from yingdu.accounts.services_self import totp_device_reenrol
    from yingdu.testing.tamper import assert_tampering_is_named

    staff = verified(make_staff(Role.AUDITOR))
    device = totp_device_start(user=staff, now=NOW)
    totp_device_reenrol(user=staff, device=device, token=f"{totp(device.bin_key):06d}", now=NOW)
    assert list(TOTPDevice.objects.filter(user=staff).values_list("pk", flat=True)) == [device.pk]
    assert_tampering_is_named(TOTPDevice)


def _admin_changes():
    from yingdu.accounts.admin_services import user_deactivate, user_reactivate
    admin = verified(make_staff(Role.ADMIN))
    target = make_user("tamper_target")
    grant = two_people(role_grant, first=admin, second=verified(make_staff(Role.ADMIN)), user=target,
                       role=Role.AUDITOR, now=NOW, reason="抽查")
    role_revoke(grant=grant, actor=admin, now=NOW, reason="结束")
    user_deactivate(user=target, reason="离职", actor=admin, now=NOW)
    user_reactivate(user=target, reason="返聘", actor=admin, now=NOW)
    return target, grant


def test_tampering_with_a_revoked_grant_and_its_reasons_is_named():
    from yingdu.testing.tamper import tamper_table
    _target, grant = _admin_changes()
    report = tamper_table(RoleGrant, row_id=grant.pk, insert_overrides={"revoked_at": NOW})
    assert report.missed == [], report.missed
    assert {"grant_reason", "revoke_reason", "revoked_by_id"} <= {name for _kind, name in report.checked}


def test_tampering_with_an_account_status_change_is_named():
    from yingdu.accounts.models import AccountStatusChange
    from yingdu.testing.tamper import assert_tampering_is_named
    _admin_changes()
    assert AccountStatusChange.objects.count() == 2
    assert_tampering_is_named(AccountStatusChange)


def test_an_edited_login_key_or_skeleton_is_named():
    target, _grant = _admin_changes()
    for column in ("username_key", "username_skeleton"):
        original = getattr(User.objects.get(pk=target.pk), column)
        User.objects.filter(pk=target.pk).update(**{column: "admin"})
        assert _named(db_audit(), "accounts_user", target.pk, column), column
        User.objects.filter(pk=target.pk).update(**{column: original})
    User.objects.filter(pk=target.pk).update(is_active=False)
    assert _named(db_audit(), "accounts_user", target.pk, "is_active")
