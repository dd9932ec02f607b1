"""The allowed enterprise state transitions, and which roles may perform each."""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role

from .models import EnterpriseState


class EnterpriseAction(StrEnum):
    """What can happen to an enterprise: its registration, then the transitions below (one log entry type each)."""

    REGISTER = "register"
    VERIFY = "verify"
    REJECT = "reject"
    DISQUALIFY = "disqualify"
    REINSTATE = "reinstate"
    RESUBMIT = "resubmit"


@dataclass(frozen=True)
class Transition:
    action: EnterpriseAction
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    reason_required: bool


TRANSITIONS = {
    t.action: t
    for t in (
        Transition(EnterpriseAction.VERIFY, _("核验通过"), frozenset({EnterpriseState.PENDING}),
                   EnterpriseState.VERIFIED, frozenset({Role.REVIEWER, Role.ADMIN}), reason_required=False),
        Transition(EnterpriseAction.REJECT, _("核验不通过"), frozenset({EnterpriseState.PENDING}),
                   EnterpriseState.REJECTED, frozenset({Role.REVIEWER, Role.ADMIN}), reason_required=True),
        Transition(EnterpriseAction.DISQUALIFY, _("取消资格"),
                   frozenset({EnterpriseState.VERIFIED, EnterpriseState.PENDING}), EnterpriseState.DISQUALIFIED,
                   frozenset({Role.AUDITOR, Role.ADMIN}), reason_required=True),
        Transition(EnterpriseAction.REINSTATE, _("恢复资格"), frozenset({EnterpriseState.DISQUALIFIED}),
                   EnterpriseState.VERIFIED, frozenset({Role.ADMIN}), reason_required=True),
        Transition(EnterpriseAction.RESUBMIT, _("重新提交核验"), frozenset({EnterpriseState.REJECTED}),
                   EnterpriseState.PENDING, frozenset({Role.ENTERPRISE_MEMBER}), reason_required=True),
    )
}


def transitions_available(state: str, roles: frozenset[str]) -> list[Transition]:
    """Transitions a user acting in ``roles`` may apply to an enterprise in ``state``."""
    return [t for t in TRANSITIONS.values() if state in t.sources and t.roles & roles]
