"""The allowed application transitions: from which statuses, to which, by which roles, with which requirements."""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role

from .models import ApplicationStatus as S


class ApplicationAction(StrEnum):
    """The actions of the application workflow; each is also the log entry type ``applications.<action>``."""

    SUBMIT = "submit"
    ACCEPT = "accept"
    START_REVIEW = "start_review"
    REQUEST_SUPPLEMENT = "request_supplement"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    # the approval under a version with a 公示 period: a proposed award (拟支持), shown publicly for the period
    PROPOSE = "propose"
    # the period ended without an upheld objection: the platform approves and issues the voucher
    PUBLICITY_CONCLUDE = "publicity_conclude"
    # a reviewer upheld an objection to the proposed award: back to review
    PUBLICITY_RETURN = "publicity_return"
    REJECT = "reject"
    WITHDRAW = "withdraw"


A = ApplicationAction


@dataclass(frozen=True)
class Transition:
    action: ApplicationAction
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    reason_required: bool
    # offered as a button of its own; otherwise reached through another step (the approval routes to the proposal
    # when the version has 公示; the platform concludes; an objection decision returns)
    offered: bool = True


_BEFORE_DECISION = frozenset({S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.UNDER_REVIEW, S.SUPPLEMENT_REQUESTED})

TRANSITIONS = {
    t.action: t
    for t in (
        # the annual limit is checked and the place taken atomically (services.application_submit)
        Transition(A.SUBMIT, _("提交申请"), frozenset({S.DRAFT}), S.SUBMITTED,
                   frozenset({Role.ENTERPRISE_MEMBER}), reason_required=False),
        # intake: materials complete; the SLA clock starts on this date
        Transition(A.ACCEPT, _("受理"), frozenset({S.SUBMITTED}), S.ACCEPTED,
                   frozenset({Role.REVIEWER}), reason_required=False),
        # the amount is computed from the verified cost at this moment
        Transition(A.START_REVIEW, _("开始审核"), frozenset({S.ACCEPTED}), S.UNDER_REVIEW,
                   frozenset({Role.REVIEWER}), reason_required=False),
        # the clock pauses until the applicant resubmits
        Transition(A.REQUEST_SUPPLEMENT, _("要求补充材料"), frozenset({S.UNDER_REVIEW}), S.SUPPLEMENT_REQUESTED,
                   frozenset({Role.REVIEWER}), reason_required=True),
        Transition(A.RESUBMIT, _("提交补充材料"), frozenset({S.SUPPLEMENT_REQUESTED}), S.UNDER_REVIEW,
                   frozenset({Role.ENTERPRISE_MEMBER}), reason_required=False),
        # four-eyes: an approver who reviewed the application may not approve it
        Transition(A.APPROVE, _("批准"), frozenset({S.UNDER_REVIEW}), S.APPROVED,
                   frozenset({Role.APPROVER}), reason_required=False),
        # the approval when the application's version has a 公示 period (services.application_approve routes here)
        Transition(A.PROPOSE, _("拟支持并公示"), frozenset({S.UNDER_REVIEW}), S.PUBLICITY,
                   frozenset({Role.APPROVER}), reason_required=False, offered=False),
        # by the platform only (no role): the worker after the last working day of 公示
        Transition(A.PUBLICITY_CONCLUDE, _("公示期满，兑现算力券"), frozenset({S.PUBLICITY}), S.APPROVED,
                   frozenset(), reason_required=False, offered=False),
        # the effect of an upheld 公示 objection (publicity.services.publicity_objection_decide)
        Transition(A.PUBLICITY_RETURN, _("公示异议成立，退回审核"), frozenset({S.PUBLICITY}), S.UNDER_REVIEW,
                   frozenset({Role.REVIEWER}), reason_required=True, offered=False),
        Transition(A.REJECT, _("不予支持"), frozenset({S.SUBMITTED, S.ACCEPTED, S.UNDER_REVIEW, S.SUPPLEMENT_REQUESTED}),
                   S.REJECTED, frozenset({Role.APPROVER}), reason_required=True),
        Transition(A.WITHDRAW, _("撤回申请"), _BEFORE_DECISION, S.WITHDRAWN,
                   frozenset({Role.ENTERPRISE_MEMBER}), reason_required=False),
    )
}

# actions that count as reviewing, for the four-eyes rule
REVIEW_ACTIONS = frozenset({A.ACCEPT, A.START_REVIEW, A.REQUEST_SUPPLEMENT})
# who may not decide an objection to the proposed award: whoever reviewed or approved the case
INSIDER_ACTIONS = REVIEW_ACTIONS | {A.PROPOSE, A.APPROVE}


def transitions_available(status: str, roles: frozenset[str]) -> list[Transition]:
    """Transitions a user acting in ``roles`` may apply to an application in ``status``."""
    return [t for t in TRANSITIONS.values() if t.offered and status in t.sources and t.roles & roles]
