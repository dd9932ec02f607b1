"""Writes of the public statistics (a snapshot at a checkpoint) and of the 公示: objections from the public, their
decision by a reviewer, and the issuance of proposed awards whose 公示 ended."""

import hashlib
import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_roles
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.transparency.services import checkpoint_sign, log_append, log_lock, new_commitment_salt

from .models import ObjectionDecision, PublicityObjection, StatisticsSnapshot

logger = logging.getLogger(__name__)

MSG_PUBLICITY_OFF = _("本政策版本未开展获批项目公示")
MSG_AWARD_NOT_IN_PUBLICITY = _("该项目不在公示期内")
MSG_SNAPSHOT_NOT_FOUND = _("没有在该日志大小计算的统计")
MSG_CONTACT_INVALID = _("请填写联系方式（电话或电子邮箱，100 字以内）")
MSG_CONTENT_INVALID = _("请填写异议内容（10 至 2000 字）")
MSG_OBJECTION_THROTTLED = _("提交过于频繁，请一小时后再试")
MSG_OBJECTION_NOT_FOUND = _("未找到该公示异议")
MSG_DECIDE_ROLE = _("只有审核员可以处理公示异议")
MSG_DECISION_INVALID = _("请选择处理结果：异议成立或异议不成立")
MSG_DECISION_REASON = _("请填写处理理由（2000 字以内）")
MSG_DECISION_INSIDER = _("您审核或批准过该申请，按职责分离规定不能处理对其拟支持的异议，请交由其他审核员")
MSG_ALREADY_DECIDED = _("该异议已处理，不能重复处理")
MSG_RETURN_REASON = _("公示异议 #{number} 成立：{reason}")

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


def publicity_objection_decide(*, objection: PublicityObjection, decision: str, reason: str, actor,
                               now: datetime) -> PublicityObjection:
    """A reviewer who neither reviewed nor approved the case decides an objection to a proposed award: upheld
    withdraws the award and returns the application to review (the clock resumes); dismissed lets it proceed to
    issuance when its 公示 ends. Each decision is a log entry; an objection is decided once."""
    from yingdu.applications.models import Application, ApplicationStatus
    from yingdu.applications.publicity import application_publicity_return
    from yingdu.applications.workflow import INSIDER_ACTIONS
    from yingdu.duties.cases import application_case
    from yingdu.duties.services import require_independent

    from .events import objection_decided_event

    if Role.REVIEWER not in user_roles(actor):
        raise Forbidden(MSG_DECIDE_ROLE, code="role_not_allowed")
    if decision not in ObjectionDecision.values:
        raise DomainError(MSG_DECISION_INVALID, code="objection_decision_invalid", field="decision")
    reason = (reason or "").strip()
    if not reason or len(reason) > CONTENT_MAX_LENGTH or "\x00" in reason:
        raise DomainError(MSG_DECISION_REASON, code="reason_required", field="reason")
    application = objection.application
    require_independent(actor, application_case(application), now=now)
    if application.transitions.filter(actor=actor, action__in=INSIDER_ACTIONS).exists():
        raise Forbidden(MSG_DECISION_INSIDER, code="publicity_objection_insider")
    with transaction.atomic():
        locked = PublicityObjection.objects.select_for_update().get(pk=objection.pk)
        if locked.decision:
            raise Conflict(MSG_ALREADY_DECIDED, code="publicity_objection_decided",
                           detail={"decision": locked.decision})
        locked.decision = decision
        locked.decision_reason = reason
        locked.decided_by = actor
        locked.decided_at = now
        locked.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
        log_append(events=[objection_decided_event(locked, now=now)], now=now)
        # the cause, then its effect: the award is withdrawn only if it is still proposed (another objection may
        # have been upheld first)
        current = Application.objects.select_for_update().get(pk=application.pk)
        if decision == ObjectionDecision.UPHELD and current.status == ApplicationStatus.PUBLICITY:
            application_publicity_return(
                application=current, actor=actor, objection_id=locked.pk, now=now,
                reason=str(MSG_RETURN_REASON).format(number=locked.pk, reason=reason))
    return locked


def publicity_award_issue(*, application_id: int, now: datetime) -> bool:
    """Issue one proposed award whose 公示 ended (the day after its last working day, Beijing time) if no objection
    to it is open; False when it is not (yet) due. Under the application's row lock: one run issues it once."""
    from yingdu.applications.models import Application, ApplicationStatus
    from yingdu.applications.publicity import application_publicity_conclude, application_publicity_ends_on

    today = timezone.localdate(now)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application_id)
        if locked.status != ApplicationStatus.PUBLICITY:
            return False
        ends_on = application_publicity_ends_on(locked)
        if ends_on is None or today <= ends_on:
            return False
        if locked.publicity_objections.filter(decision="").exists():
            return False
        application_publicity_conclude(application=locked, now=now)
    return True


def publicity_awards_issue(*, now: datetime) -> int:
    """The worker's run: issue every proposed award whose 公示 has ended without an open or upheld objection; an
    award that cannot be issued now (e.g. the year's budget) is logged and tried again on the next run."""
    from .selectors import publicity_proposed_ids

    issued = 0
    for application_id in publicity_proposed_ids():
        try:
            issued += publicity_award_issue(application_id=application_id, now=now)
        except DomainError as error:
            logger.warning("proposed award %s not issued: %s", application_id, error.code)
    return issued
