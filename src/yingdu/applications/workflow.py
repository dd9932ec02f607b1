"""The allowed application transitions: from which statuses, to which, by which roles, with which requirements."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role

from .models import ApplicationStatus as S


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    reason_required: bool


_BEFORE_DECISION = frozenset({S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.UNDER_REVIEW, S.SUPPLEMENT_REQUESTED})

TRANSITIONS = {
    t.action: t
    for t in (
        # the annual limit is checked and the place taken atomically (services.application_submit)
        Transition("submit", _("提交申请"), frozenset({S.DRAFT}), S.SUBMITTED,
                   frozenset({Role.ENTERPRISE_MEMBER}), reason_required=False),
        # intake: materials complete; the SLA clock starts on this date
        Transition("accept", _("受理"), frozenset({S.SUBMITTED}), S.ACCEPTED,
                   frozenset({Role.REVIEWER}), reason_required=False),
        # the amount is computed from the verified cost at this moment
        Transition("start_review", _("开始审核"), frozenset({S.ACCEPTED}), S.UNDER_REVIEW,
                   frozenset({Role.REVIEWER}), reason_required=False),
        # the clock pauses until the applicant resubmits
        Transition("request_supplement", _("要求补充材料"), frozenset({S.UNDER_REVIEW}), S.SUPPLEMENT_REQUESTED,
                   frozenset({Role.REVIEWER}), reason_required=True),
        Transition("resubmit", _("提交补充材料"), frozenset({S.SUPPLEMENT_REQUESTED}), S.UNDER_REVIEW,
                   frozenset({Role.ENTERPRISE_MEMBER}), reason_required=False),
        # four-eyes: an approver who reviewed the application may not approve it
        Transition("approve", _("批准"), frozenset({S.UNDER_REVIEW}), S.APPROVED,
                   frozenset({Role.APPROVER}), reason_required=False),
        Transition("reject", _("不予支持"), frozenset({S.SUBMITTED, S.ACCEPTED, S.UNDER_REVIEW, S.SUPPLEMENT_REQUESTED}),
                   S.REJECTED, frozenset({Role.APPROVER}), reason_required=True),
        Transition("withdraw", _("撤回申请"), _BEFORE_DECISION, S.WITHDRAWN,
                   frozenset({Role.ENTERPRISE_MEMBER}), reason_required=False),
    )
}

# actions that count as reviewing, for the four-eyes rule
REVIEW_ACTIONS = frozenset({"accept", "start_review", "request_supplement"})


def transitions_available(status: str, roles: frozenset[str]) -> list[Transition]:
    """Transitions a user acting in ``roles`` may apply to an application in ``status``."""
    return [t for t in TRANSITIONS.values() if status in t.sources and t.roles & roles]
