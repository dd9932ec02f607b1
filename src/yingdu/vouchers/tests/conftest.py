"""Shared data for the voucher tests: a policy in force from 2030 with a budget, a validity and two categories."""

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from yingdu.accounts.models import Role
from yingdu.actors import SYSTEM
from yingdu.policy.services import policy_version_create_draft, policy_version_publish
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user
from yingdu.vouchers.services import voucher_issue

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY_FROM = date(2030, 1, 1)
BUDGET_FEN = 10_000_000  # 100,000.00 yuan
VALIDITY_DAYS = 60
_application_ids = itertools.count(1000)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


ISSUE_NOW = at(date(2030, 3, 1))



@pytest.fixture(autouse=True)
def _no_code_lockouts():
    """The wrong-code counters live in the cache, which outlives one test."""
    from django.core.cache import cache
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def voucher_policy(db):
    draft = policy_version_create_draft(
        version_id="vouchers-test-2030", title="算力券测试政策", actor=SYSTEM, now=at(date(2026, 11, 1)),
        terms={"annual_budget_fen": BUDGET_FEN, "voucher_validity_days": VALIDITY_DAYS,
               "eligible_service_categories": ["compute", "model_service"]})
    # published "now" (real time) to take effect in 2030, after every other version
    from django.utils import timezone
    return policy_version_publish(version=draft, effective_from=POLICY_FROM, actor=SYSTEM, now=timezone.now())


@pytest.fixture
def approver(db):
    return verified(make_staff(Role.APPROVER))


@pytest.fixture
def finance(db):
    return verified(make_staff(Role.FINANCE))


@pytest.fixture
def enterprise(db):
    member = make_user(email="member@example.com")
    return make_enterprise(member=member, verified_by=verified(make_staff(Role.REVIEWER)))


@pytest.fixture
def member(enterprise):
    return verified(enterprise.registered_by)


@pytest.fixture
def metered(db):
    return make_metering_provider()


def issue(enterprise, approver, amount_fen: int = 1_000_000, *, now: datetime = ISSUE_NOW, application_id=None,
          work_id: int = 1):
    return voucher_issue(enterprise=enterprise, work_id=work_id,
                         application_id=application_id or next(_application_ids), amount_fen=amount_fen,
                         actor=approver, now=now)
