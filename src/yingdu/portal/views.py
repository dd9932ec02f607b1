from decimal import Decimal
from fractions import Fraction

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render

from yingdu.accounts.models import Role
from yingdu.accounts.permissions import login_required
from yingdu.accounts.selectors import user_roles
from yingdu.rules.default_policy import HUAIROU_2026_DEFAULT
from yingdu.rules.money import Money
from yingdu.rules.subsidy import PolicyTerms
from yingdu.enterprises.selectors import enterprise_of_user, enterprise_state_counts, enterprises_visible_to


def _policy_summary() -> dict:
    """Headline numbers of the default policy for the public pages (from policy data, not literals)."""
    terms = PolicyTerms.from_mapping(HUAIROU_2026_DEFAULT)
    return {
        "regular_percent": _percent(terms.regular_rate),
        "overseas_uplift_percent": _percent(terms.overseas_uplift),
        "regular_cap": Money(terms.regular_cap_fen).format_display(),
        "overseas_cap": Money(terms.overseas_cap_fen).format_display(),
        "annual_work_limit": terms.annual_work_limit,
        "sla_working_days": HUAIROU_2026_DEFAULT["sla_working_days"],
    }


def _percent(rate) -> str:
    value = Fraction(rate) * 100
    return format(Decimal(value.numerator) / Decimal(value.denominator), "f").rstrip("0").rstrip(".")


def home(request):
    return render(request, "portal/home.html", {"policy": _policy_summary()})


@login_required
def dashboard(request):
    roles = user_roles(request.user)
    context = {"roles": [Role(r).label for r in sorted(roles)]}
    if Role.ENTERPRISE_MEMBER in roles:
        context["enterprise"] = enterprise_of_user(request.user)
    if roles & {Role.REVIEWER, Role.ADMIN, Role.APPROVER, Role.AUDITOR, Role.FINANCE}:
        context["state_counts"] = enterprise_state_counts()
        context["pending"] = enterprises_visible_to(request.user).filter(state="pending")[:10]
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
