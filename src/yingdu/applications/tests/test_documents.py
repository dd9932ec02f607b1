"""PDF notices embed a CJK font (checked with pdffonts where installed, else in the PDF's font descriptors)."""

import shutil
from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from yingdu.applications import services
from yingdu.rules.money import Money
from yingdu.testing.clients import client_for, verified
from yingdu.testing.pdf import embedded_font_names, pdf_text

from .support import draft, eligible_works

pytestmark = pytest.mark.django_db


# the steps of the first test, all at one fixed moment (a Monday in September 2026, Beijing morning)
MOMENT = datetime(2026, 9, 21, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_acceptance_supplement_and_decision_notices_are_pdfs_with_a_cjk_font(enterprise, meter, reviewer,
                                                                            approver, tmp_path):
    [work] = eligible_works(enterprise, meter, 1)
    member = verified(enterprise.registered_by)
    application = services.application_submit(application=draft(work, now=MOMENT), actor=member, now=MOMENT)
    client = client_for(enterprise.registered_by)
    assert client.get(f"/applications/{application.pk}/notices/acceptance.pdf").status_code == 404
    services.application_accept(application=application, actor=reviewer, now=MOMENT)
    services.application_start_review(application=application, actor=reviewer, now=MOMENT)
    services.application_request_supplement(application=application, actor=reviewer, items=["授权书"],
                                             message="请补充", now=MOMENT)
    services.application_resubmit(application=application, actor=member, now=MOMENT)
    services.application_approve(application=application, actor=approver, now=MOMENT)
    for kind in ("acceptance", "supplement", "decision"):
        response = client.get(f"/applications/{application.pk}/notices/{kind}.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        fonts = embedded_font_names(response.content, tmp_path)
        assert any("CJK" in name for name in fonts), fonts
    api = client.get(f"/api/v1/applications/{application.pk}/notices/decision")
    assert api.status_code == 200 and api.content.startswith(b"%PDF-")
    assert client.get(f"/api/v1/applications/{application.pk}/notices/nonsense").status_code == 404


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is installed by make test")
def test_an_event_at_half_past_midnight_beijing_is_dated_with_the_beijing_date_everywhere(
        enterprise, meter, reviewer, approver, tmp_path):
    # 2026-06-10 00:30 in Beijing is still 2026-06-09 in UTC
    moment = datetime(2026, 6, 10, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        [work] = eligible_works(enterprise, meter, 1)
        member = verified(enterprise.registered_by)
        application = services.application_submit(application=draft(work, now=moment), actor=member, now=moment)
        services.application_accept(application=application, actor=reviewer, now=moment)
        services.application_start_review(application=application, actor=reviewer, now=moment)
        services.application_approve(application=application, actor=approver, now=moment)
        client = client_for(enterprise.registered_by)
        acceptance = pdf_text(client.get(f"/applications/{application.pk}/notices/acceptance.pdf").content, tmp_path)
        decision = pdf_text(client.get(f"/applications/{application.pk}/notices/decision.pdf").content, tmp_path)
        staff = client_for(reviewer)
        decisions = staff.get("/applications/export/decisions.xlsx")
        queue = staff.get("/applications/export/queue.xlsx")
        timeline = client.get(f"/api/v1/applications/{application.pk}/timeline").json()
    assert "2026年6月10日" in acceptance and "2026年6月9日" not in acceptance
    assert "决定日期：2026年6月10日" in decision.replace(" ", "")
    application.refresh_from_db()
    capital = Money(application.approved_amount_fen).format_capital()
    assert f"（大写：人民币{capital}）" in "".join(decision.split())
    assert decisions["Content-Disposition"].endswith('decisions-2026-06-10.xlsx"')
    assert queue["Content-Disposition"].endswith('queue-2026-06-10.xlsx"')
    sheet = load_workbook(BytesIO(decisions.content)).active
    header = [cell.value for cell in sheet[1]]
    [row] = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert row[header.index("决定日期")].date() == date(2026, 6, 10)
    assert {step["on"] for step in timeline["steps"] if step["on"]} == {"2026-06-10"}
