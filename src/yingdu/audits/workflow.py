"""Who acts on spot checks, the case transitions, the checklist, and the case due period."""

from django.utils.translation import gettext_noop

from yingdu.accounts.models import Role

from .models import CaseStatus, FindingOutcome

# staff who run draws, work cases, record findings and confirm a fraud finding (a different person)
AUDIT_STAFF_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})

# the checklist of every case (code, label): the labels are stored in Chinese and translated where they are shown
CHECKLIST = (
    ("usage_vs_provider_logs", gettext_noop("用量记录与服务商作业日志核对")),
    ("release_evidence", gettext_noop("上线证明（平台、备案号或发行许可证号、截图）")),
    ("overseas_evidence", gettext_noop("出海证明（发行协议、海外上线证明）")),
    ("invoices", gettext_noop("算力服务发票与付款凭证")),
)

# working days (official calendar) from the case's opening to its due date; no policy term exists for it yet
CASE_DUE_WORKING_DAYS = 20

# finding outcome → the case status it leads to when it takes effect
OUTCOME_STATUS = {
    FindingOutcome.COMPLIANT: CaseStatus.CLOSED_COMPLIANT,
    FindingOutcome.ISSUES: CaseStatus.CLOSED_ISSUES,
    FindingOutcome.FRAUD: CaseStatus.FRAUD_PENDING,
}

# action → (case statuses it may start from)
CASE_ACTIONS = {
    "check": frozenset({CaseStatus.OPEN}),
    "evidence": frozenset({CaseStatus.OPEN}),
    "note": frozenset({CaseStatus.OPEN, CaseStatus.FRAUD_PENDING}),
    "respond": frozenset({CaseStatus.OPEN, CaseStatus.FRAUD_PENDING}),
    "record_finding": frozenset({CaseStatus.OPEN}),
    "review_fraud": frozenset({CaseStatus.FRAUD_PENDING}),
}
