"""The 公示 objection in the log: written through the real services, audited, and an edit behind the log is named."""

import pytest

from yingdu.accounts.models import Role
from yingdu.applications import services as applications
from yingdu.applications.tests.support import declare, draft, member_of, meter_usage, release
from yingdu.audits.dbaudit import db_audit
from yingdu.publicity.models import PublicityObjection
from yingdu.publicity.selectors import publicity_awards
from yingdu.publicity.services import publicity_objection_submit
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff

from .support import beijing, publicity_policy

pytestmark = pytest.mark.django_db

APPROVED_AT = beijing(2026, 9, 30, 15)


@pytest.fixture
def objection():
    publicity_policy(working_days=5)
    reviewer, approver = verified(make_staff(Role.REVIEWER)), verified(make_staff(Role.APPROVER))
    enterprise = make_enterprise(verified_by=reviewer)
    work = declare(enterprise, title="星河迷途", now=APPROVED_AT)
    meter_usage(make_metering_provider(), [work])
    release(work, now=APPROVED_AT)
    application = applications.application_submit(application=draft(work, now=APPROVED_AT),
                                                   actor=member_of(enterprise), now=APPROVED_AT)
    applications.application_accept(application=application, actor=reviewer, now=APPROVED_AT)
    applications.application_start_review(application=application, actor=reviewer, now=APPROVED_AT)
    approved = applications.application_approve(application=application, actor=approver, now=APPROVED_AT)
    [award] = publicity_awards(today=beijing(2026, 10, 9).date())
    assert award.application_id == approved.pk and award.amount_fen == approved.approved_amount_fen > 0
    return publicity_objection_submit(application_id=approved.pk, contact="someone@example.com",
                                      content="请核实该作品的制作地点是否在怀柔。", client="203.0.113.1",
                                      today=beijing(2026, 10, 9).date(), now=beijing(2026, 10, 9, 10))


def test_an_objection_through_the_services_leaves_the_audit_clean(objection):
    report = db_audit()
    assert report.ok, report.summary()


def test_tampering_with_an_objection_is_named(objection):
    from yingdu.testing.tamper import assert_tampering_is_named

    assert_tampering_is_named(PublicityObjection)


def test_an_objection_text_changed_behind_the_log_is_named(objection):
    PublicityObjection.objects.filter(pk=objection.pk).update(content="改过的内容，与日志中的承诺不一致。")
    assert any(m.table == "publicity_publicityobjection" and m.row == objection.pk for m in db_audit().mismatches)
