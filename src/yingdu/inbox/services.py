"""Writes of the inbox: notifications created in the transaction of the event they tell of, the e-mail copy of
each (one per recipient, with the link to their notification), read marks."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from .models import Notification

logger = logging.getLogger(__name__)

#: the e-mail subjects' prefix, which the inbox (all of it the platform's) leaves out
EMAIL_SUBJECT_PREFIX = "【影都算力券】"
#: the line that ends every e-mail copy of a notification (e-mails are Chinese, whatever the page language)
EMAIL_LINK_LINE = "在平台上查看此消息：{url}"


@dataclass(frozen=True)
class Message:
    """What one event tells its recipients: the same subject and text in the app and by e-mail.

    ``ref`` names the event (one notification per recipient and ref); ``link`` is the path of the object it is
    about; ``email`` says the inbox itself e-mails it after commit (False where the sending app e-mails it with
    ``notifications_mail``)."""

    kind: str
    ref: str
    subject: str
    body: str
    link: str
    recipients: Sequence = field(default_factory=tuple)
    email: bool = False


def entry_ref(event_type: str, key) -> str:
    """The name of the event a notification tells of: shared by its recipients, used by the e-mail senders."""
    return f"{event_type}:{key}"


def notification_url(notification: Notification) -> str:
    """The absolute address of a notification (for its e-mail), from the SITE_URL setting."""
    return settings.SITE_URL.rstrip("/") + reverse("inbox:detail", args=[notification.pk])


def notifications_create(*, message: Message, log_index: int | None, now: datetime) -> list[Notification]:
    """One notification per recipient (a recipient already told of this event is skipped), in the caller's
    transaction; with ``message.email`` the e-mail copies follow after commit."""
    recipients = {user.pk: user for user in message.recipients if user is not None}
    if not recipients:
        return []
    told = set(Notification.objects.filter(ref=message.ref, recipient_id__in=recipients)
               .values_list("recipient_id", flat=True))
    rows = Notification.objects.bulk_create([
        Notification(recipient=user, kind=message.kind[:60], ref=message.ref[:120], log_index=log_index,
                     subject=message.subject.removeprefix(EMAIL_SUBJECT_PREFIX)[:300], body=message.body,
                     link=message.link[:500], created_at=now)
        for pk, user in sorted(recipients.items()) if pk not in told])
    if message.email:
        transaction.on_commit(lambda: notifications_mail(ref=message.ref, subject=message.subject,
                                                         body=message.body))
    return rows


def notifications_mail(*, ref: str, subject: str, body: str) -> int:
    """E-mail each recipient of an event's notifications its own copy, ending with the link to the notification;
    how many e-mails the mail server accepted (a failure is logged, the others still go)."""
    sent = 0
    notifications = (Notification.objects.filter(ref=ref).exclude(recipient__email="")
                     .select_related("recipient").order_by("pk"))
    for notification in notifications:
        text = f"{body.rstrip()}\n\n{EMAIL_LINK_LINE.format(url=notification_url(notification))}\n"
        try:
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
        except OSError:
            logger.exception("e-mail of notification %s failed", notification.pk)
            continue
        sent += 1
    return sent


def notify(*, message: Message, now: datetime) -> list[Notification]:
    """A message that no log entry records (a platform alert): notifications now, e-mails after commit."""
    with transaction.atomic():
        return notifications_create(message=message, log_index=None, now=now)


def notification_open(*, notification: Notification, now: datetime) -> Notification:
    """The recipient opened it: mark it read (once)."""
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, user, now: datetime) -> int:
    """Mark every unread notification of the user read; how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now)
