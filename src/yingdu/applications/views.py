from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yingdu.accounts.models import STAFF_ROLES, Role
from yingdu.accounts.permissions import login_required, role_required
from yingdu.accounts.selectors import user_roles, user_staff_roles
from yingdu.confirm import Confirmation, confirmation_page, is_confirmed
from yingdu.documents.models import DocumentKind
from yingdu.documents.selectors import decision_remedies_at, document_number_of
from yingdu.errors import DomainError
from yingdu.files import stored_file_response
from yingdu.keyset import query_without
from yingdu.lists import MSG_FILTER_INVALID, ListView, offset_list
from yingdu.notices.selectors import notice_pending_for_work, work_notice_gap, work_notices_for, yuan_display
from yingdu.notices.workflow import NOTICE_ISSUE_ROLES
from yingdu.rules.money import Money
from yingdu.works.selectors import work_get_for

from . import documents, exports, invoices, selectors, services
from .eligibility import application_quote, precheck
from .filters import ApplicationFilter, QueueFilter
from .forms import InvoiceForm, InvoiceWithdrawForm, MaterialForm, TransitionForm
from .models import OPEN_STATUSES, ApplicationStatus
from .workflow import TRANSITIONS, ApplicationAction


def _application_or_404(request, application_id: int):
    try:
        return selectors.application_get_for(request.user, application_id)
    except DomainError:
        raise Http404 from None


@role_required(Role.ENTERPRISE_MEMBER, *STAFF_ROLES)
def application_list(request):
    staff = bool(user_staff_roles(request.user))
    listing = offset_list(request, ApplicationFilter(
        request.GET, queryset=selectors.applications_visible_to(request.user).select_related("work", "enterprise"),
        staff=staff))
    return render(request, "applications/list.html", {
        "applications": listing.rows, "listing": listing, "page": listing.page, "query": listing.query,
        "staff": staff, "today": timezone.localdate(),
    }, status=listing.status)


QUEUE_PAGE_SIZE = 50


@role_required(*STAFF_ROLES)
def application_queue(request):
    today = timezone.localdate()
    filterset = QueueFilter(request.GET, user=request.user, today=today)
    query = query_without(request.GET, "after", "page")
    if not filterset.is_valid():
        listing = ListView(filterset=filterset, rows=[], query=query, error=str(MSG_FILTER_INVALID), status=400)
    else:
        page = Paginator(selectors.queue_row_columns(filterset.qs), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
        listing = ListView(filterset=filterset, rows=selectors.applications_with_sla(page.object_list, today=today),
                           paginator_page=page, query=query)
    return render(request, "applications/queue.html", {
        "rows": listing.rows, "listing": listing, "page": listing.page, "query": listing.query, "today": today},
        status=listing.status)


@role_required(Role.ENTERPRISE_MEMBER)
@require_POST
def application_create(request):
    try:
        work = work_get_for(request.user, int(request.POST.get("work_id", "0")))
    except (DomainError, ValueError):
        raise Http404 from None
    try:
        application = services.application_create(work=work, actor=request.user, now=timezone.now(),
                                                  overseas_claimed=bool(request.POST.get("overseas_claimed")))
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("works:detail", work_id=work.pk)
    messages.success(request, _("已创建申请草稿。请查看条件自检，补齐后提交。"))
    return redirect("applications:detail", application_id=application.pk)


@role_required(Role.ENTERPRISE_MEMBER)
@require_POST
def application_topup(request, application_id: int):
    base = _application_or_404(request, application_id)
    try:
        topup = services.application_topup_create(base=base, actor=request.user, now=timezone.now())
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("applications:detail", application_id=base.pk)
    messages.success(request, _("已创建出海追加申请草稿。"))
    return redirect("applications:detail", application_id=topup.pk)


@login_required
def application_detail(request, application_id: int):
    return _detail(request, _application_or_404(request, application_id))


def _amount_preview(application) -> dict | None:
    """The amount the application would be approved at now, with its explanation (None when not open)."""
    if application.status not in OPEN_STATUSES or application.policy_version is None:
        return None
    try:
        _quote, amount_fen, explanation, quote_detail = application_quote(application,
                                                                          version=application.policy_version)
    except DomainError as error:
        return {"amount": "—", "explanation": str(error.message)}
    return {"amount": Money(amount_fen).format_display(), "explanation": explanation, "detail": quote_detail,
            "base": selectors.base_figures(quote_detail)}


def _detail(request, application, *, invoice_form: InvoiceForm | None = None, status: int = 200,
            answer_errors: dict | None = None):
    today = timezone.localdate()
    roles = user_roles(request.user)
    sla = selectors.application_sla(application, today=today)
    check = precheck(application, today=today)
    preview = _amount_preview(application) if roles & STAFF_ROLES else None
    is_member = Role.ENTERPRISE_MEMBER in roles
    work_notices = list(work_notices_for(request.user, application.work))
    for notice in work_notices:
        notice.cost_yuan = yuan_display(notice.cost_microfen)
    notice_gap = work_notice_gap(application.work) if application.status in OPEN_STATUSES else 0
    can_change = application.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUPPLEMENT_REQUESTED)
    supplements = list(application.supplement_requests.select_related("requested_by").order_by("id"))
    publicity = selectors.application_publicity_now(application)
    open_supplement = next((s for s in supplements if s.resumed_on is None), None)
    return render(request, "applications/detail.html", {
        "work_notices": work_notices, "notice_gap": notice_gap, "work_id": application.work_id,
        "can_supplement": bool(notice_gap and roles & NOTICE_ISSUE_ROLES),
        "application": application, "sla": sla, "precheck": check, "publicity": publicity,
        "decision_number": (document_number_of(kind=DocumentKind.DECISION, subject_id=application.pk)
                            if application.decided_at else ""),
        "remedies": decision_remedies_at(application.decided_at) if application.decided_at else None,
        "timeline": selectors.application_timeline(application, sla=sla),
        "history": [(t, TRANSITIONS[t.action].label) for t in selectors.application_history(application)],
        "supplements": [selectors.supplement_items(s) for s in supplements],
        "answer_items": (selectors.supplement_items(open_supplement, for_answer=True)
                         if is_member and open_supplement is not None
                         and application.status == ApplicationStatus.SUPPLEMENT_REQUESTED else None),
        "answer_errors": answer_errors or {},
        "answer_message": request.POST.get("message", "") if answer_errors else "",
        "need_choices": (services.supplement_need_choices(application, today=today)
                         if roles & STAFF_ROLES and application.status in OPEN_STATUSES else []),
        "pending_notices": notice_pending_for_work(application.work),
        "actions": selectors.application_actions_for(application, request.user, roles), "form": TransitionForm(),
        "is_member": is_member, "is_staff_view": bool(roles & STAFF_ROLES), "preview": preview,
        "can_upload": is_member and can_change,
        "invoices": selectors.application_invoices(application),
        "invoice_form": invoice_form or InvoiceForm(),
        "withdraw_form": InvoiceWithdrawForm(),
        "review_base": selectors.base_figures(application.review_detail),
        "approved_base": selectors.base_figures(application.approved_detail),
        "can_topup": is_member and application.kind == "regular" and application.status == ApplicationStatus.APPROVED
        and not application.overseas_claimed,
    }, status=status)


# the decisions: approving issues vouchers (money), rejecting ends the applicant's claim (rights)
CONFIRMED_ACTIONS = {ApplicationAction.APPROVE, ApplicationAction.REJECT}


def _decision_confirmation(application, action: str, form: TransitionForm) -> Confirmation:
    facts = [(_("申请"), f"#{application.pk}"), (_("企业"), application.enterprise.name),
             (_("作品"), application.work.title)]
    if action == ApplicationAction.APPROVE:
        preview = _amount_preview(application)
        if preview is not None:
            facts.append((_("支持金额"), _("%(amount)s 元") % {"amount": preview["amount"]}))
            facts.append((_("计算说明"), preview["explanation"]))
        consequence = _("批准后，平台即按上述金额向该企业发放算力券并通知企业，此决定记入防篡改日志，不能撤回；"
                        "发现错误只能另行撤销或追回。")
        days = application.policy_version.publicity_working_days if application.policy_version else None
        if days:
            consequence = _("批准后，该项目作为拟支持项目公示 %(days)s 个工作日（企业名称、作品名称、金额），接受公众异议；"
                            "公示期满且无成立的异议后，平台按上述金额发放算力券。此决定记入防篡改日志。") % {"days": days}
    else:
        consequence = _("不予支持的决定将通知申请企业并记入防篡改日志，不能撤回。")
    if form.cleaned_data.get("reason"):
        facts.append((_("理由"), form.cleaned_data["reason"]))
    return Confirmation(action=str(TRANSITIONS[action].label), facts=facts, consequence=consequence,
                        back_url=reverse("applications:detail", args=[application.pk]))


@login_required
@require_POST
def application_transition(request, application_id: int, action: str):
    application = _application_or_404(request, application_id)
    if action not in TRANSITIONS:
        raise Http404
    form = TransitionForm(request.POST)
    form.is_valid()
    if action in CONFIRMED_ACTIONS and not is_confirmed(request):
        return confirmation_page(request, _decision_confirmation(application, action, form))
    try:
        application = services.application_transition_by_action(
            application=application, action=action, actor=request.user, now=timezone.now(),
            reason=form.cleaned_data.get("reason") or "", items=form.item_list(), needs=request.POST.getlist("needs"))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        if application.status == ApplicationStatus.PUBLICITY:
            messages.success(request, _("已批准为拟支持，进入公示；公示期满且无成立的异议后发放算力券。"))
        else:
            messages.success(request, _("已{label}。").format(label=TRANSITIONS[action].label))
    return redirect("applications:detail", application_id=application.pk)


@role_required(Role.ENTERPRISE_MEMBER)
@require_POST
def supplement_answer(request, application_id: int):
    """The applicant answers the open supplement request: per item its upload (or release), plus a message."""
    application = _application_or_404(request, application_id)
    uploads = {int(key.removeprefix("upload-")): upload for key, upload in request.FILES.items()
               if key.startswith("upload-") and key.removeprefix("upload-").isdigit()}
    release_choices = {}
    for key, value in request.POST.items():
        if key.startswith("release-") and key.removeprefix("release-").isdigit() and value.isdigit():
            release_choices[int(key.removeprefix("release-"))] = int(value)
    try:
        services.application_supplement_answer(application=application, actor=request.user, now=timezone.now(),
                                               message=request.POST.get("message", ""), uploads=uploads,
                                               release_choices=release_choices)
    except DomainError as error:
        return _detail(request, application, status=400,
                       answer_errors={error.field or "message": str(error.message)})
    messages.success(request, _("已提交补充材料，审核时限恢复计算。"))
    return redirect("applications:detail", application_id=application.pk)


@login_required
@require_POST
def material_upload(request, application_id: int):
    application = _application_or_404(request, application_id)
    form = MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
        return redirect("applications:detail", application_id=application.pk)
    try:
        services.application_material_upload(application=application, code=form.cleaned_data["code"],
                                             upload=form.cleaned_data["upload"], actor=request.user,
                                             now=timezone.now())
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("材料已上传。"))
    return redirect("applications:detail", application_id=application.pk)


@login_required
def material_file(request, application_id: int, material_id: int):
    application = _application_or_404(request, application_id)
    material = application.materials.filter(pk=material_id).first()
    if material is None:
        raise Http404
    return stored_file_response(category="application_materials", sha256=material.sha256,
                                content_type=material.content_type, filename=material.filename)


@login_required
@require_POST
def invoice_declare(request, application_id: int):
    application = _application_or_404(request, application_id)
    form = InvoiceForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            invoices.application_invoice_declare(
                application=application, invoice_code=data["invoice_code"], invoice_number=data["invoice_number"],
                issued_on=data["issued_on"], seller_uscc=data["seller_uscc"], amount_fen=data["amount"],
                tax_fen=data["tax"], upload=data["upload"], actor=request.user, now=timezone.now())
        except DomainError as error:
            if error.status == 403:
                raise PermissionDenied from None
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("发票已申报。"))
            return redirect("applications:detail", application_id=application.pk)
    return _detail(request, application, invoice_form=form, status=400)


@login_required
@require_POST
def invoice_withdraw(request, application_id: int, invoice_id: int):
    try:
        invoice = selectors.application_invoice_get_for(request.user, application_id, invoice_id)
    except DomainError:
        raise Http404 from None
    form = InvoiceWithdrawForm(request.POST)
    try:
        invoices.application_invoice_withdraw(invoice=invoice, reason=form.data.get("reason", ""),
                                              actor=request.user, now=timezone.now())
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("发票已撤回，不再计入补贴基数。"))
    return redirect("applications:detail", application_id=application_id)


@login_required
def invoice_file(request, application_id: int, invoice_id: int):
    try:
        invoice = selectors.application_invoice_get_for(request.user, application_id, invoice_id)
    except DomainError:
        raise Http404 from None
    return stored_file_response(category="application_invoices", sha256=invoice.sha256,
                                content_type=invoice.content_type, filename=f"invoice-{invoice.pk}")


@login_required
def overdue_dashboard(request):
    if not (user_roles(request.user) & STAFF_ROLES):
        raise PermissionDenied
    today = timezone.localdate()
    page = Paginator(selectors.application_overdue_queryset().filter(sla_deadline_on__lt=today),
                     QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [row for row in selectors.applications_with_sla(page.object_list, today=today)
            if row.sla and row.sla.is_overdue]
    return render(request, "applications/overdue.html", {"rows": rows, "page": page, "query": ""})


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required(*STAFF_ROLES)
def export_queue(request):
    """The queue's rows, narrowed by the queue page's filters (the same query string)."""
    today = timezone.localdate()
    filterset = QueueFilter(request.GET, user=request.user, today=today)
    if not filterset.is_valid():
        return HttpResponseBadRequest(str(MSG_FILTER_INVALID), content_type="text/plain; charset=utf-8")
    rows = selectors.application_queue(request.user, today=today, **filterset.values)
    return _xlsx(exports.queue_workbook(rows), f"queue-{today.isoformat()}.xlsx")


@role_required(*STAFF_ROLES)
def export_decisions(request):
    """Decided applications, narrowed by the application list's filters (the same query string)."""
    filterset = ApplicationFilter(request.GET, queryset=selectors.applications_visible_to(request.user))
    if not filterset.is_valid():
        return HttpResponseBadRequest(str(MSG_FILTER_INVALID), content_type="text/plain; charset=utf-8")
    decided = filterset.qs.filter(
        status__in=(ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)).order_by("decided_at", "id")
    return _xlsx(exports.decisions_workbook(decided), f"decisions-{timezone.localdate().isoformat()}.xlsx")


@login_required
def notice_download(request, application_id: int, kind: str):
    application = _application_or_404(request, application_id)
    try:
        data = documents.notice_pdf(application, kind,
                                    sla=selectors.application_sla(application, today=timezone.localdate()))
    except DomainError:
        raise Http404 from None
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = documents.notice_disposition(application, kind)
    return response
