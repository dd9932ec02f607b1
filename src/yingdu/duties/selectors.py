"""Reads for separation of duties: a staff member's links to organisations, proposals, recusals."""

import calendar
from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from yingdu.accounts.selectors import user_roles

from .models import PastMembership, Proposal, ProposalStatus, Recusal
from .rules import FOUR_EYES, Step


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, or that month's last day (31 March - 1 month = 28/29 February)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def conflict_lookback_months(*, today: date) -> int | None:
    """The policy's look-back for past memberships; None (no version, or the term unset) means links never lapse."""
    from yingdu.policy.selectors import policy_version_in_force

    version = policy_version_in_force(on=today)
    return None if version is None else version.conflict_lookback_months


def user_linked_organisation_ids(user, *, today: date) -> frozenset[int]:
    """Organisations the user belongs to, or left within the look-back (the day of leaving counts as linked)."""
    linked = {user.organisation_id} - {None}
    past = PastMembership.objects.filter(user=user)
    months = conflict_lookback_months(today=today)
    if months is not None:
        since = _months_before(today, months)
        past = past.filter(ended_at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    linked.update(past.values_list("organisation_id", flat=True))
    return frozenset(linked)


def proposals_open_for(user) -> QuerySet[Proposal]:
    """Pending proposals the user may confirm or refuse (their roles), and their own to withdraw."""
    roles = user_roles(user)
    steps = [str(step) for step, rule in FOUR_EYES.items() if rule.roles & roles]
    return (Proposal.objects.filter(status=ProposalStatus.PENDING, step__in=steps)
            .select_related("proposed_by").order_by("proposed_at", "id"))


def proposals_pending_for_case(step: Step, case_kind: str, case_id: int) -> Proposal | None:
    return (Proposal.objects.filter(step=step, case_kind=case_kind, case_id=case_id, status=ProposalStatus.PENDING)
            .select_related("proposed_by").first())


def proposals_decided(*, limit: int = 50) -> list[Proposal]:
    return list(Proposal.objects.exclude(status=ProposalStatus.PENDING)
                .select_related("proposed_by", "decided_by").order_by("-decided_at", "-id")[:limit])


def recusals_of(user) -> QuerySet[Recusal]:
    return Recusal.objects.filter(user=user).order_by("-declared_at", "-id")


def user_is_recused(user, case_kind: str, case_id: int) -> bool:
    return Recusal.objects.filter(user=user, case_kind=case_kind, case_id=case_id).exists()
