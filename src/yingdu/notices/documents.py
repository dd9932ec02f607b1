"""The data notice as a PDF the enterprise keeps: the same records and totals as the notice page, in Chinese."""

import bisect
from dataclasses import dataclass

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from yingdu.documents.models import DocumentKind
from yingdu.documents.selectors import document_number_of
from yingdu.downloads import content_disposition
from yingdu.errors import DomainError
from yingdu.i18n import in_chinese
from yingdu.metering.models import CatalogueEntry
from yingdu.pdf import CJK_FONT, html_to_pdf
from yingdu.rules.money import Money

from . import selectors, services
from .models import DataNotice


@dataclass(frozen=True)
class NoticeLine:
    """One record of the notice as printed: the provider's record number, what was used and what it cost."""

    log_index: int
    record_id: str
    provider: str
    sku: str
    sku_name: str
    quantity: str
    unit: str
    price_yuan: str
    cost_yuan: str
    is_correction: bool


def _catalogue_at(records) -> dict[int, CatalogueEntry]:
    """The catalogue entry in force when each record started (the one it was priced by), by record pk."""
    versions: dict[tuple[int, str], list[CatalogueEntry]] = {}
    for entry in CatalogueEntry.objects.filter(
            provider_id__in={r.provider_id for r in records},
            sku__in={r.sku for r in records}).order_by("effective_from"):
        versions.setdefault((entry.provider_id, entry.sku), []).append(entry)
    found = {}
    for record in records:
        entries = versions.get((record.provider_id, record.sku), [])
        position = bisect.bisect_right([e.effective_from for e in entries], record.started_at) - 1
        if position >= 0:
            found[record.pk] = entries[position]
    return found


def notice_lines(notice: DataNotice) -> list[NoticeLine]:
    """The notice's records (the page's list, in log order) with SKU name, unit and price."""
    records = list(selectors.notice_record_list(notice))
    catalogue = _catalogue_at(records)
    lines = []
    for record in records:
        entry = catalogue.get(record.pk)
        lines.append(NoticeLine(
            log_index=record.log_index, record_id=record.record_id, provider=record.provider.name, sku=record.sku,
            sku_name=entry.name if entry else "", quantity=format(record.quantity.normalize(), "f"),
            unit=entry.unit if entry else "", price_yuan=Money(record.price_fen).format_display(),
            cost_yuan=selectors.yuan_display(record.cost_microfen), is_correction=record.corrects_id is not None))
    return lines


@in_chinese
def notice_html(notice: DataNotice, *, page_url: str) -> str:
    return render_to_string("notices/notice_pdf.html", {
        "notice": notice, "lines": notice_lines(notice), "totals": selectors.notice_sku_totals(notice),
        "document_number": document_number_of(kind=DocumentKind.DATA_NOTICE, subject_id=notice.pk),
        "cost_yuan": selectors.yuan_display(notice.cost_microfen), "page_url": page_url, "font": CJK_FONT})


def notice_pdf(notice: DataNotice, *, page_url: str) -> bytes:
    """The data notice as PDF bytes, with the CJK font embedded."""
    return html_to_pdf(notice_html(notice, page_url=page_url),
                       css=render_to_string("notices/notice_pdf.css", {"notice": notice, "font": CJK_FONT}))


def notice_pdf_response(request, notice) -> HttpResponse:
    """The notice as PDF; opening it is a delivery to a member, as opening the page is."""
    try:
        notice = services.data_notice_show_to(notice=notice, user=request.user, now=timezone.now())
    except DomainError:
        pass  # no calendar for the deadline yet: the PDF says "送达后计算", as the page does
    page_url = request.build_absolute_uri(reverse("notices:detail", kwargs={"notice_id": notice.pk}))
    response = HttpResponse(notice_pdf(notice, page_url=page_url), content_type="application/pdf")
    title = "用量数据补充告知书" if notice.supplements_id else "用量数据告知书"
    response["Content-Disposition"] = content_disposition(f"{title}-{notice.work.title}-{notice.pk}.pdf",
                                                          fallback=f"data-notice-{notice.pk}.pdf", inline=True)
    return response
