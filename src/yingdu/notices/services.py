"""Every write to data notices and objections: issue, deliver, file, decide; each step logged, the enterprise told."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.selectors import organisation_members, user_roles, user_staff_roles
from yingdu.actors import SYSTEM, actor_user_id
from yingdu.documents.models import DocumentKind
from yingdu.documents.services import document_number_issue
from yingdu.duties.cases import work_case
from yingdu.duties.services import require_independent
from yingdu.errors import Conflict, DomainError, Forbidden, NotFound
from yingdu.files import store_upload
from yingdu.inbox.services import Message, entry_ref, notifications_mail, notify
from yingdu.metering.corrections import usage_record_effective_quantity
from yingdu.metering.records import MAX_QUANTITY, QUANTITY_DECIMALS
from yingdu.policy.selectors import DeadlineMove, policy_version_require_in_force, work_calendar
from yingdu.rules.workdays import CalendarYearMissing
from yingdu.transparency.canonical import canonical_json
from yingdu.transparency.services import checkpoint_ensure_current, log_append

from .events import (
    notice_deadline_recomputed_event,
    notice_deferred_event,
    notice_delivered_event,
    notice_issued_event,
    notice_pending_issued_event,
    objection_evidence_added_event,
    objection_filed_event,
)
from .models import (
    DataNotice,
    DeliveryChannel,
    Objection,
    ObjectionClaim,
    ObjectionEvidence,
    PendingNotice,
)
from .selectors import (
    MSG_NOTICE_NOT_FOUND,
    SHANGHAI,
    notice_is_for_member,
    notice_open_objection,
    notice_records_for,
    notice_sku_totals,
    notice_supplements_pending,
    period_bounds,
    work_first_notice,
    work_unnoticed_records,
    yuan_display,
)
from .workflow import NOTICE_ISSUE_ROLES

logger = logging.getLogger(__name__)

EVIDENCE_CATEGORY = "objections"

MSG_ISSUE_ROLE = _("只有审核员、审计员或系统管理员可以出具数据告知书")
MSG_PERIOD_ORDER = _("期间结束日期不能早于开始日期")
MSG_PERIOD_FUTURE = _("期间结束日期不能晚于今天")
MSG_NOT_MEMBER = _("只有该企业的成员可以对告知书提出异议")
MSG_OBJECTION_LATE = _("异议期已于 {deadline} 结束（告知书送达后第 {days} 个工作日），逾期提出的异议不予受理")
MSG_OBJECTION_OPEN = _("该告知书已有一项待处理的异议，请等待处理结果")
MSG_EXPLANATION_REQUIRED = _("请填写书面说明")
MSG_EVIDENCE_REQUIRED = _("请上传至少一份证明材料")
MSG_CLAIM_RECORD = _("用量记录 {record} 不在本告知书中，或是一条更正记录")
MSG_CLAIM_REPEATED = _("同一条用量记录只能主张一次")
MSG_CLAIM_QUANTITY = _("主张的数量必须是不小于 0 的十进制数，最多 6 位小数")
MSG_CLAIM_UNCHANGED = _("用量记录 {record} 主张的数量与现有数量相同")


MSG_CALENDAR_PENDING = _("告知书的异议期截止日将落在 {year} 年，而该年的官方放假安排尚未发布，暂不能出具；"
                         "日历发布后由平台自动出具")


MSG_NOTHING_TO_SUPPLEMENT = _("该作品所有计入补贴的用量记录均已告知企业，无需出具补充告知书")


class NothingToSupplement(Conflict):
    """Every record that counts for the work is on one of its notices already."""

    code = "notice_nothing_to_supplement"

    def __init__(self):
        super().__init__(MSG_NOTHING_TO_SUPPLEMENT)


class NoticeCalendarPending(DomainError):
    """A notice's objection deadline cannot be stated on the official calendar yet."""

    code = "notice_calendar_pending"
    status = 409

    def __init__(self, year: int):
        super().__init__(str(MSG_CALENDAR_PENDING).format(year=year), detail={"year": year})
        self.year = year


@dataclass(frozen=True)
class ObjectionWindow:
    deadline_on: date
    working_days: int
    policy_version: str
    # the deadline rests on a provisional calendar year (预计): shown as such and never enforced
    provisional: bool = False


def objection_deadline_on(*, delivered_on: date, working_days: int) -> tuple[date, bool]:
    """The Nth working day after delivery (start day not counted) and whether it rests on a provisional year."""
    calendar = work_calendar()
    deadline_on = calendar.add_working_days(start_on=delivered_on, working_days=working_days)
    return deadline_on, calendar.is_provisional(delivered_on, deadline_on)


def objection_window_for(*, delivered_on: date) -> ObjectionWindow:
    """The objection deadline for a delivery date, N working days from the policy in force on that date. A year
    with only a provisional calendar gives a provisional deadline; a year with none raises, never guesses."""
    policy = policy_version_require_in_force(on=delivered_on)
    days = policy.objection_window_working_days
    deadline_on, provisional = objection_deadline_on(delivered_on=delivered_on, working_days=days)
    return ObjectionWindow(deadline_on=deadline_on, working_days=days, policy_version=policy.version_id,
                           provisional=provisional)


def _official_window_or_raise(today: date) -> ObjectionWindow:
    try:
        window = objection_window_for(delivered_on=today)
    except CalendarYearMissing as missing:
        raise NoticeCalendarPending(missing.year) from None
    if window.provisional:
        raise NoticeCalendarPending(window.deadline_on.year)
    return window


def _local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def data_notice_issue(*, work, period_start_on: date, period_end_on: date, actor, now: datetime,
                      supplements: DataNotice | None = None) -> DataNotice:
    """Issue a usage statement for a work and period from a freshly signed checkpoint, then e-mail it. With
    ``supplements`` it is a supplementary notice (补充告知书): it lists only the records that count for the work and
    are on none of its notices yet, with an objection window of its own.

    ``actor=SYSTEM`` is the platform itself (e.g. the applications flow). Call outside a transaction: the e-mail is
    sent once the notice is stored.
    """
    if actor is not SYSTEM and not (user_roles(actor) & NOTICE_ISSUE_ROLES):
        raise Forbidden(MSG_ISSUE_ROLE, code="role_not_allowed")
    require_independent(actor, work_case(work), now=now)
    if period_end_on < period_start_on:
        raise DomainError(MSG_PERIOD_ORDER, code="notice_period_invalid", field="period_end_on")
    if period_end_on > _local_date(now):
        raise DomainError(MSG_PERIOD_FUTURE, code="notice_period_future", field="period_end_on")
    # A notice states its objection deadline: it is issued only when that deadline is on the official calendar
    # (NoticeCalendarPending otherwise; data_notice_request queues it). No policy in force is an error.
    _official_window_or_raise(_local_date(now))
    checkpoint = checkpoint_ensure_current(now=now)
    with transaction.atomic():
        select = notice_records_for if supplements is None else work_unnoticed_records
        records = list(select(work=work, start_on=period_start_on, end_on=period_end_on,
                              tree_size=checkpoint.tree_size).values_list("pk", "log_index", "cost_microfen"))
        log_indexes = [log_index for _pk, log_index, _cost in records]
        notice = DataNotice.objects.create(
            enterprise_id=work.enterprise_id, work=work, period_start_on=period_start_on,
            period_end_on=period_end_on, record_count=len(records),
            cost_microfen=sum(cost for _pk, _index, cost in records),
            records_sha256=hashlib.sha256(canonical_json(log_indexes)).hexdigest(),
            checkpoint_tree_size=checkpoint.tree_size, checkpoint_root_hash=bytes(checkpoint.root_hash),
            issued_at=now, issued_by_id=actor_user_id(actor), supplements=supplements)
        DataNotice.records.through.objects.bulk_create(
            [DataNotice.records.through(datanotice_id=notice.pk, usagerecord_id=pk) for pk, _i, _c in records],
            batch_size=2000)
        quantities = [{"provider": t.provider, "sku": t.sku, "quantity": format(t.quantity, "f"),
                       "cost_microfen": t.cost_microfen} for t in notice_sku_totals(notice)]
        document = document_number_issue(kind=DocumentKind.DATA_NOTICE, subject_id=notice.pk, now=now)
        log_append(events=[notice_issued_event(notice, quantities=quantities, log_indexes=log_indexes,
                                               actor=actor, document=document)], now=now)
    data_notice_email(notice=notice, now=now)
    notice.refresh_from_db()
    return notice


def data_notice_deliver(*, notice: DataNotice, channel: str, now: datetime, viewer=None) -> DataNotice:
    """Record the notice's delivery once (the first e-mail sent or the first showing to a member) and its
    objection deadline; later calls change nothing."""
    if notice.delivered_at is not None:
        return notice
    with transaction.atomic():
        locked = DataNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.delivered_at is not None:
            return locked
        window = objection_window_for(delivered_on=_local_date(now))
        locked.delivered_at, locked.delivered_via = now, channel
        locked.objection_window_working_days = window.working_days
        locked.objection_policy_version = window.policy_version
        locked.objection_deadline_on = window.deadline_on
        locked.objection_deadline_provisional = window.provisional
        locked.save(update_fields=["delivered_at", "delivered_via", "objection_window_working_days",
                                   "objection_policy_version", "objection_deadline_on",
                                   "objection_deadline_provisional"])
        log_append(events=[notice_delivered_event(locked, viewer=viewer, now=now)], now=now)
    return locked


def _send_notified(*, ref: str, subject: str, template: str, context: dict) -> bool:
    """E-mail each recipient of the event's in-app notifications their copy (with its link); False when none went."""
    return notifications_mail(ref=ref, subject=subject, body=render_to_string(template, context)) > 0


def _send_to_organisation(*, organisation_id: int, kind: str, ref: str, subject: str, template: str, context: dict,
                          link: str, now: datetime) -> bool:
    """A message that no entry of its own records: the members' notifications, then their e-mails."""
    body = render_to_string(template, context)
    notify(message=Message(kind=kind, ref=ref, subject=subject, body=body, link=link,
                           recipients=organisation_members(organisation_id)), now=now)
    return notifications_mail(ref=ref, subject=subject, body=body) > 0


def data_notice_email(*, notice: DataNotice, now: datetime) -> bool:
    """E-mail the notice to the enterprise's registered contacts; a successful send delivers it."""
    window = (ObjectionWindow(notice.objection_deadline_on, notice.objection_window_working_days,
                              notice.objection_policy_version)
              if notice.delivered_at else objection_window_for(delivered_on=_local_date(now)))
    with translation.override(settings.LANGUAGE_CODE):  # e-mails are Chinese, whatever the sender's page language
        sent = _send_notified(ref=entry_ref("notices.issued", notice.pk),
                              subject=f"【影都算力券】用量数据告知书（{notice.work.title}）", template="notices/email/notice_issued.txt", context={
                         "notice": notice, "window": window, "cost_yuan": yuan_display(notice.cost_microfen),
                         "totals": notice_sku_totals(notice)})
    if sent:
        data_notice_deliver(notice=notice, channel=DeliveryChannel.EMAIL, now=now)
    return sent


def data_notice_show_to(*, notice: DataNotice, user, now: datetime) -> DataNotice:
    """A member of the enterprise is shown the notice: the first showing delivers it (in-app)."""
    if notice.delivered_at is None and notice_is_for_member(user, notice):
        return data_notice_deliver(notice=notice, channel=DeliveryChannel.IN_APP, now=now, viewer=user)
    return notice


def _parse_quantity(text) -> Decimal:
    text = str(text).strip()
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        quantity = None
    if (quantity is None or not quantity.is_finite() or "e" in text.lower() or quantity < 0
            or quantity.as_tuple().exponent < -QUANTITY_DECIMALS or quantity >= MAX_QUANTITY):
        raise DomainError(MSG_CLAIM_QUANTITY, code="claim_quantity_invalid", field="claims")
    return quantity


def _parse_claims(notice: DataNotice, claims) -> list[tuple[object, Decimal]]:
    records = {r.pk: r for r in notice.records.filter(pk__in=[pk for pk, _q in claims], corrects__isnull=True)}
    parsed, seen = [], set()
    for record_pk, quantity_text in claims:
        record = records.get(record_pk)
        if record is None:
            raise DomainError(str(MSG_CLAIM_RECORD).format(record=record_pk), code="claim_record_invalid",
                              field="claims", detail={"record": record_pk})
        if record_pk in seen:
            raise DomainError(MSG_CLAIM_REPEATED, code="claim_repeated", field="claims", detail={"record": record_pk})
        seen.add(record_pk)
        quantity = _parse_quantity(quantity_text)
        if quantity == usage_record_effective_quantity(record):
            raise DomainError(str(MSG_CLAIM_UNCHANGED).format(record=record_pk), code="claim_unchanged",
                              field="claims", detail={"record": record_pk})
        parsed.append((record, quantity))
    return parsed


def review_clocks_refresh(notice, *, now: datetime) -> None:
    """An objection pauses the review clock of the work's open applications while it is open (stored for the
    queue): refresh them when it is filed or decided."""
    from yingdu.applications.services import applications_sla_refresh_for_work

    applications_sla_refresh_for_work(work_id=notice.work_id, today=_local_date(now))


def objection_file(*, notice: DataNotice, explanation: str, evidence: list, claims: list[tuple[int, str]],
                   actor, now: datetime) -> Objection:
    """A member of the enterprise objects to a notice within its window, with a written explanation, evidence
    files and optionally the records it disputes with the quantities it says are right."""
    if not notice_is_for_member(actor, notice):
        if user_staff_roles(actor):
            raise Forbidden(MSG_NOT_MEMBER, code="not_enterprise_member")
        raise NotFound(MSG_NOTICE_NOT_FOUND, code="notice_not_found")
    notice = data_notice_show_to(notice=notice, user=actor, now=now)
    # a provisional deadline is never held against the enterprise (DESIGN §5)
    if not notice.objection_deadline_provisional and _local_date(now) > notice.objection_deadline_on:
        raise DomainError(
            str(MSG_OBJECTION_LATE).format(deadline=notice.objection_deadline_on.isoformat(),
                                           days=notice.objection_window_working_days),
            code="objection_late", status=409,
            detail={"objection_deadline_on": notice.objection_deadline_on.isoformat()})
    if not explanation.strip():
        raise DomainError(MSG_EXPLANATION_REQUIRED, code="objection_explanation_required", field="explanation")
    if not evidence:
        raise DomainError(MSG_EVIDENCE_REQUIRED, code="objection_evidence_required", field="evidence")
    parsed_claims = _parse_claims(notice, claims)
    stored = [(store_upload(upload=upload, category=EVIDENCE_CATEGORY), upload) for upload in evidence]
    with transaction.atomic():
        DataNotice.objects.select_for_update().get(pk=notice.pk)
        if notice_open_objection(notice) is not None:
            raise Conflict(MSG_OBJECTION_OPEN, code="objection_already_open")
        objection = Objection.objects.create(notice=notice, explanation=explanation.strip(), filed_at=now,
                                             filed_by=actor)
        evidence_rows = [
            ObjectionEvidence.objects.create(objection=objection, sha256=file.sha256, content_type=file.content_type,
                                             size=file.size, filename=(upload.name or "evidence")[:200])
            for file, upload in stored]
        claim_rows = [ObjectionClaim.objects.create(objection=objection, record=record, claimed_quantity=quantity)
                      for record, quantity in parsed_claims]
        log_append(events=[objection_filed_event(objection, evidence=evidence_rows, claims=claim_rows, actor=actor),
                           *(objection_evidence_added_event(row, now=now) for row in evidence_rows)], now=now)
        review_clocks_refresh(notice, now=now)
    return objection


def data_notice_request(*, work, period_start_on: date, period_end_on: date, actor, now: datetime,
                        supplements: DataNotice | None = None) -> DataNotice | PendingNotice:
    """Issue a data notice now, or, when its objection deadline would rest on a year without an official calendar,
    queue it as owed (one per work and period) so that it is issued as soon as the calendar allows."""
    try:
        return data_notice_issue(work=work, period_start_on=period_start_on, period_end_on=period_end_on,
                                 actor=actor, now=now, supplements=supplements)
    except NoticeCalendarPending as pending:
        reason = str(pending.message)
    with transaction.atomic():
        existing = PendingNotice.objects.select_for_update().filter(
            work=work, period_start_on=period_start_on, period_end_on=period_end_on, notice__isnull=True,
            supplements=supplements).first()
        if existing is not None:
            return existing
        owed = PendingNotice.objects.create(
            enterprise_id=work.enterprise_id, work=work, period_start_on=period_start_on, period_end_on=period_end_on,
            reason=reason[:200], requested_at=now, requested_by_id=actor_user_id(actor), supplements=supplements)
        log_append(events=[notice_deferred_event(owed, actor=actor)], now=now)
    return owed


def data_notice_supplement(*, work, actor, now: datetime) -> DataNotice | PendingNotice | None:
    """Tell the enterprise of the records that came to count for the work after its notice (a quarantined record
    attributed to it, a provider's late record): a supplementary notice over the production window up to today,
    with its own objection window, or queued as owed like any notice. Nothing when every counted record was told,
    or when the work has no notice yet (its first notice will list everything)."""
    if actor is not SYSTEM and not (user_roles(actor) & NOTICE_ISSUE_ROLES):
        raise Forbidden(MSG_ISSUE_ROLE, code="role_not_allowed")
    first = work_first_notice(work)
    end_on = min(work.production_end_on, _local_date(now))
    if (first is None or end_on < work.production_start_on
            or not work_unnoticed_records(work, end_on=end_on).exists()):
        return None
    if notice_supplements_pending(work):
        return None  # one owed supplement lists, when issued, every record not told by then
    return data_notice_request(work=work, period_start_on=work.production_start_on, period_end_on=end_on,
                               actor=actor, now=now, supplements=first)


def data_notices_issue_pending(*, now: datetime) -> list[DataNotice]:
    """Issue every owed notice whose objection deadline the official calendar can now state (the platform acts)."""
    issued = []
    for owed in PendingNotice.objects.filter(notice__isnull=True).select_related("work", "supplements").order_by("id"):
        try:
            notice = data_notice_issue(work=owed.work, period_start_on=owed.period_start_on,
                                       period_end_on=owed.period_end_on, actor=SYSTEM, now=now,
                                       supplements=owed.supplements)
        except NoticeCalendarPending:
            break  # the same calendar answers for every owed notice today
        with transaction.atomic():
            owed.notice, owed.issued_at = notice, now
            owed.save(update_fields=["notice", "issued_at"])
            log_append(events=[notice_pending_issued_event(owed)], now=now)
        issued.append(notice)
    return issued


def objection_deadlines_recompute(*, now: datetime) -> list[DeadlineMove]:
    """Recompute each provisional objection deadline that the official calendar can now answer; log it, tell the
    enterprise its new date. Objections filed meanwhile stay accepted; those after the official date are listed."""
    moves = []
    for notice in DataNotice.objects.filter(objection_deadline_provisional=True).select_related("work"):
        delivered_on = _local_date(notice.delivered_at)
        try:
            deadline_on, provisional = objection_deadline_on(delivered_on=delivered_on,
                                                             working_days=notice.objection_window_working_days)
        except CalendarYearMissing:
            continue
        if provisional:
            continue
        previous_on = notice.objection_deadline_on
        late = tuple(notice.objections.filter(filed_at__gte=period_bounds(start_on=deadline_on, end_on=deadline_on)[1]).values_list("pk", flat=True))
        with transaction.atomic():
            notice.objection_deadline_on, notice.objection_deadline_provisional = deadline_on, False
            notice.save(update_fields=["objection_deadline_on", "objection_deadline_provisional"])
            log_append(events=[notice_deadline_recomputed_event(notice, previous_on=previous_on, late=list(late),
                                                                now=now)], now=now)
        moves.append(DeadlineMove(what=f"告知书 {notice.pk} 异议期截止日（{notice.work.title}）",
                                  enterprise_id=notice.enterprise_id, previous_on=previous_on, deadline_on=deadline_on,
                                  url=reverse("notices:detail", args=[notice.pk]), late=late))
        with translation.override(settings.LANGUAGE_CODE):
            _send_to_organisation(
                organisation_id=notice.enterprise.organisation_id, kind="notices.deadline_recomputed",
                ref=entry_ref("notices.deadline_recomputed", f"{notice.pk}:{deadline_on:%Y%m%d}"),
                subject=f"【影都算力券】告知书异议期截止日已按官方日历确定（{notice.work.title}）",
                template="notices/email/deadline_recomputed.txt",
                context={"notice": notice, "previous_on": previous_on, "deadline_on": deadline_on},
                link=reverse("notices:detail", args=[notice.pk]), now=now)
    return moves


# The decision of an objection lives in decisions.py (it imports this module's helpers); callers keep this name.
from .decisions import (  # noqa: E402, F401
    MSG_ALREADY_DECIDED,
    MSG_DECIDE_ROLE,
    MSG_DECISION_INVALID,
    MSG_REASON_REQUIRED,
    ClaimDecision,
    objection_decide,
    objection_uphold_confirm,
)
