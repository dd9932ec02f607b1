"""`yingdu quote`, `yingdu workdays` and `yingdu calendar_import`: exact output and exit statuses."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from yingdu.policy.models import CalendarYearVersion

from .support import CALENDAR_2027_CSV, log_entries_from, log_size

pytestmark = pytest.mark.django_db

YINGDU = Path(sys.executable).with_name("yingdu")
EXPLANATION_50000_OVERSEAS = (
    "作品已出海，按口径 A（补贴额再上浮 30%）：核定成本 50,000.00 元 × 30% × (1 + 30%) = 19,500.00 元；"
    "未超过出海作品补贴上限 26,000.00 元。补贴金额 19,500.00 元（政策版本 huairou-2026-04）。"
)


def run(*arguments: str) -> str:
    out = StringIO()
    call_command(*arguments, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def refused(*arguments: str) -> tuple[int, str, str]:
    """(exit status, stdout, message) of a command that must fail."""
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command(*arguments, stdout=out, stderr=StringIO())
    return error.value.returncode, out.getvalue().strip(), str(error.value)


# The calculator table through the CLI (the pure table is in rules/tests/test_subsidy.py).
@pytest.mark.parametrize(("arguments", "expected"), [
    (["--cost", "50000"], "15000.00"),
    (["--cost", "50000", "--overseas"], "19500.00"),
    (["--cost", "0"], "0.00"),
    (["--cost", "0.01"], "0.00"),
    (["--cost", "0.02"], "0.01"),  # 0.6 fen rounds half-up to 1 fen
    (["--cost", "66666.66"], "20000.00"),  # 19,999.998 rounds to 20,000.00, exactly the cap
    (["--cost", "66666.67"], "20000.00"),
    (["--cost", "66666.66", "--overseas"], "26000.00"),
    (["--cost", "66,666.63", "--overseas"], "25999.99"),
    (["--cost", "1000000", "--overseas"], "26000.00"),
    (["--cost", "50000", "--prior-works", "4"], "15000.00"),  # the fifth work is still supported
    (["--cost", "50000", "--on", "2026-04-01"], "15000.00"),
])
def test_quote_prints_the_amount_in_yuan(arguments, expected):
    assert run("quote", *arguments) == expected


def test_quote_json_has_the_amount_capped_policy_and_explanation():
    answer = json.loads(run("quote", "--cost", "50000", "--overseas", "--json"))
    assert answer == {"amount": "19500.00", "capped": False, "policy": "huairou-2026-04",
                      "explanation": EXPLANATION_50000_OVERSEAS}
    assert json.loads(run("quote", "--cost", "100000", "--json"))["capped"] is True


@pytest.mark.parametrize(("arguments", "code"), [
    (["--cost", "50000", "--prior-works", "5"], "annual_limit_reached"),  # the sixth work
    (["--cost", "-5"], "money_negative"),
    (["--cost", "1.234"], "money_too_many_decimals"),
    (["--cost", "abc"], "money_not_a_number"),
    (["--cost", "50000", "--on", "2026-03-31"], "policy_not_in_force"),
])
def test_a_refused_quote_prints_the_code_and_exits_1(arguments, code):
    start = log_size()
    status, out, message = refused("quote", *arguments, "--json")
    assert status == 1
    answer = json.loads(out)
    assert answer["refused"] == code and answer["message"] == message and answer["message"]
    assert log_size() == start


def test_workdays_known_answers():
    assert run("workdays", "add", "2026-02-10", "30") == "2026-03-30"
    assert run("workdays", "add", "2026-09-24", "5") == "2026-10-09"
    assert run("workdays", "between", "2026-09-24", "2026-10-09") == "5"
    assert run("workdays", "is", "2026-10-10") == "workday"
    assert run("workdays", "is", "2026-10-01") == "holiday"
    assert run("workdays", "is", "2026-10-11") == "weekend"


@pytest.mark.parametrize("arguments", [
    ["add", "2027-01-04", "3"], ["add", "2026-12-20", "30"], ["between", "2026-12-01", "2027-01-10"],
    ["is", "2027-03-01"],
])
def test_workdays_in_a_year_without_a_schedule_exits_2_naming_the_year(arguments):
    status, _out, message = refused("workdays", *arguments)
    assert status == 2 and "2027" in message


def test_workdays_work_for_2027_after_it_is_imported(tmp_path):
    schedule = tmp_path / "2027.csv"
    schedule.write_text(CALENDAR_2027_CSV, encoding="utf-8")
    start = log_size()
    output = run("calendar_import", str(schedule), "--source", "https://www.gov.cn/2027", "--publish")
    assert output.splitlines() == [
        "2027 年：3 个特殊日期（对比尚无已发布的日程）",
        "+ 2027-01-01 holiday 元旦", "+ 2027-01-02 holiday 元旦", "+ 2027-01-03 holiday 元旦",
        "新增 3，删除 0，变更 0。",
        "已发布 2027 年第 1 版日程。",
    ]
    assert [event_type for event_type, _event in log_entries_from(start)] == ["calendar.year_published"]
    assert run("workdays", "is", "2027-01-01") == "holiday"
    assert run("workdays", "add", "2026-12-31", "1") == "2027-01-04"


def test_calendar_import_without_publish_only_shows_the_diff(tmp_path):
    schedule = tmp_path / "2027.json"
    schedule.write_text(json.dumps([{"date": "2027-01-01", "kind": "holiday", "name": "元旦",
                                     "source_url": "https://example.test"}]), encoding="utf-8")
    start = log_size()
    assert run("calendar_import", str(schedule)).splitlines()[-1] == "新增 1，删除 0，变更 0。"
    assert log_size() == start and not CalendarYearVersion.objects.filter(year=2027).exists()


def test_calendar_import_of_a_bad_file_exits_1(tmp_path):
    schedule = tmp_path / "bad.csv"
    schedule.write_text("date,kind,name,source_url\n2027-01-04,workday,补班,x\n", encoding="utf-8")
    status, _out, message = refused("calendar_import", str(schedule), "--publish")
    assert status == 1 and "1 处问题" in message
    assert not CalendarYearVersion.objects.filter(year=2027).exists()


def _database_url() -> str:
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return f"postgresql://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_installed_console_script_prints_the_deadline():
    # no test transaction is open (a SQLite write lock would block the other process); the seeded calendar is
    # committed, so the separate process reads it
    environment = {**os.environ, "DATABASE_URL": _database_url(), "YINGDU_VAR_DIR": str(settings.VAR_DIR)}
    completed = subprocess.run([str(YINGDU), "workdays", "add", "2026-02-10", "30"], capture_output=True, text=True,
                               env=environment, timeout=60, check=False)
    assert (completed.returncode, completed.stdout) == (0, "2026-03-30\n"), completed.stderr
    missing = subprocess.run([str(YINGDU), "workdays", "is", "2099-05-06"], capture_output=True, text=True,
                             env=environment, timeout=60, check=False)
    assert missing.returncode == 2 and "2099" in missing.stderr
