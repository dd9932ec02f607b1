"""Who may change policy data, and the one transition of a policy version (draft → published)."""

from yingdu.accounts.models import Role

from .models import PolicyStatus

# drafts, publication and calendar imports are the system operator's job (DESIGN §2)
POLICY_ADMIN_ROLES = frozenset({Role.ADMIN})

# status a version must be in for each action, and the status it ends in
TRANSITIONS = {
    "save_draft": (frozenset({PolicyStatus.DRAFT}), PolicyStatus.DRAFT),
    "publish": (frozenset({PolicyStatus.DRAFT}), PolicyStatus.PUBLISHED),
}
