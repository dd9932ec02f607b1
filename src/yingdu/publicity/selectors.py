"""Reads of the public programme statistics and the 公示 of awards; nothing here names a person."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_roles, user_staff_roles
from yingdu.applications.models import Application, ApplicationKind, ApplicationStatus, ApplicationTransition
from yingdu.applications.selectors import publicity_periods_by_application
from yingdu.applications.sla import publicity_last_day
from yingdu.applications.workflow import INSIDER_ACTIONS
from yingdu.errors import DomainError, NotFound
from yingdu.policy.models import PolicyVersion
from yingdu.policy.selectors import policy_version_in_force, work_calendar
from yingdu.vouchers.models import Redemption, RedemptionStatus
from yingdu.works.models import WorkForm

from .models import PublicityObjection, StatisticsSnapshot
from .services import (
    MSG_AWARD_NOT_IN_PUBLICITY,
    MSG_OBJECTION_NOT_FOUND,
    MSG_PUBLICITY_OFF,
    MSG_SNAPSHOT_NOT_FOUND,
)

BEIJING = ZoneInfo("Asia/Shanghai")


def _month(value: datetime | None) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m") if value is not None else ""


def _overseas_application() -> Q:
    return Q(overseas_claimed=True) | Q(kind=ApplicationKind.OVERSEAS_TOPUP)


def programme_figures() -> dict:
    """The programme's public figures, by grouped SQL over the applications, works and redemptions (never the usage
    records): works supported (approved regular applications), amounts approved (every approved application, top-ups
    included) and redeemed (confirmed redemptions), in integer fen; by Beijing month, by work form, and for works
    with and without approved overseas support."""
    approved = Application.objects.filter(status=ApplicationStatus.APPROVED)
    regular = approved.filter(kind=ApplicationKind.REGULAR)
    redeemed = Redemption.objects.filter(status=RedemptionStatus.CONFIRMED)
    totals = {
        "works_supported": regular.values("work_id").distinct().count(),
        "awards": approved.count(),
        "approved_fen": approved.aggregate(total=Sum("approved_amount_fen"))["total"] or 0,
        "redemptions": redeemed.count(),
        "redeemed_fen": redeemed.aggregate(total=Sum("amount_fen"))["total"] or 0,
    }
    months: dict[str, dict] = {}

    def month_row(month: str) -> dict:
        return months.setdefault(month, {"month": month, "works_supported": 0, "approved_fen": 0,
                                         "redeemed_fen": 0})

    for row in (approved.annotate(month=TruncMonth("decided_at", tzinfo=BEIJING)).values("month")
                .annotate(fen=Sum("approved_amount_fen"),
                          works=Count("work_id", distinct=True, filter=Q(kind=ApplicationKind.REGULAR)))):
        entry = month_row(_month(row["month"]))
        entry["approved_fen"] += row["fen"] or 0
        entry["works_supported"] += row["works"]
    for row in (redeemed.annotate(month=TruncMonth("decided_at", tzinfo=BEIJING)).values("month")
                .annotate(fen=Sum("amount_fen"))):
        month_row(_month(row["month"]))["redeemed_fen"] += row["fen"] or 0
    by_form = {form: {"form": form, "works_supported": 0, "approved_fen": 0} for form in WorkForm.values}
    for row in approved.values("work__form").annotate(
            fen=Sum("approved_amount_fen"),
            works=Count("work_id", distinct=True, filter=Q(kind=ApplicationKind.REGULAR))):
        by_form[row["work__form"]]["approved_fen"] += row["fen"] or 0
        by_form[row["work__form"]]["works_supported"] += row["works"]
    # a work counts as overseas, with everything approved for it, once any approved application of it is overseas
    overseas_work = approved.filter(_overseas_application(), work_id=OuterRef("work_id"))
    by_overseas = {flag: {"overseas": flag, "works_supported": 0, "approved_fen": 0} for flag in (False, True)}
    for row in approved.annotate(overseas=Exists(overseas_work)).values("overseas").annotate(
            fen=Sum("approved_amount_fen"),
            works=Count("work_id", distinct=True, filter=Q(kind=ApplicationKind.REGULAR))):
        by_overseas[bool(row["overseas"])]["approved_fen"] += row["fen"] or 0
        by_overseas[bool(row["overseas"])]["works_supported"] += row["works"]
    return {
        "totals": totals,
        "by_month": [months[month] for month in sorted(months) if month],
        "by_form": list(by_form.values()),
        "by_overseas": list(by_overseas.values()),
    }


def statistics_snapshot_latest() -> StatisticsSnapshot | None:
    return StatisticsSnapshot.objects.order_by("-tree_size").first()


def statistics_snapshot_get(tree_size: int) -> StatisticsSnapshot:
    snapshot = StatisticsSnapshot.objects.filter(tree_size=tree_size).first()
    if snapshot is None:
        raise NotFound(MSG_SNAPSHOT_NOT_FOUND, code="statistics_not_found")
    return snapshot


# --- 公示 ------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicAward:
    """An approved award during its 公示: only the enterprise name, the work's title and the amount are public."""

    application_id: int
    enterprise_name: str
    work_title: str
    amount_fen: int
    overseas: bool
    approved_on: date
    publicity_ends_on: date | None  # None: the end falls in a year whose calendar is not loaded yet
    policy_version: str


def publicity_days(*, today: date) -> int | None:
    """The 公示 period of the policy version in force today, in working days; None when 公示 is off."""
    version = policy_version_in_force(on=today)
    return None if version is None else version.publicity_working_days


def publicity_require_on(*, today: date) -> int:
    """The period in force; 公示 off (the default) answers as if the page did not exist."""
    days = publicity_days(today=today)
    if not days:
        raise DomainError(MSG_PUBLICITY_OFF, code="publicity_off", status=404)
    return days


def publicity_proposed_ids() -> list[int]:
    """The applications whose award is proposed (公示中), oldest first."""
    return list(Application.objects.filter(status=ApplicationStatus.PUBLICITY).order_by("id")
                .values_list("pk", flat=True))


def publicity_awards(*, today: date) -> list[PublicAward]:
    """Proposed awards whose 公示 runs today, newest first: in 公示 (拟支持), proposed on or before today, and today
    at most the last day of their period (after it, the worker issues them)."""
    candidates = list(Application.objects.filter(status=ApplicationStatus.PUBLICITY)
                      .select_related("enterprise", "work", "policy_version"))
    periods = publicity_periods_by_application([application.pk for application in candidates])
    calendar = work_calendar()
    awards = []
    for application in candidates:
        if not periods[application.pk]:
            continue
        period = periods[application.pk][-1]
        ends_on = publicity_last_day(proposed_on=period.proposed_on, working_days=period.working_days,
                                     calendar=calendar)
        if period.proposed_on > today or (ends_on is not None and today > ends_on):
            continue
        awards.append(PublicAward(
            application_id=application.pk, enterprise_name=application.enterprise.name,
            work_title=application.work.title, amount_fen=application.approved_amount_fen or 0,
            overseas=application.overseas_claimed or application.kind == ApplicationKind.OVERSEAS_TOPUP,
            approved_on=period.proposed_on, publicity_ends_on=ends_on,
            policy_version=application.policy_version.version_id))
    return sorted(awards, key=lambda award: (award.approved_on, award.application_id), reverse=True)


def publicity_award_get(*, application_id: int, today: date) -> PublicAward:
    """One award in 公示 today; any other application is not found."""
    for award in publicity_awards(today=today):
        if award.application_id == application_id:
            return award
    raise NotFound(MSG_AWARD_NOT_IN_PUBLICITY, code="award_not_in_publicity")


def publicity_objections_for_staff():
    """Every objection with its award, for staff (the only readers of contact and text)."""
    return PublicityObjection.objects.select_related("application__enterprise", "application__work", "decided_by")


def publicity_objection_get_for(user, objection_id: int) -> PublicityObjection:
    """One objection for staff; for anyone else, as for an unknown id, not found."""
    objection = (publicity_objections_for_staff().filter(pk=objection_id).first()
                 if user_staff_roles(user) else None)
    if objection is None:
        raise NotFound(MSG_OBJECTION_NOT_FOUND, code="publicity_objection_not_found")
    return objection


def publicity_objections_to_decide(user):
    """Open objections the user may decide: a reviewer's, except on cases they reviewed or approved, oldest first."""
    if Role.REVIEWER not in user_roles(user):
        return PublicityObjection.objects.none()
    insider = ApplicationTransition.objects.filter(actor=user, action__in=INSIDER_ACTIONS).values("application_id")
    return (publicity_objections_for_staff().filter(decision="").exclude(application_id__in=insider)
            .order_by("submitted_at", "id"))


@dataclass(frozen=True)
class PublicObjectionOutcome:
    """That an objection to an award was received and how it was decided; nothing of the objector."""

    objection_id: int
    enterprise_name: str
    work_title: str
    submitted_on: date
    decision: str  # "" while open, else an ObjectionDecision value
    decided_on: date | None


def publicity_objection_outcomes(*, today: date) -> list[PublicObjectionOutcome]:
    """Objections received to awards in 公示 recently (within the span the longest period can take), newest first."""
    longest = PolicyVersion.objects.filter(publicity_working_days__isnull=False).order_by(
        "-publicity_working_days").values_list("publicity_working_days", flat=True).first()
    if not longest:
        return []
    # N working days never span more than 2N + 30 calendar days (the longest holiday is about 9 days)
    since = datetime.combine(today - timedelta(days=2 * longest + 30), datetime.min.time(), tzinfo=BEIJING)
    objections = (PublicityObjection.objects.filter(submitted_at__gte=since)
                  .select_related("application__enterprise", "application__work").order_by("-submitted_at", "-id"))
    return [PublicObjectionOutcome(
        objection_id=objection.pk, enterprise_name=objection.application.enterprise.name,
        work_title=objection.application.work.title, submitted_on=objection.submitted_at.astimezone(BEIJING).date(),
        decision=objection.decision,
        decided_on=objection.decided_at.astimezone(BEIJING).date() if objection.decided_at else None)
        for objection in objections]
