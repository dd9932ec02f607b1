"""Reads of applications, narrowed to what the user may see; the SLA state, the staff queue and the timeline."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, F, Prefetch, Q, QuerySet, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from yingdu.accounts.selectors import user_staff_roles
from yingdu.errors import NotFound
from yingdu.policy.selectors import DeadlineMove, work_calendar
from yingdu.rules.money import Money
from yingdu.rules.workdays import CalendarYearMissing, WorkCalendar

from .models import (
    OPEN_STATUSES,
    Application,
    ApplicationInvoice,
    ApplicationStatus,
    ApplicationTransition,
    SupplementRequest,
)
from .sla import (
    AT_RISK_WORKING_DAYS,
    PublicityPeriod,
    SlaStatus,
    publicity_last_day,
    publicity_pause,
    sla_status,
)
from .workflow import REVIEW_ACTIONS, ApplicationAction, transitions_available


def applications_visible_to(user) -> QuerySet[Application]:
    """Staff (after two-factor) see every application; a member their enterprise's; anyone else nothing."""
    queryset = Application.objects.select_related("enterprise", "work", "policy_version", "topup_of")
    if user_staff_roles(user):
        return queryset
    organisation_id = getattr(user, "organisation_id", None) if getattr(user, "is_authenticated", False) else None
    if organisation_id is None:
        return queryset.none()
    return queryset.filter(enterprise__organisation_id=organisation_id)


def application_get_for(user, application_id: int) -> Application:
    """One application the user may see; another organisation's is reported as not found."""
    application = applications_visible_to(user).filter(pk=application_id).first()
    if application is None:
        raise NotFound("未找到该申请", code="application_not_found")
    return application


def applications_of_work(work) -> QuerySet[Application]:
    return work.applications.order_by("-created_at", "-id")


def application_sla(application: Application, *, today: date, calendar: WorkCalendar | None = None,
                    objections: list[tuple[datetime, datetime | None]] | None = None,
                    publicity: list[PublicityPeriod] | None = None) -> SlaStatus | None:
    """The review clock of an accepted application as of ``today`` (a decided one: as of its decision day, which
    for an award in 公示 is the day its voucher is issued).

    ``objections`` are the (filed_at, decided_at) of objections to the work's data notices, and ``publicity`` the
    application's 公示 periods, when the caller has already read them for many applications at once; otherwise they
    are read here.
    """
    if application.accepted_on is None:
        return None
    if application.decided_at is not None:
        today = timezone.localdate(application.decided_at)
    elif application.status == ApplicationStatus.WITHDRAWN:
        last = application.transitions.order_by("-at", "-id").first()
        today = last.on if last is not None else today
    pauses = [(r.requested_on, r.resumed_on) for r in application.supplement_requests.all()]
    if objections is None:
        objections = objections_by_work([application.work_id])[application.work_id]
    pauses += _objection_pauses(application, objections)
    calendar = calendar or work_calendar()
    if publicity is None:
        publicity = publicity_periods_by_application([application.pk])[application.pk]
    for period in publicity:
        pause = publicity_pause(period, today=today, calendar=calendar)
        if pause is not None:
            pauses.append(pause)
    return sla_status(accepted_on=application.accepted_on, sla_working_days=application.sla_working_days,
                      pauses=pauses, today=today, calendar=calendar)


@dataclass(frozen=True)
class PublicityNow:
    """An award in 公示, for its pages: the day it was proposed, its last day, whether the clock is paused."""

    proposed_on: date
    ends_on: date | None
    excluded_from_sla: bool


def application_publicity_now(application: Application) -> PublicityNow | None:
    """The current 公示 of an application whose award is proposed (None otherwise)."""
    if application.status != ApplicationStatus.PUBLICITY:
        return None
    periods = publicity_periods_by_application([application.pk])[application.pk]
    if not periods:
        return None
    period = periods[-1]
    return PublicityNow(period.proposed_on, publicity_last_day(proposed_on=period.proposed_on,
                                                               working_days=period.working_days,
                                                               calendar=work_calendar()),
                        period.excluded_from_sla)


def publicity_periods_by_application(application_ids: Iterable[int]) -> dict[int, list[PublicityPeriod]]:
    """The 公示 periods of the applications, from their audited proposal and return steps, in one query."""
    periods: dict[int, list[PublicityPeriod]] = defaultdict(list)
    steps = (ApplicationTransition.objects.filter(
        application_id__in=list(application_ids),
        action__in=[ApplicationAction.PROPOSE, ApplicationAction.PUBLICITY_RETURN])
        .order_by("application_id", "at", "id").values_list("application_id", "action", "on", "detail"))
    for application_id, action, on, detail in steps:
        if action == ApplicationAction.PROPOSE:
            periods[application_id].append(PublicityPeriod(
                proposed_on=on, working_days=detail["publicity_working_days"],
                excluded_from_sla=detail["publicity_excluded_from_sla"]))
        elif periods[application_id]:
            last = periods[application_id][-1]
            periods[application_id][-1] = PublicityPeriod(last.proposed_on, last.working_days,
                                                          last.excluded_from_sla, returned_on=on)
    return periods


def objections_by_work(work_ids: Iterable[int]) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """(filed_at, decided_at) of every objection to the works' data notices, by work, in one query."""
    from yingdu.notices.models import Objection

    objections = defaultdict(list)
    for work_id, filed_at, decided_at in Objection.objects.filter(notice__work_id__in=list(work_ids)).values_list(
            "notice__work_id", "filed_at", "decided_at"):
        objections[work_id].append((filed_at, decided_at))
    return objections


def _objection_pauses(application: Application,
                      objections: list[tuple[datetime, datetime | None]]) -> list[tuple[date, date | None]]:
    """Objections to the work's data notices pause the clock from filing (acceptance at the earliest) to decision."""
    pauses = []
    for filed_at, decided_at in objections:
        decided_on = timezone.localdate(decided_at) if decided_at is not None else None
        if decided_on is not None and decided_on < application.accepted_on:
            continue
        pauses.append((max(timezone.localdate(filed_at), application.accepted_on), decided_on))
    return pauses


_status_labels: dict[str, dict[str, str]] = {}


def application_status_label(status: str) -> str:
    """An application status's label in the current language: ``get_status_display`` without building the field's
    choices per call (the queue lists 50 rows)."""
    language = get_language() or ""
    labels = _status_labels.get(language)
    if labels is None:
        labels = _status_labels[language] = {value: str(label) for value, label in ApplicationStatus.choices}
    return labels.get(status, status)


@dataclass(frozen=True)
class QueueRow:
    application: Application
    sla: SlaStatus | None


def applications_with_sla(applications: Iterable[Application], *, today: date) -> list[QueueRow]:
    """Each application with its review clock, reading the calendar and the objections once for all of them (and,
    for a queryset, the supplement requests' dates, all the clock reads of them)."""
    applications = list(applications.prefetch_related(Prefetch(
        "supplement_requests", queryset=SupplementRequest.objects.only("application_id", "requested_on", "resumed_on")))
                        if isinstance(applications, QuerySet) else applications)
    calendar = work_calendar()
    accepted = [a for a in applications if a.accepted_on is not None]
    objections = objections_by_work({a.work_id for a in accepted})
    publicity = publicity_periods_by_application([a.pk for a in accepted])
    return [QueueRow(a, application_sla(a, today=today, calendar=calendar, objections=objections[a.work_id],
                                        publicity=publicity[a.pk]))
            for a in applications]


# Awaiting intake first (by submission); then by the stored deadline, which orders as the working days left do
# (left = working days from today to the deadline, non-decreasing in it); deadlines beyond the calendars last, by
# the earliest they can be; then by submission. The stored deadline of a paused application is refreshed daily.
QUEUE_ORDER = (
    Case(When(accepted_on__isnull=True, then=Value(0)), default=Value(1)).asc(),
    F("sla_deadline_on").asc(nulls_last=True),
    F("sla_deadline_not_before").asc(nulls_last=True),
    F("submitted_at").asc(),
    F("id").asc(),
)
# The columns the queue and overdue pages and the queue export show or compute the clock from: a page of 50 rows
# reads these, not the applications' amounts, explanations and details (JSON) nor their policy versions.
QUEUE_ROW_FIELDS = ("id", "kind", "status", "enterprise_id", "work_id", "submitted_on", "accepted_on", "decided_at",
                    "sla_working_days", "enterprise__name", "enterprise__uscc", "work__title")
QUEUE_BADGES = ("intake", "overdue", "at_risk", "paused", "on_track", "unknown")
QUEUE_SEARCH_MAX_LENGTH = 100


def _at_risk_until(today: date) -> date:
    """The last deadline that leaves at most AT_RISK_WORKING_DAYS working days; without a calendar for the days
    ahead, counting Monday to Friday (the rows shown still compute their badge on the calendar)."""
    try:
        return work_calendar().add_working_days(start_on=today, working_days=AT_RISK_WORKING_DAYS)
    except CalendarYearMissing:
        day, left = today, AT_RISK_WORKING_DAYS
        while left:
            day += timedelta(days=1)
            left -= day.weekday() < 5
        return day


def application_queue_queryset(user, *, today: date, status: str = "", badge: str = "",
                               search: str = "") -> QuerySet[Application]:
    """Open applications the user may see, in queue order, narrowed by status, clock badge and a search of the
    enterprise's name or USCC, the work's title or the application number; sorted and paged by the database."""
    queryset = applications_visible_to(user).filter(status__in=OPEN_STATUSES)
    if status:
        queryset = queryset.filter(status=status)
    accepted = Q(accepted_on__isnull=False)
    overdue = Q(sla_deadline_on__lt=today)
    match badge:
        case "intake":
            queryset = queryset.filter(accepted_on__isnull=True)
        case "overdue":
            queryset = queryset.filter(accepted & overdue)
        case "at_risk":
            queryset = queryset.filter(accepted, sla_paused=False, sla_deadline_on__gte=today,
                                       sla_deadline_on__lte=_at_risk_until(today))
        case "paused":
            queryset = queryset.filter(accepted, sla_paused=True).exclude(overdue)
        case "on_track":
            queryset = queryset.filter(accepted, sla_paused=False, sla_deadline_on__gt=_at_risk_until(today))
        case "unknown":
            queryset = queryset.filter(accepted, sla_deadline_on__isnull=True)
    search = (search or "").strip()[:QUEUE_SEARCH_MAX_LENGTH]
    if search:
        found = (Q(enterprise__name__icontains=search) | Q(enterprise__uscc=search.upper())
                 | Q(work__title__icontains=search))
        if search.lstrip("#").isdigit() and len(search) <= 18:
            found |= Q(pk=int(search.lstrip("#")))
        queryset = queryset.filter(found)
    return queryset.order_by(*QUEUE_ORDER)


# every column of the application, and of its policy version only the number (the API's rows)
_WHOLE_ROW_FIELDS = (*(field.name for field in Application._meta.concrete_fields), "policy_version__version_id")


def queue_row_columns(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """The queue's rows with their enterprise and work, reading only the columns the pages and the export use."""
    return queryset.select_related(None).select_related("enterprise", "work").only(*QUEUE_ROW_FIELDS)


def application_queue(user, *, today: date, status: str = "", badge: str = "", search: str = "",
                      offset: int = 0, limit: int | None = None, whole_rows: bool = False) -> list[QueueRow]:
    """The rows of the staff queue from ``offset`` (all of them without ``limit``: the export), each with the clock
    computed from the audited rows; the reads are bounded by the rows returned, not by the table. The columns are
    those of the pages (``QUEUE_ROW_FIELDS``), or with ``whole_rows`` every column of the application and its
    policy version's number (the API)."""
    queryset = application_queue_queryset(user, today=today, status=status, badge=badge, search=search)
    queryset = (queryset.select_related(None).select_related("policy_version").only(*_WHOLE_ROW_FIELDS)
                if whole_rows else queue_row_columns(queryset))
    queryset = queryset[offset:offset + limit] if limit is not None else queryset[offset:]
    return applications_with_sla(queryset, today=today)


def application_overdue_queryset() -> QuerySet[Application]:
    """Open applications by stored deadline, earliest first (narrowed to the overdue ones by the caller's day)."""
    return queue_row_columns(Application.objects.filter(status__in=OPEN_STATUSES, accepted_on__isnull=False)
                             .order_by("sla_deadline_on", "id"))


def application_overdue(*, today: date, offset: int = 0, limit: int | None = None) -> list[QueueRow]:
    """Open applications past their deadline, most late first (the earliest deadline is the most late, also when
    the count of working days late is not yet known)."""
    queryset = application_overdue_queryset().filter(sla_deadline_on__lt=today)
    queryset = queryset[offset:offset + limit] if limit is not None else queryset[offset:]
    return [row for row in applications_with_sla(queryset, today=today) if row.sla and row.sla.is_overdue]


def application_actions_for(application: Application, user, roles) -> list:
    """The workflow steps the page offers this user: those their roles allow from the current status, without
    approval for anyone who reviewed the application (the service refuses it: four eyes)."""
    actions = transitions_available(application.status, roles)
    if any(t.action == ApplicationAction.APPROVE for t in actions) and application.transitions.filter(
            actor_id=getattr(user, "pk", None), action__in=REVIEW_ACTIONS).exists():
        actions = [t for t in actions if t.action != ApplicationAction.APPROVE]
    return actions


def application_history(application: Application) -> QuerySet[ApplicationTransition]:
    return application.transitions.select_related("actor").order_by("at", "id")


@dataclass(frozen=True)
class TimelineStep:
    label: str
    on: date | None
    done: bool
    note: str = ""


# each workflow action as a step of the applicant's timeline
TIMELINE_LABELS = {
    "submit": gettext_lazy("提交申请"), "accept": gettext_lazy("受理（审核时限开始计算）"),
    "start_review": gettext_lazy("开始审核"), "request_supplement": gettext_lazy("要求补充材料（时限暂停）"),
    "resubmit": gettext_lazy("提交补充材料（时限恢复）"), "approve": gettext_lazy("批准"),
    "reject": gettext_lazy("不予支持"), "withdraw": gettext_lazy("撤回"),
    "propose": gettext_lazy("拟支持，进入公示"), "publicity_conclude": gettext_lazy("公示期满，发放算力券"),
    "publicity_return": gettext_lazy("公示异议成立，退回审核"),
}


def application_timeline(application: Application, *, sla: SlaStatus | None) -> list[TimelineStep]:
    """The steps an applicant sees, with dates: created, submitted, accepted, review, supplements, decision."""
    steps = [TimelineStep(_("创建草稿"), timezone.localdate(application.created_at), True)]
    for transition in application_history(application):
        steps.append(TimelineStep(str(TIMELINE_LABELS[transition.action]), transition.on, True, transition.reason))
    if application.status in OPEN_STATUSES:
        if sla is not None:
            steps.append(TimelineStep(_("审核截止日（兑现时限）"), sla.deadline_on, False, sla_deadline_note(sla)))
        else:
            steps.append(TimelineStep(_("等待受理"), None, False))
    return steps


def sla_deadline_note(sla: SlaStatus) -> str:
    """How a review deadline was counted, or what is known of it, in words (in the active language)."""
    if sla.deadline_on is None and sla.deadline_not_before is not None:
        return _("截止日在 {year} 年，最早不早于 {day}；{year} 年的日历发布后即可确定").format(
            year=sla.missing_year, day=f"{sla.deadline_not_before:%Y-%m-%d}")
    if sla.deadline_on is None:
        return _("{year} 年的工作日历尚未发布，暂停天数暂无法计算").format(year=sla.missing_year)
    note = _("受理后 {days} 个工作日，另加暂停的 {paused} 个工作日").format(days=sla.sla_working_days,
                                                                      paused=sla.paused_working_days)
    if sla.provisional:
        note += _("；预计：所涉年度的官方放假安排尚未发布，按法定节假日推算，发布后重新计算")
    return note


def application_deadlines_moved(*, before: WorkCalendar, after: WorkCalendar,
                                today: date) -> list[tuple[DeadlineMove, int]]:
    """Open applications whose review deadline differs between two calendars, with the enterprise's organisation."""
    applications = list(Application.objects.filter(status__in=OPEN_STATUSES, accepted_on__isnull=False)
                        .select_related("enterprise", "work").prefetch_related("supplement_requests"))
    objections = objections_by_work({a.work_id for a in applications})
    publicity = publicity_periods_by_application([a.pk for a in applications])
    moved = []
    for application in applications:
        old = application_sla(application, today=today, calendar=before, objections=objections[application.work_id],
                              publicity=publicity[application.pk])
        new = application_sla(application, today=today, calendar=after, objections=objections[application.work_id],
                              publicity=publicity[application.pk])
        if old.deadline_on != new.deadline_on:
            moved.append((DeadlineMove(what=f"申请 #{application.pk} 审核截止日（{application.work.title}）",
                                       enterprise_id=application.enterprise_id, previous_on=old.deadline_on,
                                       deadline_on=new.deadline_on,
                                       url=reverse("applications:detail", args=[application.pk])),
                          application.enterprise.organisation_id))
    return moved


def application_invoices(application: Application) -> QuerySet[ApplicationInvoice]:
    """Every invoice declared on the application, withdrawn ones included, in the order declared."""
    return (ApplicationInvoice.objects.filter(application=application)
            .select_related("seller", "declared_by", "withdrawal", "withdrawal__withdrawn_by").order_by("declared_at", "id"))


def invoices_counting_for(application: Application) -> QuerySet[ApplicationInvoice]:
    """The invoices that count for the application's base: those not withdrawn, declared on it or, for an overseas
    top-up, on the approved application it tops up (the same work's compute)."""
    application_ids = [application.pk] + ([application.topup_of_id] if application.topup_of_id else [])
    return (ApplicationInvoice.objects.filter(application_id__in=application_ids, withdrawal__isnull=True)
            .order_by("declared_at", "id"))


def application_invoiced(application: Application) -> Money | None:
    """The total before tax of the invoices that count for the application, or None when none is declared."""
    total = invoices_counting_for(application).aggregate(total=Sum("amount_fen"))["total"]
    return None if total is None else Money(total)


def application_invoice_get_for(user, application_id: int, invoice_id: int) -> ApplicationInvoice:
    """One invoice of an application the user may see; anything else is reported as not found."""
    application = application_get_for(user, application_id)
    invoice = application_invoices(application).filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound("未找到该发票", code="invoice_not_found")
    return invoice


@dataclass(frozen=True)
class BaseFigures:
    """The two figures behind an amount's base, as the reviewer sees them: metered cost and declared invoices."""

    metered_cost_fen: int
    invoiced_fen: int | None
    base_fen: int
    bound: str

    @property
    def difference_fen(self) -> int | None:
        """Metered cost minus invoices; None when no invoice is declared."""
        return None if self.invoiced_fen is None else self.metered_cost_fen - self.invoiced_fen

    @property
    def differs(self) -> bool:
        return bool(self.difference_fen)

    @property
    def metered_cost_display(self) -> str:
        return Money(self.metered_cost_fen).format_display()

    @property
    def invoiced_display(self) -> str:
        return "—" if self.invoiced_fen is None else Money(self.invoiced_fen).format_display()

    @property
    def base_display(self) -> str:
        return Money(self.base_fen).format_display()

    @property
    def difference_display(self) -> str:
        return "—" if self.difference_fen is None else Money(self.difference_fen).format_display()


def base_figures(detail: dict) -> BaseFigures | None:
    """The base's figures from an amount's detail (review_detail or approved_detail); None before any amount."""
    if not detail or "base_fen" not in detail:
        return None
    # an amount computed before invoices existed has no metered_cost_fen: its base was the metered cost
    return BaseFigures(metered_cost_fen=detail.get("metered_cost_fen", detail["base_fen"]),
                       invoiced_fen=detail.get("invoiced_fen"), base_fen=detail["base_fen"],
                       bound=detail.get("base_bound", "metered"))


def applications_with_invoice_difference() -> list[tuple[Application, BaseFigures]]:
    """Approved applications whose declared invoices (before tax) differ from the verified metered cost fixed at
    approval, newest first: the spot check looks at their invoices first."""
    rows = []
    for application in (Application.objects.filter(status=ApplicationStatus.APPROVED)
                        .select_related("enterprise", "work").order_by("-decided_at", "-id")):
        figures = base_figures(application.approved_detail)
        if figures is not None and figures.differs:
            rows.append((application, figures))
    return rows


@dataclass(frozen=True)
class InvoiceReconciliation:
    """An approved application of a work: the figures behind its base and the invoices declared on it."""

    application: Application
    figures: BaseFigures | None
    invoices: list[ApplicationInvoice]


def work_invoice_reconciliation(work) -> list[InvoiceReconciliation]:
    """For the spot check's "invoices" item: each approved application of the work with the metered cost, the
    invoices (withdrawn ones included) and the difference fixed at approval."""
    return [InvoiceReconciliation(application=application, figures=base_figures(application.approved_detail),
                                  invoices=list(application_invoices(application)))
            for application in work.applications.filter(status=ApplicationStatus.APPROVED).order_by("decided_at", "id")]


@dataclass(frozen=True)
class SupplementItem:
    """One item of a supplement request: what is asked, what answers it (an upload), and what answered it."""

    index: int
    label: str
    need: str
    material: object | None = None
    release: object | None = None
    release_choices: tuple = ()

    @property
    def needs_upload(self) -> bool:
        return bool(self.need)

    @property
    def field_key(self) -> str:
        return f"item-{self.index}"

    @property
    def needs_release(self) -> bool:
        return self.need == "release"


@dataclass(frozen=True)
class SupplementView:
    request: object
    items: list[SupplementItem]


def supplement_items(request, *, for_answer: bool = False) -> SupplementView:
    """The request's items with, item by item, the material or release that answered it (or, ``for_answer``, the
    current releases of the work the applicant may replace)."""
    from yingdu.works.selectors import work_releases_current

    needs = list(request.needs) + [""] * (len(request.items) - len(request.needs))
    answered = {answer["item"]: answer for answer in request.answers}
    material_ids = [a["material"] for a in answered.values() if "material" in a]
    release_ids = [a["release"] for a in answered.values() if "release" in a]
    application = request.application
    materials = application.materials.in_bulk(material_ids) if material_ids else {}
    releases = application.work.releases.in_bulk(release_ids) if release_ids else {}
    current = tuple(work_releases_current(application.work)) if for_answer and "release" in needs else ()
    items = []
    for index, label in enumerate(request.items):
        answer = answered.get(index, {})
        items.append(SupplementItem(index=index, label=label, need=needs[index],
                                    material=materials.get(answer.get("material")),
                                    release=releases.get(answer.get("release")),
                                    release_choices=current if needs[index] == "release" else ()))
    return SupplementView(request=request, items=items)
