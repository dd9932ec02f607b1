"""Every write a user makes to their own account (password, profile, recovery codes, a new authenticator), and an
admin's reset of another staff member's two-factor."""

import re

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.actors import is_system
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.transparency.services import log_append

from .events_self import (
    RECOVERY_DEVICE_NAME,
    identity_linked_event,
    password_changed_event,
    password_reset_event,
    profile_updated_event,
    recovery_code_used_event,
    recovery_codes_generated_event,
    two_factor_reenrolled_event,
    two_factor_reset_event,
)
from .models import LinkedIdentity, Role, User
from .selectors import user_granted_staff_roles, user_may_use_linked_identity, user_roles
from .services import MSG_PASSWORD_WEAK, MSG_TOTP_INVALID

RECOVERY_CODE_COUNT = 10

MSG_OLD_PASSWORD_WRONG = _("原密码不正确")
MSG_PASSWORD_UNCHANGED = _("新密码不能与原密码相同")
MSG_DISPLAY_NAME_REQUIRED = _("请填写姓名")
MSG_EMAIL_INVALID = _("请输入有效的电子邮箱地址")
MSG_PHONE_INVALID = _("请输入有效的电话号码（数字，可含 +、- 和空格）")
MSG_STAFF_ONLY = _("只有工作人员账户使用恢复码和身份验证器")
MSG_RECOVERY_CODE_INVALID = _("恢复码不正确或已使用")
MSG_RECOVERY_THROTTLED = _("尝试次数过多，请稍等后再试")
MSG_NOT_VERIFIED = _("请先完成双因素认证")
MSG_RESET_ADMIN_ONLY = _("只有系统管理员可以重置他人的双因素认证")
MSG_RESET_OWN = _("不能重置自己的双因素认证，请由另一位系统管理员操作")
MSG_RESET_NOT_STAFF = _("该账户不是工作人员账户")
MSG_IDENTITY_STAFF = _("工作人员账户不能使用统一身份认证登录，请使用用户名、密码和动态验证码登录")
MSG_IDENTITY_TAKEN = _("该统一身份认证账号已关联另一个账户")
MSG_IDENTITY_USER_HAS_ONE = _("该账户已关联另一个统一身份认证账号")

# How the account was proven before an identity was linked to it (the entry's ``proof``).
IDENTITY_PROOF_PASSWORD = "password"
IDENTITY_PROOF_REGISTRATION = "registration"

_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")


def _check_new_password(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(MSG_PASSWORD_WEAK, code="password_weak", field="new_password1",
                          detail={"reasons": [str(m) for m in error.messages]}) from error


def _password_set(*, user: User, new_password: str, event_builder, now) -> User:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(new_password)
        locked.must_change_password = False
        locked.save(update_fields=["password", "must_change_password"])
        log_append(events=[event_builder(locked, now=now)], now=now)
    user.password, user.must_change_password = locked.password, False
    return user


def user_password_change(*, user: User, old_password: str, new_password: str, now) -> User:
    """A user's own new password, given the old one; clears ``must_change_password``."""
    if not user.check_password(old_password):
        raise DomainError(MSG_OLD_PASSWORD_WRONG, code="old_password_wrong", field="old_password")
    if old_password == new_password:
        raise DomainError(MSG_PASSWORD_UNCHANGED, code="password_unchanged", field="new_password1")
    _check_new_password(user, new_password)
    return _password_set(user=user, new_password=new_password, event_builder=password_changed_event, now=now)


def user_password_reset(*, user: User, new_password: str, now) -> User:
    """A new password set through an e-mailed reset link (the link's token was checked by Django's view)."""
    _check_new_password(user, new_password)
    return _password_set(user=user, new_password=new_password, event_builder=password_reset_event, now=now)


def user_profile_update(*, user: User, display_name: str, phone: str, email: str, now) -> User:
    """A user's own display name, phone and e-mail address (e-mail is where password reset links go)."""
    display_name, phone, email = display_name.strip(), phone.strip(), email.strip()
    if not display_name:
        raise DomainError(MSG_DISPLAY_NAME_REQUIRED, code="field_required", field="display_name")
    if phone and not _PHONE.match(phone):
        raise DomainError(MSG_PHONE_INVALID, code="phone_invalid", field="phone")
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            raise DomainError(MSG_EMAIL_INVALID, code="email_invalid", field="email") from error
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if (locked.display_name, locked.phone, locked.email) == (display_name, phone, email):
            return locked
        locked.display_name, locked.phone, locked.email = display_name, phone, email
        locked.save(update_fields=["display_name", "phone", "email"])
        log_append(events=[profile_updated_event(locked, now=now)], now=now)
    user.display_name, user.phone, user.email = display_name, phone, email
    return user


def _require_staff(user: User) -> None:
    if not user_granted_staff_roles(user):
        raise Forbidden(MSG_STAFF_ONLY, code="staff_only")


def _require_verified_staff(user: User) -> None:
    _require_staff(user)
    is_verified = getattr(user, "is_verified", None)
    if not (is_verified and is_verified()):
        raise Forbidden(MSG_NOT_VERIFIED, code="two_factor_required")


def recovery_codes_generate(*, user: User, now) -> list[str]:
    """Ten new one-time recovery codes for a verified staff user, returned once; earlier codes stop working."""
    _require_verified_staff(user)
    with transaction.atomic():
        old = StaticDevice.objects.select_for_update().filter(user=user)
        replaced_devices = list(old.values_list("pk", flat=True))
        replaced_tokens = list(StaticToken.objects.filter(device_id__in=replaced_devices).values_list("pk", flat=True))
        StaticDevice.objects.filter(pk__in=replaced_devices).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        tokens = [StaticToken.objects.create(device=device, token=StaticToken.random_token())
                  for _index in range(RECOVERY_CODE_COUNT)]
        log_append(events=[recovery_codes_generated_event(device, tokens, replaced_devices=replaced_devices,
                                                          replaced_tokens=replaced_tokens, now=now)], now=now)
    return [token.token for token in tokens]


def recovery_code_use(*, user: User, code: str, now) -> StaticDevice:
    """Pass the two-factor step with a recovery code instead of a TOTP code; the code is used up."""
    _require_staff(user)
    code = code.strip().lower().replace(" ", "").replace("-", "")
    device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        raise DomainError(MSG_RECOVERY_CODE_INVALID, code="recovery_code_invalid", field="code")
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise DomainError(MSG_RECOVERY_THROTTLED, code="recovery_code_throttled", field="code")
    with transaction.atomic():
        token = StaticToken.objects.select_for_update().filter(device=device, token=code).first() if code else None
        if token is not None:
            used = StaticToken(pk=token.pk, device_id=token.device_id, token=token.token)
            token.delete()
            remaining = StaticToken.objects.filter(device=device).count()
            log_append(events=[recovery_code_used_event(used, user=user, remaining=remaining, now=now)], now=now)
    if token is None:
        # outside the transaction, so that the failure count stays
        device.throttle_increment()
        raise DomainError(MSG_RECOVERY_CODE_INVALID, code="recovery_code_invalid", field="code")
    device.throttle_reset()
    return device


def totp_device_reenrol(*, user: User, device: TOTPDevice, token: str, now) -> TOTPDevice:
    """Replace a verified staff user's authenticator: confirm the new one with its code, remove the old ones."""
    _require_verified_staff(user)
    if device.confirmed or device.user_id != user.pk:
        raise Conflict(MSG_TOTP_INVALID, code="totp_invalid", field="token")
    if not device.verify_token(token.strip()):
        raise DomainError(MSG_TOTP_INVALID, code="totp_invalid", field="token")
    with transaction.atomic():
        removed = list(TOTPDevice.objects.filter(user_id=device.user_id, confirmed=True).exclude(pk=device.pk)
                       .values_list("pk", flat=True))
        TOTPDevice.objects.filter(pk__in=removed).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        log_append(events=[two_factor_reenrolled_event(device, removed=removed, now=now)], now=now)
    return device


def two_factor_reset(*, user: User, actor, now) -> User:
    """An admin removes another staff user's authenticators and recovery codes; they enrol again at next login."""
    if is_system(actor) or Role.ADMIN not in user_roles(actor):
        raise Forbidden(MSG_RESET_ADMIN_ONLY, code="two_factor_reset_forbidden")
    if actor.pk == user.pk:
        raise Forbidden(MSG_RESET_OWN, code="two_factor_reset_own")
    if not user_granted_staff_roles(user):
        raise DomainError(MSG_RESET_NOT_STAFF, code="not_staff", field="username")
    with transaction.atomic():
        totp_devices = list(TOTPDevice.objects.filter(user=user).values_list("pk", flat=True))
        static_devices = list(StaticDevice.objects.filter(user=user).values_list("pk", flat=True))
        static_tokens = list(StaticToken.objects.filter(device_id__in=static_devices).values_list("pk", flat=True))
        TOTPDevice.objects.filter(pk__in=totp_devices).delete()
        StaticDevice.objects.filter(pk__in=static_devices).delete()
        log_append(events=[two_factor_reset_event(user, actor=actor, totp_devices=totp_devices,
                                                  static_devices=static_devices, static_tokens=static_tokens,
                                                  now=now)], now=now)
    return user


def _identity_refuse_taken(*, user: User, issuer: str, subject: str) -> None:
    if LinkedIdentity.objects.filter(issuer=issuer, subject=subject).exists():
        raise Conflict(MSG_IDENTITY_TAKEN, code="identity_taken")
    if LinkedIdentity.objects.filter(user=user, issuer=issuer).exists():
        raise Conflict(MSG_IDENTITY_USER_HAS_ONE, code="identity_user_has_one")


def identity_link(*, user: User, issuer: str, subject: str, proof: str, now) -> LinkedIdentity:
    """Link an OpenID Connect identity to an account the person has just proven (password or registration); from
    then on the identity signs in as that user. Staff accounts are refused: they keep password and second factor."""
    if proof not in (IDENTITY_PROOF_PASSWORD, IDENTITY_PROOF_REGISTRATION):
        raise ValueError(f"unknown proof {proof!r}")
    if not user_may_use_linked_identity(user):
        raise Forbidden(MSG_IDENTITY_STAFF, code="identity_staff_refused")
    _identity_refuse_taken(user=user, issuer=issuer, subject=subject)
    try:
        with transaction.atomic():
            User.objects.select_for_update().get(pk=user.pk)
            identity = LinkedIdentity.objects.create(user=user, issuer=issuer, subject=subject, linked_at=now)
            log_append(events=[identity_linked_event(identity, proof=proof, now=now)], now=now)
    except IntegrityError:
        # a concurrent link took the identity, or gave this user one, between the check and the insert
        _identity_refuse_taken(user=user, issuer=issuer, subject=subject)
        raise
    return identity
