"""An admin's writes to other people's logins: deactivation and reactivation (role grants are in services.py)."""

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yingdu.actors import is_system
from yingdu.errors import Conflict, Forbidden
from yingdu.transparency.services import log_append

from .events import user_status_changed_event
from .models import AccountStatusChange, User
from .services import admin_change_reason

MSG_DEACTIVATE_SELF = _("管理员不能停用自己的账户")
MSG_ALREADY_INACTIVE = _("该账户已停用")
MSG_ALREADY_ACTIVE = _("该账户未停用")


def user_sessions_end(user: User, *, now) -> int:
    """Delete every unexpired session of the user from the session store; returns how many were ended.

    Django's database session store has no index by user, so the unexpired sessions are decoded one by one; a
    deactivated user is also refused by the authentication backend at the next request (is_active), so a session
    missed here would not sign anyone in.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for session in Session.objects.filter(expire_date__gt=now).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            store(session_key=session.session_key).delete()
            ended += 1
    return ended


def _status_change(*, user: User, is_active: bool, reason: str, actor, now) -> AccountStatusChange:
    reason = admin_change_reason(user=user, actor=actor, reason=reason)
    if not is_active and not is_system(actor) and actor.pk == user.pk:
        raise Forbidden(MSG_DEACTIVATE_SELF, code="user_deactivate_self")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_active == is_active:
            raise Conflict(MSG_ALREADY_ACTIVE if is_active else MSG_ALREADY_INACTIVE,
                           code="user_already_active" if is_active else "user_already_inactive")
        locked.is_active = is_active
        locked.save(update_fields=["is_active"])
        change = AccountStatusChange.objects.create(user=locked, is_active=is_active, at=now, reason=reason,
                                                    actor=None if is_system(actor) else actor)
        log_append(events=[user_status_changed_event(change, actor=actor)], now=now)
        if not is_active:
            # in the same transaction: the sessions come back only if the deactivation itself is rolled back
            user_sessions_end(locked, now=now)
    user.is_active = is_active
    return change


def user_deactivate(*, user: User, reason: str, actor, now) -> AccountStatusChange:
    """Stop a login from signing in, with a reason, and end its sessions at once; an admin cannot deactivate
    themselves."""
    return _status_change(user=user, is_active=False, reason=reason, actor=actor, now=now)


def user_reactivate(*, user: User, reason: str, actor, now) -> AccountStatusChange:
    """Let a deactivated login sign in again, with a reason."""
    return _status_change(user=user, is_active=True, reason=reason, actor=actor, now=now)
