"""Voucher pages: the enterprise wallet, the provider's redemption page and finance's pages."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingdu.accounts.models import Role
from yingdu.accounts.permissions import login_required, role_required
from yingdu.accounts.selectors import user_roles
from yingdu.confirm import Confirmation, confirmation_page, is_confirmed
from yingdu.documents.models import DocumentKind
from yingdu.documents.selectors import decision_remedies_at, document_number_of
from yingdu.downloads import content_disposition
from yingdu.enterprises.selectors import enterprise_of_user
from yingdu.errors import DomainError, NotFound, SecondPersonRequired
from yingdu.lists import keyset_list, offset_list
from yingdu.metering.selectors import provider_of_user
from yingdu.rules.money import Money
from yingdu.works.models import Work

from . import redemptions, selectors, services
from .documents import statement_workbook, voucher_certificate_pdf
from .filters import ClaimFilter, RedemptionFilter, StatementFilter, VoucherFilter
from .forms import (
    PaymentForm,
    ReasonForm,
    RedemptionCodeForm,
    RedemptionForm,
    RepaymentForm,
    RevokeForm,
    SettlementForm,
)
from .ledger import ledger_check_latest
from .models import RedemptionStatus, Revocation, VoucherStatus
from .workflow import VOUCHER_READER_ROLES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the newest redemptions on the provider's page; every one is reached on the redemptions page (filters, pages)
RECENT_REDEMPTIONS = 20


def _or_404(read, *args):
    try:
        return read(*args)
    except NotFound:
        raise Http404 from None


def _form_error(form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


# --- enterprise -----------------------------------------------------------------------------------------------


def _code_form(views, data=None) -> RedemptionCodeForm:
    usable = [view.voucher for view in views if view.available_fen > 0]
    return RedemptionCodeForm(data, vouchers=usable, providers=selectors.local_providers(),
                              prefix="code")


def _render_wallet(request, enterprise, *, code_form=None, issued=None, status=200):
    vouchers = selectors.vouchers_visible_to(request.user)
    views = selectors.voucher_views(vouchers)
    pending = selectors.redemptions_visible_to(request.user).filter(status=RedemptionStatus.PENDING)
    codes = selectors.redemption_codes_visible_to(request.user).filter(voucher__enterprise=enterprise)[:50]
    return render(request, "vouchers/wallet.html", {
        "enterprise": enterprise, "views": views,
        "total_balance": sum(v.balance_fen for v in views if v.voucher.status == VoucherStatus.ACTIVE),
        "total_available": sum(v.available_fen for v in views),
        "pending": pending.order_by("submitted_at"), "reject_form": ReasonForm(),
        "code_form": code_form or _code_form(views), "issued": issued,
        "codes": selectors.redemption_code_views(codes, now=timezone.now()),
        "history": selectors.enterprise_history(enterprise)[:50],
        "claims": selectors.claims_visible_to(request.user),
        "notices": selectors.notices_of(enterprise),
    }, status=status)


@role_required(Role.ENTERPRISE_MEMBER)
def wallet(request):
    enterprise = enterprise_of_user(request.user)
    if enterprise is None:
        return render(request, "vouchers/wallet.html", {"enterprise": None})
    return _render_wallet(request, enterprise)


@role_required(Role.ENTERPRISE_MEMBER)
@require_POST
def redemption_code_create(request):
    """A new one-time code, shown once in this response (never stored, never put in a message or the session)."""
    enterprise = enterprise_of_user(request.user)
    if enterprise is None:
        raise Http404
    views = selectors.voucher_views(selectors.vouchers_visible_to(request.user))
    form = _code_form(views, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        voucher = _or_404(selectors.voucher_get_for, request.user, data["voucher"])
        try:
            issued = redemptions.redemption_code_create(voucher=voucher, actor=request.user, now=timezone.now(),
                                                        provider=data["provider"], max_amount_fen=data["max_amount"])
        except DomainError as error:
            _form_error(form, error)
        else:
            response = _render_wallet(request, enterprise, issued=issued)
            response["Cache-Control"] = "no-store"
            return response
    return _render_wallet(request, enterprise, code_form=form, status=400)


@role_required(Role.ENTERPRISE_MEMBER)
@require_POST
def redemption_code_revoke(request, code_id: int):
    code = _or_404(selectors.redemption_code_get_for, request.user, code_id)
    try:
        redemptions.redemption_code_revoke(code=code, actor=request.user, now=timezone.now())
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("核销码 #{id} 已作废。").format(id=code.pk))
    return redirect(f"{reverse('vouchers:wallet')}#codes")


@login_required
def voucher_detail(request, number: str):
    voucher = _or_404(selectors.voucher_get_for, request.user, number)
    [view] = selectors.voucher_views([voucher])
    revocation = Revocation.objects.filter(voucher=voucher).first()
    return render(request, "vouchers/detail.html", {
        "view": view, "voucher": voucher, "history": selectors.voucher_history(voucher),
        "work_title": Work.objects.filter(pk=voucher.work_id).values_list("title", flat=True).first() or "",
        "revocation": revocation,
        "revocation_number": document_number_of(kind=DocumentKind.REVOCATION, subject_id=revocation.pk) if revocation else "",
        "remedies": decision_remedies_at(revocation.revoked_at) if revocation else None,
        "redemptions": voucher.redemptions.select_related("provider").order_by("-submitted_at"),
        "is_finance": Role.FINANCE in user_roles(request.user),
    })


@login_required
def voucher_certificate(request, number: str):
    voucher = _or_404(selectors.voucher_get_for, request.user, number)
    [view] = selectors.voucher_views([voucher])
    response = HttpResponse(voucher_certificate_pdf(view), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"算力券-{voucher.number}.pdf", fallback=f"{voucher.number}.pdf",
                                                          inline=True)
    return response


def _member_redemption(request, redemption_id: int):
    redemption = _or_404(selectors.redemption_get_for, request.user, redemption_id)
    enterprise = enterprise_of_user(request.user)
    if enterprise is None or redemption.voucher.enterprise_id != enterprise.pk:
        raise Http404
    return redemption


@role_required(Role.ENTERPRISE_MEMBER)
@require_POST
def redemption_confirm(request, redemption_id: int):
    redemption = _member_redemption(request, redemption_id)
    if not is_confirmed(request):
        return confirmation_page(request, Confirmation(
            action=_("核销"),
            facts=[(_("服务商"), redemption.provider.name), (_("订单号"), redemption.order_ref),
                   (_("算力券"), redemption.voucher.number),
                   (_("核销金额"), _("%(amount)s 元") % {"amount": Money(redemption.amount_fen).format_display()})],
            consequence=_("确认后，该金额即从这张算力券的余额中扣减，由平台与服务商结算；确认不能撤回。"
                          "如这笔订单不是你单位的，请返回并拒绝。"),
            back_url=reverse("vouchers:wallet") + "#pending"))
    try:
        redemptions.redemption_confirm(redemption=redemption, actor=request.user, now=timezone.now())
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已确认核销：{provider} 订单 {order_ref}。").format(provider=redemption.provider.name, order_ref=redemption.order_ref))
    return redirect("vouchers:wallet")


@role_required(Role.ENTERPRISE_MEMBER)
@require_POST
def redemption_reject(request, redemption_id: int):
    redemption = _member_redemption(request, redemption_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写拒绝理由。"))
        return redirect("vouchers:wallet")
    try:
        redemptions.redemption_reject(redemption=redemption, reason=form.cleaned_data["reason"], actor=request.user,
                                   now=timezone.now())
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已拒绝核销：订单 {order_ref}。").format(order_ref=redemption.order_ref))
    return redirect("vouchers:wallet")


# --- provider -------------------------------------------------------------------------------------------------


def _provider_or_403(request):
    provider = provider_of_user(request.user)
    if provider is None:
        raise PermissionDenied
    return provider


@role_required(Role.PROVIDER_OPERATOR)
def provider_page(request):
    provider = _provider_or_403(request)
    form = RedemptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = redemptions.redemption_submit(
                provider=provider, voucher_number=data["voucher_number"], code=data["code"], order_ref=data["order_ref"],
                category=data["category"], amount_fen=data["amount"], description=data["description"],
                actor=request.user, now=timezone.now())
        except DomainError as error:
            _form_error(form, error)
        else:
            if result.created and result.redemption.status == RedemptionStatus.CONFIRMED:
                messages.success(request, _("核销已生效（企业已凭核销码事先确认）：订单 {order_ref}。").format(order_ref=result.redemption.order_ref))
            elif result.created:
                messages.success(request, _("核销已提交，等待企业确认：订单 {order_ref}。").format(order_ref=result.redemption.order_ref))
            else:
                messages.info(request, _("订单 {order_ref} 已提交过，未重复提交。").format(order_ref=result.redemption.order_ref))
            return redirect("vouchers:provider")
    return render(request, "vouchers/provider.html", {
        "provider": provider, "form": form,
        "redemptions": selectors.redemptions_of_provider(provider).select_related("statement")
        .order_by("-id")[:RECENT_REDEMPTIONS],
        "statements": selectors.statements_of_provider(provider), "totals": selectors.provider_totals(provider),
    }, status=400 if form.errors else 200)


@role_required(Role.PROVIDER_OPERATOR, Role.ENTERPRISE_MEMBER, *VOUCHER_READER_ROLES)
def redemption_list(request):
    """Every redemption the user may see (a provider its own, an enterprise those against its vouchers), newest first,
    filtered and paged by id (?after=)."""
    staff = provider_of_user(request.user) is None and enterprise_of_user(request.user) is None
    filterset = RedemptionFilter(request.GET, queryset=selectors.redemptions_visible_to(request.user)
                                 .select_related("statement", "voucher__enterprise"), staff=staff)
    listing = keyset_list(request, filterset, key="id")
    return render(request, "vouchers/redemptions.html", {"listing": listing, "staff": staff}, status=listing.status)


@role_required(Role.PROVIDER_OPERATOR, Role.FINANCE)
def statement_export(request, statement_id: int):
    statement = _or_404(selectors.statement_get_for, request.user, statement_id)
    response = HttpResponse(statement_workbook(statement), content_type=XLSX)
    response["Content-Disposition"] = content_disposition(f"结算单-{statement.number}.xlsx",
                                                          fallback=f"{statement.number}.xlsx")
    return response


# --- finance --------------------------------------------------------------------------------------------------


@role_required(*VOUCHER_READER_ROLES)
def finance_overview(request):
    today = timezone.localdate()
    listing = offset_list(request, VoucherFilter(request.GET, queryset=selectors.vouchers_visible_to(request.user)
                                                 .order_by("-issued_at", "-id")))
    return render(request, "vouchers/finance.html", {
        "budget": selectors.budget_overview(today=today), "views": selectors.voucher_views(listing.rows),
        "listing": listing, "page": listing.page, "query": listing.query, "ledger": ledger_check_latest(),
    }, status=listing.status)


@role_required(Role.FINANCE)
def finance_revoke(request, number: str):
    voucher = _or_404(selectors.voucher_get_for, request.user, number)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revocation = services.voucher_revoke(voucher=voucher, reason=form.cleaned_data["reason"],
                                                 actor=request.user, now=timezone.now(), source="finance")
        except SecondPersonRequired as proposed:
            messages.info(request, str(proposed.message))
            return redirect("vouchers:detail", number=voucher.number)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("算力券 {number} 已撤销：作废余额 {voided} 元，形成追回债权 {claimed} 元。").format(
                number=voucher.number, voided=Money(revocation.voided_fen).format_display(),
                claimed=Money(revocation.claimed_fen).format_display()))
            return redirect("vouchers:detail", number=voucher.number)
    [view] = selectors.voucher_views([voucher])
    return render(request, "vouchers/revoke.html", {"voucher": voucher, "view": view, "form": form},
                  status=400 if form.errors else 200)


@role_required(Role.FINANCE)
def finance_settlements(request):
    form = SettlementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            statement = services.settlement_create(provider=data["provider"], period_start_on=data["period_start_on"],
                                                   period_end_on=data["period_end_on"], actor=request.user,
                                                   now=timezone.now())
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("已生成结算单 {number}。").format(number=statement.number))
            return redirect("vouchers:statement", statement_id=statement.pk)
    listing = keyset_list(request, StatementFilter(request.GET, queryset=selectors.statements_visible_to(request.user)),
                          key="id")
    return render(request, "vouchers/settlements.html", {
        "form": form, "statements": listing.rows, "listing": listing,
    }, status=400 if form.errors else listing.status)


@role_required(Role.FINANCE)
def finance_statement(request, statement_id: int):
    statement = _or_404(selectors.statement_get_for, request.user, statement_id)
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not is_confirmed(request):
            return confirmation_page(request, Confirmation(
                action=_("标记为已付款"),
                facts=[(_("结算单"), statement.number), (_("服务商"), statement.provider.name),
                       (_("金额"), _("%(amount)s 元") % {"amount": Money(statement.total_fen).format_display()}),
                       (_("付款凭证号"), form.cleaned_data["payment_reference"])],
                consequence=_("标记后，这张结算单即记为已按上述凭证付款，记入防篡改日志，不能撤回；"
                              "须由另一名财务人员以同一凭证号再次确认才生效（四眼原则）。"),
                back_url=reverse("vouchers:statement", args=[statement.pk])))
        try:
            services.settlement_mark_paid(statement=statement, payment_reference=form.cleaned_data["payment_reference"],
                                          actor=request.user, now=timezone.now())
        except SecondPersonRequired as proposed:
            messages.info(request, str(proposed.message))
            return redirect("vouchers:statement", statement_id=statement.pk)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("结算单 {number} 已标记为已付款。").format(number=statement.number))
            return redirect("vouchers:statement", statement_id=statement.pk)
    return render(request, "vouchers/statement.html", {
        "statement": statement, "lines": selectors.statement_lines(statement), "form": form,
    }, status=400 if form.errors else 200)


@role_required(Role.FINANCE)
def finance_claims(request):
    today = timezone.localdate()
    listing = offset_list(request, ClaimFilter(request.GET, queryset=selectors.claims_visible_to(request.user)
                                               .prefetch_related("repayments").order_by("-raised_at", "-id")))
    # one form per claim, each with its own prefix so that field ids stay unique on the page
    return render(request, "vouchers/claims.html", {
        "rows": [(claim, RepaymentForm(prefix=_claim_prefix(claim), initial={"received_on": today}))
                 for claim in listing.rows],
        "listing": listing, "page": listing.page, "query": listing.query,
    }, status=listing.status)


def _claim_prefix(claim) -> str:
    return f"claim{claim.pk}"


@role_required(Role.FINANCE)
@require_POST
def finance_repayment(request, claim_id: int):
    claim = _or_404(selectors.claim_get_for, request.user, claim_id)
    form = RepaymentForm(request.POST, prefix=_claim_prefix(claim))
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("vouchers:claims")
    data = form.cleaned_data
    try:
        services.recovery_repayment_record(claim=claim, amount_fen=data["amount"], reference=data["reference"],
                                           received_on=data["received_on"], actor=request.user, now=timezone.now())
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已登记还款 {reference}。").format(reference=data['reference']))
    return redirect("vouchers:claims")
