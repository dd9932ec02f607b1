"""Pages for spot-check cases: auditors and admins see and work every case; an enterprise sees its own."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingdu.accounts.models import Role
from yingdu.accounts.permissions import role_required
from yingdu.accounts.selectors import user_roles
from yingdu.applications.selectors import applications_with_invoice_difference, work_invoice_reconciliation
from yingdu.errors import DomainError
from yingdu.files import stored_file_response
from yingdu.lists import offset_list
from yingdu.transparency.selectors import published_verifier_keys

from . import draws, selectors, services
from .filters import CaseFilter
from .forms import CheckForm, EvidenceForm, FindingForm, NoteForm, ResponseForm, ReviewForm
from .workflow import AUDIT_STAFF_ROLES, CASE_ACTIONS

VIEWER_ROLES = (Role.ENTERPRISE_MEMBER, *AUDIT_STAFF_ROLES)


def _case_or_404(request, case_id: int):
    try:
        return selectors.case_get_for(request.user, case_id)
    except DomainError:
        raise Http404 from None


@role_required(*VIEWER_ROLES)
def case_list(request):
    is_staff = bool(user_roles(request.user) & AUDIT_STAFF_ROLES)
    listing = offset_list(request, CaseFilter(request.GET, queryset=selectors.cases_visible_to(request.user)
                                              .order_by("-opened_at", "rank", "id"),
                                              staff=is_staff))
    return render(request, "audits/list.html", {
        "cases": listing.rows, "listing": listing, "page": listing.page, "query": listing.query,
        "draws": selectors.draws_published(),
        "is_staff": is_staff,
        "invoice_differences": applications_with_invoice_difference() if is_staff else [],
    }, status=listing.status)


def _detail(request, case, *, forms=None, status=200):
    is_staff = bool(user_roles(request.user) & AUDIT_STAFF_ROLES)
    is_member = selectors.case_is_member(request.user, case)
    pending = selectors.case_pending_finding(case)
    forms = forms or {}
    return render(request, "audits/detail.html", {
        "case": case,
        "is_staff": is_staff,
        "is_member": is_member,
        "check_items": case.check_items.select_related("checked_by"),
        "evidence": case.evidence.select_related("uploaded_by") if is_staff else case.evidence.filter(
            by_enterprise=True),
        "notes": case.notes.select_related("author") if is_staff else [],
        "invoice_reconciliation": work_invoice_reconciliation(case.work) if is_staff else [],
        "responses": case.responses.select_related("filed_by"),
        "findings": case.findings.select_related("recorded_by", "reviewed_by"),
        "notices": case.notices.all() if is_member else [],
        "pending": pending,
        "can_work": is_staff and case.status in CASE_ACTIONS["check"],
        "can_review": bool(is_staff and pending is not None and pending.recorded_by_id != request.user.pk),
        "can_respond": bool(is_member and case.status in CASE_ACTIONS["respond"]
                            and (case.response_deadline_provisional
                                 or timezone.localdate() <= case.response_deadline_on)),
        "check_form": forms.get("check") or CheckForm(),
        "note_form": forms.get("note") or NoteForm(),
        "evidence_form": forms.get("evidence") or EvidenceForm(),
        "finding_form": forms.get("finding") or FindingForm(),
        "review_form": forms.get("review") or ReviewForm(),
        "response_form": forms.get("response") or ResponseForm(),
    }, status=status)


@role_required(*VIEWER_ROLES)
def case_detail(request, case_id: int):
    return _detail(request, _case_or_404(request, case_id))


def _post(request, case, *, name: str, form, act, done: str):
    """Validate ``form``, call the service through ``act``; on refusal show the page again with the message."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, done)
            return redirect("audits:case_detail", case_id=case.pk)
    return _detail(request, case, forms={name: form}, status=400)


@role_required(*AUDIT_STAFF_ROLES)
@require_POST
def case_check(request, case_id: int):
    case = _case_or_404(request, case_id)
    return _post(request, case, name="check", form=CheckForm(request.POST), done=_("检查项已更新。"), act=lambda d: (
        services.case_check_update(case=case, code=d["code"], result=d["result"], note=d["note"],
                                   actor=request.user, now=timezone.now())))


@role_required(*AUDIT_STAFF_ROLES)
@require_POST
def case_note(request, case_id: int):
    case = _case_or_404(request, case_id)
    return _post(request, case, name="note", form=NoteForm(request.POST), done=_("备注已添加。"), act=lambda d: (
        services.case_note_add(case=case, text=d["text"], actor=request.user, now=timezone.now())))


@role_required(*AUDIT_STAFF_ROLES)
@require_POST
def case_evidence(request, case_id: int):
    case = _case_or_404(request, case_id)
    return _post(request, case, name="evidence", form=EvidenceForm(request.POST, request.FILES), done=_("材料已上传。"),
                 act=lambda d: services.case_evidence_upload(case=case, upload=d["upload"], check_code=d["check_code"],
                                                            actor=request.user, now=timezone.now()))


@role_required(*AUDIT_STAFF_ROLES)
@require_POST
def case_finding(request, case_id: int):
    case = _case_or_404(request, case_id)
    return _post(request, case, name="finding", form=FindingForm(request.POST), done=_("检查结论已记录。"),
                 act=lambda d: services.case_finding_record(
                     case=case, outcome=d["outcome"], summary=d["summary"], corrective_action=d["corrective_action"],
                     actor=request.user, now=timezone.now()))


@role_required(*AUDIT_STAFF_ROLES)
@require_POST
def finding_review(request, case_id: int):
    case = _case_or_404(request, case_id)
    pending = selectors.case_pending_finding(case)
    if pending is None:
        raise Http404

    def act(data):
        review = services.case_fraud_confirm if data["decision"] == "confirm" else services.case_fraud_decline
        review(finding=pending, reason=data["reason"], actor=request.user, now=timezone.now())

    return _post(request, case, name="review", form=ReviewForm(request.POST), done=_("复核结果已记录。"), act=act)


@role_required(Role.ENTERPRISE_MEMBER)
@require_POST
def case_response(request, case_id: int):
    case = _case_or_404(request, case_id)
    return _post(request, case, name="response", form=ResponseForm(request.POST, request.FILES),
                 done=_("书面说明已提交。"), act=lambda d: services.case_response_file(
                     case=case, text=d["text"], evidence=d["evidence"], actor=request.user, now=timezone.now()))


@role_required(*VIEWER_ROLES)
def evidence_download(request, case_id: int, evidence_id: int):
    case = _case_or_404(request, case_id)
    evidence = case.evidence.filter(pk=evidence_id).first()
    if evidence is None or not (evidence.by_enterprise or user_roles(request.user) & AUDIT_STAFF_ROLES):
        raise Http404
    return stored_file_response(category=services.EVIDENCE_CATEGORY, sha256=evidence.sha256,
                                content_type=evidence.content_type, filename=evidence.filename)


# --- the quarterly draw: auditors only ----------------------------------------------------------------------------


def _quarter_or_404(request, quarter: str):
    try:
        return selectors.draw_quarter_get_for(request.user, quarter, now=timezone.now())
    except DomainError:
        raise Http404 from None


@role_required(Role.AUDITOR)
def draw_list(request):
    try:
        quarters = selectors.draw_quarters_for(request.user, now=timezone.now())
    except DomainError:
        raise Http404 from None
    return render(request, "audits/draw_list.html", {"quarters": quarters})


def _verify_commands(request, draw) -> list[str]:
    """The commands that fetch the published draw and recompute it with the log's public key."""
    url = request.build_absolute_uri(f"/api/v1/audits/draws/{draw.quarter}")
    return [f"curl -fsS -o draw-{draw.quarter}.json {url}",
            f"yingdu-verify draw draw-{draw.quarter}.json --key '{published_verifier_keys()[0]}'"]


@role_required(Role.AUDITOR)
def draw_detail(request, quarter: str):
    state = _quarter_or_404(request, quarter)
    draw = state.draw
    cases = draw.cases.select_related("work", "enterprise").order_by("rank") if draw is not None else []
    return render(request, "audits/draw_detail.html", {
        "state": state, "draw": draw, "cases": cases,
        "verify_commands": _verify_commands(request, draw) if draw is not None else [],
    })


@role_required(Role.AUDITOR)
def draw_confirm(request, quarter: str):
    """GET: what the draw will do, with the button; POST: draw (a second click or a concurrent run draws nothing)."""
    state = _quarter_or_404(request, quarter)
    if request.method == "POST" and not state.drawable:
        messages.error(request, state.refusal)
        return redirect("audits:draw_detail", quarter=state.code)
    if request.method == "POST":
        try:
            draws.draw_run(quarter=state.code, actor=request.user, now=timezone.now())
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("{code} 已抽签，抽中作品的检查案件已开启。").format(code=state.code))
        return redirect("audits:draw_detail", quarter=state.code)
    if not state.drawable:
        return redirect("audits:draw_detail", quarter=state.code)
    return render(request, "audits/draw_confirm.html", {"state": state})
