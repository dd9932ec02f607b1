from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingdu.accounts.models import STAFF_ROLES, Role
from yingdu.accounts.permissions import role_required
from yingdu.accounts.selectors import user_roles, user_staff_roles
from yingdu.errors import DomainError, SecondPersonRequired
from yingdu.files import stored_file_response
from yingdu.lists import keyset_list
from yingdu.redirects import safe_next
from yingdu.works.selectors import work_get_for

from . import documents, selectors, services
from .filters import NoticeFilter
from .forms import DecisionForm, NoticeIssueForm, ObjectionForm
from .models import DataNotice
from .workflow import NOTICE_ISSUE_ROLES, OBJECTION_DECIDE_ROLES

VIEWER_ROLES = (Role.ENTERPRISE_MEMBER, *STAFF_ROLES)


def _notice_or_404(request, notice_id: int):
    try:
        return selectors.notice_get_for(request.user, notice_id)
    except DomainError:
        raise Http404 from None


def _objection_or_404(request, objection_id: int):
    try:
        return selectors.objection_get_for(request.user, objection_id)
    except DomainError:
        raise Http404 from None


@role_required(*VIEWER_ROLES)
def notice_list(request):
    """The notices the user may see, newest first, filtered in the URL and keyset-paged (?after=<notice id>)."""
    filterset = NoticeFilter(request.GET, queryset=selectors.notices_visible_to(request.user)
                             .prefetch_related("objections"), staff=bool(user_staff_roles(request.user)))
    listing = keyset_list(request, filterset, key="id")
    return render(request, "notices/list.html", {
        "notices": listing.rows, "listing": listing,
        "can_issue": bool(user_roles(request.user) & NOTICE_ISSUE_ROLES),
    }, status=listing.status)


@role_required(*NOTICE_ISSUE_ROLES)
def notice_issue(request):
    form = NoticeIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = services.data_notice_issue(work=data["work"], period_start_on=data["period_start_on"],
                                                period_end_on=data["period_end_on"], actor=request.user,
                                                now=timezone.now())
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("数据告知书（编号 {number}）已出具。").format(number=notice.pk))
            return redirect("notices:detail", notice_id=notice.pk)
    return render(request, "notices/issue.html", {"form": form})


@role_required(*NOTICE_ISSUE_ROLES)
@require_POST
def notice_supplement(request, work_id: int):
    """Issue the supplementary notice a work owes (records that came to count after its notice), then go back."""
    try:
        work = work_get_for(request.user, work_id)
    except DomainError:
        raise Http404 from None
    back = safe_next(request, default="notices:list")
    try:
        result = services.data_notice_supplement(work=work, actor=request.user, now=timezone.now())
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(back)
    if result is None:
        messages.info(request, str(services.MSG_NOTHING_TO_SUPPLEMENT))
        return redirect(back)
    if isinstance(result, DataNotice):
        messages.success(request, _("补充告知书（编号 {number}）已出具，企业可在其异议期内提出异议。").format(number=result.pk))
        return redirect("notices:detail", notice_id=result.pk)
    messages.info(request, str(result.reason))
    return redirect(back)


def _detail(request, notice, *, objection_form=None, decision_form=None, status=200):
    delivery_error = None
    try:
        notice = services.data_notice_show_to(notice=notice, user=request.user, now=timezone.now())
    except DomainError as error:
        delivery_error = str(error.message)
    roles = user_roles(request.user)
    open_objection = selectors.notice_open_objection(notice)
    today = timezone.localdate()
    is_member = selectors.notice_is_for_member(request.user, notice)
    return render(request, "notices/detail.html", {
        "notice": notice,
        "cost_yuan": selectors.yuan_display(notice.cost_microfen),
        "totals": selectors.notice_sku_totals(notice),
        "records": selectors.notice_record_list(notice),
        "objections": selectors.claims_with_provider_answer(
            notice.objections.prefetch_related("evidence", "claims__correction", "claims__record").select_related(
                "filed_by", "decided_by")),
        "delivery_error": delivery_error,
        "is_member": is_member,
        "window_open": selectors.notice_window_open(notice, today=today),
        "can_object": bool(is_member and open_objection is None and selectors.notice_window_open(notice, today=today)),
        "open_objection": open_objection,
        "can_decide": bool(open_objection is not None and roles & OBJECTION_DECIDE_ROLES),
        "objection_form": objection_form or ObjectionForm(),
        "decision_form": decision_form or DecisionForm(),
    }, status=status)


@role_required(*VIEWER_ROLES)
def notice_detail(request, notice_id: int):
    return _detail(request, _notice_or_404(request, notice_id))


@role_required(*VIEWER_ROLES)
def notice_pdf(request, notice_id: int):
    return documents.notice_pdf_response(request, _notice_or_404(request, notice_id))


def _claims_from(post) -> list[tuple[int, str]]:
    """Per-record inputs named claim-<record id>; empty ones are not claims."""
    claims = []
    for name, value in post.items():
        if name.startswith("claim-") and name[6:].isdigit() and value.strip():
            claims.append((int(name[6:]), value.strip()))
    return claims


@role_required(Role.ENTERPRISE_MEMBER)
@require_POST
def objection_file(request, notice_id: int):
    notice = _notice_or_404(request, notice_id)
    form = ObjectionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.objection_file(notice=notice, explanation=form.cleaned_data["explanation"],
                                    evidence=form.cleaned_data["evidence"], claims=_claims_from(request.POST),
                                    actor=request.user, now=timezone.now())
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("异议已提交，审核员处理后将通知您。"))
            return redirect("notices:detail", notice_id=notice.pk)
    return _detail(request, notice, objection_form=form, status=400)


def _claim_decisions(request, objection) -> list:
    """The decided quantity and reason typed for each claim (``decided-<record>``, ``decided-reason-<record>``)."""
    decisions = []
    for record_id in objection.claims.values_list("record_id", flat=True):
        quantity = request.POST.get(f"decided-{record_id}", "").strip()
        if quantity:
            decisions.append(services.ClaimDecision(record_id=record_id, quantity=quantity,
                                                    reason=request.POST.get(f"decided-reason-{record_id}", "")))
    return decisions


@role_required(*OBJECTION_DECIDE_ROLES)
@require_POST
def objection_decide(request, objection_id: int):
    objection = _objection_or_404(request, objection_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decided = services.objection_decide(objection=objection, decision=form.cleaned_data["decision"],
                                                reason=form.cleaned_data["reason"], actor=request.user,
                                                now=timezone.now(), claims=_claim_decisions(request, objection))
        except SecondPersonRequired as proposed:
            messages.info(request, str(proposed.message))
            return redirect("notices:detail", notice_id=objection.notice_id)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("异议已处理：{status}。").format(status=decided.get_status_display()))
            return redirect("notices:detail", notice_id=objection.notice_id)
    return _detail(request, objection.notice, decision_form=form, status=400)


@role_required(*VIEWER_ROLES)
def evidence_download(request, objection_id: int, evidence_id: int):
    objection = _objection_or_404(request, objection_id)
    evidence = objection.evidence.filter(pk=evidence_id).first()
    if evidence is None:
        raise Http404
    return stored_file_response(category=services.EVIDENCE_CATEGORY, sha256=evidence.sha256,
                                content_type=evidence.content_type, filename=evidence.filename)
