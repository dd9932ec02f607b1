import pytest

from yingdu.accounts.models import Role
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff


@pytest.fixture
def reviewer():
    return verified(make_staff(Role.REVIEWER))


@pytest.fixture
def approver():
    return verified(make_staff(Role.APPROVER))


@pytest.fixture
def enterprise(reviewer):
    return make_enterprise(verified_by=reviewer)


@pytest.fixture
def meter():
    return make_metering_provider()
