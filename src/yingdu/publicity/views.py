"""Public pages: programme statistics with charts, the 公示 of awards with its objection form; staff's objection list."""

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yingdu.accounts.models import STAFF_ROLES
from yingdu.accounts.permissions import role_required
from yingdu.confirm import Confirmation, confirmation_page, is_confirmed
from yingdu.errors import DomainError, NotFound
from yingdu.lists import keyset_list
from yingdu.policy.forms import attach_error
from yingdu.rules.money import Money
from yingdu.works.models import WorkForm

from . import selectors
from .filters import PublicityObjectionFilter
from .forms import DecisionForm, ObjectionForm
from .models import ObjectionDecision
from .services import publicity_objection_decide, publicity_objection_submit, statistics_snapshot_current


def _yuan(fen: int) -> str:
    # ECharts reads numbers; yuan with two decimals from integer fen, without float arithmetic
    return Money(fen).format_yuan()


def _charts(figures: dict) -> dict:
    months = figures["by_month"]
    return {
        "months": {
            "categories": [row["month"] for row in months], "unit": _("元"),
            "series": [{"name": _("批准金额"), "data": [_yuan(row["approved_fen"]) for row in months]},
                       {"name": _("核销金额"), "data": [_yuan(row["redeemed_fen"]) for row in months]}],
        },
        "works": {
            "categories": [row["month"] for row in months], "unit": _("部"), "integer": True,
            "series": [{"name": _("支持作品数"), "data": [row["works_supported"] for row in months]}],
        },
        "forms": {
            "categories": [str(WorkForm(row["form"]).label) for row in figures["by_form"]], "unit": _("元"),
            "series": [{"name": _("批准金额"), "data": [_yuan(row["approved_fen"]) for row in figures["by_form"]]}],
        },
        "overseas": {
            "categories": [_("出海作品") if row["overseas"] else _("国内作品") for row in figures["by_overseas"]],
            "unit": _("元"),
            "series": [{"name": _("批准金额"),
                        "data": [_yuan(row["approved_fen"]) for row in figures["by_overseas"]]}],
        },
    }


def statistics_page(request):
    """Public: the programme's figures at a signed checkpoint, with charts."""
    snapshot = statistics_snapshot_current(now=timezone.now())
    figures = snapshot.figures
    return render(request, "publicity/statistics.html", {
        "snapshot": snapshot, "root_hex": bytes(snapshot.root_hash).hex(), "totals": figures["totals"],
        "by_month": figures["by_month"],
        "by_form": [{**row, "label": WorkForm(row["form"]).label} for row in figures["by_form"]],
        "by_overseas": figures["by_overseas"], "charts": _charts(figures),
        "publicity_on": bool(selectors.publicity_days(today=timezone.localdate())),
    })


@require_http_methods(["GET", "POST"])
def publicity_page(request):
    """Public: awards in 公示 and the objection form; absent (404) while the policy in force has 公示 off."""
    today = timezone.localdate()
    days = selectors.publicity_days(today=today)
    if not days:
        raise Http404
    awards = selectors.publicity_awards(today=today)
    form = ObjectionForm(awards=awards, initial={"application": request.GET.get("application")})
    if request.method == "POST":
        form = ObjectionForm(request.POST, awards=awards)
        if form.is_valid():
            try:
                publicity_objection_submit(
                    application_id=form.cleaned_data["application"], contact=form.cleaned_data["contact"],
                    content=form.cleaned_data["content"], client=get_client_ip_address(request) or "",
                    today=today, now=timezone.now())
            except DomainError as error:
                attach_error(form, error)
            else:
                messages.success(request, _("异议已提交，工作人员将核实处理。"))
                return redirect("publicity:publicity")
    return render(request, "publicity/publicity.html", {
        "days": days, "awards": awards, "form": form,
        "outcomes": selectors.publicity_objection_outcomes(today=today)})


@role_required(*STAFF_ROLES)
def objections_page(request):
    """Staff: every objection to an award in 公示, with the objector's contact."""
    listing = keyset_list(request, PublicityObjectionFilter(
        request.GET, queryset=selectors.publicity_objections_for_staff()), key="id")
    return render(request, "publicity/objections.html", {
        "objections": listing.rows, "listing": listing,
        "decidable": set(selectors.publicity_objections_to_decide(request.user).values_list("pk", flat=True))},
        status=listing.status)


def _decision_confirmation(objection, decision: str) -> Confirmation:
    application = objection.application
    facts = [(_("异议"), f"#{objection.pk}"),
             (_("公示项目"), f"{application.enterprise.name} ·《{application.work.title}》"),
             (_("拟支持金额（元）"), Money(application.approved_amount_fen or 0).format_display()),
             (_("处理结果"), str(ObjectionDecision(decision).label))]
    if decision == ObjectionDecision.UPHELD:
        consequence = _("撤回拟支持，申请退回审核（审核时限恢复计算），不发放算力券。处理结果记入防篡改日志，不能撤销。")
    else:
        consequence = _("维持拟支持：公示期满且无其他待处理异议时，平台发放算力券。处理结果记入防篡改日志，不能撤销。")
    return Confirmation(action=_("确认处理"), facts=facts, consequence=consequence,
                        back_url=reverse("publicity:objection_decide", args=[objection.pk]))


@role_required(*STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def objection_decide_page(request, objection_id: int):
    """Staff: decide one objection (upheld or dismissed, with a reason), after a confirmation step."""
    try:
        objection = selectors.publicity_objection_get_for(request.user, objection_id)
    except NotFound:
        raise Http404 from None
    form = DecisionForm()
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            decision = form.cleaned_data["decision"]
            if not is_confirmed(request):
                return confirmation_page(request, _decision_confirmation(objection, decision))
            try:
                publicity_objection_decide(objection=objection, decision=decision,
                                           reason=form.cleaned_data["reason"], actor=request.user,
                                           now=timezone.now())
            except DomainError as error:
                attach_error(form, error)
            else:
                messages.success(request, _("公示异议已处理。"))
                return redirect("publicity:objections")
    return render(request, "publicity/objection_decide.html", {"objection": objection, "form": form})
