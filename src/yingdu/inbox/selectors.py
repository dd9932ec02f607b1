"""Reads of the inbox: a user sees only their own notifications; another's is not found."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yingdu.errors import NotFound

from .models import Notification

MSG_NOT_FOUND = _("消息不存在")


def notifications_of(user) -> QuerySet[Notification]:
    """The user's notifications (none for an anonymous user)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk)


def notification_get(user, notification_id: int) -> Notification:
    """One of the user's notifications; NotFound for anyone else's or a missing one."""
    notification = notifications_of(user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound(MSG_NOT_FOUND, code="notification_not_found")
    return notification


def notifications_unread_count(user) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()
