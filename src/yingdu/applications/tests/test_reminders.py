from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.core import mail

from yingdu.accounts.models import Role
from yingdu.applications import services
from yingdu.applications.reminders import application_reminders_send
from yingdu.policy.selectors import work_calendar
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_staff
from yingdu.transparency.models import LogEntry

from .support import draft, eligible_works, member_of

pytestmark = pytest.mark.django_db

ACCEPTED_AT = datetime(2026, 9, 1, 2, 0, tzinfo=dt_timezone.utc)  # 10:00 in Beijing


def accepted_application(work, reviewer):
    application = services.application_submit(application=draft(work, now=ACCEPTED_AT),
                                              actor=member_of(work.enterprise), now=ACCEPTED_AT)
    return services.application_accept(application=application, actor=reviewer, now=ACCEPTED_AT)


def test_a_reviewer_gets_one_digest_a_day_of_applications_at_risk(enterprise, meter, reviewer):
    reviewer.email = "reviewer@huairou.example"
    reviewer.save()
    relaxed = verified(make_staff(Role.REVIEWER))
    relaxed.email = "relaxed@huairou.example"
    relaxed.save()
    at_risk_work, other_work = eligible_works(enterprise, meter, 2)
    at_risk = accepted_application(at_risk_work, reviewer)
    calendar = work_calendar()
    deadline = calendar.add_working_days(start_on=at_risk.accepted_on, working_days=at_risk.sla_working_days)
    three_days_before = calendar.add_working_days(start_on=at_risk.accepted_on,
                                                  working_days=at_risk.sla_working_days - 3)
    on_track_day = calendar.add_working_days(start_on=at_risk.accepted_on, working_days=2)
    accepted_application(other_work, relaxed)

    assert application_reminders_send(today=on_track_day, now=ACCEPTED_AT) == 0
    before = LogEntry.objects.count()
    assert application_reminders_send(today=three_days_before, now=ACCEPTED_AT) == 2
    assert {m.to[0] for m in mail.outbox} == {"reviewer@huairou.example", "relaxed@huairou.example"}
    message = next(m for m in mail.outbox if m.to == ["reviewer@huairou.example"])
    assert f"截止 {deadline:%Y-%m-%d}，剩余 3 个工作日" in message.body
    assert list(LogEntry.objects.filter(index__gte=before).values_list("event_type", flat=True)) == [
        "applications.reminder", "applications.reminder"]
    assert application_reminders_send(today=three_days_before, now=ACCEPTED_AT) == 0
    assert len(mail.outbox) == 2


def test_overdue_applications_show_on_the_staff_dashboard(enterprise, meter, reviewer):
    from yingdu.testing.clients import client_for
    [work] = eligible_works(enterprise, meter, 1)
    accepted_application(work, reviewer)
    page = client_for(make_staff(Role.AUDITOR)).get("/dashboard/").content.decode()
    # accepted on 2026-09-01, 30 working days → due in October 2026: overdue by today's date (late November)
    assert "超期申请" in page and work.title in page and "个工作日" in page
