"""The workbench (工作台): each role sees what waits for it, and only its own; lists are bounded; counts are right and
appear in the navigation."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yingdu.accounts.models import Role
from yingdu.applications import services
from yingdu.applications.tests.support import draft, eligible_works, member_of
from yingdu.portal.selectors import WORKBENCH_LIST_SIZE, workbench_counts, workbench_for
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user

pytestmark = pytest.mark.django_db

# a fixed moment (Beijing, Monday 2026-09-21 10:00); the pages read the clock, frozen here
NOW = datetime(2026, 9, 21, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reviewer():
    return verified(make_staff(Role.REVIEWER))


@pytest.fixture
def meter():
    return make_metering_provider()


def _supplement_requested(enterprise, meter, reviewer, count: int = 1) -> list:
    applications = []
    for work in eligible_works(enterprise, meter, count):
        application = draft(work, now=NOW)
        application = services.application_submit(application=application, actor=member_of(enterprise), now=NOW)
        application = services.application_accept(application=application, actor=reviewer, now=NOW)
        application = services.application_start_review(application=application, actor=reviewer, now=NOW)
        applications.append(services.application_request_supplement(
            application=application, actor=reviewer, items=["授权链文件"], message="请补充", now=NOW))
    return applications


def _lists(user) -> dict:
    return {work_list.key: work_list for work_list in workbench_for(user, today=TODAY)}


def _nav_count(page: str, label: str) -> int:
    found = re.search(rf">{label} <span class=\"nav-count\"[^>]*>(\d+)</span>", page)
    return int(found.group(1)) if found else 0


def test_an_enterprise_sees_its_supplements_and_notices_and_never_another_s(meter, reviewer):
    mine, theirs = make_enterprise(verified_by=reviewer), make_enterprise(verified_by=reviewer)
    [application] = _supplement_requested(mine, meter, reviewer)
    lists = _lists(mine.registered_by)
    assert lists["supplements_due"].count == 1
    [item] = lists["supplements_due"].items
    assert item.url == f"/applications/{application.pk}/#supplements" and application.work.title in item.label
    # the review issued the work's data notice: not yet delivered, it is listed first; opening it starts the window
    assert lists["notices_in_window"].count == 1
    [notice_item] = lists["notices_in_window"].items
    assert notice_item.due_on is None and "查看即送达" in notice_item.note
    client_for(mine.registered_by).get(notice_item.url)
    lists = _lists(mine.registered_by)
    assert lists["notices_in_window"].count == 1 and lists["notices_in_window"].items[0].due_on > TODAY
    other = _lists(theirs.registered_by)
    assert other["supplements_due"].count == 0 and other["notices_in_window"].count == 0
    assert not other["supplements_due"].items
    # an enterprise member sees no staff list
    assert "queue" not in lists and "awaiting_approval" not in lists and "four_eyes" not in lists

    page = client_for(mine.registered_by).get("/dashboard/").content.decode()
    assert f'href="/applications/{application.pk}/#supplements"' in page
    assert _nav_count(page, "工作台") == 2 and _nav_count(page, "补贴申请") == 1 and _nav_count(page, "数据告知书") == 1
    other_page = client_for(theirs.registered_by).get("/dashboard/").content.decode()
    assert f"/applications/{application.pk}/" not in other_page and _nav_count(other_page, "工作台") == 0


def test_lists_are_bounded_with_the_count_and_a_link_to_all_and_cost_the_same_queries(meter, reviewer):
    first, second = make_enterprise(verified_by=reviewer), make_enterprise(verified_by=reviewer)
    _supplement_requested(first, meter, reviewer, count=1)
    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as one:
        client.get("/dashboard/")
    # the annual limit allows 5 works per enterprise: the queue's 7 open applications come from two
    _supplement_requested(first, meter, reviewer, count=3)
    _supplement_requested(second, meter, reviewer, count=3)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/dashboard/").content.decode()
    queue = _lists(reviewer)["queue"]
    assert queue.count == 7 and len(queue.items) == WORKBENCH_LIST_SIZE < 7
    assert "查看全部 7 项" in page and _nav_count(page, "审核队列") == 7
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_reviewer_sees_the_queue_and_the_approver_only_what_they_did_not_review(meter, reviewer):
    enterprise = make_enterprise(verified_by=reviewer)
    [application] = _supplement_requested(enterprise, meter, reviewer)
    application = services.application_resubmit(application=application, actor=member_of(enterprise), now=NOW)
    lists = _lists(reviewer)
    assert lists["queue"].count == 1 and lists["queue"].items[0].url == f"/applications/{application.pk}/"
    assert "supplements_due" not in lists and "awaiting_approval" not in lists
    approver = verified(make_staff(Role.APPROVER))
    assert [i.url for i in _lists(approver)["awaiting_approval"].items] == [f"/applications/{application.pk}/"]
    # a reviewer who also approves is not offered what they reviewed (four eyes)
    both = verified(make_user(roles=(Role.REVIEWER, Role.APPROVER), totp=True))
    services.application_request_supplement(application=application, actor=both, items=["x"], message="y", now=NOW)
    application = services.application_resubmit(application=application, actor=member_of(enterprise), now=NOW)
    assert _lists(both)["awaiting_approval"].count == 0
    assert _lists(approver)["awaiting_approval"].count == 1
    assert workbench_counts(approver, today=TODAY)["/dashboard/"] == 1


def test_finance_auditor_and_admin_get_their_own_lists_and_no_enterprise_list(reviewer):
    finance = verified(make_staff(Role.FINANCE))
    auditor = verified(make_staff(Role.AUDITOR))
    admin = verified(make_staff(Role.ADMIN))
    assert {"statements_to_pay", "claims_open", "four_eyes"} <= set(_lists(finance))
    assert {"cases_due", "four_eyes"} <= set(_lists(auditor))
    assert {"calendar_due", "queue", "cases_due"} <= set(_lists(admin))
    for user in (finance, auditor, admin):
        assert "supplements_due" not in _lists(user)
    response = client_for(auditor).get("/dashboard/")
    assert response.status_code == 200 and 'data-testid="worklist-cases_due"' in response.content.decode()


def test_the_workbench_needs_a_login():
    response = client_for_anonymous().get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def client_for_anonymous():
    from django.test import Client

    return Client()


def test_the_navigation_counts_agree_with_the_workbench_in_one_query_per_request(meter, reviewer):
    enterprise = make_enterprise(verified_by=reviewer)
    _supplement_requested(enterprise, meter, reviewer, count=2)
    everyone = verified(make_user(roles=(Role.REVIEWER, Role.APPROVER, Role.FINANCE, Role.AUDITOR, Role.ADMIN),
                                  totp=True))
    for user in (reviewer, everyone, verified(make_staff(Role.FINANCE))):
        expected: dict[str, int] = {}
        for work_list in workbench_for(user, today=TODAY):
            expected[work_list.nav_url] = expected.get(work_list.nav_url, 0) + work_list.count
        with CaptureQueriesContext(connection) as counting:
            counts = workbench_counts(user, today=TODAY)
        assert len(counting.captured_queries) <= 3  # the user's roles (and the calendar for an admin), one count
        assert counts.pop("/dashboard/") == sum(expected.values())
        assert {url: n for url, n in counts.items() if n} == {url: n for url, n in expected.items() if n}
    member = member_of(enterprise)
    assert workbench_counts(member, today=TODAY)["/applications/"] == 2


def test_a_list_that_can_match_nothing_counts_zero_beside_the_others(reviewer):
    # a staff member who is not a reviewer may decide no 公示 objection: that list is .none(), which compiles to no
    # SQL; the navigation's one counting query must still answer, with 0 for it
    from yingdu.portal.selectors import _counts_in_one_query
    from yingdu.publicity.models import PublicityObjection

    assert _counts_in_one_query([PublicityObjection.objects.none(), PublicityObjection.objects.all()]) == [0, 0]
    admin = verified(make_staff(Role.ADMIN))
    assert client_for(admin).get("/accounts/users/").status_code == 200
