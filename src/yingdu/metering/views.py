import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yingdu.accounts.models import Role
from yingdu.accounts.permissions import role_required
from yingdu.errors import DomainError
from yingdu.lists import keyset_list
from yingdu.works.selectors import works_visible_to

from . import monitoring, selectors, services
from .counting import counted_totals_by_work
from .exports import usage_records_workbook
from .filters import UsageRecordFilter
from .forms import ApiKeyForm, CsvUploadForm, PriceForm, SigningKeyForm
from .ingest import BatchRefused, usage_batch_ingest
from .models import QuarantineReason
from .records import OPTIONAL_FIELDS, REQUIRED_FIELDS

CSV_COLUMNS = (*REQUIRED_FIELDS, *OPTIONAL_FIELDS, "signature")
# the newest records on the portal and the live usage page; every record is reached on the records page (filters, pages)
RECENT_RECORDS = 20
# an export holds at most this many records (newest first); a larger selection is narrowed by the filters
EXPORT_MAX_RECORDS = 50_000


# the columns of metering/record_table.html: a page of 50 records reads these, not the records' signatures and
# canonical bytes nor their providers' and works' rows
RECORD_TABLE_FIELDS = ("id", "record_id", "enterprise_uscc", "project_tag", "sku", "quantity", "started_at",
                       "ended_at", "status", "corrects_id", "log_index", "provider_id", "work_id", "work__title")


def _record_filter(request, *, table_only: bool = False) -> UsageRecordFilter:
    """The records page's filters over what the user may see (a provider has no provider filter); ``table_only``:
    reading only the columns the page's table shows."""
    queryset = selectors.usage_records_visible_to(request.user)
    if table_only:
        queryset = queryset.select_related(None).select_related("work").only(*RECORD_TABLE_FIELDS)
    return UsageRecordFilter(request.GET, queryset=queryset, request=request,
                             show_provider=selectors.provider_of_user(request.user) is None)


@role_required(*Role.values)
def usage_records(request):
    """Every usage record the user may see, newest first, filtered and paged by log index (?after=)."""
    listing = keyset_list(request, _record_filter(request, table_only=True), key="log_index")
    return render(request, "metering/records.html", {"listing": listing}, status=listing.status)


@role_required(*Role.values)
def usage_records_export(request):
    """The records page's selection (same filters) as an Excel workbook, newest first."""
    filterset = _record_filter(request)
    if not filterset.is_valid():
        return render(request, "metering/records.html", {"listing": keyset_list(request, filterset, key="log_index")},
                      status=400)
    records = filterset.qs.select_related("provider", "attributed_work").order_by("-log_index")[:EXPORT_MAX_RECORDS]
    response = HttpResponse(usage_records_workbook(records),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="usage-records-{timezone.localdate().isoformat()}.xlsx"'
    return response


def _provider_or_403(request):
    provider = selectors.provider_of_user(request.user)
    if provider is None:
        raise PermissionDenied
    return provider


@role_required(Role.PROVIDER_OPERATOR)
def provider_portal(request):
    provider = _provider_or_403(request)
    return render(request, "metering/provider.html", {
        "provider": provider,
        "api_keys": provider.api_keys.all(),
        "signing_keys": provider.signing_keys.all(),
        "catalogue": selectors.catalogue_of(provider),
        "records": selectors.usage_records_visible_to(request.user).order_by("-log_index")[:RECENT_RECORDS],
        "api_key_form": ApiKeyForm(), "signing_key_form": SigningKeyForm(), "price_form": PriceForm(),
        "csv_form": CsvUploadForm(),
    })


def _form_error(request, error: DomainError) -> None:
    messages.error(request, str(error.message))


@role_required(Role.PROVIDER_OPERATOR)
@require_POST
def api_key_create(request):
    provider = _provider_or_403(request)
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写用途说明。"))
        return redirect("metering:provider")
    key, secret = services.api_key_create(provider=provider, label=form.cleaned_data["label"], actor=request.user,
                                          now=timezone.now())
    # The secret is shown on this response only; it is not stored anywhere but here in the page.
    return render(request, "metering/api_key_created.html", {"key": key, "secret": secret})


def _revoke(request, keys, key_pk: int, revoke, done_message: str):
    """Revoke one of the provider's own keys; another provider's key is not found."""
    key = keys.filter(pk=key_pk).first()
    if key is None:
        raise Http404
    try:
        revoke(key=key, actor=request.user, now=timezone.now())
        messages.success(request, done_message.format(key=key))
    except DomainError as error:
        _form_error(request, error)
    return redirect("metering:provider")


@role_required(Role.PROVIDER_OPERATOR)
@require_POST
def api_key_revoke(request, key_id: int):
    provider = _provider_or_403(request)
    return _revoke(request, provider.api_keys, key_id, services.api_key_revoke, "API 密钥 {key.prefix} 已撤销。")


@role_required(Role.PROVIDER_OPERATOR)
@require_POST
def signing_key_add(request):
    provider = _provider_or_403(request)
    form = SigningKeyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.signing_key_add(provider=provider, public_key_base64=data["public_key"], label=data["label"],
                                     valid_from=data["valid_from"], valid_until=data["valid_until"],
                                     actor=request.user, now=timezone.now())
            messages.success(request, _("签名公钥已登记。"))
        except DomainError as error:
            _form_error(request, error)
    else:
        messages.error(request, _("请检查签名公钥表单：") + _("；").join(e for errs in form.errors.values() for e in errs))
    return redirect("metering:provider")


@role_required(Role.PROVIDER_OPERATOR)
@require_POST
def signing_key_revoke(request, key_id: int):
    provider = _provider_or_403(request)
    return _revoke(request, provider.signing_keys, key_id, services.signing_key_revoke,
                   "签名密钥 {key.key_id} 已撤销。")


@role_required(Role.PROVIDER_OPERATOR)
@require_POST
def price_add(request):
    provider = _provider_or_403(request)
    form = PriceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.catalogue_price_add(provider=provider, actor=request.user, now=timezone.now(), **data)
            messages.success(request, _("SKU {sku} 的新价格已登记。").format(sku=data['sku']))
        except DomainError as error:
            _form_error(request, error)
    else:
        messages.error(request, _("请检查价格表单：") + _("；").join(e for errs in form.errors.values() for e in errs))
    return redirect("metering:provider")


CSV_RESULT_LABELS = {"accepted": _("已接收"), "duplicate": _("重复：此前已接收，未再记录"),
                     "conflict": _("冲突：同一编号此前已接收不同内容"), "invalid": _("无效：未接收")}


@role_required(Role.PROVIDER_OPERATOR)
@require_POST
def csv_upload(request):
    """The same records as the API, from a CSV with a per-record signature column; a per-row report."""
    provider = _provider_or_403(request)
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择 CSV 文件并填写签名密钥 ID。"))
        return redirect("metering:provider")
    try:
        text = form.cleaned_data["file"].read().decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error):
        messages.error(request, _("CSV 文件无法读取：请使用 UTF-8 编码、逗号分隔、首行为列名。"))
        return redirect("metering:provider")
    records = [{column: value for column, value in row.items() if column in CSV_COLUMNS and value not in ("", None)}
               for row in rows]
    try:
        results = usage_batch_ingest(provider=provider, key_id=form.cleaned_data["key_id"].strip(), records=records,
                                     batch_signature=None, now=timezone.now())
    except BatchRefused as refused:
        messages.error(request, refused.message)
        return redirect("metering:provider")
    for result in results:  # words for people beside the codes for programs
        result.status_label = CSV_RESULT_LABELS.get(result.status, result.status)
        result.quarantine_label = QuarantineReason(result.quarantine).label if result.quarantine else ""
    return render(request, "metering/csv_report.html", {"results": results, "provider": provider})


@role_required(*Role.values)
def enterprise_usage(request):
    """An enterprise's own usage per work, refreshed live; staff see every enterprise's."""
    works = works_visible_to(request.user)
    return render(request, "metering/usage.html", {"works": works})


@role_required(*Role.values)
def enterprise_usage_live(request):
    records = selectors.usage_records_visible_to(request.user)
    works = works_visible_to(request.user)
    # per work, the records that count for it (metering.counting): the figures the notice and the quote use
    counted = counted_totals_by_work(works)
    totals = [{"work": work, "n": counted[work.pk].record_count, "cost_yuan": monitoring.yuan_display(
        counted[work.pk].cost_microfen)} for work in works.filter(pk__in=list(counted)).order_by("title", "pk")]
    now = timezone.now()
    return render(request, "metering/usage_live.html", {
        "totals": totals,
        "recent": records.order_by("-log_index")[:RECENT_RECORDS],
        "charts": monitoring.work_daily_cost_chart(records, now=now),
        "now": now,
    })
