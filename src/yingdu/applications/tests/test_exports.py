"""Excel exports: money as numbers, dates as dates, and no user value ever becomes a formula (yingdu.xlsx)."""

import csv
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from yingdu.applications import services
from yingdu.applications.models import Application
from yingdu.testing.clients import client_for
from yingdu.xlsx import DATE_FORMAT, DATETIME_FORMAT, YUAN_FORMAT, Yuan, write_cell

from .support import declare, draft, member_of, meter_usage, release

# every step of these applications happens at one fixed moment (a Monday in September 2026, Beijing morning)
MOMENT = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db

FORMULA_TITLE = '=HYPERLINK("http://x","y")'


def _submitted(enterprise, meter, title: str):
    work = declare(enterprise, title=title, now=MOMENT)
    meter_usage(meter, [work])
    release(work, now=MOMENT)
    return services.application_submit(application=draft(work, now=MOMENT), actor=member_of(enterprise),
                                       now=MOMENT)


def _approved(enterprise, meter, reviewer, approver, title: str):
    application = _submitted(enterprise, meter, title)
    services.application_accept(application=application, actor=reviewer, now=MOMENT)
    services.application_start_review(application=application, actor=reviewer, now=MOMENT)
    return services.application_approve(application=application, actor=approver, now=MOMENT)


def _sheet(content: bytes):
    sheet = load_workbook(BytesIO(content)).active
    header = [cell.value for cell in sheet[1]]
    return sheet, header, list(sheet.iter_rows(min_row=2))


def test_a_formula_title_is_a_text_cell_with_quote_prefix_in_the_queue_export(enterprise, meter, reviewer):
    application = _submitted(enterprise, meter, FORMULA_TITLE)
    services.application_accept(application=application, actor=reviewer, now=MOMENT)
    export = client_for(reviewer).get("/applications/export/queue.xlsx")
    assert export.status_code == 200
    sheet, header, rows = _sheet(export.content)
    [row] = rows
    title = row[header.index("作品")]
    assert title.value == FORMULA_TITLE and title.data_type == "s" and title.quotePrefix
    with zipfile.ZipFile(BytesIO(export.content)) as package:
        assert b"<f>" not in package.read("xl/worksheets/sheet1.xml")
    for name in ("提交日期", "受理日期"):
        cell = row[header.index(name)]
        assert isinstance(cell.value, datetime) and cell.number_format == DATE_FORMAT
    assert row[header.index("提交日期")].value.date() == application.submitted_on


def test_decision_amounts_are_numbers_that_sum_to_the_fen_total(enterprise, meter, reviewer, approver):
    approved = [_approved(enterprise, meter, reviewer, approver, title) for title in ("作品甲", "-作品乙", "@作品丙")]
    export = client_for(reviewer).get("/applications/export/decisions.xlsx")
    sheet, header, rows = _sheet(export.content)
    for name, field in (("批准金额（元）", "approved_amount_fen"), ("核定成本（元）", "verified_cost_fen")):
        cells = [row[header.index(name)] for row in rows]
        assert all(isinstance(c.value, int | float) and c.number_format == YUAN_FORMAT for c in cells)
        expected_fen = sum(getattr(Application.objects.get(pk=a.pk), field) for a in approved)
        assert sum(Decimal(str(c.value)) for c in cells) * 100 == expected_fen
    titles = {row[header.index("作品")].value: row[header.index("作品")] for row in rows}
    assert titles["-作品乙"].quotePrefix and titles["@作品丙"].quotePrefix and not titles["作品甲"].quotePrefix
    assert all(isinstance(row[header.index("决定日期")].value, datetime) for row in rows)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")'])
def test_every_formula_trigger_is_written_as_unchanged_text(text):
    workbook = Workbook()
    write_cell(workbook.active["A1"], text)
    write_cell(workbook.active["A2"], "普通文本")
    buffer = BytesIO()
    workbook.save(buffer)
    sheet = load_workbook(BytesIO(buffer.getvalue())).active
    # XML parsers normalise a CR in text to LF (XML 1.0 §2.11); the cell stays text either way
    assert sheet["A1"].value == text.replace("\r", "\n") and sheet["A1"].data_type == "s" and sheet["A1"].quotePrefix
    assert sheet["A2"].value == "普通文本" and not sheet["A2"].quotePrefix


def test_money_dates_and_times_have_their_types_and_formats():
    workbook = Workbook()
    sheet = workbook.active
    write_cell(sheet["A1"], Yuan(1_234_567_891))
    write_cell(sheet["A2"], date(2026, 6, 10))
    # 2026-06-09 16:30 UTC is 2026-06-10 00:30 in Beijing
    write_cell(sheet["A3"], datetime(2026, 6, 9, 16, 30, tzinfo=UTC))
    assert sheet["A1"].value == Decimal("12345678.91") and sheet["A1"].number_format == YUAN_FORMAT
    assert sheet["A2"].number_format == DATE_FORMAT
    assert sheet["A3"].value == datetime(2026, 6, 10, 0, 30) and sheet["A3"].number_format == DATETIME_FORMAT
    with pytest.raises(ValueError, match="naive"):
        write_cell(sheet["A4"], datetime(2026, 6, 10, 0, 30))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is optional (apt-get install libreoffice-calc)")
def test_libreoffice_evaluates_no_formula_from_the_export(enterprise, meter, reviewer, tmp_path):
    application = _submitted(enterprise, meter, FORMULA_TITLE)
    services.application_accept(application=application, actor=reviewer, now=MOMENT)
    source = tmp_path / "queue.xlsx"
    source.write_bytes(client_for(reviewer).get("/applications/export/queue.xlsx").content)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=30)
    with open(tmp_path / "queue.csv", encoding="utf-8") as converted:
        rows = list(csv.reader(converted))
    assert rows[1][rows[0].index("作品")] == FORMULA_TITLE


def test_the_decisions_export_and_the_list_honour_the_same_filters(enterprise, meter, reviewer, approver):
    for title in ("甲剧", "乙剧"):
        _approved(enterprise, meter, reviewer, approver, title)
    _submitted(enterprise, meter, "丙剧")
    client = client_for(reviewer)
    _sheet_, header, rows = _sheet(client.get("/applications/export/decisions.xlsx", {"work": "乙"}).content)
    assert [row[header.index("作品")].value for row in rows] == ["乙剧"]
    _sheet_, header, rows = _sheet(client.get("/applications/export/decisions.xlsx",
                                              {"enterprise": enterprise.uscc}).content)
    assert sorted(row[header.index("作品")].value for row in rows) == ["乙剧", "甲剧"]
    _sheet_, header, rows = _sheet(client.get("/applications/export/decisions.xlsx",
                                              {"enterprise": "没有这家企业"}).content)
    assert rows == []
    assert client.get("/applications/export/decisions.xlsx", {"submitted_from": "2026-99-01"}).status_code == 400
    listing = client.get("/applications/", {"work": "剧", "status": "submitted"})
    assert [a.work.title for a in listing.context["applications"]] == ["丙剧"]
    # the enterprise's own list has no enterprise filter, and cannot reach another's applications
    own = client_for(member_of(enterprise)).get("/applications/", {"work": "剧"})
    assert "enterprise" not in own.context["listing"].form.fields and len(own.context["applications"]) == 3


def test_the_queue_export_holds_the_rows_of_the_filtered_queue(enterprise, meter, reviewer):
    accepted = _submitted(enterprise, meter, "甲剧")
    services.application_accept(application=accepted, actor=reviewer, now=MOMENT)
    _submitted(enterprise, meter, "乙剧")
    client = client_for(reviewer)
    for params in ({"q": "乙"}, {"status": "submitted"}, {"status": "accepted"}, {"q": "没有这部剧"}, {}):
        page = client.get("/applications/queue/", params)
        _sheet_, header, rows = _sheet(client.get("/applications/export/queue.xlsx", params).content)
        assert sorted(row[header.index("作品")].value for row in rows) == sorted(
            r.application.work.title for r in page.context["rows"]), params
    assert 'href="/applications/export/queue.xlsx?q=%E4%B9%99"' in client.get("/applications/queue/",
                                                                             {"q": "乙"}).content.decode()
