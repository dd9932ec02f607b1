"""PDF notices (acceptance, supplement request, decision) rendered by WeasyPrint with Debian's Noto CJK font."""

from django.template.loader import render_to_string
from django.utils import timezone

from yingdu.documents.models import DocumentKind
from yingdu.documents.selectors import decision_remedies_at, document_number_of
from yingdu.downloads import content_disposition
from yingdu.errors import NotFound
from yingdu.i18n import in_chinese
from yingdu.pdf import CJK_FONT, html_to_pdf
from yingdu.rules.money import Money

from .models import ApplicationStatus
from .selectors import base_figures

# the document each notice is, for its number (文号)
DOCUMENT_KIND = {"acceptance": DocumentKind.ACCEPTANCE, "supplement": DocumentKind.SUPPLEMENT,
                 "decision": DocumentKind.DECISION}

NOTICE_KINDS = {
    "acceptance": "受理通知书",
    "supplement": "补充材料通知书",
    "decision": "审批决定书",
}


def _context(application, kind: str, *, sla) -> dict:
    if kind == "acceptance" and application.accepted_on is None:
        raise NotFound("该申请尚未受理", code="notice_not_available")
    supplement = None
    if kind == "supplement":
        supplement = application.supplement_requests.order_by("-id").first()
        if supplement is None:
            raise NotFound("该申请没有补充材料要求", code="notice_not_available")
    if kind == "decision" and application.status not in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        raise NotFound("该申请尚未作出决定", code="notice_not_available")
    issued_on = {"acceptance": application.accepted_on,
                 "supplement": supplement.requested_on if supplement else None,
                 "decision": timezone.localdate(application.decided_at) if application.decided_at else None}[kind]
    subject_id = supplement.pk if kind == "supplement" else application.pk
    return {"application": application, "title": NOTICE_KINDS[kind], "kind": kind, "sla": sla,
            "document_number": document_number_of(kind=DOCUMENT_KIND[kind], subject_id=subject_id),
            "remedies": decision_remedies_at(application.decided_at) if kind == "decision" else None,
            "base": base_figures(application.approved_detail),
            "supplement": supplement, "issued_on": issued_on, "font": CJK_FONT,
            "approved_capital": (Money(application.approved_amount_fen).format_capital()
                                 if application.approved_amount_fen is not None else "")}


def notice_filename(application, kind: str) -> str:
    """The PDF's download name: the notice, the work and the application, e.g. 审批决定书-星河-申请12.pdf."""
    return f"{NOTICE_KINDS[kind]}-{application.work.title}-申请{application.pk}.pdf"


def notice_disposition(application, kind: str) -> str:
    return content_disposition(notice_filename(application, kind),
                               fallback=f"application-{application.pk}-{kind}.pdf", inline=True)


@in_chinese
def notice_pdf(application, kind: str, *, sla) -> bytes:
    """The notice of ``kind`` for the application as PDF bytes; NotFound when the step has not happened."""
    if kind not in NOTICE_KINDS:
        raise NotFound("未知的通知书类型", code="notice_not_found")
    context = _context(application, kind, sla=sla)
    return html_to_pdf(render_to_string(f"applications/notices/{kind}.html", context),
                       css=render_to_string("applications/notices/notice.css", context))
