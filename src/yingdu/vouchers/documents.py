"""Documents made from vouchers and statements: the voucher certificate (PDF, WeasyPrint) and the Excel statement."""

from django.template.loader import render_to_string
from openpyxl import Workbook

from yingdu.documents.models import DocumentKind
from yingdu.documents.selectors import document_number_of
from yingdu.i18n import in_chinese
from yingdu.metering.models import ServiceCategory
from yingdu.pdf import CJK_FONT, html_to_pdf
from yingdu.rules.money import Money
from yingdu.works.models import Work
from yingdu.xlsx import BOLD, SheetWriter, Yuan, workbook_bytes

from .models import SettlementStatement
from .selectors import VoucherView, statement_lines


@in_chinese
def voucher_certificate_html(view: VoucherView) -> str:
    voucher = view.voucher
    categories = [ServiceCategory(value).label for value in voucher.eligible_service_categories]
    return render_to_string("vouchers/certificate.html", {
        "voucher": voucher, "view": view, "amount": Money(voucher.amount_fen).format_display(),
        "amount_capital": Money(voucher.amount_fen).format_capital(),
        "document_number": document_number_of(kind=DocumentKind.VOUCHER, subject_id=voucher.pk),
        "work_title": Work.objects.filter(pk=voucher.work_id).values_list("title", flat=True).first() or "",
        "categories": categories, "font": CJK_FONT})


def voucher_certificate_pdf(view: VoucherView) -> bytes:
    """The certificate as PDF, with the CJK font embedded (Debian's fonts-noto-cjk)."""
    return html_to_pdf(voucher_certificate_html(view),
                       css=render_to_string("vouchers/certificate.css", {"font": CJK_FONT}))


STATEMENT_COLUMNS = ("序号", "核销编号", "确认时间", "券号", "企业", "订单号", "服务类别", "金额（元）")


@in_chinese
def statement_workbook(statement: SettlementStatement) -> bytes:
    """The statement and its lines as an .xlsx workbook (amounts as numbers of yuan, times as dates)."""
    workbook = Workbook()
    writer = SheetWriter(workbook.active)
    writer.sheet.title = "结算单"
    for label, value in (("结算单号", statement.number), ("服务商", statement.provider.name),
                         ("期间开始", statement.period_start_on), ("期间结束", statement.period_end_on),
                         ("合计（元）", Yuan(statement.total_fen)), ("笔数", statement.redemption_count),
                         ("状态", statement.get_status_display()), ("付款凭证号", statement.payment_reference or "")):
        writer.append([label, value])
        writer.sheet.cell(row=writer.row, column=1).font = BOLD
    writer.blank()
    writer.append(list(STATEMENT_COLUMNS), bold=True)
    for position, redemption in enumerate(statement_lines(statement), start=1):
        writer.append([position, redemption.pk, redemption.decided_at, redemption.voucher.number,
                       redemption.voucher.enterprise.name, redemption.order_ref,
                       ServiceCategory(redemption.category).label, Yuan(redemption.amount_fen)])
    for column, width in zip("ABCDEFGH", (10, 10, 18, 18, 30, 20, 16, 14), strict=True):
        writer.sheet.column_dimensions[column].width = width
    return workbook_bytes(workbook)
