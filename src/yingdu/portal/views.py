from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.accounts.permissions import login_required
from yingdu.accounts.selectors import user_roles
from yingdu.applications.selectors import application_overdue
from yingdu.enterprises.models import EnterpriseState
from yingdu.enterprises.selectors import enterprise_of_user, enterprise_state_counts, enterprises_visible_to
from yingdu.notices.selectors import notices_pending
from yingdu.policy.selectors import policy_summary

from .selectors import workbench_for


def _policy_summary() -> dict | None:
    """Headline numbers of the policy version in force, for the public pages."""
    return policy_summary(on=timezone.localdate())


def home(request):
    return render(request, "portal/home.html", {"policy": _policy_summary()})


@login_required
def dashboard(request):
    roles = user_roles(request.user)
    context = {"roles": [Role(r).label for r in sorted(roles)],
               "work_lists": workbench_for(request.user, today=timezone.localdate())}
    if Role.ENTERPRISE_MEMBER in roles:
        context["enterprise"] = enterprise_of_user(request.user)
    if roles & {Role.REVIEWER, Role.ADMIN, Role.APPROVER, Role.AUDITOR, Role.FINANCE}:
        context["state_counts"] = enterprise_state_counts()
        context["pending"] = enterprises_visible_to(request.user).filter(state=EnterpriseState.PENDING)[:10]
        context["overdue"] = application_overdue(today=timezone.localdate(), limit=10)
        context["pending_notices"] = notices_pending()[:10]
    if not roles:
        return redirect("enterprises:register")
    return render(request, "portal/dashboard.html", context)


def healthz(request):
    """Liveness and database reachability for the load balancer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": connection.vendor})


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)
