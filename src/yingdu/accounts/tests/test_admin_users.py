"""The admin page of users and roles, and the services behind it: every refusal, and the effects at once."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from yingdu.accounts.admin_selectors import USERS_PER_PAGE
from yingdu.accounts.admin_services import MSG_DEACTIVATE_SELF, user_deactivate, user_reactivate
from yingdu.accounts.models import AccountStatusChange, OrganisationKind, Role, RoleGrant, User
from yingdu.accounts.services import (
    MSG_REASON_REQUIRED,
    MSG_ROLE_GRANT_SELF,
    MSG_ROLE_UNKNOWN,
    organisation_add_member,
    organisation_create,
    role_grant,
    role_revoke,
)
from yingdu.actors import SYSTEM
from yingdu.audits.dbaudit import db_audit
from yingdu.errors import DomainError, SecondPersonRequired
from yingdu.testing.clients import client_for, verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import PASSWORD, make_staff, make_user
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def admin():
    return make_staff(Role.ADMIN, "chief")


def _refused(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- services -------------------------------------------------------------------------------------------------

def test_an_admin_cannot_grant_themselves_a_role(admin):
    error = _refused(lambda: role_grant(user=admin, role=Role.AUDITOR, actor=verified(admin), now=NOW,
                                        reason="自己需要"))
    assert (error.code, error.message, error.status) == ("role_grant_self", MSG_ROLE_GRANT_SELF, 403)
    assert not RoleGrant.objects.filter(user=admin, role=Role.AUDITOR).exists()


def test_an_unknown_or_organisation_role_cannot_be_granted(admin):
    for role in ("superuser", Role.ENTERPRISE_MEMBER):
        error = _refused(lambda role=role: role_grant(user=make_user(), role=role, actor=verified(admin), now=NOW,
                                                      reason="x"))
        assert (error.code, error.message) == ("role_unknown", MSG_ROLE_UNKNOWN)


def test_grant_revoke_and_deactivation_need_a_reason(admin):
    target = make_user()
    actor = verified(admin)
    assert _refused(lambda: role_grant(user=target, role=Role.REVIEWER, actor=actor, now=NOW, reason="  ")).code \
        == "reason_required"
    grant = two_people(role_grant, first=actor, second=verified(make_staff(Role.ADMIN)), user=target,
                       role=Role.REVIEWER, now=NOW, reason="新入职审核员")
    error = _refused(lambda: role_revoke(grant=grant, actor=actor, now=NOW))
    assert (error.code, error.message, error.field) == ("reason_required", MSG_REASON_REQUIRED, "reason")
    assert _refused(lambda: user_deactivate(user=target, reason="", actor=actor, now=NOW)).code == "reason_required"


def test_an_admin_cannot_deactivate_themselves(admin):
    error = _refused(lambda: user_deactivate(user=admin, reason="离职", actor=verified(admin), now=NOW))
    assert (error.code, error.message) == ("user_deactivate_self", MSG_DEACTIVATE_SELF)
    admin.refresh_from_db()
    assert admin.is_active


def test_only_an_admin_after_two_factor_may_deactivate(admin):
    target = make_user()
    for actor in (verified(make_staff(Role.REVIEWER)), admin):  # admin here has not passed two-factor
        assert _refused(lambda actor=actor: user_deactivate(user=target, reason="x", actor=actor, now=NOW)).code \
            == "role_grant_forbidden"


def test_every_change_is_an_entry_with_the_reason_committed_and_the_audit_agrees(admin):
    actor = verified(admin)
    target = make_user("target_user")
    with pytest.raises(SecondPersonRequired):
        role_grant(user=target, role=Role.AUDITOR, actor=actor, now=NOW, reason="季度抽查需要审计员")
    second = verified(make_staff(Role.ADMIN))
    before = LogEntry.objects.count()
    grant = role_grant(user=target, role=Role.AUDITOR, actor=second, now=NOW, reason="季度抽查需要审计员")
    role_revoke(grant=grant, actor=actor, now=NOW, reason="抽查结束")
    user_deactivate(user=target, reason="离职交接完毕", actor=actor, now=NOW)
    user_reactivate(user=target, reason="返聘", actor=actor, now=NOW)
    entries = list(LogEntry.objects.filter(index__gte=before).order_by("index"))
    assert [e.event_type for e in entries] == ["duties.proposal_decided", "accounts.role_granted",
                                               "accounts.role_revoked",
                                               "accounts.user_deactivated", "accounts.user_reactivated"]
    for entry, reason in zip(entries[1:], ["季度抽查需要审计员", "抽查结束", "离职交接完毕", "返聘"], strict=True):
        assert reason.encode() not in bytes(entry.entry)
        assert b"reason_commitment" in bytes(entry.entry)
    grant.refresh_from_db()
    assert (grant.grant_reason, grant.granted_by_id, grant.revoke_reason, grant.revoked_by_id) == (
        "季度抽查需要审计员", second.pk, "抽查结束", admin.pk)
    assert db_audit().ok, db_audit().summary()


def test_deactivating_twice_is_a_conflict(admin):
    target = make_user()
    user_deactivate(user=target, reason="x", actor=verified(admin), now=NOW)
    assert _refused(lambda: user_deactivate(user=target, reason="x", actor=verified(admin), now=NOW)).code \
        == "user_already_inactive"
    assert AccountStatusChange.objects.filter(user=target).count() == 1


# --- sessions -------------------------------------------------------------------------------------------------

def test_deactivation_ends_the_users_sessions_at_once(admin):
    target = make_user("leaving")
    client = Client()
    assert client.post("/accounts/login/", {"username": "leaving", "password": PASSWORD}).status_code == 302
    other = client_for(make_user())
    assert client.get("/api/v1/me").status_code == 200
    user_deactivate(user=target, reason="离职", actor=verified(admin), now=NOW)
    assert client.get("/api/v1/me").status_code == 401  # the old session cookie is anonymous now
    assert client.get("/dashboard/").status_code == 302
    assert other.get("/api/v1/me").status_code == 200  # other people's sessions stay


def test_a_revoked_role_stops_working_at_the_next_request(admin):
    auditor = make_staff(Role.AUDITOR)
    grant = RoleGrant.objects.get(user=auditor, role=Role.AUDITOR)
    client = client_for(auditor)
    assert "auditor" in client.get("/api/v1/me").json()["roles"]
    role_revoke(grant=grant, actor=verified(admin), now=NOW, reason="调岗")
    assert client.get("/api/v1/me").json()["roles"] == []


# --- pages ----------------------------------------------------------------------------------------------------

def test_non_admins_cannot_open_the_page():
    assert Client().get("/accounts/users/").status_code == 302
    assert client_for(make_user()).get("/accounts/users/").status_code == 403
    assert client_for(make_staff(Role.REVIEWER)).get("/accounts/users/").status_code == 403


def test_an_admin_without_two_factor_is_sent_to_the_two_factor_step(admin):
    response = client_for(admin, two_factor=False).get("/accounts/users/")
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
    target = make_user()
    response = client_for(admin, two_factor=False).post(f"/accounts/users/{target.pk}/deactivate/",
                                                         {"status-reason": "x"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_active


def test_the_list_is_paginated_and_searchable(admin):
    company = organisation_create(kind=OrganisationKind.ENTERPRISE, name="雁栖湖影业", now=NOW)
    member = make_user("yanqi_staff", display_name="王五")
    organisation_add_member(organisation=company, user=member, now=NOW)
    for number in range(USERS_PER_PAGE + 3):
        make_user(f"bulk{number:03d}")
    client = client_for(admin)
    first = client.get("/accounts/users/")
    assert first.status_code == 200
    assert len(first.context["page"].object_list) == USERS_PER_PAGE
    second = client.get("/accounts/users/?page=2")
    assert second.context["page"].number == 2 and 'rel="prev"' in second.content.decode()
    for query in ("YANQI", "王五", "雁栖湖", "ｙａｎｑｉ"):
        found = client.get("/accounts/users/", {"q": query}).context["page"].object_list
        assert [u.username for u in found] == ["yanqi_staff"], query
    assert not client.get("/accounts/users/", {"q": "nobody-like-this"}).context["page"].object_list


def test_an_admin_grants_and_revokes_a_role_on_the_page(admin):
    target = make_user("newcomer")
    client = client_for(admin)
    proposed = client.post(f"/accounts/users/{target.pk}/roles/", {"role": "reviewer", "reason": "新入职"},
                           follow=True)
    assert "须由另一名工作人员确认后生效" in proposed.content.decode()
    assert not RoleGrant.objects.filter(user=target).exists()
    assert "提议“授予工作人员角色”，等待另一名工作人员确认" in client.get(f"/accounts/users/{target.pk}/").content.decode()
    second = client_for(make_staff(Role.ADMIN))
    response = second.post(f"/accounts/users/{target.pk}/roles/", {"role": "reviewer", "reason": "新入职"})
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=target, role=Role.REVIEWER, revoked_at__isnull=True)
    page = client.get(f"/accounts/users/{target.pk}/").content.decode()
    assert "新入职" in page and "审核员" in page
    response = client.post(f"/accounts/users/{target.pk}/roles/{grant.pk}/revoke/", {"revoke-reason": "调岗"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoke_reason == "调岗"
    assert "调岗" in client.get(f"/accounts/users/{target.pk}/").content.decode()


def test_page_refusals_are_shown_beside_the_field(admin):
    target = make_user()
    client = client_for(admin)
    missing = client.post(f"/accounts/users/{target.pk}/roles/", {"role": "reviewer", "reason": ""})
    assert missing.status_code == 400 and str(MSG_REASON_REQUIRED) in missing.content.decode()
    unknown = client.post(f"/accounts/users/{target.pk}/roles/", {"role": "superuser", "reason": "x"})
    assert unknown.status_code == 400 and str(MSG_ROLE_UNKNOWN) in unknown.content.decode()
    self_grant = client.post(f"/accounts/users/{admin.pk}/roles/", {"role": "auditor", "reason": "x"})
    assert self_grant.status_code == 403 and str(MSG_ROLE_GRANT_SELF) in self_grant.content.decode()
    self_off = client.post(f"/accounts/users/{admin.pk}/deactivate/", {"status-reason": "x"})
    assert self_off.status_code == 403 and str(MSG_DEACTIVATE_SELF) in self_off.content.decode()
    assert not RoleGrant.objects.filter(user=target).exists()
    assert client.get("/accounts/users/999999/").status_code == 404


def test_a_proposal_awaiting_a_second_admin_is_shown_as_information(admin):
    target = make_user()
    client = client_for(admin)
    response = client.post(f"/accounts/users/{target.pk}/roles/", {"role": "approver", "reason": "x"}, follow=True)
    assert 'class="msg info"' in response.content.decode()
    assert "须由另一名工作人员确认后生效" in response.content.decode()
    assert not RoleGrant.objects.filter(user=target).exists()


def test_an_admin_deactivates_and_reactivates_on_the_page(admin):
    target = make_user("leaver")
    client = client_for(admin)
    response = client.post(f"/accounts/users/{target.pk}/deactivate/", {"status-reason": "合同到期"}, follow=True)
    assert "合同到期" in response.content.decode()
    target.refresh_from_db()
    assert not target.is_active
    assert Client().post("/accounts/login/", {"username": "leaver", "password": PASSWORD}).status_code == 200
    client.post(f"/accounts/users/{target.pk}/reactivate/", {"status-reason": "续约"})
    target.refresh_from_db()
    assert target.is_active


def test_system_grants_from_the_shell_need_no_reason():
    grant = role_grant(user=make_user(), role=Role.FINANCE, actor=SYSTEM, now=NOW)
    assert grant.grant_reason == "" and grant.granted_by_id is None
    assert User.objects.filter(pk=grant.user_id, role_grants__role=Role.FINANCE).exists()


# --- API ------------------------------------------------------------------------------------------------------

def test_the_api_lists_grants_revokes_and_deactivates(admin):
    target = make_user("api_target", display_name="赵六")
    client = client_for(admin)
    listed = client.get("/api/v1/users", {"q": "赵六"}).json()
    assert listed["count"] == 1 and listed["users"][0]["username"] == "api_target"
    proposed = client.post(f"/api/v1/users/{target.pk}/roles", {"role": "finance", "reason": "财务岗"},
                           content_type="application/json")
    assert proposed.status_code == 202 and proposed.json()["code"] == "second_person_required"
    granted = client_for(make_staff(Role.ADMIN)).post(f"/api/v1/users/{target.pk}/roles",
                                                      {"role": "finance", "reason": "财务岗"},
                                                      content_type="application/json")
    assert granted.status_code == 201 and granted.json()["role"] == "finance"
    grant_id = granted.json()["id"]
    assert client.get("/api/v1/users", {"q": "api_target"}).json()["users"][0]["staff_roles"] == ["finance"]
    revoked = client.post(f"/api/v1/users/{target.pk}/roles/{grant_id}/revoke", {"reason": "调岗"},
                          content_type="application/json")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    off = client.post(f"/api/v1/users/{target.pk}/deactivate", {"reason": "离职"}, content_type="application/json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    on = client.post(f"/api/v1/users/{target.pk}/reactivate", {"reason": "返聘"}, content_type="application/json")
    assert on.json()["is_active"] is True


def test_the_api_refuses_with_stable_codes(admin):
    target = make_user()
    client = client_for(admin)
    cases = [
        (f"/api/v1/users/{target.pk}/roles", {"role": "reviewer"}, 400, "reason_required"),
        (f"/api/v1/users/{target.pk}/roles", {"role": "root", "reason": "x"}, 400, "role_unknown"),
        (f"/api/v1/users/{admin.pk}/roles", {"role": "auditor", "reason": "x"}, 403, "role_grant_self"),
        (f"/api/v1/users/{admin.pk}/deactivate", {"reason": "x"}, 403, "user_deactivate_self"),
        ("/api/v1/users/999999/deactivate", {"reason": "x"}, 404, "user_not_found"),
    ]
    for url, body, status, code in cases:
        response = client.post(url, body, content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (status, code), url
    for other in (client_for(make_staff(Role.REVIEWER)), client_for(admin, two_factor=False)):
        response = other.get("/api/v1/users")
        assert (response.status_code, response.json()["code"]) == (403, "admin_only")
    assert Client().get("/api/v1/users").status_code == 401


def test_the_list_filters_by_role_and_status_on_the_page_and_the_api(admin):
    reviewer = make_staff(Role.REVIEWER, "reviewer_one")
    gone = make_user("gone_user")
    user_deactivate(user=gone, reason="离职", actor=SYSTEM, now=NOW)
    client = client_for(admin)
    by_role = client.get("/accounts/users/", {"role": "reviewer"})
    assert [u.username for u in by_role.context["page"].object_list] == [reviewer.username]
    assert [u["username"] for u in client.get("/api/v1/users", {"role": "reviewer"}).json()["users"]] == [
        reviewer.username]
    assert [u.username for u in client.get("/accounts/users/", {"active": "no"}).context["page"].object_list] == [
        "gone_user"]
    assert "gone_user" not in [u["username"] for u in client.get("/api/v1/users", {"active": "yes"}).json()["users"]]
    bad = client.get("/accounts/users/", {"role": "enterprise_member"})
    assert bad.status_code == 400 and "role" in bad.context["listing"].form.errors
    assert 'data-testid="list-error"' in bad.content.decode()
    api = client.get("/api/v1/users", {"active": "maybe"})
    assert api.status_code == 400 and api.json()["code"] == "filter_invalid"
