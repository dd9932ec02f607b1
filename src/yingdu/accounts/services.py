"""Every write to users, organisations, roles and two-factor devices."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.transparency.services import event_time, log_append

from .models import Organisation, OrganisationKind, Role, RoleGrant, User
from .selectors import user_roles

MSG_USERNAME_TAKEN = _("该用户名已被使用")
MSG_PASSWORD_WEAK = _("密码强度不足")
MSG_ALREADY_MEMBER = _("该账户已属于一个机构")
MSG_TOTP_INVALID = _("动态验证码不正确或已过期")
MSG_NOT_ADMIN = _("只有系统管理员可以授予角色")


def user_register(*, username: str, password: str, display_name: str = "", phone: str = "",
                  email: str = "", now) -> User:
    """Create a login; the password is checked by the configured validators and hashed with Argon2."""
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(MSG_USERNAME_TAKEN, code="username_taken", field="username")
    user = User(username=username, display_name=display_name.strip(), phone=phone.strip(), email=email.strip(),
                date_joined=now)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(MSG_PASSWORD_WEAK, code="password_weak", field="password",
                          detail={"reasons": [str(m) for m in error.messages]}) from error
    user.set_password(password)
    with transaction.atomic():
        user.save()
        # The login name and contact details stay out of the log: only the user's id is public.
        log_append(events=[{"type": "accounts.user_registered", "at": event_time(now), "user": user.pk}], now=now)
    return user


def organisation_create(*, kind: OrganisationKind, name: str, now) -> Organisation:
    with transaction.atomic():
        organisation = Organisation.objects.create(kind=kind, name=name.strip(), created_at=now)
        log_append(events=[{"type": "accounts.organisation_created", "at": event_time(now),
                            "organisation": organisation.pk, "kind": organisation.kind,
                            "name": organisation.name}], now=now)
    return organisation


def organisation_add_member(*, organisation: Organisation, user: User, now) -> User:
    """Attach a user to an organisation; a user belongs to at most one."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.organisation_id is not None and locked.organisation_id != organisation.pk:
            raise Conflict(MSG_ALREADY_MEMBER, code="already_member")
        locked.organisation = organisation
        locked.save(update_fields=["organisation"])
        log_append(events=[{"type": "accounts.member_added", "at": event_time(now),
                            "organisation": organisation.pk, "user": user.pk}], now=now)
    user.organisation = organisation
    return user


def role_grant(*, user: User, role: Role, actor: User | None, now) -> RoleGrant:
    """Grant a staff role; only an admin may grant (actor None is the operator's shell, e.g. `yingdu demo`)."""
    if actor is not None and Role.ADMIN not in user_roles(actor):
        raise Forbidden(MSG_NOT_ADMIN, code="role_grant_forbidden")
    existing = RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).first()
    if existing:
        return existing
    with transaction.atomic():
        grant = RoleGrant.objects.create(user=user, role=role, granted_at=now, granted_by=actor)
        log_append(events=[{"type": "accounts.role_granted", "at": event_time(now), "user": user.pk,
                            "role": str(role), "actor": actor.pk if actor else "operator"}], now=now)
    user.__dict__.pop("_granted_staff_roles", None)
    return grant


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed TOTP device for enrolment; earlier unconfirmed ones are replaced."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)


def totp_device_confirm(*, device: TOTPDevice, token: str, now) -> TOTPDevice:
    """Confirm enrolment with a first code from the authenticator app."""
    if not device.verify_token(token.strip()):
        raise DomainError(MSG_TOTP_INVALID, code="totp_invalid", field="token")
    device.confirmed = True
    with transaction.atomic():
        device.save(update_fields=["confirmed"])
        log_append(events=[{"type": "accounts.two_factor_enrolled", "at": event_time(now),
                            "user": device.user_id}], now=now)
    return device


def trusted_actor(user: User) -> User:
    """Mark a user as two-factor verified for operator commands run from the server shell (demo, CLI)."""
    user.is_verified = lambda: True
    return user
