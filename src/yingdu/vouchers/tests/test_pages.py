import io
import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_staff, make_user
from yingdu.testing.pdf import embedded_font_names
from yingdu.testing.redemptions import code_for, redeem_with_code
from yingdu.vouchers import redemptions
from yingdu.vouchers.ledger import ledger_check_record
from yingdu.vouchers.models import RedemptionStatus, StatementStatus, VoucherStatus
from yingdu.vouchers.redemptions import MSG_VOUCHER_OR_CODE_INVALID
from yingdu.xlsx import YUAN_FORMAT

from .conftest import SHANGHAI, issue

CHECKED_AT = datetime(2030, 6, 1, 9, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


@pytest.fixture
def voucher(enterprise, approver):
    return issue(enterprise, approver, 1_000_000, now=timezone.now())


def pending_redemption(metered, voucher, order_ref="PAGE-1", amount_fen=250_000):
    return redeem_with_code(provider=metered.provider, voucher=voucher, order_ref=order_ref, amount_fen=amount_fen,
                            now=timezone.now()).redemption


def test_wallet_shows_own_vouchers_and_pending_redemptions_only(voucher, member, metered):
    pending_redemption(metered, voucher)
    other = make_enterprise(member=make_user(), verified_by=verified(make_staff(Role.REVIEWER)))
    page = client_for(member).get("/vouchers/")
    assert page.status_code == 200
    html = page.content.decode()
    assert voucher.number in html and "PAGE-1" in html and "确认核销" in html and "7,500.00" in html
    stranger = client_for(other.registered_by)
    assert voucher.number not in stranger.get("/vouchers/").content.decode()
    assert stranger.get(f"/vouchers/{voucher.number}/").status_code == 404
    assert stranger.get(f"/vouchers/{voucher.number}/certificate.pdf").status_code == 404


def test_enterprise_confirms_and_rejects_in_the_wallet(voucher, member, metered):
    first = pending_redemption(metered, voucher, "PAGE-1")
    second = pending_redemption(metered, voucher, "PAGE-2", 100_000)
    client = client_for(member)
    asked = client.post(f"/vouchers/redemptions/{first.pk}/confirm/")
    html = asked.content.decode()
    # the first press asks, stating the amount and that it cannot be undone; nothing is deducted yet
    assert asked.status_code == 200 and "请确认：核销" in html and "PAGE-1" in html and "2,500.00 元" in html
    assert "不能撤回" in html and 'name="confirmed" value="1"' in html
    first.refresh_from_db()
    assert first.status == RedemptionStatus.PENDING
    response = client.post(f"/vouchers/redemptions/{first.pk}/confirm/", {"confirmed": "1"}, follow=True)
    assert "已确认核销" in response.content.decode()
    response = client.post(f"/vouchers/redemptions/{second.pk}/reject/", {"reason": "未下此订单"}, follow=True)
    assert "已拒绝核销" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (RedemptionStatus.CONFIRMED, RedemptionStatus.REJECTED)
    voucher.account.refresh_from_db()
    assert voucher.account.balance_fen == 750_000
    other = make_enterprise(member=make_user(), verified_by=verified(make_staff(Role.REVIEWER)))
    third = pending_redemption(metered, voucher, "PAGE-3", 1)
    stranger = client_for(other.registered_by)
    assert stranger.post(f"/vouchers/redemptions/{third.pk}/confirm/").status_code == 404
    assert stranger.post(f"/vouchers/redemptions/{third.pk}/confirm/", {"confirmed": "1"}).status_code == 404


def test_provider_redeems_on_its_page_with_errors_beside_the_field(voucher, metered):
    client = client_for(metered.operator)
    page = client.get("/vouchers/provider/")
    assert page.status_code == 200 and "提交核销" in page.content.decode()
    code = code_for(voucher, now=timezone.now())
    refused = client.post("/vouchers/provider/", {"voucher_number": voucher.number, "code": code,
                                                  "order_ref": "WEB-1", "category": "compute", "amount": "99999.00"})
    assert refused.status_code == 400 and "超过该算力券的可用余额" in refused.content.decode()
    wrong = client.post("/vouchers/provider/", {"voucher_number": voucher.number, "code": "ABCD-EFGH-JKMN-PQRS",
                                                "order_ref": "WEB-1", "category": "compute", "amount": "88.80"})
    assert wrong.status_code == 400 and str(MSG_VOUCHER_OR_CODE_INVALID) in wrong.content.decode()
    done = client.post("/vouchers/provider/", {"voucher_number": voucher.number.lower(), "code": code.lower(),
                                               "order_ref": "WEB-1", "category": "compute", "amount": "88.80"},
                       follow=True)
    assert "核销已提交" in done.content.decode()
    assert voucher.redemptions.get().amount_fen == 8_880


def test_certificate_is_a_pdf_with_an_embedded_cjk_font(voucher, member, tmp_path):
    response = client_for(member).get(f"/vouchers/{voucher.number}/certificate.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    fonts = embedded_font_names(response.content, tmp_path)
    assert any("CJK" in name for name in fonts), fonts


@pytest.mark.parametrize("role", [Role.APPROVER, Role.REVIEWER, Role.AUDITOR])
def test_finance_pages_refuse_other_staff(role, voucher):
    client = client_for(make_staff(role))
    assert client.get("/vouchers/finance/").status_code == 200  # programme staff may read the overview
    for url in ("/vouchers/finance/settlements/", "/vouchers/finance/claims/",
                f"/vouchers/finance/revoke/{voucher.number}/"):
        assert client.get(url).status_code == 403


def test_finance_pages_refuse_enterprises_providers_and_finance_without_two_factor(voucher, member, metered):
    finance_user = make_staff(Role.FINANCE)
    for client in (client_for(member), client_for(metered.operator)):
        for url in ("/vouchers/finance/", "/vouchers/finance/settlements/", "/vouchers/finance/claims/"):
            assert client.get(url).status_code == 403
    pending = client_for(finance_user, two_factor=False).get("/vouchers/finance/settlements/")
    assert pending.status_code == 302 and pending["Location"].startswith(reverse("accounts:two_factor"))


def test_finance_settles_exports_revokes_and_records_repayment(voucher, member, metered, finance):
    redemption = pending_redemption(metered, voucher)
    redemptions.redemption_confirm(redemption=redemption, actor=member, now=timezone.now())
    client = client_for(finance)
    ledger_check_record(clock=lambda: CHECKED_AT)  # the worker's periodic run
    assert "账务核对：通过" in client.get("/vouchers/finance/").content.decode()
    today = timezone.localdate()
    created = client.post("/vouchers/finance/settlements/", {
        "provider": metered.provider.pk, "period_start_on": (today - timedelta(days=30)).isoformat(),
        "period_end_on": today.isoformat()}, follow=True)
    assert "已生成结算单" in created.content.decode()
    statement = redemption.__class__.objects.get(pk=redemption.pk).statement
    asked = client.post(f"/vouchers/finance/settlements/{statement.pk}/", {"payment_reference": "BANK-77"})
    html = asked.content.decode()
    assert "请确认：标记为已付款" in html and statement.number in html and "BANK-77" in html and "四眼" in html
    assert 'name="payment_reference" value="BANK-77"' in html  # the confirming form carries what was typed
    statement.refresh_from_db()
    assert statement.status != StatementStatus.PAID
    paid = client.post(f"/vouchers/finance/settlements/{statement.pk}/",
                       {"payment_reference": "BANK-77", "confirmed": "1"}, follow=True)
    assert "须由另一名工作人员确认后生效" in paid.content.decode()
    second = client_for(verified(make_staff(Role.FINANCE)))
    paid = second.post(f"/vouchers/finance/settlements/{statement.pk}/",
                       {"payment_reference": "BANK-77", "confirmed": "1"}, follow=True)
    assert "已标记为已付款" in paid.content.decode()
    statement.refresh_from_db()
    assert statement.status == StatementStatus.PAID

    export = client_for(metered.operator).get(f"/vouchers/statements/{statement.pk}/export.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["结算单号", statement.number] and ["付款凭证号", "BANK-77"] in rows
    assert rows[-1][5] == "PAGE-1" and rows[-1][7] == 2500 and isinstance(rows[-1][2], datetime)
    assert ["合计（元）", 2500] in rows and ["期间开始", datetime.combine(statement.period_start_on, time.min)] in rows
    assert sheet.cell(row=sheet.max_row, column=8).number_format == YUAN_FORMAT
    other_provider_client = client_for(make_staff(Role.APPROVER))
    assert other_provider_client.get(f"/vouchers/statements/{statement.pk}/export.xlsx").status_code == 403

    proposed = client.post(f"/vouchers/finance/revoke/{voucher.number}/", {"reason": "抽查发现虚报"}, follow=True)
    assert "须由另一名工作人员确认后生效" in proposed.content.decode()
    revoked = second.post(f"/vouchers/finance/revoke/{voucher.number}/", {"reason": "抽查发现虚报"}, follow=True)
    assert "已撤销" in revoked.content.decode()
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.REVOKED
    claim = voucher.recovery_claim
    assert f'id="id_claim{claim.pk}-amount"' in client.get("/vouchers/finance/claims/").content.decode()
    repaid = client.post(f"/vouchers/finance/claims/{claim.pk}/repay/", {
        f"claim{claim.pk}-amount": "1000.00", f"claim{claim.pk}-reference": "RCV-9",
        f"claim{claim.pk}-received_on": today.isoformat()}, follow=True)
    assert "已登记还款" in repaid.content.decode()
    claim.refresh_from_db()
    assert claim.outstanding_fen == 150_000
    assert "算力券 " + voucher.number + " 已被撤销" in client_for(member).get("/vouchers/").content.decode()


def test_the_wallet_creates_a_code_shown_once_and_revokes_it(voucher, member, metered):
    client = client_for(member)
    page = client.get("/vouchers/")
    assert page.status_code == 200 and "生成核销码" in page.content.decode()
    refused = client.post("/vouchers/codes/", {"code-voucher": voucher.number, "code-max_amount": "1,000,000.00"})
    assert refused.status_code == 400 and "超过该算力券当前可用余额" in refused.content.decode()
    created = client.post("/vouchers/codes/", {"code-voucher": voucher.number, "code-provider": metered.provider.pk,
                                               "code-max_amount": "300.00"})
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    shown = re.search(r'data-testid="issued-code-text">([0-9A-Z-]+)<', created.content.decode()).group(1)
    code = voucher.redemption_codes.get()
    assert code.max_amount_fen == 30_000 and code.provider_id == metered.provider.pk
    # shown once: the wallet lists the code by number and status, never the code again
    again = client.get("/vouchers/").content.decode()
    assert shown not in again and f'data-testid="code-{code.pk}"' in again and "可使用" in again
    assert client.post(f"/vouchers/codes/{code.pk}/revoke/").status_code == 302
    code.refresh_from_db()
    assert code.status == "revoked" and "已作废" in client.get("/vouchers/").content.decode()


def test_another_enterprise_cannot_create_or_revoke_codes_on_pages(voucher, member, metered):
    code_for(voucher, now=timezone.now())
    other = make_enterprise(member=make_user(), verified_by=verified(make_staff(Role.REVIEWER)))
    stranger = client_for(other.registered_by)
    # another enterprise's voucher is not among the stranger's choices
    assert stranger.post("/vouchers/codes/", {"code-voucher": voucher.number}).status_code == 400
    [created] = voucher.redemption_codes.all()
    assert stranger.post(f"/vouchers/codes/{created.pk}/revoke/").status_code == 404
    assert client_for(metered.operator).post(f"/vouchers/codes/{created.pk}/revoke/").status_code == 403
    created.refresh_from_db()
    assert created.status == "active"
