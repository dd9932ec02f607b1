"""Pages for separation of duties: the proposals awaiting a second person, and recusals."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yingdu.accounts.models import STAFF_ROLES, Role
from yingdu.accounts.permissions import role_required
from yingdu.errors import DomainError

from . import selectors, services
from .cases import case_get, case_url
from .forms import DecisionNoteForm, RecusalForm
from .models import Proposal, ProposalStatus
from .rules import CASE_KIND_LABELS, FOUR_EYES, CaseKind, Step

# how a proposal's parameters are shown (parameters not listed are implied by the step)
PARAM_LABELS = {"payment_reference": _("付款凭证号"), "effective_on": _("生效日期"), "role": _("角色")}


def _param_text(key: str, value) -> str:
    return str(Role(value).label) if key == "role" and value in Role.values else str(value)


def _proposal_rows(proposals, user) -> list[dict]:
    return [{"proposal": p, "rule": FOUR_EYES[Step(p.step)], "case_label": CASE_KIND_LABELS[CaseKind(p.case_kind)],
             "case_url": case_url(p.case_kind, p.case_id), "mine": p.proposed_by_id == user.pk,
             "params": [(PARAM_LABELS[k], _param_text(k, v)) for k, v in p.params.items() if k in PARAM_LABELS]}
            for p in proposals]


@role_required(*STAFF_ROLES)
def index(request):
    """待复核: proposals the user may confirm or refuse, their own pending proposals, and their recusals."""
    open_rows = _proposal_rows(selectors.proposals_open_for(request.user)[:200], request.user)
    return render(request, "duties/index.html", {
        "awaiting": [row for row in open_rows if not row["mine"]],
        "mine": [row for row in open_rows if row["mine"]],
        "recusals": selectors.recusals_of(request.user)[:200],
        "rules": FOUR_EYES.values(),
        "note_form": DecisionNoteForm(),
    })


def _open_proposal_or_404(request, proposal_id: int) -> Proposal:
    proposal = selectors.proposals_open_for(request.user).filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404
    return proposal


@role_required(*STAFF_ROLES)
@require_POST
def proposal_confirm(request, proposal_id: int):
    proposal = _open_proposal_or_404(request, proposal_id)
    form = DecisionNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.proposal_confirm(proposal=proposal, actor=request.user, now=timezone.now(), note=note)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已确认并执行：{label}。").format(label=FOUR_EYES[Step(proposal.step)].label))
    return redirect("duties:index")


@role_required(*STAFF_ROLES)
@require_POST
def proposal_refuse(request, proposal_id: int):
    proposal = _open_proposal_or_404(request, proposal_id)
    form = DecisionNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        decided = services.proposal_refuse(proposal=proposal, actor=request.user, note=note, now=timezone.now())
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        done = _("已撤回") if decided.status == ProposalStatus.WITHDRAWN else _("已驳回")
        messages.success(request, _("{done}：{label}。").format(done=done, label=FOUR_EYES[Step(proposal.step)].label))
    return redirect("duties:index")


@role_required(*STAFF_ROLES)
def recusal_new(request):
    """Declare a recusal (回避) on a case; the case page links here with the kind and id filled in."""
    initial = {"case_kind": request.GET.get("kind", ""), "case_id": request.GET.get("id", "")}
    form = RecusalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_get(data["case_kind"], data["case_id"])
            services.recusal_declare(actor=request.user, case=case, reason=data["reason"], now=timezone.now())
        except DomainError as error:
            form.add_error("case_id" if error.code == "case_not_found" else "reason", str(error.message))
        else:
            messages.success(request, _("已声明回避，您将不能办理该事项。"))
            return redirect("duties:index")
    return render(request, "duties/recusal_new.html", {"form": form}, status=400 if form.errors else 200)
