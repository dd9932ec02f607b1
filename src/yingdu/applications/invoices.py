"""Compute invoices an applicant declares for an application (the base is the lower of metered cost and invoices),
and their withdrawal; split from services.py, which keeps the application workflow."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.errors import Conflict, DomainError
from yingdu.files import INVOICE_TYPES, store_upload
from yingdu.metering.selectors import provider_by_uscc
from yingdu.rules.uscc import UsccProblem, validate_uscc
from yingdu.transparency.services import log_append, log_lock

from .events import (
    invoice_declared_event,
    invoice_withdrawn_event,
)
from .models import (
    Application,
    ApplicationInvoice,
    ApplicationStatus,
    InvoiceWithdrawal,
)
from .services import _UPLOAD_STATUSES, MSG_REASON_REQUIRED, _require_member

MSG_INVOICE_CLOSED = _("申请当前状态为“{status}”，不能申报或撤回发票")
MSG_INVOICE_CODE_FORMAT = _("发票代码应为 10 位或 12 位数字；全电发票没有发票代码，请留空")
MSG_INVOICE_NUMBER_FORMAT = _("发票号码应为 8 位数字；全电发票（不填发票代码）为 20 位数字")
MSG_INVOICE_DATE_FUTURE = _("开票日期不能晚于今天")
MSG_INVOICE_SELLER_USCC = _("销售方统一社会信用代码无效")
MSG_INVOICE_SELLER_NOT_PROVIDER = _("销售方不是在平台登记的算力服务商，不能申报其发票")
MSG_INVOICE_AMOUNT_NOT_POSITIVE = _("金额（不含税）必须大于 0")
MSG_INVOICE_TAX_NEGATIVE = _("税额不能为负数")
MSG_INVOICE_DUPLICATE = _("该发票已被申报过（同一发票代码和号码），不能重复申报")
MSG_INVOICE_ALREADY_WITHDRAWN = _("该发票已撤回")


def _invoice_fields(*, invoice_code: str, invoice_number: str, issued_on, seller_uscc: str, amount_fen: int,
                    tax_fen: int, today) -> tuple[str, str, object]:
    """The invoice's code, number and seller checked field by field (the first problem is raised, with its field)."""
    code, number = (invoice_code or "").strip(), (invoice_number or "").strip()
    if code and not (code.isascii() and code.isdigit() and len(code) in (10, 12)):
        raise DomainError(MSG_INVOICE_CODE_FORMAT, code="invoice_code_format", field="invoice_code")
    if not (number.isascii() and number.isdigit() and len(number) == (8 if code else 20)):
        raise DomainError(MSG_INVOICE_NUMBER_FORMAT, code="invoice_number_format", field="invoice_number")
    if issued_on > today:
        raise DomainError(MSG_INVOICE_DATE_FUTURE, code="invoice_date_future", field="issued_on")
    try:
        uscc = validate_uscc(seller_uscc or "")
    except UsccProblem:
        raise DomainError(MSG_INVOICE_SELLER_USCC, code="invoice_seller_uscc", field="seller_uscc") from None
    seller = provider_by_uscc(uscc)
    if seller is None:
        raise DomainError(MSG_INVOICE_SELLER_NOT_PROVIDER, code="invoice_seller_not_provider", field="seller_uscc",
                          detail={"seller_uscc": uscc})
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError(MSG_INVOICE_AMOUNT_NOT_POSITIVE, code="invoice_amount_not_positive", field="amount")
    if isinstance(tax_fen, bool) or not isinstance(tax_fen, int) or tax_fen < 0:
        raise DomainError(MSG_INVOICE_TAX_NEGATIVE, code="invoice_tax_negative", field="tax")
    return code, number, seller


def _invoice_number_held(*, code: str, number: str) -> bool:
    """Whether a declaration of this invoice still holds its number: not withdrawn, on an application that was
    neither refused nor withdrawn."""
    return ApplicationInvoice.objects.filter(
        invoice_code=code, invoice_number=number, withdrawal__isnull=True,
    ).exclude(application__status__in=(ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)).exists()


def application_invoice_declare(*, application: Application, invoice_code: str, invoice_number: str, issued_on,
                                seller_uscc: str, amount_fen: int, tax_fen: int, upload, actor,
                                now) -> ApplicationInvoice:
    """Declare a compute invoice of the work (draft or while a supplement is due): the seller must be a registered
    provider, the invoice not declared anywhere else; the file is a PDF or an OFD."""
    _require_member(actor, application.enterprise)
    if application.status not in _UPLOAD_STATUSES:
        raise Conflict(str(MSG_INVOICE_CLOSED).format(status=application.get_status_display()),
                       code="invoice_closed")
    code, number, seller = _invoice_fields(invoice_code=invoice_code, invoice_number=invoice_number,
                                           issued_on=issued_on, seller_uscc=seller_uscc, amount_fen=amount_fen,
                                           tax_fen=tax_fen, today=timezone.localdate(now))
    try:
        stored = store_upload(upload=upload, category="application_invoices", kinds=INVOICE_TYPES)
    except DomainError as error:
        error.field = error.field or "upload"
        raise
    duplicate = Conflict(MSG_INVOICE_DUPLICATE, code="invoice_duplicate", field="invoice_number")
    try:
        with transaction.atomic():
            locked = Application.objects.select_for_update().select_related("enterprise").get(pk=application.pk)
            if locked.status not in _UPLOAD_STATUSES:
                raise Conflict(str(MSG_INVOICE_CLOSED).format(status=locked.get_status_display()),
                               code="invoice_closed")
            # the sequencer lock first: a declaration of the same number by another application commits before
            # this check reads, so the check and the insert cannot straddle it (READ COMMITTED)
            log_lock()
            if _invoice_number_held(code=code, number=number):
                raise duplicate
            # the next sequence number of this invoice: two declarations racing for it meet the unique constraint
            seq = ApplicationInvoice.objects.filter(invoice_code=code, invoice_number=number).count()
            invoice = ApplicationInvoice.objects.create(
                application=locked, invoice_code=code, invoice_number=number, declaration_seq=seq,
                issued_on=issued_on, seller=seller, seller_uscc=seller.uscc, amount_fen=amount_fen, tax_fen=tax_fen,
                sha256=stored.sha256, content_type=stored.content_type, size=stored.size,
                filename=(getattr(upload, "name", "") or number)[-200:], declared_by=actor, declared_at=now,
            )
            log_append(events=[invoice_declared_event(invoice)], now=now)
    except IntegrityError:
        raise duplicate from None
    return invoice


def application_invoice_withdraw(*, invoice: ApplicationInvoice, reason: str, actor, now) -> InvoiceWithdrawal:
    """Withdraw an invoice declared in error (while the application can still be changed): it stops counting and
    its number is free again; the declaration itself stays."""
    application = invoice.application
    _require_member(actor, application.enterprise)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(MSG_REASON_REQUIRED, code="reason_required", field="reason")
    try:
        with transaction.atomic():
            locked = Application.objects.select_for_update().select_related("enterprise").get(pk=application.pk)
            if locked.status not in _UPLOAD_STATUSES:
                raise Conflict(str(MSG_INVOICE_CLOSED).format(status=locked.get_status_display()),
                               code="invoice_closed")
            withdrawal = InvoiceWithdrawal.objects.create(invoice=invoice, reason=reason, withdrawn_by=actor,
                                                          withdrawn_at=now)
            log_append(events=[invoice_withdrawn_event(withdrawal)], now=now)
    except IntegrityError:
        raise Conflict(MSG_INVOICE_ALREADY_WITHDRAWN, code="invoice_already_withdrawn") from None
    return withdrawal
