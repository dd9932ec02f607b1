"""Shared data for the oversight tests: staff, a verified enterprise, and works supported by vouchers in 2026Q3."""

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from yingdu.accounts.models import Role
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_staff, make_user, make_work
from yingdu.transparency.services import checkpoint_sign
from yingdu.vouchers.services import voucher_issue

SHANGHAI = ZoneInfo("Asia/Shanghai")
_application_ids = itertools.count(50_000)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


IN_Q3 = at(date(2026, 8, 10))
Q3_LAST_HOUR = at(date(2026, 9, 30), 23)
AFTER_Q3 = at(date(2026, 10, 9))



@pytest.fixture
def auditor(db):
    return verified(make_staff(Role.AUDITOR))


@pytest.fixture
def second_auditor(db):
    return verified(make_staff(Role.AUDITOR))


@pytest.fixture
def admin(db):
    return verified(make_staff(Role.ADMIN))


@pytest.fixture
def approver(db):
    return verified(make_staff(Role.APPROVER))


@pytest.fixture
def enterprise(db):
    member = make_user(email="member@example.com")
    return make_enterprise(member=member, verified_by=verified(make_staff(Role.REVIEWER)))


def supported_work(enterprise, approver, *, now: datetime = IN_Q3, amount_fen: int = 1_000_000):
    """A work of the enterprise with a voucher issued (its application approved) at ``now``."""
    work = make_work(enterprise)
    voucher = voucher_issue(enterprise=enterprise, work_id=work.pk, application_id=next(_application_ids),
                            amount_fen=amount_fen, actor=approver, now=now)
    return work, voucher


@pytest.fixture
def q3_works(enterprise, approver):
    """Four supported works in 2026Q3 (the default policy draws at least 3), and the checkpoint at its end."""
    works = [supported_work(enterprise, approver)[0] for _ in range(4)]
    checkpoint_sign(now=Q3_LAST_HOUR)
    return works
