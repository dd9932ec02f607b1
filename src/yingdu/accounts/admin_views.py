"""The admin page of users and roles: list and search logins, grant and revoke staff roles, deactivate and
reactivate, each with a reason (admin role, after two-factor)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingdu.errors import DomainError, NotFound
from yingdu.lists import offset_list

from .admin_filters import UserFilter
from .admin_forms import ReasonForm, RoleGrantForm
from .admin_selectors import (
    USERS_PER_PAGE,
    user_account_history,
    user_active_grants,
    user_for_admin,
    user_grant_for_admin,
    users_search,
)
from .admin_services import user_deactivate, user_reactivate
from .models import Role
from .permissions import role_required
from .services import role_grant, role_revoke

# HTTP status of a refusal shown on the page (a DomainError with status 202 is a recorded proposal, not a refusal)
ACCEPTED = 202


def _user_or_404(user_id: int):
    try:
        return user_for_admin(user_id)
    except NotFound as error:
        raise Http404(str(error.message)) from error


@role_required(Role.ADMIN)
def user_list(request):
    listing = offset_list(request, UserFilter(request.GET, queryset=users_search()), per_page=USERS_PER_PAGE)
    return render(request, "accounts/users/list.html", {"listing": listing, "page": listing.page,
                                                        "query": listing.query}, status=listing.status)


def _detail(request, user, *, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    context = {
        "subject": user, "grants": user_active_grants(user), "history": user_account_history(user),
        "grant_form": forms.get("grant") or RoleGrantForm(),
        "revoke_form": forms.get("revoke") or ReasonForm(prefix="revoke"),
        "status_form": forms.get("status") or ReasonForm(prefix="status"),
        "is_self": user.pk == request.user.pk,
    }
    context["self_forms"] = [context["grant_form"], context["status_form"]]
    return render(request, "accounts/users/detail.html", context, status=status)


@role_required(Role.ADMIN)
def user_detail(request, user_id: int):
    return _detail(request, _user_or_404(user_id))


def _apply(request, user, form, name: str, change, done: str):
    """Run one service with the form's data: back to the user's page with a message, or the page again with the
    refusal beside the field."""
    if not form.is_valid():
        return _detail(request, user, forms={name: form}, status=400)
    try:
        change(form.cleaned_data)
    except DomainError as error:
        if error.status == ACCEPTED:
            messages.info(request, str(error.message))
            return redirect("accounts:user_detail", user_id=user.pk)
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))
        return _detail(request, user, forms={name: form}, status=error.status)
    messages.success(request, done)
    return redirect("accounts:user_detail", user_id=user.pk)


@require_POST
@role_required(Role.ADMIN)
def user_role_grant(request, user_id: int):
    user = _user_or_404(user_id)
    return _apply(request, user, RoleGrantForm(request.POST), "grant",
                  lambda data: role_grant(user=user, role=data["role"], reason=data["reason"], actor=request.user,
                                          now=timezone.now()),
                  _("角色已授予。"))


@require_POST
@role_required(Role.ADMIN)
def user_role_revoke(request, user_id: int, grant_id: int):
    user = _user_or_404(user_id)
    try:
        grant = user_grant_for_admin(user, grant_id)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    return _apply(request, user, ReasonForm(request.POST, prefix="revoke"), "revoke",
                  lambda data: role_revoke(grant=grant, reason=data["reason"], actor=request.user,
                                           now=timezone.now()),
                  _("角色已撤销。"))


@require_POST
@role_required(Role.ADMIN)
def user_status(request, user_id: int, action: str):
    user = _user_or_404(user_id)
    services = {"deactivate": (user_deactivate, _("账户已停用，其登录会话已全部结束。")),
                "reactivate": (user_reactivate, _("账户已重新启用。"))}
    if action not in services:
        raise Http404
    service, done = services[action]
    return _apply(request, user, ReasonForm(request.POST, prefix="status"), "status",
                  lambda data: service(user=user, reason=data["reason"], actor=request.user, now=timezone.now()),
                  done)
