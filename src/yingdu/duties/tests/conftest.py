"""One world for the separation-of-duties tests: an enterprise whose former member M is now staff in every role.

Built through the real services while M is still the enterprise's member (works, usage, an application, a data
notice with an objection, a voucher with a confirmed redemption and a settlement statement, a spot-check case);
then M leaves the enterprise and is granted every staff role.
"""

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from yingdu.accounts.models import STAFF_ROLES, Role
from yingdu.accounts.services import role_grant, totp_device_issue
from yingdu.actors import SYSTEM
from yingdu.applications import services as applications
from yingdu.applications.tests.support import draft, eligible_works
from yingdu.audits import draws
from yingdu.duties.services import membership_end
from yingdu.notices import services as notices
from yingdu.notices.tests.conftest import evidence
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user, make_work
from yingdu.testing.redemptions import redeem_with_code
from yingdu.transparency.services import checkpoint_sign
from yingdu.vouchers import services as vouchers
from yingdu.vouchers.redemptions import redemption_confirm

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday in a week without holidays; the default policy (from 2026-04-01) is in force.
NOW = datetime(2026, 11, 10, 10, tzinfo=SHANGHAI)
IN_Q3 = datetime(2026, 8, 10, 10, tzinfo=SHANGHAI)



def staff(role: str):
    return verified(make_staff(role))


def make_insider(member):
    """The enterprise's former member, now holding every staff role with two-factor."""
    membership_end(user=member, reason="调任区文促中心", actor=SYSTEM, now=NOW)
    for role in sorted(STAFF_ROLES):
        role_grant(user=member, role=role, actor=SYSTEM, now=NOW)
    totp_device_issue(user=member, name="test", actor=SYSTEM, now=NOW)
    return verified(member)


@pytest.fixture
def world(db):
    reviewer, approver, finance, auditor = (staff(r) for r in (Role.REVIEWER, Role.APPROVER, Role.FINANCE,
                                                                Role.AUDITOR))
    member = make_user(email="insider@drama.example.cn")
    enterprise = make_enterprise(member=member, verified_by=reviewer)
    acting_member = verified(member)
    meter = make_metering_provider()
    works = eligible_works(enterprise, meter, 2)
    application = applications.application_submit(application=draft(works[0]), actor=acting_member, now=NOW)
    notice = notices.data_notice_issue(work=works[0], period_start_on=date(2026, 3, 1),
                                       period_end_on=date(2026, 3, 31), actor=reviewer, now=NOW)
    record = notice_record(notice)
    objection = notices.objection_file(notice=notice, explanation="节点当日实际用量更高。", evidence=[evidence()],
                                       claims=[(record.pk, "2000")], actor=acting_member, now=NOW)
    voucher = vouchers.voucher_issue(enterprise=enterprise, work_id=works[1].pk, application_id=90_001,
                                     amount_fen=100_000, actor=approver, now=NOW)
    operator = verified(meter.operator)
    redemption = redeem_with_code(provider=meter.provider, voucher=voucher, order_ref="O-1", amount_fen=10_000,
                                  actor=operator, now=NOW)
    redemption_confirm(redemption=redemption.redemption, actor=acting_member, now=NOW)
    statement = vouchers.settlement_create(provider=meter.provider, period_start_on=date(2026, 1, 1),
                                           period_end_on=date(2026, 11, 10), actor=finance, now=NOW)
    # a spot-check case: four works supported in 2026Q3, drawn after the quarter
    for number in range(4):
        vouchers.voucher_issue(enterprise=enterprise, work_id=make_work(enterprise).pk,
                               application_id=90_100 + number, amount_fen=50_000, actor=approver, now=IN_Q3)
    checkpoint_sign(now=datetime(2026, 9, 30, 23, tzinfo=SHANGHAI))
    draw = draws.draw_run(quarter="2026Q3", actor=SYSTEM, now=datetime(2026, 10, 9, 10, tzinfo=SHANGHAI))
    case = draw.cases.order_by("rank").first()
    return SimpleNamespace(member=member, enterprise=enterprise, meter=meter, works=works, application=application,
                           notice=notice, record=record, objection=objection, voucher=voucher, statement=statement,
                           case=case, reviewer=reviewer, approver=approver, finance=finance, auditor=auditor)


def notice_record(notice):
    from yingdu.metering.models import UsageRecord

    return UsageRecord.objects.filter(work=notice.work).order_by("pk").first()
