from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingdu.accounts.models import Role
from yingdu.accounts.permissions import role_required
from yingdu.accounts.selectors import user_roles
from yingdu.errors import DomainError
from yingdu.rules.workdays import ScheduleFileError

from . import selectors, services
from .forms import (
    FORM_FIELD_OF_TERM,
    CalendarPublishForm,
    CalendarUploadForm,
    CategoriesForm,
    DraftCreateForm,
    DraftForm,
    EstimateForm,
    PublishForm,
    attach_error,
)
from .models import DayKindChoice
from .terms import TERM_FIELDS, TERM_LABELS, percent_text, term_display
from .workflow import POLICY_ADMIN_ROLES

admin_required = role_required(Role.ADMIN)


def _is_admin(user) -> bool:
    return bool(user_roles(user) & POLICY_ADMIN_ROLES)


def _terms_rows(version) -> list[tuple[str, str, str]]:
    return [(field, TERM_LABELS[field], term_display(field, getattr(version, field)))
            for field in TERM_FIELDS if field != "materials_checklist"]


def _states(versions, today) -> list[tuple]:
    return [(version, selectors.policy_version_state(version, today=today)) for version in versions]


def estimate(request):
    """The public estimator (测算器): cost and overseas in, amount and explanation out, on the version in force."""
    form = EstimateForm(request.GET or None)
    result = rate_applied_percent = None
    today = timezone.localdate()
    version = selectors.policy_version_in_force(on=today)
    if form.is_bound and form.is_valid():
        try:
            result = selectors.policy_quote(cost=form.cleaned_data["cost"], overseas=form.cleaned_data["overseas"],
                                            on=today)
        except DomainError as error:
            attach_error(form, error)
        else:
            rate_applied_percent = percent_text(Decimal(result.explanation_detail["rate_applied"]))
    return render(request, "policy/estimate.html", {"form": form, "result": result, "version": version,
                                                    "rate_applied_percent": rate_applied_percent})


def current(request):
    """The version in force, its terms and materials checklist, and the history of published versions."""
    today = timezone.localdate()
    version = selectors.policy_version_in_force(on=today)
    return render(request, "policy/current.html", {
        "version": version,
        "terms": _terms_rows(version) if version else [],
        "history": _states(selectors.policy_versions_published(), today),
        "calendar_years": selectors.calendar_years_in_force(),
        "is_admin": _is_admin(request.user),
    })


def _version_page(request, version, *, publish_form=None, status: int = 200):
    """A version's terms; for an admin looking at a draft, also its diff against the version in force and the
    publish form."""
    today = timezone.localdate()
    base = selectors.policy_version_in_force(on=today)
    is_admin = _is_admin(request.user)
    if publish_form is None and is_admin and not version.is_published:
        publish_form = PublishForm()
    return render(request, "policy/version_detail.html", {
        "version": version,
        "state": selectors.policy_version_state(version, today=today),
        "terms": _terms_rows(version),
        "base": base,
        "diff": selectors.policy_version_diff(version=version, base=base) if version != base else [],
        "is_admin": is_admin,
        "publish_form": publish_form,
    }, status=status)


def _version_or_404(request, version_id: str):
    try:
        return selectors.policy_version_get_for(request.user, version_id)
    except DomainError:
        raise Http404 from None


def version_detail(request, version_id: str):
    return _version_page(request, _version_or_404(request, version_id))


def _refused_published(request, version, error: DomainError | None = None):
    """The page's refusal to change a published version, with the stable code (HTTP 409)."""
    message = str(error.message) if error else str(services.MSG_VERSION_PUBLISHED).format(
        version_id=version.version_id)
    return render(request, "policy/refused.html", {"version": version, "message": message,
                                                   "code": "policy_version_published"}, status=409)


@admin_required
def version_edit(request, version_id: str):
    version = _version_or_404(request, version_id)
    if version.is_published:
        return _refused_published(request, version)
    if request.method == "POST":
        form, categories = DraftForm(request.POST), CategoriesForm(request.POST)
    else:
        form = DraftForm(initial=DraftForm.initial_from(version))
        categories = CategoriesForm(initial={"eligible_service_categories": version.eligible_service_categories})
    if request.method == "POST" and form.is_valid() and categories.is_valid():
        try:
            services.policy_version_update_draft(
                version=version, changes={**form.changes(), **categories.cleaned_data}, actor=request.user,
                now=timezone.now(),
            )
        except DomainError as error:
            if error.code == "policy_version_published":
                return _refused_published(request, version, error)
            attach_error(categories if error.field == "eligible_service_categories" else form, error,
                         field_map=FORM_FIELD_OF_TERM)
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("policy:version_detail", version_id=version.version_id)
    return render(request, "policy/version_edit.html", {"version": version, "form": form, "categories": categories})


@admin_required
@require_POST
def version_publish(request, version_id: str):
    version = _version_or_404(request, version_id)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.policy_version_publish(version=version, effective_from=form.cleaned_data["effective_from"],
                                            actor=request.user, now=timezone.now())
        except DomainError as error:
            if error.code == "policy_version_published":
                return _refused_published(request, version, error)
            attach_error(form, error)
        else:
            messages.success(request, _("政策版本 {version_id} 已发布。").format(version_id=version.version_id))
            return redirect("policy:version_detail", version_id=version.version_id)
    return _version_page(request, version, publish_form=form, status=400)


def _manage_page(request, create_form, *, status: int = 200):
    today = timezone.localdate()
    return render(request, "policy/manage.html", {
        "versions": _states(selectors.policy_versions_visible_to(request.user), today),
        "in_force": selectors.policy_version_in_force(on=today),
        "create_form": create_form,
        "calendar_years": selectors.calendar_years_in_force(),
    }, status=status)


@admin_required
def manage(request):
    """Policy administration: every version with its state, a new draft, and the calendar years."""
    return _manage_page(request, DraftCreateForm())


@admin_required
@require_POST
def draft_create(request):
    form = DraftCreateForm(request.POST)
    if form.is_valid():
        try:
            version = services.policy_version_create_draft(
                version_id=form.cleaned_data["version_id"], title=form.cleaned_data["title"], actor=request.user,
                now=timezone.now(),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("已复制现行版本为新草稿，请修改后发布。"))
            return redirect("policy:version_edit", version_id=version.version_id)
    return _manage_page(request, form, status=400)


def calendar_year(request, year: int):
    year_version = selectors.calendar_year_latest(year)
    if year_version is None:
        raise Http404
    return render(request, "policy/calendar_year.html", {
        "year_version": year_version,
        "special_days": year_version.special_days.order_by("day_on"),
        "versions": selectors.calendar_year_versions(year),
    })


def _day_text(special_day) -> str:
    return f"{DayKindChoice(special_day.kind).label} {special_day.name}"


def _preview_context(preview, source: str) -> dict:
    """The diff as table rows (change, date, before, after) and the form that publishes exactly this file."""
    diff = preview.diff
    rows = sorted(
        [("新增", day.day_on, "—", _day_text(day)) for day in diff.added]
        + [("删除", day.day_on, _day_text(day), "—") for day in diff.removed]
        + [("变更", before.day_on, _day_text(before), _day_text(after)) for before, after in diff.changed],
        key=lambda row: row[1],
    )
    publish_form = CalendarPublishForm(initial={
        "content": preview.text, "fmt": preview.fmt, "based_on_version": preview.base_version, "source": source,
    })
    return {"preview": preview, "rows": rows, "publish_form": publish_form}


@admin_required
def calendar_import(request):
    """Upload a year's schedule file and preview its diff against the year in force; nothing is written."""
    form = CalendarUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "state_council_url": services.STATE_COUNCIL_NOTICES_URL}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["schedule"]
        try:
            preview = services.calendar_year_import_preview(text=form.schedule_text, filename=upload.name,
                                                            actor=request.user)
        except ScheduleFileError as error:
            context["problems"] = error.problems
            form.add_error("schedule", f"文件有 {len(error.problems)} 处问题，未导入，见上方列表。")
        except DomainError as error:
            attach_error(form, error)
        else:
            context.update(_preview_context(preview, form.cleaned_data["source"] or upload.name))
    return render(request, "policy/calendar_import.html", context)


@admin_required
@require_POST
def calendar_publish(request):
    form = CalendarPublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("发布请求不完整，请重新上传文件。"))
        return redirect("policy:calendar_import")
    data = form.cleaned_data
    try:
        preview = services.calendar_year_import_preview(text=data["content"], fmt=data["fmt"], actor=request.user)
        year_version = services.calendar_year_publish(
            year=preview.year, special_days=preview.special_days, source=data["source"], actor=request.user,
            now=timezone.now(), based_on_version=data["based_on_version"],
        )
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("policy:calendar_import")
    messages.success(request, _("已发布 {year} 年第 {version} 版日程。").format(year=year_version.year,
                                                                       version=year_version.version))
    for result in getattr(year_version, "recomputed", []):
        unknown = _("未知")
        moved = _("；").join(f"{m.what}: {m.previous_on or unknown} → {m.deadline_on or unknown}"
                            for m in result.moves)
        messages.info(request, _("已按新日历重新计算未结截止日：{count} 项变化{moved}；自动出具待出具告知书 {notices} 份。"
                                 "已通知受影响的企业和审核人员。").format(
                                     count=len(result.moves), moved=f" ({moved})" if moved else "",
                                     notices=result.notices_issued))
    return redirect("policy:calendar_year", year=year_version.year)
