"""Existing data that breaks the separation-of-duties rules, found and reported (never changed)."""

from dataclasses import dataclass

from django.db.models import F

from yingdu.accounts.models import RoleGrant, User


@dataclass(frozen=True)
class Finding:
    rule: str
    subject: str
    detail: str


def _staff_members() -> list[Finding]:
    active = RoleGrant.objects.filter(revoked_at__isnull=True).values("user_id")
    users = User.objects.filter(organisation__isnull=False, pk__in=active).select_related("organisation").order_by("pk")
    findings = []
    for user in users:
        roles = sorted(RoleGrant.objects.filter(user=user, revoked_at__isnull=True).values_list("role", flat=True))
        findings.append(Finding("staff_and_member", f"user {user.pk} ({user.username})",
                                f"staff roles {', '.join(roles)} and member of organisation {user.organisation_id} "
                                f"({user.organisation.name})"))
    return findings


def _self_verified() -> list[Finding]:
    from yingdu.enterprises.models import EnterpriseStateChange

    rows = (EnterpriseStateChange.objects.filter(action="verify", actor_id=F("enterprise__registered_by_id"))
            .order_by("pk"))
    return [Finding("verified_own_registration", f"enterprise {row.enterprise_id}",
                    f"verified on {row.effective_on} by user {row.actor_id}, who registered it") for row in rows]


def _approved_by_reviewer() -> list[Finding]:
    from yingdu.applications.models import ApplicationTransition
    from yingdu.applications.workflow import REVIEW_ACTIONS

    approvals = ApplicationTransition.objects.filter(action="approve").order_by("pk")
    findings = []
    for approval in approvals:
        if ApplicationTransition.objects.filter(application_id=approval.application_id, actor_id=approval.actor_id,
                                                action__in=REVIEW_ACTIONS).exists():
            findings.append(Finding("approved_own_review", f"application {approval.application_id}",
                                    f"approved on {approval.on} by user {approval.actor_id}, who also reviewed it"))
    return findings


def _decided_by_linked_staff() -> list[Finding]:
    """Objections and application steps taken by a member (current or past) of the enterprise concerned."""
    from yingdu.applications.models import ApplicationTransition
    from yingdu.notices.models import Objection

    from .models import PastMembership

    findings = []
    past = {(row.user_id, row.organisation_id) for row in PastMembership.objects.all()}

    def linked(user, organisation_id) -> bool:
        return user is not None and (user.organisation_id == organisation_id or (user.pk, organisation_id) in past)

    for objection in Objection.objects.filter(decided_by__isnull=False).select_related(
            "decided_by", "notice__enterprise").order_by("pk"):
        if linked(objection.decided_by, objection.notice.enterprise.organisation_id):
            findings.append(Finding("decided_linked_objection", f"objection {objection.pk}",
                                    f"decided by user {objection.decided_by_id}, linked to the enterprise"))
    staff_steps = ("accept", "start_review", "request_supplement", "approve", "reject")
    for step in ApplicationTransition.objects.filter(action__in=staff_steps).select_related(
            "actor", "application__enterprise").order_by("pk"):
        if linked(step.actor, step.application.enterprise.organisation_id):
            findings.append(Finding("acted_on_linked_application", f"application {step.application_id}",
                                    f"{step.action} by user {step.actor_id}, linked to the enterprise"))
    return findings


def duties_findings() -> list[Finding]:
    return [*_staff_members(), *_self_verified(), *_approved_by_reviewer(), *_decided_by_linked_staff()]
