"""The data notice as a PDF: the CJK font embedded, the page's totals, the same access as the page."""

import shutil
from decimal import Decimal

import pytest

from yingdu.accounts.models import Role
from yingdu.notices.documents import notice_html, notice_lines
from yingdu.notices.models import DataNotice
from yingdu.testing.clients import client_for
from yingdu.testing.factories import make_enterprise, make_staff, make_user
from yingdu.testing.pdf import embedded_font_names, pdf_text

from .test_access import frozen, issue

pytestmark = pytest.mark.django_db


def test_the_notice_pdf_embeds_the_cjk_font_for_the_member_staff_and_the_api(world, tmp_path):
    notice = issue(world)
    member = client_for(world.member)
    with frozen("2026-09-25 10:00"):
        page = member.get(f"/metering/notices/{notice.pk}/")
        pdf = member.get(f"/metering/notices/{notice.pk}/notice.pdf")
        api = member.get(f"/api/v1/notices/{notice.pk}/pdf")
        staff = client_for(world.reviewer).get(f"/metering/notices/{notice.pk}/notice.pdf")
    assert f'href="/metering/notices/{notice.pk}/notice.pdf"' in page.content.decode()
    for response in (pdf, api, staff):
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
    fonts = embedded_font_names(pdf.content, tmp_path)
    assert any("CJK" in name for name in fonts), fonts


def test_a_member_of_another_enterprise_or_a_provider_gets_404(world):
    notice = issue(world)
    other = make_user(email="other@example.cn")
    make_enterprise(member=other, verified_by=world.reviewer)
    client = client_for(other)
    assert client.get(f"/metering/notices/{notice.pk}/notice.pdf").status_code == 404
    assert client.get(f"/api/v1/notices/{notice.pk}/pdf").status_code == 404
    assert client_for(world.meter.operator).get(f"/api/v1/notices/{notice.pk}/pdf").status_code == 404
    assert client.get("/metering/notices/999999/notice.pdf").status_code == 404


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is installed by make test")
def test_the_pdf_totals_equal_the_page_totals_and_name_the_checkpoint_and_deadline(world, tmp_path):
    notice = issue(world)
    member = client_for(world.member)
    with frozen("2026-09-25 10:00"):
        page = member.get(f"/metering/notices/{notice.pk}/")
        text = pdf_text(member.get(f"/metering/notices/{notice.pk}/notice.pdf").content, tmp_path)
    assert page.context["cost_yuan"] == "132.00"
    assert f"{page.context['cost_yuan']} 元" in text
    for total in page.context["totals"]:
        assert total.cost_yuan in text and format(total.quantity, "f") in text
    flat = " ".join(text.split())
    assert "2026年10月9日 24:00" in flat and "预计" not in flat
    assert f"树大小 {notice.checkpoint_tree_size}" in flat
    assert notice.enterprise.name in flat and notice.work.title in flat
    for record in world.records:
        assert record.record_id in flat
    assert "如何提出异议" in flat


def test_record_lines_carry_price_unit_and_costs_that_add_up_to_the_notice(world):
    notice = issue(world)
    lines = notice_lines(notice)
    assert [line.record_id for line in lines] == [r.record_id for r in world.records]
    assert {line.price_yuan for line in lines} == {"8.00"} and all(line.unit and line.sku_name for line in lines)
    assert sum(Decimal(line.cost_yuan) for line in lines) == Decimal("132.00")


def test_a_provisional_deadline_is_printed_as_estimated(world):
    notice = issue(world)
    DataNotice.objects.filter(pk=notice.pk).update(objection_deadline_provisional=True)
    notice.refresh_from_db()
    html = notice_html(notice, page_url="https://example.cn/metering/notices/1/")
    assert "<strong>预计</strong>" in html and "按法定节假日推算" in html


def test_staff_of_every_viewing_role_may_download(world):
    notice = issue(world)
    for role in (Role.AUDITOR, Role.APPROVER):
        with frozen("2026-09-25 10:00"):
            assert client_for(make_staff(role)).get(f"/metering/notices/{notice.pk}/notice.pdf").status_code == 200


def test_a_member_opening_the_pdf_first_receives_the_notice_and_its_deadline(world):
    world.member.email = ""
    world.member.save(update_fields=["email"])
    notice = issue(world)
    assert notice.delivered_at is None
    with frozen("2026-09-30 10:00"):
        assert client_for(world.reviewer).get(f"/metering/notices/{notice.pk}/notice.pdf").status_code == 200
        notice.refresh_from_db()
        assert notice.delivered_at is None
        assert client_for(world.member).get(f"/api/v1/notices/{notice.pk}/pdf").status_code == 200
    notice.refresh_from_db()
    # 30 Sep + 5 working days: 8, 9, 10 (adjusted Saturday), 12, 13 Oct
    assert notice.delivered_via == "in_app" and notice.objection_deadline_on.isoformat() == "2026-10-13"
    assert "2026年10月13日 24:00" in notice_html(notice, page_url="https://example.cn/")
