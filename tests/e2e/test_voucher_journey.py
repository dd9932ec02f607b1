"""A voucher from issuance to revocation: the wallet shows it, the enterprise creates redemption codes in the
browser, a provider redeems by API with them (a limited code takes effect at once, an unlimited one waits for the
enterprise's confirmation in the browser), finance settles the period and then revokes the voucher, voiding the
rest; the payment and the revocation each take a second finance officer (four eyes)."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yingdu.accounts.models import Role
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user
from yingdu.transparency.models import LogEntry
from yingdu.vouchers.ledger import ledger_check, ledger_check_record
from yingdu.vouchers.models import Account, AccountKind, RedemptionStatus, StatementStatus, VoucherStatus
from yingdu.vouchers.services import voucher_issue

from .conftest import assert_fits_width, log_in

LEDGER_CHECKED_AT = datetime(2026, 11, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai"))

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_voucher_is_issued_redeemed_confirmed_settled_and_revoked(live_server, page, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    member = make_user("wallet_member", display_name="陈晓")
    enterprise = make_enterprise(member=member, verified_by=verified(make_staff(Role.REVIEWER)),
                                 name="北京怀柔星河AI影视有限公司")
    metered = make_metering_provider()
    finance = make_staff(Role.FINANCE, username="finance_e2e")
    second_finance = make_staff(Role.FINANCE, username="finance_e2e_2")
    voucher = voucher_issue(enterprise=enterprise, work_id=11, application_id=21, amount_fen=1_000_000,
                            actor=verified(make_staff(Role.APPROVER)), now=timezone.now())

    # the wallet shows the voucher
    log_in(page, live_server.url, "wallet_member")
    page.goto(f"{live_server.url}/vouchers/")
    expect(page.get_by_role("heading", name="算力券钱包")).to_be_visible()
    expect(page.get_by_test_id(f"voucher-{voucher.number}")).to_contain_text("10,000.00")
    assert_fits_width(page)
    screenshot(page, f"voucher-wallet-{width}")

    # the enterprise creates a code limited to 500.00 yuan for this provider: shown once
    code_form = page.locator("form.code-form")
    code_form.get_by_label("算力券").select_option(voucher.number)
    code_form.get_by_label("限定服务商").select_option(label=metered.provider.name)
    code_form.get_by_label("限额（元）").fill("500.00")
    assert_fits_width(page)
    screenshot(page, f"voucher-code-form-{width}")
    code_form.get_by_role("button", name="生成核销码").click()
    limited_code = page.get_by_test_id("issued-code-text").inner_text()
    assert_fits_width(page)
    screenshot(page, f"voucher-code-created-{width}")

    def redeem(code: str, order_ref: str, amount: str):
        return page.context.request.post(
            f"{live_server.url}/api/v1/redemptions", headers={"X-API-Key": metered.api_key},
            data=json.dumps({"voucher_number": voucher.number, "code": code, "order_ref": order_ref,
                             "category": "compute", "amount": amount, "description": "A100 卡时"}),
        )

    # the provider redeems with it by API: confirmed at once; the code cannot be used twice
    response = redeem(limited_code, "GPU-2026-0000", "500.00")
    assert response.status == 201, response.text()
    assert response.json()["status"] == "confirmed"
    assert redeem(limited_code, "GPU-2026-0009", "1.00").status == 404

    # an unlimited code: the redemption waits for the enterprise, which confirms it in the browser
    page.goto(f"{live_server.url}/vouchers/")
    page.locator("form.code-form").get_by_role("button", name="生成核销码").click()
    open_code = page.get_by_test_id("issued-code-text").inner_text()
    response = redeem(open_code, "GPU-2026-0001", "2000.00")
    assert response.status == 201, response.text()
    assert response.json()["status"] == "pending"
    page.goto(f"{live_server.url}/vouchers/")
    expect(page.get_by_test_id("issued-code")).to_have_count(0)
    assert limited_code not in page.content() and open_code not in page.content()
    row = page.get_by_test_id("pending-GPU-2026-0001")
    expect(row).to_contain_text("2,000.00")
    expect(page.get_by_test_id("wallet-available")).to_have_text("7,500.00")
    assert_fits_width(page)
    screenshot(page, f"voucher-pending-{width}")
    row.get_by_role("button", name="确认核销").click()
    # the confirmation states the amount and that it cannot be undone, before anything is deducted
    expect(page.get_by_test_id("confirmation")).to_contain_text("2,000.00 元")
    expect(page.get_by_test_id("consequence")).to_contain_text("不能撤回")
    page.get_by_role("button", name="确认核销").click()
    expect(page.get_by_text("已确认核销")).to_be_visible()
    expect(page.get_by_test_id("wallet-balance")).to_have_text("7,500.00")
    screenshot(page, f"voucher-confirmed-{width}")

    # finance settles the period and enters the payment; a second finance officer confirms it (four eyes)
    log_in(page, live_server.url, "finance_e2e", device=finance.totpdevice_set.get())
    page.goto(f"{live_server.url}/vouchers/finance/settlements/")
    today = timezone.localdate().isoformat()
    settlement = page.get_by_test_id("settlement-form")  # the page also has the statements' filter form
    settlement.get_by_label("服务商").select_option(label=metered.provider.name)
    settlement.get_by_label("期间开始").fill(today[:8] + "01")
    settlement.get_by_label("期间结束").fill(today)
    settlement.get_by_role("button", name="生成结算单").click()
    expect(page.get_by_text("已生成结算单")).to_be_visible()
    expect(page.get_by_test_id("statement-status")).to_have_text("待付款")
    page.get_by_label("付款凭证号").fill("BOC-20261127-001")
    page.get_by_role("button", name="标记为已付款").click()
    expect(page.get_by_test_id("confirmation")).to_contain_text("BOC-20261127-001")
    page.get_by_role("button", name="确认标记为已付款").click()
    expect(page.get_by_text("须由另一名工作人员确认后生效")).to_be_visible()
    expect(page.get_by_test_id("statement-status")).to_have_text("待付款")
    statement_url = page.url

    # the same officer proposes the revocation: nothing changes until a second person confirms
    page.goto(f"{live_server.url}/vouchers/{voucher.number}/")
    page.get_by_role("link", name="撤销此券").click()
    page.get_by_label("撤销理由").fill("抽查发现虚报算力用量")
    page.get_by_role("button", name="确认撤销").click()
    expect(page.get_by_text("须由另一名工作人员确认后生效")).to_be_visible()
    expect(page.get_by_test_id("voucher-status")).to_have_text("有效")
    expect(page.get_by_text("这是您的提议，须由他人确认。")).to_be_visible()

    # the second officer finds both under 待复核 and confirms them
    log_in(page, live_server.url, "finance_e2e_2", device=second_finance.totpdevice_set.get())
    page.goto(f"{live_server.url}/duties/")
    expect(page.get_by_role("heading", name="等待您确认的提议")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, f"duties-awaiting-{width}")
    for label in ("标记结算已付款", "撤销算力券"):
        row = page.locator("article.proposal").filter(has_text=label)
        row.get_by_role("button", name="确认执行").click()
        expect(page.get_by_text(f"已确认并执行：{label}")).to_be_visible()
    page.goto(statement_url)
    expect(page.get_by_test_id("statement-status")).to_have_text("已付款")
    assert_fits_width(page)
    screenshot(page, f"voucher-statement-paid-{width}")
    page.goto(f"{live_server.url}/vouchers/{voucher.number}/")
    expect(page.get_by_test_id("voucher-status")).to_have_text("已撤销")
    expect(page.get_by_test_id("voucher-balance")).to_have_text("0.00 元")
    assert_fits_width(page)
    screenshot(page, f"voucher-revoked-{width}")
    ledger_check_record(clock=lambda: LEDGER_CHECKED_AT)  # what the worker runs every ten minutes
    page.goto(f"{live_server.url}/vouchers/finance/")
    expect(page.get_by_test_id("ledger-check")).to_contain_text("通过")
    screenshot(page, f"voucher-finance-{width}")

    # the ledger and the log agree
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.REVOKED
    redemptions = list(voucher.redemptions.all())
    assert len(redemptions) == 2
    for redemption in redemptions:
        assert redemption.status == RedemptionStatus.CONFIRMED and redemption.statement.status == StatementStatus.PAID
    assert voucher.recovery_claim.outstanding_fen == 250_000
    assert Account.objects.get(kind=AccountKind.PROVIDER_SETTLED, provider=metered.provider).balance_fen == 250_000
    report = ledger_check()
    assert report.ok, report.problems
    types = set(LogEntry.objects.filter(event_type__startswith="vouchers.").values_list("event_type", flat=True))
    assert {"vouchers.issue", "vouchers.transfer", "vouchers.redemption_submit", "vouchers.redeem",
            "vouchers.settlement_create", "vouchers.settlement_paid", "vouchers.revoke",
            "vouchers.redemption_code_create", "vouchers.redemption_code_use"} <= types
