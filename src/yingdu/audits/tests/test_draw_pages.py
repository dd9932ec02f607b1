"""The quarterly draw in the browser: auditors see ended quarters with their candidates, draw by a confirmed button
once, and see the chosen works, the seed and the command that recomputes the draw; the periodic automatic draw."""

from datetime import date

import pytest
import time_machine

from yingdu.accounts.models import Role
from yingdu.audits import draws, selectors
from yingdu.audits.models import SpotCheckCase, SpotCheckDraw
from yingdu.errors import NotFound
from yingdu.policy.models import PolicyVersion
from yingdu.testing.clients import client_for
from yingdu.testing.factories import make_provider_operator, make_staff
from yingdu.transparency.models import SignedCheckpoint
from yingdu.transparency.selectors import published_verifier_keys

from .conftest import AFTER_Q3, IN_Q3, at, supported_work

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(AFTER_Q3, tick=False):
        yield


def test_the_auditor_sees_the_ended_quarter_with_its_labelled_candidates(q3_works, auditor, clock):
    client = client_for(auditor)
    listing = client.get("/audits/draws/").content.decode()
    assert "2026Q3" in listing and "4 部" in listing and "可以抽签" in listing
    assert "/audits/draws/" in client.get("/").content.decode()  # in the navigation

    page = client.get("/audits/draws/2026Q3/").content.decode()
    for work in q3_works:
        assert f"《{work.title}》" in page
    assert q3_works[0].enterprise.name in page
    assert "/audits/draws/2026Q3/run" in page

    confirm = client.get("/audits/draws/2026Q3/run").content.decode()
    assert "不可撤销，每季度只能抽一次" in confirm and "开启抽查案件" in confirm
    assert not SpotCheckDraw.objects.exists()  # looking at the confirmation draws nothing


def test_confirming_draws_once_and_shows_the_chosen_works_seed_and_verify_command(q3_works, auditor, clock):
    client = client_for(auditor)
    response = client.post("/audits/draws/2026Q3/run")
    assert response.status_code == 302 and response["Location"] == "/audits/draws/2026Q3/"
    draw = SpotCheckDraw.objects.get()
    assert draw.drawn_by_id == auditor.pk and len(draw.chosen_ids) == 3

    page = client.get("/audits/draws/2026Q3/").content.decode()
    assert draw.seed_hex in page
    assert (f"yingdu-verify draw draw-2026Q3.json --key &#x27;{published_verifier_keys()[0]}&#x27;" in page)
    assert "http://testserver/api/v1/audits/draws/2026Q3" in page
    for case in SpotCheckCase.objects.select_related("work"):
        assert f"/audits/cases/{case.pk}/" in page and f"《{case.work.title}》" in page
    assert "/audits/draws/2026Q3/run" not in page

    # a double click: the second POST draws nothing and says why
    again = client.post("/audits/draws/2026Q3/run", follow=True).content.decode()
    assert "每季度只抽一次" in again
    assert SpotCheckDraw.objects.count() == 1 and SpotCheckCase.objects.count() == 3


def test_a_quarter_without_a_checkpoint_at_its_end_says_why_and_offers_no_button(enterprise, approver, auditor,
                                                                                  clock):
    supported_work(enterprise, approver, now=IN_Q3)
    SignedCheckpoint.objects.all().delete()
    client = client_for(auditor)
    page = client.get("/audits/draws/2026Q3/").content.decode()
    assert "不能抽签：季度结束时（北京时间 2026-10-01 00:00）还没有已签名的检查点" in page
    assert "/audits/draws/2026Q3/run" not in page
    assert client.get("/audits/draws/2026Q3/run").status_code == 302
    client.post("/audits/draws/2026Q3/run")
    assert not SpotCheckDraw.objects.exists()


def test_a_quarter_without_candidates_needs_no_draw(auditor, clock):
    client = client_for(auditor)
    page = client.get("/audits/draws/2026Q3/").content.decode()
    assert "没有可抽查的候选，无需抽签" in page and "/audits/draws/2026Q3/run" not in page
    refused = client.post("/audits/draws/2026Q3/run", follow=True).content.decode()
    assert "无需抽签" in refused and not SpotCheckDraw.objects.exists()


@pytest.mark.parametrize("path", ["/audits/draws/2026Q4/", "/audits/draws/2026Q4/run", "/audits/draws/2026Q9/",
                                  "/audits/draws/x/run"])
def test_an_unfinished_or_malformed_quarter_is_not_found(auditor, clock, path):
    assert client_for(auditor).get(path).status_code == 404


@pytest.mark.parametrize("role", [Role.ADMIN, Role.REVIEWER, Role.APPROVER, Role.FINANCE])
def test_other_staff_roles_may_not_see_or_run_the_draw(q3_works, clock, role):
    client = client_for(make_staff(role))
    assert client.get("/audits/draws/").status_code == 403
    assert client.get("/audits/draws/2026Q3/").status_code == 403
    assert client.post("/audits/draws/2026Q3/run").status_code == 403
    assert "/audits/draws/" not in client.get("/").content.decode()
    assert not SpotCheckDraw.objects.exists()


def test_members_providers_and_anonymous_visitors_may_not_run_the_draw(q3_works, enterprise, clock):
    for client in (client_for(enterprise.registered_by), client_for(make_provider_operator())):
        assert client.get("/audits/draws/2026Q3/").status_code == 403
        assert client.post("/audits/draws/2026Q3/run").status_code == 403
    from django.test import Client

    anonymous = Client().post("/audits/draws/2026Q3/run")
    assert anonymous.status_code == 302 and "/accounts/login" in anonymous["Location"]
    assert not SpotCheckDraw.objects.exists()


def test_the_selectors_decide_that_only_auditors_see_draw_quarters(q3_works, admin):
    with pytest.raises(NotFound):
        selectors.draw_quarters_for(admin, now=AFTER_Q3)
    with pytest.raises(NotFound):
        selectors.draw_quarter_get_for(admin, "2026Q3", now=AFTER_Q3)


def test_the_list_spans_every_ended_quarter_since_the_first_activity(q3_works, auditor):
    states = selectors.draw_quarters_for(auditor, now=at(date(2027, 2, 3)))
    assert [state.code for state in states] == ["2026Q4", "2026Q3"]
    assert states[0].refusal == selectors.MSG_WHY_NO_CANDIDATES and states[1].drawable


# --- the automatic draw -----------------------------------------------------------------------------------------


def _auto_after(working_days):
    PolicyVersion.objects.update(spot_check_auto_draw_working_days=working_days)


def test_the_default_policy_leaves_the_draw_to_the_auditor(q3_works):
    assert PolicyVersion.objects.get().spot_check_auto_draw_working_days is None
    assert draws.draw_auto(now=at(date(2026, 12, 1))) is None
    assert not SpotCheckDraw.objects.exists()


def test_the_platform_draws_on_the_policys_working_day_after_the_quarter_end(q3_works):
    _auto_after(5)
    # the National Day holiday follows the quarter's end: the fifth working day after it comes in mid-October
    assert draws.draw_auto(now=at(date(2026, 10, 12))) is None
    draw = draws.draw_auto(now=at(date(2026, 10, 14)))
    assert draw is not None and draw.quarter == "2026Q3" and draw.drawn_by_id is None
    assert draws.draw_auto(now=at(date(2026, 10, 15))) is None
    assert SpotCheckDraw.objects.count() == 1


def test_the_automatic_draw_leaves_a_quarter_the_auditor_drew(q3_works, auditor):
    _auto_after(1)
    draws.draw_run(quarter="2026Q3", actor=auditor, now=AFTER_Q3)
    assert draws.draw_auto(now=at(date(2026, 10, 20))) is None
    assert SpotCheckDraw.objects.get().drawn_by_id == auditor.pk


def test_the_periodic_task_is_registered_and_runs_the_automatic_draw(q3_works):
    from yingdu.audits.tasks import draw_auto_run
    from yingdu.periodic import periodic_tasks

    assert draw_auto_run.module_path in [periodic.name for periodic in periodic_tasks()]
    _auto_after(5)
    with time_machine.travel(at(date(2026, 10, 20)), tick=False):
        assert draw_auto_run.call() == "2026Q3"
    assert SpotCheckDraw.objects.get().drawn_by_id is None

