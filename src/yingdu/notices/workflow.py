"""Who may do what with data notices and objections (the one table services consult)."""

from yingdu.accounts.models import Role

# Staff who may issue a data notice from the page or the API.
NOTICE_ISSUE_ROLES = frozenset({Role.REVIEWER, Role.AUDITOR, Role.ADMIN})
# Staff who decide objections (DESIGN §2: reviewers).
OBJECTION_DECIDE_ROLES = frozenset({Role.REVIEWER})
OBJECTION_DECISIONS = ("uphold", "reject")
