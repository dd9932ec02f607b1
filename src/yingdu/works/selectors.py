"""Reads of works, narrowed to what the user may see."""

from django.db.models import QuerySet

from yingdu.accounts.selectors import user_staff_roles
from yingdu.errors import NotFound

from .models import Work


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
