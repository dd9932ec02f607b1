from datetime import UTC, datetime

import pytest
from django.utils import timezone

from yingdu.accounts.models import OrganisationKind, Role, RoleGrant, User
from yingdu.accounts.services import (
    MSG_ALREADY_MEMBER,
    MSG_NOT_ADMIN,
    MSG_TOTP_INVALID,
    MSG_USERNAME_TAKEN,
    organisation_add_member,
    organisation_create,
    role_grant,
    totp_device_confirm,
    totp_device_start,
    user_register,
)
from yingdu.errors import DomainError
from yingdu.testing.clients import verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import PASSWORD, make_staff, make_user

pytestmark = pytest.mark.django_db


GRANTED_AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

def test_a_username_differing_only_in_case_is_refused_as_taken():
    make_user("Zhang_Wei")
    with pytest.raises(DomainError) as caught:
        user_register(username=" zhang_wei ", password=PASSWORD, now=timezone.now())
    assert (caught.value.code, caught.value.status, caught.value.message) == ("username_taken", 409,
                                                                              MSG_USERNAME_TAKEN)
    assert User.objects.filter(username__iexact="zhang_wei").count() == 1


def test_a_member_of_one_organisation_cannot_join_another():
    first = organisation_create(kind=OrganisationKind.ENTERPRISE, name="甲公司", now=timezone.now())
    second = organisation_create(kind=OrganisationKind.PROVIDER, name="乙服务商", now=timezone.now())
    user = make_user()
    organisation_add_member(organisation=first, user=user, now=timezone.now())
    with pytest.raises(DomainError) as caught:
        organisation_add_member(organisation=second, user=user, now=timezone.now())
    assert (caught.value.code, caught.value.message) == ("already_member", MSG_ALREADY_MEMBER)
    user.refresh_from_db()
    assert user.organisation_id == first.pk


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR])
def test_only_an_admin_may_grant_roles(role):
    actor = verified(make_staff(role))
    target = make_user()
    with pytest.raises(DomainError) as caught:
        role_grant(user=target, role=Role.ADMIN, actor=actor, now=timezone.now())
    assert (caught.value.code, caught.value.status, caught.value.message) == ("role_grant_forbidden", 403,
                                                                              MSG_NOT_ADMIN)
    assert not RoleGrant.objects.filter(user=target).exists()


def test_an_admin_who_skipped_two_factor_cannot_grant_roles():
    admin = make_staff(Role.ADMIN)
    with pytest.raises(DomainError) as caught:
        role_grant(user=make_user(), role=Role.REVIEWER, actor=admin, now=timezone.now())
    assert caught.value.code == "role_grant_forbidden"


def test_granting_an_active_role_again_returns_the_existing_grant():
    admin = verified(make_staff(Role.ADMIN))
    target = make_user()
    first = two_people(role_grant, first=admin, second=verified(make_staff(Role.ADMIN)), user=target,
                       role=Role.REVIEWER, now=GRANTED_AT, reason="新入职")
    again = role_grant(user=target, role=Role.REVIEWER, actor=admin, now=GRANTED_AT, reason="新入职")
    assert again.pk == first.pk
    assert RoleGrant.objects.filter(user=target).count() == 1


def test_a_wrong_first_code_does_not_confirm_enrolment():
    device = totp_device_start(user=make_user(), now=timezone.now())
    with pytest.raises(DomainError) as caught:
        totp_device_confirm(device=device, token="abcdef", now=timezone.now())
    assert (caught.value.code, caught.value.message) == ("totp_invalid", MSG_TOTP_INVALID)
    device.refresh_from_db()
    assert device.confirmed is False
