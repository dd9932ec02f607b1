"""Reads of works, narrowed to what the user may see."""

from django.db.models import QuerySet

from yingdu.accounts.selectors import user_staff_roles
from yingdu.errors import NotFound

from .models import OverseasDistribution, Work, WorkDetails, WorkRelease


def works_visible_to(user) -> QuerySet[Work]:
    queryset = Work.objects.select_related("enterprise")
    if user_staff_roles(user):
        return queryset
    organisation_id = getattr(user, "organisation_id", None) if getattr(user, "is_authenticated", False) else None
    if organisation_id is None:
        return queryset.none()
    return queryset.filter(enterprise__organisation_id=organisation_id)


def work_get_for(user, work_id: int) -> Work:
    work = works_visible_to(user).filter(pk=work_id).first()
    if work is None:
        raise NotFound("未找到该作品", code="work_not_found")
    return work


def works_by_tag(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], Work]:
    """Works by (enterprise id, project tag), for metering; one query."""
    if not pairs:
        return {}
    enterprise_ids = {enterprise_id for enterprise_id, _tag in pairs}
    tags = {tag for _enterprise, tag in pairs}
    works = Work.objects.filter(enterprise_id__in=enterprise_ids, project_tag__in=tags)
    return {(w.enterprise_id, w.project_tag): w for w in works if (w.enterprise_id, w.project_tag) in pairs}


def work_current_details(work: Work) -> WorkDetails | None:
    """The highest revision of the work's facts, or None when none were recorded."""
    return work.details_revisions.select_related("recorded_by").order_by("-revision").first()


def work_details_history(work: Work) -> QuerySet[WorkDetails]:
    return work.details_revisions.select_related("recorded_by").order_by("revision")


def work_releases_current(work: Work) -> QuerySet[WorkRelease]:
    """Releases not superseded by a correction."""
    return work.releases.filter(superseded_by__isnull=True).order_by("went_live_on", "id")


def work_releases_recorded_since(work: Work, *, since) -> QuerySet[WorkRelease]:
    """Current releases of the work recorded at or after ``since``, newest first."""
    return work_releases_current(work).filter(recorded_at__gte=since).order_by("-recorded_at", "-id")


def work_releases_all(work: Work) -> QuerySet[WorkRelease]:
    return work.releases.select_related("recorded_by", "supersedes", "superseded_by").order_by("id")


def work_distributions_current(work: Work) -> QuerySet[OverseasDistribution]:
    """Overseas distributions not superseded by a correction."""
    return work.overseas_distributions.filter(superseded_by__isnull=True).order_by("went_live_on", "id")


def work_distributions_all(work: Work) -> QuerySet[OverseasDistribution]:
    return work.overseas_distributions.select_related("recorded_by", "supersedes", "superseded_by").order_by("id")


def work_release_get(work: Work, release_id: int) -> WorkRelease:
    release = work.releases.filter(pk=release_id).first()
    if release is None:
        raise NotFound("未找到该上线记录", code="release_not_found")
    return release


def work_distribution_get(work: Work, distribution_id: int) -> OverseasDistribution:
    distribution = work.overseas_distributions.filter(pk=distribution_id).first()
    if distribution is None:
        raise NotFound("未找到该出海记录", code="distribution_not_found")
    return distribution
