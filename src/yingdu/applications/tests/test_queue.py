"""The staff queue sorts, filters and pages in the database on a stored review clock (issue 18, item 1), and that
clock is kept equal to the one computed from the audited rows by every service that moves it."""

from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yingdu.accounts.models import Role
from yingdu.accounts.services import role_grant
from yingdu.actors import SYSTEM
from yingdu.applications import services, views
from yingdu.applications.models import Application
from yingdu.applications.selectors import application_queue, application_queue_queryset, application_sla
from yingdu.applications.tasks import application_reminders_run
from yingdu.notices.models import DataNotice
from yingdu.notices.services import objection_decide, objection_file
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_staff

from .support import declare, draft, member_of, meter_usage, pdf, release

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def submitted(enterprise, meter, *, on: date, title: str):
    """A submitted application for a new eligible work of the enterprise."""
    work = declare(enterprise, title=title, now=at(date(2026, 1, 5)))
    release(work, now=at(date(2026, 4, 21)))
    meter_usage(meter, [work])
    return services.application_submit(application=draft(work, now=at(on)), actor=member_of(enterprise),
                                       now=at(on))


def stored(application) -> tuple:
    application.refresh_from_db()
    return (application.sla_deadline_on, application.sla_deadline_not_before, application.sla_paused)


def computed(application, today: date | None = None) -> tuple:
    """The clock from the audited rows as of ``today`` (by default the day the stored one was refreshed)."""
    application = Application.objects.get(pk=application.pk)
    sla = application_sla(application, today=today or application.sla_refreshed_on)
    if sla is None:
        return (None, None, False)
    return (sla.deadline_on, sla.deadline_not_before, sla.paused_now)


def oracle_order(rows) -> list[int]:
    """The queue's rule, stated from the computed clock: awaiting intake first by submission; then fewest working
    days left (overdue first), then the deadline; deadlines beyond the calendars last; then by submission."""
    def key(row):
        if row.sla is None:
            return (0, (0, 0, date.min), row.application.submitted_at, row.application.pk)
        return (1, row.sla.sort_key, row.application.submitted_at, row.application.pk)
    return [row.application.pk for row in sorted(rows, key=key)]


@pytest.fixture
def queue(reviewer, meter):
    """Eight applications across two enterprises: two awaiting intake, four accepted on different days (one of
    them then paused by a supplement request), one under review with an open objection, and one withdrawn."""
    first, second = make_enterprise(verified_by=reviewer), make_enterprise(verified_by=reviewer)
    made = {}
    for name, enterprise, on in (("intake_late", first, date(2026, 9, 3)), ("intake_early", second, date(2026, 9, 1)),
                                 ("a_aug", first, date(2026, 8, 3)), ("a_jul", first, date(2026, 7, 1)),
                                 ("a_sep", second, date(2026, 9, 1)), ("paused", second, date(2026, 8, 10)),
                                 ("objected", first, date(2026, 8, 20)), ("withdrawn", second, date(2026, 8, 5))):
        made[name] = submitted(enterprise, meter, on=on, title=name)
    for name in ("a_aug", "a_jul", "a_sep", "paused", "objected"):
        made[name] = services.application_accept(application=made[name], actor=reviewer,
                                                 now=at(made[name].submitted_on + timedelta(days=1)))
    made["paused"] = services.application_start_review(application=made["paused"], actor=reviewer,
                                                       now=at(date(2026, 8, 12)))
    made["paused"] = services.application_request_supplement(
        application=made["paused"], actor=reviewer, items=["授权书"], message="请补充", now=at(date(2026, 9, 7)))
    made["objected"] = services.application_start_review(application=made["objected"], actor=reviewer,
                                                         now=at(date(2026, 8, 24)))
    notice = DataNotice.objects.get(work=made["objected"].work)
    made["objection"] = objection_file(notice=notice, explanation="数量有误", evidence=[pdf()], claims=[],
                                       actor=member_of(made["objected"].enterprise), now=at(date(2026, 8, 25)))
    services.application_withdraw(application=made["withdrawn"], actor=member_of(made["withdrawn"].enterprise),
                                  now=at(date(2026, 8, 6)), reason="撤回")
    return made


def test_the_database_orders_the_queue_as_the_computed_clock_does(queue, reviewer):
    today = date(2026, 9, 8)
    # the paused applications' stored deadlines as of today (the worker's daily run)
    services.applications_sla_refresh_open(today=today, only_moving=True)
    rows = application_queue(reviewer, today=today)
    assert [row.application.pk for row in rows] == oracle_order(rows)
    names = {application.pk: name for name, application in queue.items() if isinstance(application, Application)}
    assert [names[row.application.pk] for row in rows][:2] == ["intake_early", "intake_late"]
    assert "withdrawn" not in [names[row.application.pk] for row in rows]
    # pages of two rows, read one after another, give the same order
    paged = [row.application.pk for offset in range(0, 8, 2)
             for row in application_queue(reviewer, today=today, offset=offset, limit=2)]
    assert paged == [row.application.pk for row in rows]


def test_every_service_that_moves_the_clock_keeps_the_stored_clock_equal_to_the_computed_one(queue, reviewer):
    for name in ("intake_late", "a_aug", "a_jul", "a_sep", "objected", "paused"):
        assert stored(queue[name]) == computed(queue[name]), name
    # a supplement request pauses from its day: the stored deadline is as of that day
    queue["paused"].refresh_from_db()
    assert queue["paused"].sla_refreshed_on == date(2026, 9, 7) and stored(queue["paused"])[2] is True
    # the objection paused the review under way; its decision resumes it
    assert stored(queue["objected"])[2] is True
    objection_decide(objection=queue["objection"], decision="reject", reason="与服务商日志一致",
                     actor=verified(make_staff(Role.REVIEWER)), now=at(date(2026, 9, 9)))
    assert stored(queue["objected"]) == computed(queue["objected"], date(2026, 9, 9))
    assert stored(queue["objected"])[2] is False
    # the paused application's deadline moves each working day while paused: the daily run refreshes it
    before = stored(queue["paused"])
    with mock.patch("django.utils.timezone.now", return_value=at(date(2026, 9, 10), 7)):
        application_reminders_run.call()
    assert stored(queue["paused"]) == computed(queue["paused"], date(2026, 9, 10)) != before
    resumed = services.application_resubmit(application=queue["paused"], actor=member_of(queue["paused"].enterprise),
                                            now=at(date(2026, 9, 11)), response="已补充")
    assert stored(resumed) == computed(resumed, date(2026, 9, 11)) and stored(resumed)[2] is False


def test_filters_narrow_the_queue_in_the_database(queue, reviewer):
    today = date(2026, 9, 8)

    def names(**filters):
        ids = set(application_queue_queryset(reviewer, today=today, **filters).values_list("pk", flat=True))
        return {name for name, a in queue.items() if isinstance(a, Application) and a.pk in ids}

    services.applications_sla_refresh_open(today=today, only_moving=True)
    assert names(badge="intake") == {"intake_early", "intake_late"}
    assert names(badge="paused") == {"paused", "objected"}
    assert names(status="supplement_requested") == {"paused"}
    assert names(search="a_ju") == {"a_jul"}
    assert names(search=queue["a_sep"].enterprise.uscc.lower()) == {"intake_early", "a_sep", "paused"}
    assert names(search=f"#{queue['a_aug'].pk}") == {"a_aug"}
    # each clock filter keeps exactly the rows whose computed clock shows that badge, on several days
    for day in (today, date(2026, 9, 21), date(2026, 10, 20)):
        services.applications_sla_refresh_open(today=day, only_moving=True)  # the worker's run that day
        every = application_queue(reviewer, today=day)
        for badge in ("overdue", "at_risk", "paused", "on_track"):
            kept = {row.application.pk for row in application_queue(reviewer, today=day, badge=badge)}
            assert kept == {row.application.pk for row in every if row.sla and row.sla.badge == badge}, (day, badge)
    # accepted 2026-07-02: 30 working days ran out in August
    assert "a_jul" in names(badge="overdue")


def test_the_queue_page_pages_and_filters_and_costs_the_same_as_the_table_grows(queue, reviewer, monkeypatch,
                                                                                 meter):
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 3)
    client = client_for(reviewer)
    url = reverse("applications:queue")
    first = client.get(url).content.decode()
    assert first.count('data-label="申请"') == 3 and 'rel="next"' in first and "第 1 / 3 页，共 7 条" in first
    last = client.get(url, {"page": 3}).content.decode()
    assert last.count('data-label="申请"') == 1 and 'rel="prev"' in last
    filtered = client.get(url, {"badge": "intake", "q": "intake"}).content.decode()
    assert filtered.count('data-label="申请"') == 2 and "第 1 /" not in filtered
    # a page number that is not one shows the first page (unknown filter values are refused: the test below)
    assert client.get(url, {"page": "x"}).status_code == 200

    with CaptureQueriesContext(connection) as before:
        client.get(url)
    # more applications, accepted last (so that the first page shows the same rows), and approved ones
    for number in range(3):
        services.application_accept(application=submitted(make_enterprise(verified_by=reviewer), meter,
                                                          on=date(2026, 9, 2), title=f"more{number}"),
                                    actor=reviewer, now=at(date(2026, 9, 7)))
    with CaptureQueriesContext(connection) as after:
        page = client.get(url).content.decode()
    assert page.count('data-label="申请"') == 3 and "第 1 / 4 页，共 10 条" in page
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_queue_page_refuses_a_bad_filter_beside_its_field_as_the_export_and_the_api_do(queue, reviewer):
    client = client_for(reviewer)
    url = reverse("applications:queue")
    for bad, field in (({"badge": "nonsense"}, "badge"), ({"status": "approved"}, "status"),
                       ({"q": "x" * 101, "badge": "intake"}, "q")):
        response = client.get(url, bad)
        page = response.content.decode()
        assert response.status_code == 400, bad
        assert response.context["rows"] == [] and 'data-label="申请"' not in page
        assert "筛选条件无效，请按字段旁的提示修改" in page
        errors = response.context["listing"].form.errors
        assert list(errors) == [field], bad
        # the error is written beside its field, in Chinese
        assert f'<div class="field has-error">\n    <label for="id_{field}">' in page
        assert all(f'<p class="error" role="alert">{message}</p>' in page for message in errors[field])
        assert any(ord(character) > 0x4e00 for character in errors[field][0]), errors[field]
        assert client.get(reverse("applications:export_queue"), bad).status_code == 400, bad
        api = client.get("/api/v1/applications/queue", bad)
        assert api.status_code == 400 and api.json()["code"] == "invalid_request", bad
    # each valid value of the page's filters is one the API takes, and the three narrow alike
    form = client.get(url).context["listing"].form
    for field in ("status", "badge"):
        for value, _label in form.fields[field].choices:
            if value:
                rows = client.get(url, {field: value}).context["rows"]
                api = client.get("/api/v1/applications/queue", {field: value})
                assert api.status_code == 200, (field, value)
                assert [row["application"]["id"] for row in api.json()] == [row.application.pk for row in rows]


def test_the_queue_pages_clocks_follow_a_calendar_publication_on_the_next_request(queue, reviewer):
    """The compiled calendar is kept between requests (one small query checks the publications) and replaced as
    soon as a year is published again: never stale across a publication."""
    from yingdu.policy import selectors as policy_selectors
    from yingdu.policy import services as policy_services
    from yingdu.rules.workdays import DayKind, SpecialDay

    admin = verified(make_staff(Role.ADMIN))
    client = client_for(reviewer)

    def deadlines() -> dict[int, date]:
        rows = client.get(reverse("applications:queue")).context["rows"]
        return {row.application.pk: row.sla.deadline_on for row in rows if row.sla is not None}

    moment = at(date(2026, 9, 8))
    with time_machine.travel(moment, tick=False):
        before = deadlines()
        cached = policy_selectors.work_calendar()
        assert deadlines() == before and policy_selectors.work_calendar() is cached  # kept between requests
        in_force = policy_selectors.calendar_year_in_force(2026)
        extra = SpecialDay(date(2026, 9, 14), DayKind.HOLIDAY, "测试假日", "https://example.test/2026b")
        policy_services.calendar_year_publish(
            year=2026, special_days=[*policy_selectors.calendar_year_special_days(in_force), extra],
            source="2026b.csv", actor=admin, now=moment, based_on_version=in_force.version)
        after = deadlines()
        calendar = policy_selectors.work_calendar()
    assert calendar is not cached and not calendar.is_working_day(date(2026, 9, 14))
    # a_sep was accepted on 2 September: its 30 working days run over the new holiday, one working day later
    a_sep = queue["a_sep"].pk
    assert before[a_sep] > date(2026, 9, 14)
    assert after[a_sep] == calendar.add_working_days(start_on=before[a_sep], working_days=1) != before[a_sep]


def test_the_queue_api_pages_filters_and_refuses_out_of_range_parameters(queue, reviewer):
    client = client_for(reviewer)
    everything = client.get("/api/v1/applications/queue").json()
    assert len(everything) == 7
    page = client.get("/api/v1/applications/queue", {"limit": 2, "offset": 2}).json()
    assert [row["application"]["id"] for row in page] == [row["application"]["id"] for row in everything[2:4]]
    intake = client.get("/api/v1/applications/queue", {"badge": "intake"}).json()
    assert {row["sla"] for row in intake} == {None} and len(intake) == 2
    for bad in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"badge": "nonsense"}, {"status": "approved"},
                {"q": "x" * 101}, {"offset": 2 ** 63}):
        response = client.get("/api/v1/applications/queue", bad)
        assert response.status_code == 400 and response.json()["code"] == "invalid_request", bad
    member = client_for(member_of(queue["a_jul"].enterprise))
    assert member.get("/api/v1/applications/queue").status_code == 403


def test_the_approve_button_is_not_offered_to_whoever_reviewed_the_application(queue, reviewer, approver):
    both = verified(make_staff(Role.REVIEWER))
    role_grant(user=both, role=Role.APPROVER, actor=SYSTEM, now=at(date(2026, 9, 1)))
    both = verified(both)
    application = services.application_start_review(application=queue["a_sep"], actor=both,
                                                    now=at(date(2026, 9, 8)))
    page = reverse("applications:detail", args=[application.pk])
    approve = reverse("applications:transition", args=[application.pk, "approve"])
    assert approve not in client_for(both).get(page).content.decode()
    assert approve in client_for(approver).get(page).content.decode()


def test_approving_on_the_page_first_asks_with_the_amount_then_issues(queue, reviewer, approver):
    application = services.application_start_review(application=queue["a_sep"], actor=reviewer,
                                                    now=at(date(2026, 9, 8)))
    url = reverse("applications:transition", args=[application.pk, "approve"])
    client = client_for(approver)
    with time_machine.travel(at(date(2026, 9, 9)), tick=False):
        asked = client.post(url, {"reason": "符合达标即享条件"})
        html = asked.content.decode()
        application.refresh_from_db()
        assert asked.status_code == 200 and application.status == "under_review"  # nothing decided yet
        assert "请确认：批准" in html and application.work.title in html and "不能撤回" in html
        assert 'name="reason" value="符合达标即享条件"' in html and 'name="confirmed" value="1"' in html
        done = client.post(url, {"reason": "符合达标即享条件", "confirmed": "1"}, follow=True)
    application.refresh_from_db()
    assert done.status_code == 200 and application.status == "approved"
    assert f"{application.approved_amount_display} 元" in html  # the amount asked about is the amount issued
