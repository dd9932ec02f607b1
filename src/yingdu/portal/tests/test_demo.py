"""`yingdu demo` on fixed dates: the programme starts in the last ended quarter, so that on any date the auditor can
draw that quarter by button and a spot-check case opens; the log's audit stays clean and a second run adds nothing."""

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from yingdu.accounts.selectors import user_get_by_username
from yingdu.audits.dbaudit import db_audit
from yingdu.audits.models import SpotCheckCase, SpotCheckDraw
from yingdu.audits.selectors import quarter_of
from yingdu.portal.management.commands.demo import DemoStory
from yingdu.testing.clients import client_for
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _demo():
    with open(os.devnull, "w") as quiet:
        call_command("demo", stdout=quiet, stderr=quiet)


@pytest.mark.parametrize(("moment", "quarter"), [
    (datetime(2026, 10, 1, 0, 30, tzinfo=SHANGHAI), "2026Q3"),  # the first half hour of a quarter
    (datetime(2026, 8, 15, 16, 0, tzinfo=SHANGHAI), "2026Q2"),  # mid-quarter
    # a year whose official schedule is not published: the notice is owed, the approval and the draw still happen
    (datetime(2027, 5, 14, 16, 0, tzinfo=SHANGHAI), "2027Q1"),
])
def test_on_a_fresh_demo_the_auditor_draws_the_last_ended_quarter_by_button(tmp_path, settings, moment, quarter):
    settings.VAR_DIR = tmp_path
    with time_machine.travel(moment, tick=False):
        _demo()
        entries = LogEntry.objects.count()
        _demo()
        assert LogEntry.objects.count() == entries  # a second run adds nothing

        auditor = client_for(user_get_by_username("auditor"))
        listing = auditor.get("/audits/draws/").content.decode()
        assert quarter in listing and "可以抽签" in listing
        page = auditor.get(f"/audits/draws/{quarter}/").content.decode()
        assert "《云端来信》" in page and f"/audits/draws/{quarter}/run" in page

        assert auditor.post(f"/audits/draws/{quarter}/run").status_code == 302
        draw = SpotCheckDraw.objects.get(quarter=quarter)
        cases = list(SpotCheckCase.objects.select_related("work").filter(draw=draw))
        # a case opens for each chosen work, every one a candidate of the quarter (云端来信 among them)
        assert cases and sorted(case.work_id for case in cases) == sorted(draw.chosen_ids)
        assert set(draw.chosen_ids) <= set(draw.candidate_ids) and all(case.status == "open" for case in cases)
        assert draw.checkpoint_tree_size < draw.log_index
        chosen_titles = [f"《{case.work.title}》" for case in cases]
        assert all(title in auditor.get(f"/audits/draws/{quarter}/").content.decode() for title in chosen_titles)
        assert db_audit().ok


def test_every_moment_of_the_story_lies_in_the_last_ended_quarter():
    for moment in (datetime(2026, 10, 1, 0, 0, tzinfo=SHANGHAI), datetime(2027, 3, 31, 23, 59, tzinfo=SHANGHAI),
                   datetime(2027, 1, 1, 8, 0, tzinfo=SHANGHAI), datetime(2028, 5, 20, 12, 0, tzinfo=SHANGHAI)):
        story = DemoStory.before(moment)
        end = story.quarter_end_at
        assert end <= moment and (moment - end).days < 92
        assert quarter_of(story.setup_at.astimezone(SHANGHAI).date()).day_after == end.date()
        assert story.setup_at < story.days_before_end(75) < story.days_before_end(20) < story.checkpoint_at < end
