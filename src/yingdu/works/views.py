from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingdu.accounts.models import STAFF_ROLES, Role
from yingdu.accounts.permissions import login_required, role_required
from yingdu.accounts.selectors import user_roles, user_staff_roles
from yingdu.enterprises.selectors import enterprise_of_user
from yingdu.errors import DomainError
from yingdu.files import stored_file_response
from yingdu.lists import keyset_list

from . import selectors, services
from .filters import WorkFilter
from .forms import DistributionForm, ReleaseForm, WorkDeclareForm, WorkDetailsForm


def _attach_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


def _work_or_404(request, work_id: int):
    try:
        return selectors.work_get_for(request.user, work_id)
    except DomainError:
        raise Http404 from None


@role_required(Role.ENTERPRISE_MEMBER, *STAFF_ROLES)
def work_list(request):
    """The works the user may see, newest first, filtered (?q=&form=&enterprise=&declared_from=…) and keyset-paged."""
    staff = bool(user_staff_roles(request.user))
    listing = keyset_list(request, WorkFilter(request.GET, queryset=selectors.works_visible_to(request.user),
                                              staff=staff), key="id")
    return render(request, "works/list.html", {
        "works": listing.rows, "listing": listing, "staff": staff,
        "can_declare": Role.ENTERPRISE_MEMBER in user_roles(request.user)}, status=listing.status)


@role_required(Role.ENTERPRISE_MEMBER)
def work_declare(request):
    enterprise = enterprise_of_user(request.user)
    form = WorkDeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            work = services.work_declare(enterprise=enterprise, actor=request.user, now=timezone.now(),
                                         facts=form.facts(), **form.identity())
        except DomainError as error:
            _attach_error(form, error)
        else:
            messages.success(request, _("作品已登记。算力服务商可按项目标签上报用量。"))
            return redirect("works:detail", work_id=work.pk)
    return render(request, "works/declare.html", {"form": form, "enterprise": enterprise})


def _detail_context(request, work, **forms) -> dict:
    from yingdu.applications.selectors import applications_of_work

    details = selectors.work_current_details(work)
    initial = {"title": work.title, "form": work.form}
    if details is not None:
        initial = {"title": details.title, "form": details.form, "episode_count": details.episode_count,
                   "episode_min_seconds": details.episode_min_seconds,
                   "episode_max_seconds": details.episode_max_seconds, "aspect_ratio": details.aspect_ratio,
                   "ai_techniques": details.ai_techniques, "overseas_titles": "\n".join(details.overseas_titles)}
    is_member = Role.ENTERPRISE_MEMBER in user_roles(request.user)
    return {
        "work": work, "details": details, "history": selectors.work_details_history(work),
        "releases": selectors.work_releases_all(work), "distributions": selectors.work_distributions_all(work),
        "applications": applications_of_work(work), "is_member": is_member,
        "details_form": forms.get("details_form") or WorkDetailsForm(initial=initial, prefix="details"),
        "release_form": forms.get("release_form") or ReleaseForm(prefix="release"),
        "distribution_form": forms.get("distribution_form") or DistributionForm(prefix="distribution"),
    }


@login_required
def work_detail(request, work_id: int):
    work = _work_or_404(request, work_id)
    return render(request, "works/detail.html", _detail_context(request, work))


def _record_from_form(request, work_id: int, *, form_class, prefix: str, record, success: str):
    """Validate a record form of the detail page and call `record(work, cleaned_data, form)`; redisplay on error."""
    work = _work_or_404(request, work_id)
    form = form_class(request.POST, request.FILES, prefix=prefix)
    if form.is_valid():
        try:
            record(work, form.cleaned_data, form)
        except DomainError as error:
            _attach_error(form, error)
        else:
            messages.success(request, success)
            return redirect("works:detail", work_id=work.pk)
    return render(request, "works/detail.html", _detail_context(request, work, **{f"{prefix}_form": form}),
                  status=400)


@login_required
@require_POST
def work_details_record(request, work_id: int):
    return _record_from_form(
        request, work_id, form_class=WorkDetailsForm, prefix="details", success="作品信息已记录（新版本，原记录保留）。",
        record=lambda work, data, form: services.work_details_record(
            work=work, actor=request.user, title=data["title"], form=data["form"], facts=form.facts(),
            reason=data["reason"] or "", now=timezone.now()))


@login_required
@require_POST
def release_record(request, work_id: int):
    return _record_from_form(
        request, work_id, form_class=ReleaseForm, prefix="release", success="上线记录已登记。",
        record=lambda work, data, form: services.work_release_record(
            work=work, actor=request.user, platform=data["platform"], platform_name=data["platform_name"],
            url=data["url"], went_live_on=data["went_live_on"], licence_number=data["licence_number"],
            screenshot=data["screenshot"], supersedes_id=data["supersedes"], reason=data["reason"] or "",
            now=timezone.now()))


@login_required
@require_POST
def distribution_record(request, work_id: int):
    return _record_from_form(
        request, work_id, form_class=DistributionForm, prefix="distribution", success="出海发行记录已登记。",
        record=lambda work, data, form: services.work_distribution_record(
            work=work, actor=request.user, territory=data["territory"], platform=data["platform"],
            platform_name=data["platform_name"], listed_title=data["listed_title"], url=data["url"],
            went_live_on=data["went_live_on"], agreement=data["agreement"],
            listing_evidence=data["listing_evidence"], supersedes_id=data["supersedes"],
            reason=data["reason"] or "", now=timezone.now()))


_FILES = {
    "screenshot": ("release_screenshots", "releases", "screenshot"),
    "agreement": ("overseas_agreements", "overseas_distributions", "agreement"),
    "listing": ("overseas_listings", "overseas_distributions", "listing"),
}


@login_required
def work_file(request, work_id: int, kind: str, row_id: int):
    """A release screenshot or an overseas agreement / listing evidence of a work the user may see."""
    work = _work_or_404(request, work_id)
    if kind not in _FILES:
        raise Http404
    category, relation, prefix = _FILES[kind]
    row = getattr(work, relation).filter(pk=row_id).first()
    if row is None:
        raise Http404
    return stored_file_response(category=category, sha256=getattr(row, f"{prefix}_sha256"),
                                content_type=getattr(row, f"{prefix}_content_type"),
                                filename=getattr(row, f"{prefix}_filename"))
