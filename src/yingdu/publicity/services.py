"""Writes of the public statistics (a snapshot at a checkpoint) and of the 公示 (objections from the public)."""

import hashlib
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yingdu.errors import DomainError
from yingdu.transparency.services import checkpoint_sign, log_append, log_lock, new_commitment_salt

from .models import PublicityObjection, StatisticsSnapshot

MSG_PUBLICITY_OFF = _("本政策版本未开展获批项目公示")
MSG_AWARD_NOT_IN_PUBLICITY = _("该项目不在公示期内")
MSG_SNAPSHOT_NOT_FOUND = _("没有在该日志大小计算的统计")
MSG_CONTACT_INVALID = _("请填写联系方式（电话或电子邮箱，100 字以内）")
MSG_CONTENT_INVALID = _("请填写异议内容（10 至 2000 字）")
MSG_OBJECTION_THROTTLED = _("提交过于频繁，请一小时后再试")

CONTACT_MAX_LENGTH = 100
CONTENT_MIN_LENGTH = 10
CONTENT_MAX_LENGTH = 2000
THROTTLE_SECONDS = 3600


def statistics_snapshot_take(*, now: datetime) -> StatisticsSnapshot:
    """Compute the public figures at a signed checkpoint: under the sequencer lock no entry is appended, and every
    domain row is written in the transaction of its entry, so the rows read here are exactly those of the signed
    tree. Returns the existing snapshot when the log has not grown since."""
    from .selectors import programme_figures

    with transaction.atomic():
        log_lock()
        checkpoint = checkpoint_sign(now=now)  # the latest one when nothing was appended since
        existing = StatisticsSnapshot.objects.filter(tree_size=checkpoint.tree_size).first()
        if existing is not None:
            return existing
        return StatisticsSnapshot.objects.create(tree_size=checkpoint.tree_size,
                                                 root_hash=bytes(checkpoint.root_hash),
                                                 figures=programme_figures(), computed_at=now)


def statistics_snapshot_current(*, now: datetime) -> StatisticsSnapshot:
    """The latest snapshot; the first request on a new installation computes one."""
    from .selectors import statistics_snapshot_latest

    return statistics_snapshot_latest() or statistics_snapshot_take(now=now)


def _throttle_key(client: str) -> str:
    # the client address is never stored: only a keyed digest, in the cache, for an hour
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|publicity|{client}".encode()).hexdigest()
    return f"publicity-objection:{digest}"


def publicity_objection_submit(*, application_id: int, contact: str, content: str, client: str, today,
                               now: datetime) -> PublicityObjection:
    """Record an objection to an award in 公示 (anyone, no account); the contact and text stay off the public log."""
    from .selectors import publicity_award_get, publicity_require_on

    publicity_require_on(today=today)
    award = publicity_award_get(application_id=application_id, today=today)
    contact = (contact or "").strip()
    content = (content or "").strip()
    if not contact or len(contact) > CONTACT_MAX_LENGTH or any(ord(c) < 32 for c in contact):
        raise DomainError(MSG_CONTACT_INVALID, code="objection_contact_invalid", field="contact")
    if not (CONTENT_MIN_LENGTH <= len(content) <= CONTENT_MAX_LENGTH) or "\x00" in content:
        raise DomainError(MSG_CONTENT_INVALID, code="objection_content_invalid", field="content")
    key = _throttle_key(client)
    cache.add(key, 0, THROTTLE_SECONDS)
    if cache.incr(key) > settings.PUBLICITY_OBJECTIONS_PER_HOUR:
        raise DomainError(MSG_OBJECTION_THROTTLED, code="objection_throttled", status=429)
    from .events import objection_submitted_event

    with transaction.atomic():
        objection = PublicityObjection.objects.create(
            application_id=award.application_id, contact=contact, content=content,
            commitment_salt=new_commitment_salt(), submitted_at=now)
        log_append(events=[objection_submitted_event(objection, now=now)], now=now)
    return objection
