"""Every write to the enterprise registry: registration and state transitions."""

import re
from dataclasses import dataclass, fields
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import OrganisationKind, Role
from yingdu.accounts.selectors import user_roles
from yingdu.accounts.services import organisation_add_member, organisation_create, user_register
from yingdu.accounts.services_self import IDENTITY_PROOF_REGISTRATION, identity_link
from yingdu.duties.cases import enterprise_case
from yingdu.duties.rules import Step
from yingdu.duties.services import four_eyes, require_independent
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.files import store_upload
from yingdu.rules.uscc import UsccProblem, validate_uscc
from yingdu.transparency.services import log_append, new_commitment_salt

from .events import enterprise_registered_event, state_change_event
from .models import Enterprise, EnterpriseState, EnterpriseStateChange
from .workflow import TRANSITIONS, EnterpriseAction

MSG_USCC = {
    "uscc_length": _("统一社会信用代码应为18位（已忽略空格和连字符）"),
    "uscc_character": _("统一社会信用代码第{position}位“{character}”不是允许的字符（不含 I、O、Z、S、V）"),
    "uscc_check_digit": _("统一社会信用代码校验位不正确：第18位应为“{expected}”，实际为“{character}”"),
}
MSG_USCC_TAKEN = _("该统一社会信用代码已登记")
MSG_REQUIRED = _("请填写{label}")
MSG_PHONE = _("联系电话格式不正确，请填写手机号或带区号的固定电话")
MSG_HAS_ORGANISATION = _("该账户已属于一个机构，不能再登记企业")
MSG_TRANSITION_NOT_ALLOWED = _("当前状态为“{state}”，不能执行“{action}”")
MSG_ROLE_NOT_ALLOWED = _("您的角色不能执行“{action}”")
MSG_REASON_REQUIRED = _("请填写理由")
MSG_HUAIROU_NOT_CONFIRMED = _("请先核实该企业在怀柔区注册，再核验通过")
MSG_VERIFY_OWN_FILING = _("您登记或修改过该企业的信息，按“双人复核”规定不能由您核验，请交由其他工作人员")

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


@dataclass(frozen=True)
class EnterpriseDetails:
    name: str
    uscc: str
    registered_address: str
    legal_representative: str
    contact_name: str
    contact_phone: str


_LABELS = {
    "name": "企业名称", "uscc": "统一社会信用代码", "registered_address": "注册地址",
    "legal_representative": "法定代表人", "contact_name": "联系人", "contact_phone": "联系电话",
}


def uscc_check(raw: str) -> str:
    """The normalised USCC, or a DomainError whose code names the problem."""
    try:
        return validate_uscc(raw)
    except UsccProblem as problem:
        message = MSG_USCC[problem.code]
        raise DomainError(
            str(message).format(position=problem.position, character=problem.character, expected=problem.expected),
            code=problem.code, field="uscc",
            detail={k: v for k, v in {"position": problem.position, "character": problem.character,
                                      "expected": problem.expected}.items() if v is not None},
        ) from None


def _clean_details(details: EnterpriseDetails) -> EnterpriseDetails:
    values = {f.name: (getattr(details, f.name) or "").strip() for f in fields(details)}
    for name, value in values.items():
        if not value:
            raise DomainError(str(MSG_REQUIRED).format(label=_LABELS[name]), code="field_required", field=name)
    values["uscc"] = uscc_check(values["uscc"])
    phone = values["contact_phone"].replace(" ", "")
    if not _PHONE.match(phone):
        raise DomainError(MSG_PHONE, code="phone_invalid", field="contact_phone")
    values["contact_phone"] = phone
    return EnterpriseDetails(**values)


def enterprise_register(*, user, details: EnterpriseDetails, licence, now) -> Enterprise:
    """Register an enterprise for a user who belongs to no organisation yet; it starts pending."""
    details = _clean_details(details)
    if user.organisation_id is not None:
        raise Conflict(MSG_HAS_ORGANISATION, code="already_member")
    if Enterprise.objects.filter(uscc=details.uscc).exists():
        raise Conflict(MSG_USCC_TAKEN, code="uscc_taken", field="uscc")
    stored = store_upload(upload=licence, category="licences")
    try:
        with transaction.atomic():
            organisation = organisation_create(kind=OrganisationKind.ENTERPRISE, name=details.name, now=now)
            organisation_add_member(organisation=organisation, user=user, now=now)
            enterprise = Enterprise.objects.create(
                organisation=organisation, **details.__dict__,
                licence_sha256=stored.sha256, licence_content_type=stored.content_type,
                licence_size=stored.size, licence_filename=(licence.name or "licence")[-200:],
                state=EnterpriseState.PENDING, registered_at=now, registered_by=user,
                commitment_salt=new_commitment_salt(),
            )
            change = EnterpriseStateChange.objects.create(
                enterprise=enterprise, action=EnterpriseAction.REGISTER, from_state="",
                to_state=EnterpriseState.PENDING, actor=user, at=now, effective_on=timezone.localdate(now), reason="",
            )
            log_append(events=[enterprise_registered_event(enterprise, change)], now=now)
    except IntegrityError:
        # Two registrations of one code raced past the check above; the unique index decided.
        user.organisation = None
        raise Conflict(MSG_USCC_TAKEN, code="uscc_taken", field="uscc") from None
    return enterprise


def enterprise_register_with_account(*, username: str, password: str, display_name: str, email: str,
                                     details: EnterpriseDetails, licence, now,
                                     identity: tuple[str, str] | None = None) -> Enterprise:
    """A newcomer's self-registration: the login and the enterprise are created together or not at all; with
    ``identity`` (OpenID Connect issuer and subject) the new login is linked to it in the same transaction."""
    _clean_details(details)
    with transaction.atomic():
        user = user_register(username=username, password=password, display_name=display_name,
                             phone=details.contact_phone, email=email, now=now)
        if identity is not None:
            issuer, subject = identity
            identity_link(user=user, issuer=issuer, subject=subject, proof=IDENTITY_PROOF_REGISTRATION, now=now)
        return enterprise_register(user=user, details=details, licence=licence, now=now)


def _enterprise_transition(*, enterprise: Enterprise, action: EnterpriseAction, actor, reason: str, now,
                           effective_on: date | None = None) -> Enterprise:
    transition = TRANSITIONS[action]
    if not (user_roles(actor) & transition.roles):
        raise Forbidden(str(MSG_ROLE_NOT_ALLOWED).format(action=transition.label), code="role_not_allowed")
    if transition.reason_required and not reason.strip():
        raise DomainError(MSG_REASON_REQUIRED, code="reason_required", field="reason")
    if transition.roles == {Role.ENTERPRISE_MEMBER}:
        if actor.organisation_id != enterprise.organisation_id:
            raise Forbidden(str(MSG_ROLE_NOT_ALLOWED).format(action=transition.label), code="role_not_allowed")
    else:
        require_independent(actor, enterprise_case(enterprise), now=now)
    if action is EnterpriseAction.VERIFY and EnterpriseStateChange.objects.filter(
            enterprise=enterprise, actor=actor,
            action__in=(EnterpriseAction.REGISTER, EnterpriseAction.RESUBMIT)).exists():
        raise Forbidden(MSG_VERIFY_OWN_FILING, code="four_eyes")
    if action is EnterpriseAction.REINSTATE:
        _require_source(Enterprise.objects.get(pk=enterprise.pk), transition)
        return four_eyes(Step.ENTERPRISE_REINSTATE, case=enterprise_case(enterprise), actor=actor, now=now,
                         params={"effective_on": (effective_on or timezone.localdate(now)).isoformat()},
                         reason=reason, execute=lambda entries: _apply_transition(
                             enterprise, transition, actor=actor, reason=reason, now=now,
                             effective_on=effective_on, entries=entries))
    return _apply_transition(enterprise, transition, actor=actor, reason=reason, now=now, effective_on=effective_on)


def _require_source(enterprise: Enterprise, transition) -> None:
    if enterprise.state not in transition.sources:
        raise Conflict(
            str(MSG_TRANSITION_NOT_ALLOWED).format(state=enterprise.get_state_display(), action=transition.label),
            code="transition_not_allowed", detail={"state": enterprise.state, "action": transition.action})


def _apply_transition(enterprise: Enterprise, transition, *, actor, reason: str, now, effective_on: date | None,
                      entries: list[dict] = ()) -> Enterprise:
    action = transition.action
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        _require_source(locked, transition)
        change = EnterpriseStateChange.objects.create(
            enterprise=locked, action=action, from_state=locked.state, to_state=transition.target, actor=actor,
            at=now, effective_on=effective_on or timezone.localdate(now), reason=reason.strip(),
        )
        locked.state = transition.target
        locked.save(update_fields=["state"])
        log_append(events=[*entries, state_change_event(action, change, actor=actor)], now=now)
    return locked


def enterprise_reinstate_confirm(*, proposal, actor, now, note: str = "") -> Enterprise:
    """A second admin confirms a proposed reinstatement (duties.services.proposal_confirm)."""
    enterprise = Enterprise.objects.get(pk=proposal.case_id)
    return enterprise_reinstate(enterprise=enterprise, actor=actor, reason=note.strip() or proposal.reason,
                                effective_on=date.fromisoformat(proposal.params["effective_on"]), now=now)


def enterprise_verify(*, enterprise: Enterprise, actor, huairou_confirmed: bool, now, reason: str = "") -> Enterprise:
    """Staff confirm the Huairou registration: pending → verified."""
    if not huairou_confirmed:
        raise DomainError(MSG_HUAIROU_NOT_CONFIRMED, code="huairou_not_confirmed", field="huairou_confirmed")
    return _enterprise_transition(enterprise=enterprise, action=EnterpriseAction.VERIFY, actor=actor, reason=reason,
                                  now=now)


def enterprise_reject(*, enterprise: Enterprise, actor, reason: str, now) -> Enterprise:
    """Staff refuse verification with a reason: pending → rejected."""
    return _enterprise_transition(enterprise=enterprise, action=EnterpriseAction.REJECT, actor=actor, reason=reason,
                                  now=now)


def enterprise_resubmit(*, enterprise: Enterprise, actor, reason: str, now) -> Enterprise:
    """The enterprise asks again after a rejection, explaining what changed: rejected → pending."""
    return _enterprise_transition(enterprise=enterprise, action=EnterpriseAction.RESUBMIT, actor=actor, reason=reason,
                                  now=now)


def enterprise_disqualify(*, enterprise: Enterprise, actor, reason: str, effective_on: date, now) -> Enterprise:
    """Disqualify from a date with a reason (fraud, false statements)."""
    return _enterprise_transition(enterprise=enterprise, action=EnterpriseAction.DISQUALIFY, actor=actor, reason=reason,
                                  now=now, effective_on=effective_on)


def enterprise_reinstate(*, enterprise: Enterprise, actor, reason: str, effective_on: date, now) -> Enterprise:
    """An admin's dated, reasoned reinstatement: disqualified → verified."""
    return _enterprise_transition(enterprise=enterprise, action=EnterpriseAction.REINSTATE, actor=actor, reason=reason,
                                  now=now, effective_on=effective_on)


def enterprise_transition_by_action(*, enterprise: Enterprise, action: str, actor, reason: str, now,
                                    effective_on: date | None = None, huairou_confirmed: bool = False) -> Enterprise:
    """Dispatch a named action from a page or the API to its service."""
    if action not in TRANSITIONS:
        raise DomainError(_("未知操作"), code="unknown_action", status=404)
    action = EnterpriseAction(action)
    if action is EnterpriseAction.VERIFY:
        return enterprise_verify(enterprise=enterprise, actor=actor, huairou_confirmed=huairou_confirmed, now=now,
                                 reason=reason)
    if action is EnterpriseAction.REJECT:
        return enterprise_reject(enterprise=enterprise, actor=actor, reason=reason, now=now)
    if action is EnterpriseAction.RESUBMIT:
        return enterprise_resubmit(enterprise=enterprise, actor=actor, reason=reason, now=now)
    effective_on = effective_on or timezone.localdate(now)
    if action is EnterpriseAction.DISQUALIFY:
        return enterprise_disqualify(enterprise=enterprise, actor=actor, reason=reason, effective_on=effective_on,
                                     now=now)
    return enterprise_reinstate(enterprise=enterprise, actor=actor, reason=reason, effective_on=effective_on, now=now)
