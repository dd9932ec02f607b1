from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingdu.accounts.models import STAFF_ROLES, Role
from yingdu.accounts.oidc import PENDING_IDENTITY
from yingdu.accounts.permissions import login_required, role_required, staff_two_factor_redirect
from yingdu.accounts.selectors import user_roles
from yingdu.errors import DomainError, SecondPersonRequired
from yingdu.files import stored_file_response
from yingdu.lists import offset_list

from . import selectors, services
from .filters import EnterpriseFilter
from .forms import AccountAndEnterpriseForm, EnterpriseForm, TransitionForm
from .workflow import TRANSITIONS, transitions_available


def _attach_error(form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _enterprise_or_404(user, enterprise_id: int):
    try:
        return selectors.enterprise_get_for(user, enterprise_id)
    except DomainError:
        raise Http404 from None


def register(request):
    """Self-registration: a newcomer creates a login and the enterprise in one step."""
    if request.user.is_authenticated:
        pending = staff_two_factor_redirect(request)
        if pending is not None:
            return pending
        if request.user.organisation_id is not None:
            return redirect("enterprises:mine")
        form_class = EnterpriseForm
    else:
        form_class = AccountAndEnterpriseForm
    # a first-time OpenID Connect identity (accounts.oidc): its verified claims pre-fill the form, and the new
    # account is linked to it
    pending = None if request.user.is_authenticated else request.session.get(PENDING_IDENTITY)
    form = form_class(request.POST or None, request.FILES or None, initial=_initial_from_identity(pending))
    if request.method == "POST" and form.is_valid():
        try:
            if request.user.is_authenticated:
                enterprise = services.enterprise_register(user=request.user, details=form.details(),
                                                          licence=form.cleaned_data["licence"], now=timezone.now())
            else:
                data = form.cleaned_data
                enterprise = services.enterprise_register_with_account(
                    username=data["username"], password=data["password"], display_name=data["display_name"],
                    email=data["email"], details=form.details(), licence=data["licence"], now=timezone.now(),
                    identity=(pending["issuer"], pending["subject"]) if pending else None,
                )
                request.session.pop(PENDING_IDENTITY, None)
                login(request, enterprise.registered_by, backend="django.contrib.auth.backends.ModelBackend")
        except DomainError as error:
            _attach_error(form, error)
        else:
            messages.success(request, _("企业登记已提交，等待区文促中心核验。"))
            return redirect("enterprises:detail", enterprise_id=enterprise.pk)
    return render(request, "enterprises/register.html", {"form": form, "pending": pending})


def _initial_from_identity(pending: dict | None) -> dict:
    if not pending:
        return {}
    initial = {"display_name": pending["name"], "contact_name": pending["name"], "email": pending["email"],
               "uscc": pending["uscc"], "name": pending["enterprise_name"]}
    return {key: value for key, value in initial.items() if value}


@login_required
def mine(request):
    enterprise = selectors.enterprise_of_user(request.user)
    if enterprise is None:
        return redirect("enterprises:register")
    return redirect("enterprises:detail", enterprise_id=enterprise.pk)


@role_required(*STAFF_ROLES)
def enterprise_list(request):
    filterset = EnterpriseFilter(request.GET, queryset=selectors.enterprises_visible_to(request.user),
                                 state_counts=selectors.enterprise_state_counts())
    listing = offset_list(request, filterset)
    return render(request, "enterprises/list.html", {
        "enterprises": listing.rows, "listing": listing, "page": listing.page, "query": listing.query,
    }, status=listing.status)


@login_required
def detail(request, enterprise_id: int):
    enterprise = _enterprise_or_404(request.user, enterprise_id)
    roles = user_roles(request.user)
    return render(request, "enterprises/detail.html", {
        "enterprise": enterprise,
        "history": selectors.enterprise_history(enterprise),
        "actions": transitions_available(enterprise.state, roles),
        "form": TransitionForm(),
        "is_staff_view": bool(roles & STAFF_ROLES),
        "is_member": Role.ENTERPRISE_MEMBER in roles,
    })


@login_required
def licence(request, enterprise_id: int):
    enterprise = _enterprise_or_404(request.user, enterprise_id)
    return stored_file_response(category="licences", sha256=enterprise.licence_sha256,
                                content_type=enterprise.licence_content_type, filename=enterprise.licence_filename)


@login_required
@require_POST
def transition(request, enterprise_id: int, action: str):
    enterprise = _enterprise_or_404(request.user, enterprise_id)
    if action not in TRANSITIONS:
        raise Http404
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查输入：") + _("；").join(e for errs in form.errors.values() for e in errs))
        return redirect("enterprises:detail", enterprise_id=enterprise.pk)
    data = form.cleaned_data
    try:
        services.enterprise_transition_by_action(
            enterprise=enterprise, action=action, actor=request.user, reason=data["reason"] or "",
            now=timezone.now(), effective_on=data["effective_on"], huairou_confirmed=data["huairou_confirmed"],
        )
    except SecondPersonRequired as proposed:
        messages.info(request, str(proposed.message))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已{label}。").format(label=TRANSITIONS[action].label))
    return redirect("enterprises:detail", enterprise_id=enterprise.pk)
