"""Documents made from vouchers and statements: the voucher certificate (PDF, WeasyPrint) and the Excel statement."""

import io
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from yingdu.i18n import in_chinese
from yingdu.metering.models import ServiceCategory
from yingdu.rules.money import Money

from .models import SettlementStatement
from .selectors import VoucherView, statement_lines

CERTIFICATE_FONT = "Noto Sans CJK SC"


@in_chinese
def voucher_certificate_html(view: VoucherView) -> str:
    voucher = view.voucher
    categories = [ServiceCategory(value).label for value in voucher.eligible_service_categories]
    return render_to_string("vouchers/certificate.html", {
        "voucher": voucher, "view": view, "amount": Money(voucher.amount_fen).format_display(),
        "categories": categories, "font": CERTIFICATE_FONT})


def voucher_certificate_pdf(view: VoucherView) -> bytes:
    """The certificate as PDF, with the CJK font embedded (Debian's fonts-noto-cjk)."""
    from weasyprint import HTML  # imported here: loading Pango costs time that pages without a PDF need not pay

    return HTML(string=voucher_certificate_html(view)).write_pdf()


STATEMENT_COLUMNS = ("序号", "核销编号", "确认时间", "券号", "企业", "订单号", "服务类别", "金额（元）")


@in_chinese
def statement_workbook(statement: SettlementStatement) -> bytes:
    """The statement and its lines as an .xlsx workbook (amounts as numbers with two decimals)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "结算单"
    bold = Font(bold=True)
    header = [("结算单号", statement.number), ("服务商", statement.provider.name),
              ("期间", f"{statement.period_start_on} 至 {statement.period_end_on}"),
              ("合计（元）", Money(statement.total_fen).format_yuan()), ("笔数", statement.redemption_count),
              ("状态", statement.get_status_display()), ("付款凭证号", statement.payment_reference or "")]
    for label, value in header:
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append([])
    sheet.append(list(STATEMENT_COLUMNS))
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for position, redemption in enumerate(statement_lines(statement), start=1):
        sheet.append([position, redemption.pk, timezone.localtime(redemption.decided_at).strftime("%Y-%m-%d %H:%M"),
                      redemption.voucher.number, redemption.voucher.enterprise.name, redemption.order_ref,
                      str(ServiceCategory(redemption.category).label), Decimal(redemption.amount_fen) / 100])
        sheet.cell(row=sheet.max_row, column=8).number_format = "#,##0.00"
    for column, width in zip("ABCDEFGH", (8, 10, 18, 18, 30, 20, 16, 14), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
