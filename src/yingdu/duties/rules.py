"""The separation-of-duties rules as data: which steps need a second person, and how the second person is checked.

Two forms of four eyes:
- ``PROPOSAL``: one staff member proposes the step; it takes effect only when a different staff member, who may
  act on the case, confirms exactly the same step (``duties.services.four_eyes``);
- ``SEPARATE``: the step is done by one person, who must not be anyone who did the earlier steps named in
  ``separate_from`` (the reviewers of an application, the recorder of a fraud finding, the registrant of an
  enterprise).
Conflict of interest (a staff member linked to an organisation of the case, now or within the policy's look-back) and
recusal apply to every staff step, listed or not.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role


class CaseKind(StrEnum):
    """What a case is; a recusal or proposal names one case by its kind and id."""

    ENTERPRISE = "enterprise"
    APPLICATION = "application"
    OBJECTION = "objection"
    VOUCHER = "voucher"
    SETTLEMENT = "settlement"
    SPOT_CHECK = "spot_check"
    USER = "user"
    WORK = "work"
    PROVIDER = "provider"
    USAGE_RECORD = "usage_record"


CASE_KIND_LABELS = {
    CaseKind.ENTERPRISE: _("企业"), CaseKind.APPLICATION: _("申请"), CaseKind.OBJECTION: _("异议"),
    CaseKind.VOUCHER: _("算力券"), CaseKind.SETTLEMENT: _("结算单"), CaseKind.SPOT_CHECK: _("抽查案件"),
    CaseKind.USER: _("账户"), CaseKind.WORK: _("作品"), CaseKind.PROVIDER: _("算力服务商"),
    CaseKind.USAGE_RECORD: _("用量记录"),
}


class Step(StrEnum):
    """The steps where money or rights move."""

    ENTERPRISE_VERIFY = "enterprise.verify"
    ENTERPRISE_REINSTATE = "enterprise.reinstate"
    OBJECTION_UPHOLD = "objection.uphold"
    APPLICATION_APPROVE = "application.approve"
    VOUCHER_REVOKE = "voucher.revoke"
    FRAUD_CONFIRM = "spot_check.fraud_confirm"
    SETTLEMENT_PAY = "settlement.pay"
    ROLE_GRANT = "user.role_grant"


class Mode(StrEnum):
    PROPOSAL = "proposal"
    SEPARATE = "separate"


@dataclass(frozen=True)
class FourEyes:
    step: Step
    label: str
    case_kind: CaseKind
    mode: Mode
    roles: frozenset[str]
    rule: str


# The one table of four-eyes steps (README "职责分离" lists it; tests/test_four_eyes walks it).
FOUR_EYES = {
    rule.step: rule
    for rule in (
        FourEyes(Step.ENTERPRISE_VERIFY, _("核验企业"), CaseKind.ENTERPRISE, Mode.SEPARATE, frozenset({Role.REVIEWER, Role.ADMIN}),
                 _("核验人不能是登记该企业或修改其登记信息的人")),
        FourEyes(Step.OBJECTION_UPHOLD, _("支持提高补贴基数的异议"), CaseKind.OBJECTION, Mode.PROPOSAL, frozenset({Role.REVIEWER}),
                 _("一名审核员提议支持，另一名审核员确认后才更正用量")),
        FourEyes(Step.APPLICATION_APPROVE, _("批准申请（发放算力券）"), CaseKind.APPLICATION, Mode.SEPARATE, frozenset({Role.APPROVER}),
                 _("批准人不能是受理、审核或要求补充该申请的人")),
        FourEyes(Step.VOUCHER_REVOKE, _("撤销算力券"), CaseKind.VOUCHER, Mode.PROPOSAL, frozenset({Role.FINANCE}),
                 _("一名财务人员提议撤销，另一名财务人员确认")),
        FourEyes(Step.FRAUD_CONFIRM, _("确认骗补"), CaseKind.SPOT_CHECK, Mode.SEPARATE, frozenset({Role.AUDITOR, Role.ADMIN}),
                 _("确认人不能是记录该骗补结论的人")),
        FourEyes(Step.SETTLEMENT_PAY, _("标记结算已付款"), CaseKind.SETTLEMENT, Mode.PROPOSAL, frozenset({Role.FINANCE}),
                 _("一名财务人员登记付款凭证，另一名财务人员核对同一凭证号后确认")),
        FourEyes(Step.ENTERPRISE_REINSTATE, _("恢复企业资格"), CaseKind.ENTERPRISE, Mode.PROPOSAL, frozenset({Role.ADMIN}),
                 _("一名管理员提议恢复，另一名管理员确认")),
        FourEyes(Step.ROLE_GRANT, _("授予工作人员角色"), CaseKind.USER, Mode.PROPOSAL, frozenset({Role.ADMIN}),
                 _("一名管理员提议授予，另一名管理员确认；任何人不能给自己授予角色")),
    )
}
