"""Invoices (发票): the applicant declares them, the base is min(verified metered cost, invoices before tax), every
refusal has its code, and the explanation, the decision PDF and the API say which side bound, with both figures."""

import io
import shutil
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from yingdu.applications import invoices, services
from yingdu.applications.eligibility import verified_cost
from yingdu.applications.models import ApplicationInvoice, ApplicationStatus
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.files import MSG_INVOICE_FILE_TYPE
from yingdu.rules.money import MSG_MONEY_NEGATIVE
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import PNG_BYTES, make_enterprise, make_metering_provider, unique_uscc
from yingdu.testing.pdf import pdf_text

from .support import draft, eligible_works, member_of, pdf

pytestmark = pytest.mark.django_db

# a fixed moment (Beijing 2026-09-01 10:00); the page and API views read the clock, which is frozen here
NOW = datetime(2026, 9, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ISSUED_ON = date(2026, 4, 1)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def ofd(name: str = "发票.ofd", *, entry: bytes = b"<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\"/>"):
    """A minimal OFD package: a ZIP container with OFD.xml at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("OFD.xml", entry)
        package.writestr("Doc_0/Document.xml", b"<ofd:Document/>")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/ofd")


_numbers = iter(range(10_000_000, 99_999_999))


def invoice_number() -> str:
    return str(next(_numbers))


def declare_invoice(application, meter, *, amount_fen: int, number: str | None = None, code: str = "011002600111",
                    tax_fen: int = 0, actor=None, upload=None):
    return invoices.application_invoice_declare(
        application=application, invoice_code=code, invoice_number=number or invoice_number(), issued_on=ISSUED_ON,
        seller_uscc=meter.provider.uscc, amount_fen=amount_fen, tax_fen=tax_fen, upload=upload or pdf("发票.pdf"),
        actor=actor or member_of(application.enterprise), now=NOW)


def reviewed(application, *, reviewer):
    application = services.application_submit(application=application, actor=member_of(application.enterprise),
                                              now=NOW)
    services.application_accept(application=application, actor=reviewer, now=NOW)
    return services.application_start_review(application=application, actor=reviewer, now=NOW)


@pytest.fixture
def work(enterprise, meter):
    [work] = eligible_works(enterprise, meter, 1)
    return work


@pytest.fixture
def metered_fen(work):
    return verified_cost(work, rounding_rule="half_up").fen


def _api_form(meter, **overrides) -> dict:
    data = {"invoice_code": "", "invoice_number": "2611" + invoice_number() + "00000000", "issued_on": "2026-04-01",
            "seller_uscc": meter.provider.uscc, "amount_fen": "100000", "tax_fen": "6000", "upload": ofd()}
    data.update(overrides)
    return data


# --- declaring ------------------------------------------------------------------------------------------------------

def test_a_member_declares_a_digital_invoice_with_an_ofd_file_through_the_api(work, meter):
    application = draft(work, now=NOW)
    client = client_for(work.enterprise.registered_by)
    form = _api_form(meter)
    response = client.post(f"/api/v1/applications/{application.pk}/invoices", data=form)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["invoice_code"], body["invoice_number"], body["amount_fen"], body["tax_fen"]) == (
        "", form["invoice_number"], 100000, 6000)
    assert body["content_type"] == "application/ofd" and body["seller_name"] == meter.provider.name
    assert body["withdrawn"] is False
    listed = client.get(f"/api/v1/applications/{application.pk}/invoices").json()
    assert [row["id"] for row in listed] == [body["id"]]
    file = client.get(f"/api/v1/applications/{application.pk}/invoices/{body['id']}/file")
    assert file.status_code == 200 and file["Content-Type"] == "application/ofd"
    assert zipfile.ZipFile(io.BytesIO(b"".join(file.streaming_content))).read("OFD.xml").startswith(b"<ofd:OFD")


def test_a_member_declares_an_invoice_on_the_page_and_sees_it_listed(work, meter):
    application = draft(work, now=NOW)
    client = client_for(work.enterprise.registered_by)
    response = client.post(f"/applications/{application.pk}/invoices/", data={
        "invoice_code": "011002600111", "invoice_number": "12345678", "issued_on": "2026-04-01",
        "seller_uscc": meter.provider.uscc, "amount": "1,234.56", "tax": "74.07", "upload": pdf("发票.pdf")})
    assert response.status_code == 302
    invoice = ApplicationInvoice.objects.get(application=application)
    assert (invoice.amount_fen, invoice.tax_fen, invoice.content_type) == (123456, 7407, "application/pdf")
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert "12345678" in page and "1,234.56" in page and 'data-testid="invoice-form"' in page
    assert client.get(f"/applications/{application.pk}/invoices/{invoice.pk}/file/").status_code == 200


@pytest.mark.parametrize(("field", "value", "message"), [
    ("seller_uscc", None, invoices.MSG_INVOICE_SELLER_NOT_PROVIDER),
    ("seller_uscc", "91110000X", invoices.MSG_INVOICE_SELLER_USCC),
    ("invoice_number", "1234", invoices.MSG_INVOICE_NUMBER_FORMAT),
    ("invoice_code", "12345", invoices.MSG_INVOICE_CODE_FORMAT),
    ("amount", "0", invoices.MSG_INVOICE_AMOUNT_NOT_POSITIVE),
    ("amount", "-5.00", MSG_MONEY_NEGATIVE),
    ("issued_on", "2026-09-02", invoices.MSG_INVOICE_DATE_FUTURE),
    ("upload", None, MSG_INVOICE_FILE_TYPE),
])
def test_the_page_shows_each_refusal_beside_its_field(work, meter, field, value, message):
    application = draft(work, now=NOW)
    client = client_for(work.enterprise.registered_by)
    data = {"invoice_code": "011002600111", "invoice_number": invoice_number(), "issued_on": "2026-04-01",
            "seller_uscc": meter.provider.uscc, "amount": "100.00", "tax": "0", "upload": pdf("发票.pdf")}
    if field == "seller_uscc" and value is None:
        value = unique_uscc()
    if field == "upload":
        value = SimpleUploadedFile("发票.pdf", PNG_BYTES, content_type="application/pdf")
    data[field] = value
    response = client.post(f"/applications/{application.pk}/invoices/", data=data)
    assert response.status_code == 400
    assert not ApplicationInvoice.objects.exists()
    errors = response.context["invoice_form"].errors
    assert list(errors) == [field], errors
    assert errors[field] == [str(message)]
    assert str(message) in response.content.decode()


def test_another_enterprises_member_gets_404_on_every_invoice_route(work, meter, reviewer):
    application = draft(work, now=NOW)
    invoice = declare_invoice(application, meter, amount_fen=100)
    outsider = client_for(make_enterprise(verified_by=reviewer).registered_by)
    a, i = application.pk, invoice.pk
    assert outsider.get(f"/api/v1/applications/{a}/invoices").status_code == 404
    assert outsider.post(f"/api/v1/applications/{a}/invoices", data=_api_form(meter)).status_code == 404
    assert outsider.get(f"/api/v1/applications/{a}/invoices/{i}/file").status_code == 404
    assert outsider.post(f"/api/v1/applications/{a}/invoices/{i}/withdraw", data={"reason": "x"},
                         content_type="application/json").status_code == 404
    assert outsider.get(f"/applications/{a}/invoices/{i}/file/").status_code == 404
    assert outsider.post(f"/applications/{a}/invoices/", data={}).status_code == 404
    assert outsider.post(f"/applications/{a}/invoices/{i}/withdraw/", data={"reason": "x"}).status_code == 404
    assert ApplicationInvoice.objects.count() == 1 and not hasattr(ApplicationInvoice.objects.get(), "withdrawal")


def test_staff_see_the_invoices_but_cannot_declare(work, meter, reviewer):
    application = draft(work, now=NOW)
    invoice = declare_invoice(application, meter, amount_fen=100)
    staff = client_for(reviewer)
    assert staff.get(f"/api/v1/applications/{application.pk}/invoices/{invoice.pk}/file").status_code == 200
    response = staff.post(f"/api/v1/applications/{application.pk}/invoices", data=_api_form(meter))
    assert response.status_code == 403 and response.json()["code"] == "not_enterprise_member"
    with pytest.raises(Forbidden):
        declare_invoice(application, meter, amount_fen=100, actor=reviewer)
    assert ApplicationInvoice.objects.count() == 1


def test_a_seller_that_is_not_a_registered_provider_is_a_field_error(work, meter):
    application = draft(work, now=NOW)
    response = client_for(work.enterprise.registered_by).post(
        f"/api/v1/applications/{application.pk}/invoices", data=_api_form(meter, seller_uscc=unique_uscc()))
    assert response.status_code == 400
    assert response.json()["code"] == "invoice_seller_not_provider"
    assert response.json()["message"] == str(invoices.MSG_INVOICE_SELLER_NOT_PROVIDER)


def test_an_invoice_number_declared_by_another_enterprise_is_refused(work, meter, reviewer):
    other = make_enterprise(verified_by=reviewer)
    [other_work] = eligible_works(other, meter, 1)
    declare_invoice(draft(other_work, now=NOW), meter, amount_fen=100, number="55555555")
    application = draft(work, now=NOW)
    with pytest.raises(Conflict) as refused:
        declare_invoice(application, meter, amount_fen=100, number="55555555")
    assert refused.value.code == "invoice_duplicate" and refused.value.field == "invoice_number"
    response = client_for(work.enterprise.registered_by).post(
        f"/api/v1/applications/{application.pk}/invoices",
        data=_api_form(meter, invoice_code="011002600111", invoice_number="55555555"))
    assert response.status_code == 409 and response.json()["code"] == "invoice_duplicate"
    # the same number under another invoice code is another invoice
    declare_invoice(application, meter, amount_fen=100, number="55555555", code="011002600222")


def test_the_database_refuses_a_second_holder_of_an_invoice_number(work, meter):
    from django.db import IntegrityError, transaction

    invoice = declare_invoice(draft(work, now=NOW), meter, amount_fen=100)
    copy = {field.attname: getattr(invoice, field.attname) for field in ApplicationInvoice._meta.concrete_fields
            if not field.primary_key}
    # what a second declaration racing the first past the service's check would write: the same code, number and
    # sequence number
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationInvoice.objects.create(**copy)


@pytest.mark.parametrize(("amount_fen", "tax_fen", "code"), [
    (0, 0, "invoice_amount_not_positive"), (-100, 0, "invoice_amount_not_positive"),
    (100, -1, "invoice_tax_negative")])
def test_zero_or_negative_amounts_are_refused(work, meter, amount_fen, tax_fen, code):
    response = client_for(work.enterprise.registered_by).post(
        f"/api/v1/applications/{draft(work, now=NOW).pk}/invoices",
        data=_api_form(meter, amount_fen=str(amount_fen), tax_fen=str(tax_fen)))
    assert response.status_code == 400 and response.json()["code"] == code


@pytest.mark.parametrize("upload", [
    SimpleUploadedFile("发票.pdf", PNG_BYTES), SimpleUploadedFile("发票.ofd", b"PK\x03\x04not really a zip"),
    "zip without OFD.xml"])
def test_a_file_that_is_neither_pdf_nor_ofd_is_refused(work, meter, upload):
    if upload == "zip without OFD.xml":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            package.writestr("readme.txt", b"hello")
        upload = SimpleUploadedFile("发票.ofd", buffer.getvalue())
    response = client_for(work.enterprise.registered_by).post(
        f"/api/v1/applications/{draft(work, now=NOW).pk}/invoices", data=_api_form(meter, upload=upload))
    assert response.status_code == 400
    assert response.json() == {"code": "file_type_not_allowed", "message": str(MSG_INVOICE_FILE_TYPE),
                               "detail": {"field": "upload"}}


def test_no_invoice_can_be_declared_or_withdrawn_after_approval(work, meter, reviewer, approver):
    application = draft(work, now=NOW)
    invoice = declare_invoice(application, meter, amount_fen=100)
    application = reviewed(application, reviewer=reviewer)
    with pytest.raises(Conflict) as under_review:
        declare_invoice(application, meter, amount_fen=100)
    assert under_review.value.code == "invoice_closed"
    application = services.application_approve(application=application, actor=approver, now=NOW)
    client = client_for(work.enterprise.registered_by)
    response = client.post(f"/api/v1/applications/{application.pk}/invoices", data=_api_form(meter))
    assert response.status_code == 409 and response.json()["code"] == "invoice_closed"
    response = client.post(f"/api/v1/applications/{application.pk}/invoices/{invoice.pk}/withdraw",
                           data={"reason": "填错了"}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "invoice_closed"
    assert 'data-testid="invoice-form"' not in client.get(f"/applications/{application.pk}/").content.decode()


def test_invoices_may_be_declared_while_a_supplement_is_requested(work, meter, reviewer, metered_fen):
    application = reviewed(draft(work, now=NOW), reviewer=reviewer)
    application = services.application_request_supplement(application=application, actor=reviewer,
                                                           items=["算力发票"], message="请申报发票", now=NOW)
    declare_invoice(application, meter, amount_fen=metered_fen - 100)
    application = services.application_resubmit(application=application, actor=member_of(work.enterprise), now=NOW)
    assert application.review_detail["base_fen"] == metered_fen - 100


# --- the base ----------------------------------------------------------------------------------------------------

def test_invoices_lower_the_base_to_the_fen(work, meter, reviewer, approver, metered_fen):
    application = draft(work, now=NOW)
    declare_invoice(application, meter, amount_fen=100_001, tax_fen=6_000)
    declare_invoice(application, meter, amount_fen=200_002, tax_fen=12_000)
    application = reviewed(application, reviewer=reviewer)
    # base = min(metered, 300,003 fen before tax); amount = round(300,003 × 30 %) = 90,001 (90,000.9 half-up)
    assert metered_fen > 300_003
    assert application.verified_cost_fen == metered_fen
    assert application.review_amount_fen == 90_001
    assert application.review_detail["base_fen"] == 300_003
    assert application.review_detail["base_bound"] == "invoiced"
    approved = services.application_approve(application=application, actor=approver, now=NOW)
    assert approved.approved_amount_fen == 90_001


def test_invoices_larger_than_the_metered_cost_do_not_raise_the_base(work, meter, reviewer, metered_fen):
    without = reviewed(draft(work, now=NOW), reviewer=reviewer)
    services.application_withdraw(application=without, actor=member_of(work.enterprise), now=NOW)
    application = draft(work, now=NOW)
    declare_invoice(application, meter, amount_fen=metered_fen * 10)
    application = reviewed(application, reviewer=reviewer)
    assert application.review_amount_fen == without.review_amount_fen
    assert application.review_detail["base_fen"] == metered_fen
    assert application.review_detail["base_bound"] == "metered"
    assert application.review_detail["invoiced_fen"] == metered_fen * 10


def test_withdrawing_the_invoice_restores_the_metered_base(work, meter, reviewer, metered_fen):
    application = draft(work, now=NOW)
    invoice = declare_invoice(application, meter, amount_fen=1_000, number="77777777")
    client = client_for(work.enterprise.registered_by)
    refused = client.post(f"/api/v1/applications/{application.pk}/invoices/{invoice.pk}/withdraw",
                          data={"reason": " "}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    response = client.post(f"/api/v1/applications/{application.pk}/invoices/{invoice.pk}/withdraw",
                           data={"reason": "金额填错"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["withdrawn"] is True
    again = client.post(f"/api/v1/applications/{application.pk}/invoices/{invoice.pk}/withdraw",
                        data={"reason": "再撤一次"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "invoice_already_withdrawn"
    # the declaration stays; the number is free again (a corrected declaration is a new record)
    corrected = declare_invoice(application, meter, amount_fen=metered_fen + 1, number="77777777")
    assert corrected.declaration_seq == 1 and ApplicationInvoice.objects.count() == 2
    invoices.application_invoice_withdraw(invoice=corrected, reason="不需要", actor=member_of(work.enterprise),
                                          now=NOW)
    application = reviewed(application, reviewer=reviewer)
    assert application.review_detail["invoiced_fen"] is None
    assert application.review_detail["base_fen"] == metered_fen
    assert application.review_explanation.startswith("核定成本 ")


def test_a_rejected_applications_invoice_number_can_be_declared_again(work, meter, reviewer, approver):
    application = draft(work, now=NOW)
    declare_invoice(application, meter, amount_fen=1_000, number="66666666")
    application = reviewed(application, reviewer=reviewer)
    services.application_reject(application=application, actor=approver, reason="材料不实", now=NOW)
    again = declare_invoice(draft(work, now=NOW), meter, amount_fen=1_000, number="66666666")
    assert again.declaration_seq == 1


# --- what the reviewer, the applicant and the PDF see ---------------------------------------------------------------

def test_the_api_and_staff_page_show_both_figures_and_which_side_bound(work, meter, reviewer, approver, metered_fen):
    application = draft(work, now=NOW)
    declare_invoice(application, meter, amount_fen=metered_fen - 1)
    application = reviewed(application, reviewer=reviewer)
    body = client_for(work.enterprise.registered_by).get(f"/api/v1/applications/{application.pk}").json()
    assert body["review_base"] == {"metered_cost_fen": metered_fen, "invoiced_fen": metered_fen - 1,
                                   "base_fen": metered_fen - 1, "bound": "invoiced", "difference_fen": 1}
    assert body["approved_base"] is None
    assert "发票金额较低，按发票金额" in body["review_explanation"]
    page = client_for(reviewer).get(f"/applications/{application.pk}/").content.decode()
    assert 'data-testid="invoice-difference"' in page and "相差 0.01 元" in page
    assert "（按发票金额）" in page
    member_page = client_for(work.enterprise.registered_by).get(f"/applications/{application.pk}/").content.decode()
    assert 'data-testid="invoice-difference"' not in member_page and "（按发票金额）" in member_page
    approved = services.application_approve(application=application, actor=approver, now=NOW)
    assert approved.approved_detail["base_bound"] == "invoiced"


def test_without_invoices_the_api_says_the_metered_cost_bound(work, reviewer, metered_fen):
    application = reviewed(draft(work, now=NOW), reviewer=reviewer)
    body = client_for(reviewer).get(f"/api/v1/applications/{application.pk}").json()
    assert body["review_base"] == {"metered_cost_fen": metered_fen, "invoiced_fen": None, "base_fen": metered_fen,
                                   "bound": "metered", "difference_fen": None}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is installed by make test")
def test_the_decision_pdf_names_both_figures_and_the_side_that_bound(work, meter, reviewer, approver, metered_fen,
                                                                    tmp_path):
    application = draft(work, now=NOW)
    declare_invoice(application, meter, amount_fen=300_003)
    application = services.application_approve(application=reviewed(application, reviewer=reviewer),
                                                actor=approver, now=NOW)
    response = client_for(work.enterprise.registered_by).get(f"/applications/{application.pk}/notices/decision.pdf")
    text = "".join(pdf_text(response.content, tmp_path).split())
    metered = f"{metered_fen // 100:,}.{metered_fen % 100:02d}"
    assert f"计量成本{metered}元" in text
    assert "申报发票金额（不含税）3,000.03元" in text
    assert "按发票金额计3,000.03元" in text


def test_a_difference_is_listed_for_the_spot_check(work, meter, reviewer, approver, metered_fen):
    from yingdu.applications.selectors import applications_with_invoice_difference

    application = draft(work, now=NOW)
    declare_invoice(application, meter, amount_fen=metered_fen + 500)
    approved = services.application_approve(application=reviewed(application, reviewer=reviewer),
                                            actor=approver, now=NOW)
    [(listed, figures)] = applications_with_invoice_difference()
    assert listed.pk == approved.pk and figures.difference_fen == -500 and figures.bound == "metered"


def test_an_overseas_topup_counts_the_invoices_of_the_application_it_tops_up(enterprise, reviewer, approver):
    meter = make_metering_provider()
    [work] = eligible_works(enterprise, meter, 1)
    base = draft(work, now=NOW)
    declare_invoice(base, meter, amount_fen=100_000)
    base = services.application_approve(application=reviewed(base, reviewer=reviewer), actor=approver, now=NOW)
    assert base.approved_amount_fen == 30_000
    topup = services.application_topup_create(base=base, actor=verified(enterprise.registered_by), now=NOW)
    from yingdu.applications.eligibility import application_quote
    from yingdu.policy.selectors import policy_version_in_force

    result, topup_fen, _text, detail = application_quote(topup, version=policy_version_in_force(on=NOW.date()))
    assert result.base.fen == 100_000 and detail["base_bound"] == "invoiced"
    assert topup_fen == 39_000 - 30_000


def test_domain_errors_carry_their_field(work, meter):
    application = draft(work, now=NOW)
    with pytest.raises(DomainError) as refused:
        declare_invoice(application, meter, amount_fen=100, code="", number="12345678")
    assert refused.value.field == "invoice_number"
    assert declare_invoice(application, meter, amount_fen=100, code="", number="1" * 20).invoice_code == ""
    assert application.status == ApplicationStatus.DRAFT


def test_the_spot_check_case_shows_the_difference_under_its_invoices_item(enterprise, meter, reviewer, approver):
    from yingdu.accounts.models import Role
    from yingdu.actors import SYSTEM
    from yingdu.audits.draws import draw_run
    from yingdu.audits.models import SpotCheckCase
    from yingdu.testing.factories import make_staff
    from yingdu.transparency.services import checkpoint_sign

    in_q3 = datetime(2026, 8, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    [work] = eligible_works(enterprise, meter, 1)
    application = draft(work, now=in_q3)
    declare_invoice(application, meter, amount_fen=123_456)
    application = services.application_approve(application=reviewed(application, reviewer=reviewer),
                                               actor=approver, now=in_q3)
    checkpoint_sign(now=datetime(2026, 9, 30, 23, tzinfo=ZoneInfo("Asia/Shanghai")))
    with time_machine.travel(datetime(2026, 10, 9, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        draw_run(quarter="2026Q3", actor=SYSTEM, now=datetime(2026, 10, 9, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
        case = SpotCheckCase.objects.get(work=work)
        auditor = client_for(verified(make_staff(Role.AUDITOR)))
        page = auditor.get(f"/audits/cases/{case.pk}/").content.decode()
        listing = auditor.get("/audits/").content.decode()
        member_page = client_for(enterprise.registered_by).get(f"/audits/cases/{case.pk}/").content.decode()
    difference = application.approved_detail["metered_cost_fen"] - 123_456
    shown = f"{difference // 100:,}.{difference % 100:02d}"
    assert 'data-testid="invoice-difference"' in page and f"相差 {shown} 元" in page
    assert "1,234.56 元" in page
    assert f"#{application.pk}" in listing and shown in listing
    assert 'data-testid="invoice-reconciliation"' not in member_page
