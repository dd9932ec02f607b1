import pytest
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.policy import services
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_staff


@pytest.fixture
def admin():
    return verified(make_staff(Role.ADMIN))


@pytest.fixture
def reviewer():
    return verified(make_staff(Role.REVIEWER))


@pytest.fixture
def draft(admin):
    return services.policy_version_create_draft(version_id="huairou-2027-01", title="2027 年修订", actor=admin,
                                                now=timezone.now())
