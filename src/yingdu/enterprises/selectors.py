"""Reads of the enterprise registry; every read is narrowed to what the user may see."""

from django.db.models import Count, QuerySet

from yingdu.accounts.selectors import user_staff_roles
from yingdu.errors import NotFound

from .models import Enterprise, EnterpriseStateChange


def enterprises_visible_to(user) -> QuerySet[Enterprise]:
    """Staff (after two-factor) see every enterprise; a member sees only their own; anyone else nothing."""
    queryset = Enterprise.objects.select_related("organisation")
    if user_staff_roles(user):
        return queryset
    organisation_id = getattr(user, "organisation_id", None) if getattr(user, "is_authenticated", False) else None
    if organisation_id is None:
        return queryset.none()
    return queryset.filter(organisation_id=organisation_id)


def enterprise_get_for(user, enterprise_id: int) -> Enterprise:
    """One enterprise the user may see; others are reported as not found, never as forbidden."""
    enterprise = enterprises_visible_to(user).filter(pk=enterprise_id).first()
    if enterprise is None:
        raise NotFound("未找到该企业", code="enterprise_not_found")
    return enterprise


def enterprise_of_user(user) -> Enterprise | None:
    if not getattr(user, "is_authenticated", False) or user.organisation_id is None:
        return None
    return Enterprise.objects.filter(organisation_id=user.organisation_id).first()


def enterprises_by_uscc(codes: set[str]) -> dict[str, Enterprise]:
    """Enterprises by normalised USCC, for metering (one query; no user narrowing: providers name the code)."""
    if not codes:
        return {}
    return {e.uscc: e for e in Enterprise.objects.filter(uscc__in=codes)}


def enterprise_history(enterprise: Enterprise) -> QuerySet[EnterpriseStateChange]:
    return enterprise.state_changes.select_related("actor").order_by("at", "id")


def enterprise_state_counts() -> dict[str, int]:
    return dict(Enterprise.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
