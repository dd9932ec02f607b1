"""The applicant declares a compute invoice on the application page, at desktop and phone widths: a refusal is shown
beside its field, the declared invoice is listed with its file."""

import pytest
from playwright.sync_api import expect

from yingdu.applications.tests.support import draft, eligible_works
from yingdu.testing.clients import verified
from yingdu.testing.factories import PDF_BYTES, make_enterprise, make_metering_provider, make_staff, unique_uscc

from .conftest import assert_fits_width, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_declare_an_invoice_with_a_field_error_then_correctly(live_server, page, screenshot, tmp_path, width):
    from yingdu.accounts.models import Role

    page.set_viewport_size({"width": width, "height": 900})
    enterprise = make_enterprise(verified_by=verified(make_staff(Role.REVIEWER)))
    meter = make_metering_provider()
    [work] = eligible_works(enterprise, meter, 1)
    application = draft(work)
    invoice_file = tmp_path / "发票.pdf"
    invoice_file.write_bytes(PDF_BYTES)

    log_in(page, live_server.url, enterprise.registered_by.username)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    form = page.get_by_test_id("invoice-form")
    form.get_by_label("发票代码").fill("")
    form.get_by_label("发票号码").fill("26112000000012345678")
    form.get_by_label("开票日期").fill("2026-04-01")
    form.get_by_label("销售方统一社会信用代码").fill(unique_uscc())
    form.get_by_label("金额（不含税，元）").fill("5,000.00")
    form.get_by_label("税额（元）").fill("300.00")
    form.get_by_label("发票文件").set_input_files(str(invoice_file))
    form.get_by_role("button", name="申报发票").click()
    seller = page.get_by_test_id("invoice-form").locator(".field.has-error")
    expect(seller).to_contain_text("销售方不是在平台登记的算力服务商")
    expect(seller.get_by_label("销售方统一社会信用代码")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, f"invoice-field-error-{width}")

    form = page.get_by_test_id("invoice-form")
    form.get_by_label("销售方统一社会信用代码").fill(meter.provider.uscc)
    form.get_by_label("发票文件").set_input_files(str(invoice_file))
    form.get_by_role("button", name="申报发票").click()
    expect(page.get_by_text("发票已申报。")).to_be_visible()
    row = page.get_by_test_id("invoice-row")
    expect(row).to_contain_text("26112000000012345678")
    expect(row).to_contain_text("5,000.00")
    expect(row.get_by_role("link", name="发票.pdf")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, f"invoice-declared-{width}")
