import pytest
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.policy import services
from yingdu.testing.clients import verified
from yingdu.testing.factories import calendar_from_year_cleared, make_staff


@pytest.fixture(autouse=True)
def _no_calendar_from_2027(db):
    """These tests import 2027 themselves: start without the provisional years the seed derived for the real date."""
    calendar_from_year_cleared(2027)


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
