"""The allowed enterprise state transitions, and which roles may perform each."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role

from .models import EnterpriseState


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    reason_required: bool


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("verify", _("核验通过"), frozenset({EnterpriseState.PENDING}), EnterpriseState.VERIFIED,
                   frozenset({Role.REVIEWER, Role.ADMIN}), reason_required=False),
        Transition("reject", _("核验不通过"), frozenset({EnterpriseState.PENDING}), EnterpriseState.REJECTED,
                   frozenset({Role.REVIEWER, Role.ADMIN}), reason_required=True),
        Transition("disqualify", _("取消资格"), frozenset({EnterpriseState.VERIFIED, EnterpriseState.PENDING}),
                   EnterpriseState.DISQUALIFIED, frozenset({Role.AUDITOR, Role.ADMIN}), reason_required=True),
        Transition("reinstate", _("恢复资格"), frozenset({EnterpriseState.DISQUALIFIED}), EnterpriseState.VERIFIED,
                   frozenset({Role.ADMIN}), reason_required=True),
        Transition("resubmit", _("重新提交核验"), frozenset({EnterpriseState.REJECTED}), EnterpriseState.PENDING,
                   frozenset({Role.ENTERPRISE_MEMBER}), reason_required=True),
    )
}


def transitions_available(state: str, roles: frozenset[str]) -> list[Transition]:
    """Transitions a user acting in ``roles`` may apply to an enterprise in ``state``."""
    return [t for t in TRANSITIONS.values() if state in t.sources and t.roles & roles]
