"""Every write to users, organisations, roles and two-factor devices."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.actors import SYSTEM, is_system
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.transparency.services import log_append, new_commitment_salt

from .events import (
    member_added_event,
    organisation_created_event,
    role_granted_event,
    role_revoked_event,
    two_factor_enrolled_event,
    two_factor_issued_event,
    two_factor_started_event,
    user_registered_event,
)
from .identity import username_invisible_characters, username_key, username_normalise, username_skeleton
from .models import STAFF_ROLES, Organisation, OrganisationKind, Role, RoleGrant, User
from .selectors import user_roles

MSG_USERNAME_TAKEN = _("该用户名已被使用")
MSG_PASSWORD_WEAK = _("密码强度不足")
MSG_ALREADY_MEMBER = _("该账户已属于一个机构")
MSG_TOTP_INVALID = _("动态验证码不正确或已过期")
MSG_NOT_ADMIN = _("只有系统管理员可以授予角色")
MSG_USERNAME_REQUIRED = _("请输入用户名")
MSG_USERNAME_TOO_LONG = _("用户名过长")
MSG_USERNAME_INVISIBLE = _("用户名不能包含空格、不可见字符或文字方向控制字符")
MSG_USERNAME_CONFUSABLE = _("该用户名与已有用户名形近，容易混淆，请换一个")
MSG_ROLE_UNKNOWN = _("没有这个工作人员角色")
MSG_ROLE_GRANT_SELF = _("管理员不能给自己授予角色")
MSG_REASON_REQUIRED = _("请填写理由")
MSG_MEMBER_CANNOT_BE_STAFF = _("该账户属于企业或算力服务商，不能担任工作人员角色；请另设工作人员账户，或先办理离开该机构")
MSG_STAFF_CANNOT_JOIN = _("工作人员账户不能成为企业或算力服务商的成员；请使用另一个账户")


def _username_checked(raw: str) -> tuple[str, str, str]:
    """The stored form, key and skeleton of a new login name; refuses empty, invisible and over-long names."""
    invisible = username_invisible_characters(raw)
    if invisible:
        raise DomainError(MSG_USERNAME_INVISIBLE, code="username_invalid_characters", field="username",
                          detail={"characters": invisible})
    username = username_normalise(raw)
    if not username:
        raise DomainError(MSG_USERNAME_REQUIRED, code="username_required", field="username")
    if len(username) > User._meta.get_field("username").max_length:
        raise DomainError(MSG_USERNAME_TOO_LONG, code="username_too_long", field="username")
    return username, username_key(username), username_skeleton(username)


def _username_refuse_taken(username: str, key: str, skeleton: str) -> None:
    if User.objects.filter(username_key=key).exists() or User.objects.filter(username=username).exists():
        raise Conflict(MSG_USERNAME_TAKEN, code="username_taken", field="username")
    if User.objects.filter(username_skeleton=skeleton).exists():
        raise Conflict(MSG_USERNAME_CONFUSABLE, code="username_confusable", field="username")


def user_register(*, username: str, password: str, display_name: str = "", phone: str = "",
                  email: str = "", must_change_password: bool = False, now) -> User:
    """Create a login; the password is checked by the configured validators and hashed with Argon2
    (``must_change_password`` when someone else generated it: the user changes it at first login).

    The name is stored NFKC-normalised; one that equals an existing name up to case and width is taken, one that
    looks like an existing name (same TR39 skeleton) is refused as confusable (accounts.identity).
    """
    username, key, skeleton = _username_checked(username)
    _username_refuse_taken(username, key, skeleton)
    user = User(username=username, display_name=display_name.strip(), phone=phone.strip(), email=email.strip(),
                date_joined=now, commitment_salt=new_commitment_salt(), username_key=key, username_skeleton=skeleton,
                must_change_password=must_change_password)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(MSG_PASSWORD_WEAK, code="password_weak", field="password",
                          detail={"reasons": [str(m) for m in error.messages]}) from error
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            # The login name, contact details and password hash stay out of the log: only a commitment to them.
            log_append(events=[user_registered_event(user, now=now)], now=now)
    except IntegrityError:
        # a concurrent registration took the key or the skeleton between the check and the insert
        _username_refuse_taken(username, key, skeleton)
        raise
    return user


def organisation_create(*, kind: OrganisationKind, name: str, now) -> Organisation:
    with transaction.atomic():
        organisation = Organisation.objects.create(kind=kind, name=name.strip(), created_at=now)
        log_append(events=[organisation_created_event(organisation)], now=now)
    return organisation


def organisation_add_member(*, organisation: Organisation, user: User, now) -> User:
    """Attach a user to an organisation; a user belongs to at most one."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.organisation_id is not None and locked.organisation_id != organisation.pk:
            raise Conflict(MSG_ALREADY_MEMBER, code="already_member")
        if RoleGrant.objects.filter(user=locked, revoked_at__isnull=True).exists():
            raise Conflict(MSG_STAFF_CANNOT_JOIN, code="staff_cannot_join")
        locked.organisation = organisation
        locked.save(update_fields=["organisation"])
        log_append(events=[member_added_event(organisation=organisation, user=user, now=now)], now=now)
    user.organisation = organisation
    return user


def _require_admin(actor) -> None:
    if not is_system(actor) and Role.ADMIN not in user_roles(actor):
        raise Forbidden(MSG_NOT_ADMIN, code="role_grant_forbidden")


def admin_change_reason(*, user: User, actor, reason: str) -> str:
    """Shared refusals of an admin's change to an account: not an admin, no reason; returns the stripped reason.
    SYSTEM (the operator's shell) may omit the reason."""
    _require_admin(actor)
    reason = (reason or "").strip()
    if not is_system(actor) and not reason:
        raise DomainError(MSG_REASON_REQUIRED, code="reason_required", field="reason")
    return reason


def role_grant(*, user: User, role: Role, actor, now, reason: str = "") -> RoleGrant:
    """Grant a staff role with a reason: one admin proposes, a second admin confirms (SYSTEM, the operator's shell,
    acts alone). A member of an enterprise or provider never holds a staff role; no one grants a role to themselves.
    """
    from yingdu.duties.cases import user_case
    from yingdu.duties.rules import Step
    from yingdu.duties.services import four_eyes, require_independent

    _require_admin(actor)
    if role not in STAFF_ROLES:
        raise DomainError(MSG_ROLE_UNKNOWN, code="role_unknown", field="role")
    if not is_system(actor) and actor.pk == user.pk:
        raise Forbidden(MSG_ROLE_GRANT_SELF, code="role_grant_self", field="role")
    reason = admin_change_reason(user=user, actor=actor, reason=reason)
    if user.organisation_id is not None:
        raise Conflict(MSG_MEMBER_CANNOT_BE_STAFF, code="member_cannot_be_staff")
    existing = RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).first()
    if existing:
        return existing
    require_independent(actor, user_case(user), now=now)

    def grant_now(entries: list[dict]) -> RoleGrant:
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.organisation_id is not None:
            raise Conflict(MSG_MEMBER_CANNOT_BE_STAFF, code="member_cannot_be_staff")
        grant = RoleGrant.objects.create(user=user, role=role, granted_at=now, grant_reason=reason,
                                         granted_by=None if is_system(actor) else actor)
        log_append(events=[*entries, role_granted_event(grant, actor=actor)], now=now)
        return grant

    grant = four_eyes(Step.ROLE_GRANT, case=user_case(user), actor=actor, now=now, params={"role": str(role)},
                      reason=reason, execute=grant_now)
    user.__dict__.pop("_granted_staff_roles", None)
    return grant


def role_grant_confirm(*, proposal, actor, now, note: str = "") -> RoleGrant:
    """A second admin confirms a proposed role grant (duties.services.proposal_confirm)."""
    user = User.objects.get(pk=proposal.case_id)
    return role_grant(user=user, role=proposal.params["role"], actor=actor, now=now,
                      reason=note.strip() or proposal.reason)


def role_revoke(*, grant: RoleGrant, actor, now, reason: str = "") -> RoleGrant:
    """End a staff role, with a reason; the grant stays as history. Only an admin (or SYSTEM) may revoke."""
    reason = admin_change_reason(user=grant.user, actor=actor, reason=reason)
    with transaction.atomic():
        locked = RoleGrant.objects.select_for_update().get(pk=grant.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = now
        locked.revoked_by = None if is_system(actor) else actor
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        log_append(events=[role_revoked_event(locked, actor=actor)], now=now)
    locked.user.__dict__.pop("_granted_staff_roles", None)
    return locked


def totp_device_start(*, user: User, now) -> TOTPDevice:
    """An unconfirmed TOTP device for enrolment; earlier unconfirmed ones are replaced."""
    with transaction.atomic():
        replaced = list(TOTPDevice.objects.filter(user=user, confirmed=False).values_list("pk", flat=True))
        TOTPDevice.objects.filter(pk__in=replaced).delete()
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
        log_append(events=[two_factor_started_event(device, replaced=replaced, now=now)], now=now)
    return device


def totp_device_confirm(*, device: TOTPDevice, token: str, now) -> TOTPDevice:
    """Confirm enrolment with a first code from the authenticator app."""
    if not device.verify_token(token.strip()):
        raise DomainError(MSG_TOTP_INVALID, code="totp_invalid", field="token")
    device.confirmed = True
    with transaction.atomic():
        device.save(update_fields=["confirmed"])
        log_append(events=[two_factor_enrolled_event(device, now=now)], now=now)
    return device


def totp_device_issue(*, user: User, name: str, actor=SYSTEM, now) -> TOTPDevice:
    """A confirmed TOTP device created by the operator's shell (demo accounts, the first admin), as a log entry."""
    with transaction.atomic():
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        log_append(events=[two_factor_issued_event(device, actor=actor, now=now)], now=now)
    return device


def trusted_actor(user: User) -> User:
    """Mark a user as two-factor verified for operator commands run from the server shell (demo, CLI)."""
    user.is_verified = lambda: True
    return user
