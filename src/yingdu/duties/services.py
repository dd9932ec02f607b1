"""Separation of duties, enforced here for every staff step: conflict of interest, recusal and four eyes.

A staff action service calls, after its role check, ``require_independent(actor, case, now=)``; a four-eyes step of
``PROPOSAL`` mode then runs its write through ``four_eyes(...)``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Organisation, User
from yingdu.actors import is_system
from yingdu.errors import Conflict, DomainError, Forbidden, SecondPersonRequired
from yingdu.transparency.services import log_append

from .events import membership_ended_event, proposal_decided_event, proposed_event, recusal_declared_event
from .models import PastMembership, Proposal, ProposalStatus, Recusal
from .rules import CASE_KIND_LABELS, FOUR_EYES, CaseKind, Step
from .selectors import user_linked_organisation_ids

MSG_CONFLICT = _("您与本{kind}涉及的机构“{organisation}”存在关联（现任或近期任职），按回避规定不能办理，请交由其他工作人员")
MSG_RECUSED = _("您已声明对本{kind}回避，不能办理")
MSG_SELF = _("不能对涉及您本人账户的事项进行操作")
MSG_SAME_PERSON = _("该操作由您提议，按“双人复核”规定须由另一名工作人员确认")
MSG_PROPOSAL_DIFFERS = _("已有待确认的提议，内容与本次操作不同：请在“待复核”中确认或驳回该提议")
MSG_PROPOSED = _("已提交“{step}”的提议，须由另一名工作人员确认后生效")
MSG_PROPOSAL_CLOSED = _("该提议已处理，不能再操作")
MSG_NOT_PROPOSER = _("只有提议人可以撤回提议")
MSG_REASON_REQUIRED = _("请填写理由")
MSG_ALREADY_RECUSED = _("您已对本{kind}声明回避")
MSG_NOT_MEMBER = _("该账户不属于任何机构")


@dataclass(frozen=True)
class Case:
    """A case a staff member acts on: what it is, and the organisations (enterprises, providers) it involves."""

    kind: CaseKind
    id: int
    organisation_ids: frozenset[int] = frozenset()
    user_id: int | None = None  # a case about one person's account (a role grant): that person cannot act on it

    @property
    def label(self) -> str:
        return str(CASE_KIND_LABELS[self.kind])


def _reason(text: str, max_length: int = 2000) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(MSG_REASON_REQUIRED, code="reason_required", field="reason")
    if len(text) > max_length:
        raise DomainError(_("理由过长"), code="reason_too_long", field="reason")
    return text


def require_independent(actor, case: Case, *, now: datetime) -> None:
    """Refuse a staff member linked to an organisation of the case (now or within the look-back), or recused."""
    if is_system(actor) or actor is None:
        return
    if case.user_id is not None and case.user_id == actor.pk:
        raise Forbidden(MSG_SELF, code="own_account", detail={"case_kind": case.kind, "case_id": case.id})
    linked = user_linked_organisation_ids(actor, today=timezone.localdate(now)) & case.organisation_ids
    if linked:
        organisation = Organisation.objects.filter(pk__in=linked).order_by("pk").first()
        raise Forbidden(str(MSG_CONFLICT).format(kind=case.label, organisation=organisation.name),
                        code="conflict_of_interest",
                        detail={"case_kind": case.kind, "case_id": case.id, "organisation_ids": sorted(linked)})
    if Recusal.objects.filter(user=actor, case_kind=case.kind, case_id=case.id).exists():
        raise Forbidden(str(MSG_RECUSED).format(kind=case.label), code="recused",
                        detail={"case_kind": case.kind, "case_id": case.id})


def recusal_declare(*, actor: User, case: Case, reason: str, now: datetime) -> Recusal:
    """A staff member declares that they will not act on a case (回避); it cannot be withdrawn."""
    reason = _reason(reason)
    try:
        with transaction.atomic():
            recusal = Recusal.objects.create(user=actor, case_kind=case.kind, case_id=case.id, reason=reason,
                                             declared_at=now)
            log_append(events=[recusal_declared_event(recusal, now=now)], now=now)
    except IntegrityError:
        raise Conflict(str(MSG_ALREADY_RECUSED).format(kind=case.label), code="already_recused") from None
    return recusal


def membership_end(*, user: User, reason: str, actor, now: datetime) -> PastMembership:
    """A user leaves their organisation (e.g. before joining the programme staff); the link is kept for conflicts."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.organisation_id is None:
            raise Conflict(MSG_NOT_MEMBER, code="not_a_member")
        past = PastMembership.objects.create(user=locked, organisation_id=locked.organisation_id, ended_at=now,
                                             ended_by=None if is_system(actor) else actor, reason=reason)
        locked.organisation = None
        locked.save(update_fields=["organisation"])
        log_append(events=[membership_ended_event(past, actor=actor, now=now)], now=now)
    user.organisation = None
    user.organisation_id = None
    return past


def four_eyes(step: Step, *, case: Case, actor, now: datetime, params: dict, reason: str,
              execute: Callable[[list[dict]], object]):
    """Run a four-eyes step: the first call records a proposal (and raises SecondPersonRequired after it is
    committed); a call by a different person for the same step, case and parameters confirms it and runs
    ``execute(entries)``, where ``entries`` (the confirmation) must be appended before the step's own entry.

    The operator's shell (SYSTEM) acts alone: its entries name it, and it is not a member of staff.
    """
    rule = FOUR_EYES[step]
    if is_system(actor):
        with transaction.atomic():
            return execute([])
    reason = (reason or "").strip()
    with transaction.atomic():
        pending = (Proposal.objects.select_for_update()
                   .filter(step=step, case_kind=case.kind, case_id=case.id, status=ProposalStatus.PENDING).first())
        if pending is not None:
            if pending.proposed_by_id == actor.pk:
                raise Conflict(MSG_SAME_PERSON, code="four_eyes_same_person", detail={"proposal": pending.pk})
            if pending.params != params:
                raise Conflict(MSG_PROPOSAL_DIFFERS, code="proposal_differs",
                               detail={"proposal": pending.pk, "proposed": pending.params})
            pending.status = ProposalStatus.CONFIRMED
            pending.decided_by = actor
            pending.decided_at = now
            pending.decision_note = reason
            pending.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
            return execute([proposal_decided_event(pending, now=now)])
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(step=step, case_kind=case.kind, case_id=case.id, params=params,
                                                   reason=reason, proposed_by=actor, proposed_at=now)
        except IntegrityError:
            raise Conflict(MSG_PROPOSAL_DIFFERS, code="proposal_differs") from None
        log_append(events=[proposed_event(proposal, now=now)], now=now)
    raise SecondPersonRequired(str(MSG_PROPOSED).format(step=rule.label),
                               detail={"proposal": proposal.pk, "step": str(step)})


# The service that confirms each proposal kind, as "module:function(proposal, actor, now)".
CONFIRMERS = {
    Step.VOUCHER_REVOKE: "yingdu.vouchers.services:voucher_revoke_confirm",
    Step.SETTLEMENT_PAY: "yingdu.vouchers.services:settlement_pay_confirm",
    Step.ENTERPRISE_REINSTATE: "yingdu.enterprises.services:enterprise_reinstate_confirm",
    Step.ROLE_GRANT: "yingdu.accounts.services:role_grant_confirm",
    Step.OBJECTION_UPHOLD: "yingdu.notices.services:objection_uphold_confirm",
}


def proposal_confirm(*, proposal: Proposal, actor, now: datetime, note: str = ""):
    """A second person confirms a pending proposal: the step's own service runs with the proposal's parameters."""
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict(MSG_PROPOSAL_CLOSED, code="proposal_closed")
    module, name = CONFIRMERS[Step(proposal.step)].split(":")
    return getattr(import_module(module), name)(proposal=proposal, actor=actor, now=now, note=note)


def proposal_refuse(*, proposal: Proposal, actor, note: str, now: datetime) -> Proposal:
    """A second person refuses a proposal (with a reason), or its proposer withdraws it."""
    note = _reason(note)
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status != ProposalStatus.PENDING:
            raise Conflict(MSG_PROPOSAL_CLOSED, code="proposal_closed")
        locked.status = (ProposalStatus.WITHDRAWN if locked.proposed_by_id == actor.pk
                         else ProposalStatus.REFUSED)
        locked.decided_by = actor
        locked.decided_at = now
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        log_append(events=[proposal_decided_event(locked, now=now)], now=now)
    return locked
