"""Staff pages of metering: live monitoring, anomaly flags, quarantine attribution, providers, and /metrics."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingdu.accounts.models import STAFF_ROLES, Role
from yingdu.accounts.permissions import role_required
from yingdu.accounts.selectors import user_roles, user_staff_roles
from yingdu.errors import DomainError
from yingdu.lists import keyset_list
from yingdu.works.selectors import works_visible_to

from . import flagging, monitoring, selectors, services
from .anomalies import DEFAULT_THRESHOLDS, KIND_LABELS
from .filters import QuarantineFilter
from .forms import AnomalyFilterForm, AttachForm, ProviderRegisterForm
from .metrics import CONTENT_TYPE, exposition
from .models import QuarantineReason

QUARANTINE_PAGE_SIZE = 100
QUARANTINE_REASONS = dict(QuarantineReason.choices)
LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "::1"})


@role_required(*STAFF_ROLES)
def monitor_dashboard(request):
    return render(request, "metering/monitor.html")


@role_required(*STAFF_ROLES)
def monitor_live(request):
    now = timezone.now()
    return render(request, "metering/monitor_live.html", {
        "totals": monitoring.usage_totals(now=now),
        "charts": monitoring.provider_daily_charts(now=now),
        "quarantine_backlog": monitoring.quarantine_backlog(),
        "now": now,
    })


LIVE_ANOMALIES = 20


@role_required(*STAFF_ROLES)
def monitor_anomalies(request):
    """Stored anomaly flags: the newest ones as the dashboard's live fragment, or the full page with filters (kind,
    provider, enterprise, date) and keyset pagination (?after=<flag id>) in the URL."""
    now = timezone.now()
    context = {"thresholds": DEFAULT_THRESHOLDS, "now": now, "checked_at": flagging.flags_checked_through(),
               "late_hours": int(DEFAULT_THRESHOLDS.late_after.total_seconds() // 3600)}
    if request.headers.get("X-Requested-With") == "fetch":
        flags, _next = monitoring.anomaly_flags(limit=LIVE_ANOMALIES)
        return render(request, "metering/monitor_anomalies.html", {**context, "flags": flags, "live": True})
    form = AnomalyFilterForm(request.GET, kinds=[(str(kind), label) for kind, label in KIND_LABELS.items()],
                             providers=selectors.providers_all())
    if not form.is_valid():
        return render(request, "metering/monitor_anomalies_page.html",
                      {**context, "form": form, "flags": [], "next_after": None}, status=400)
    data = form.cleaned_data
    filters = monitoring.AnomalyFilters(kind=data["kind"], provider_id=data["provider"],
                                        enterprise_uscc=data["enterprise"].strip(), day=data["date"])
    flags, next_after = monitoring.anomaly_flags(filters=filters, after=data["after"],
                                                 limit=monitoring.ANOMALY_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("after", None)
    first_query = query.urlencode()
    if next_after is not None:
        query["after"] = str(next_after)
    return render(request, "metering/monitor_anomalies_page.html", {
        **context, "form": form, "flags": flags, "next_after": next_after, "next_query": query.urlencode(),
        "first_query": first_query, "first_page": data["after"] is None})


@role_required(*Role.values)
def record_detail(request, record_pk: int):
    try:
        record = selectors.usage_record_get_for(request.user, record_pk)
    except DomainError:
        raise Http404 from None
    return render(request, "metering/record_detail.html", {
        "record": record, "attribution": selectors.attribution_of(record),
        "quarantine_reason": QUARANTINE_REASONS.get(record.quarantine_reason, record.quarantine_reason),
    })


@role_required(*STAFF_ROLES)
def quarantine_list(request):
    listing = keyset_list(request, QuarantineFilter(
        request.GET, queryset=selectors.quarantined_records().filter(attribution__isnull=True), request=request),
        key="log_index", size=QUARANTINE_PAGE_SIZE)
    records = listing.rows
    works_by_uscc: dict[str, list] = {}
    for work in works_visible_to(request.user).filter(enterprise__uscc__in={r.enterprise_uscc for r in records}):
        works_by_uscc.setdefault(work.enterprise.uscc, []).append(work)
    can_attach = bool(user_roles(request.user) & services.ATTRIBUTION_ROLES)
    rows = [{"record": r, "reason": QUARANTINE_REASONS.get(r.quarantine_reason, r.quarantine_reason),
             "form": AttachForm(works=works_by_uscc.get(r.enterprise_uscc, []), auto_id=f"id_{r.pk}_%s")
             if can_attach and works_by_uscc.get(r.enterprise_uscc) else None} for r in records]
    return render(request, "metering/quarantine.html", {
        "rows": rows, "listing": listing, "backlog": monitoring.quarantine_backlog(), "can_attach": can_attach,
        "attributed": selectors.attributions_recent()[:50],
    }, status=listing.status)


@role_required(*services.ATTRIBUTION_ROLES)
@require_POST
def quarantine_attach(request, record_pk: int):
    record = selectors.quarantined_records().filter(pk=record_pk).first()
    if record is None:
        raise Http404
    # Any work may be chosen here; the service refuses one of another enterprise with its own message.
    form = AttachForm(request.POST, works=works_visible_to(request.user))
    if not form.is_valid():
        messages.error(request, _("请选择作品并填写归属理由。"))
        return redirect("metering:quarantine")
    work = works_visible_to(request.user).get(pk=form.cleaned_data["work"])
    try:
        services.usage_record_attach(record=record, work=work, actor=request.user,
                                     reason=form.cleaned_data["reason"], now=timezone.now())
        messages.success(request, _("记录 {record_id} 已归属到作品《{title}》。").format(record_id=record.record_id, title=work.title))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("metering:quarantine")


@role_required(Role.ADMIN)
def providers_admin(request):
    form = ProviderRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            provider, password = services.provider_register_with_operator(
                name=data["name"], uscc=data["uscc"], is_local=data["is_local"],
                operator_username=data["operator_username"], operator_display_name=data["operator_display_name"],
                create_operator=data["operator_mode"] == "new", actor=request.user, now=timezone.now())
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            # The initial password appears on this response only; only its Argon2 hash is stored.
            return render(request, "metering/provider_registered.html", {
                "provider": provider, "operator_username": data["operator_username"].strip(),
                "password": password})
    return render(request, "metering/providers.html", {"providers": selectors.providers_all(), "form": form})


def metrics(request):
    """Prometheus text for staff sessions and for scrapers on this host (loopback, not through a proxy)."""
    direct_local = (request.META.get("REMOTE_ADDR") in LOOPBACK_ADDRESSES
                    and "HTTP_X_FORWARDED_FOR" not in request.META and "HTTP_FORWARDED" not in request.META)
    if not (direct_local or user_staff_roles(request.user)):
        return HttpResponse("403 Forbidden: /metrics is for staff or local scrapers\n", status=403,
                            content_type="text/plain; charset=utf-8")
    return HttpResponse(exposition(monitoring.ingest_metrics()), content_type=CONTENT_TYPE)
