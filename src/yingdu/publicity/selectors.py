"""Reads of the public programme statistics and the 公示 of awards; nothing here names a person."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth

from yingdu.applications.models import Application, ApplicationKind, ApplicationStatus
from yingdu.errors import DomainError, NotFound
from yingdu.policy.models import PolicyVersion
from yingdu.policy.selectors import policy_version_in_force, work_calendar
from yingdu.rules.workdays import CalendarYearMissing
from yingdu.vouchers.models import Redemption, RedemptionStatus
from yingdu.works.models import WorkForm

from .models import PublicityObjection, StatisticsSnapshot
from .services import MSG_AWARD_NOT_IN_PUBLICITY, MSG_PUBLICITY_OFF, MSG_SNAPSHOT_NOT_FOUND

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


def publicity_ends_on(*, approved_on: date, working_days: int) -> date | None:
    """The last day of an award's 公示: the end of the Nth working day after the approval day (DESIGN §5: the start
    day is not counted), or None when that falls in a year with no schedule (then the award stays shown)."""
    try:
        return work_calendar().add_working_days(start_on=approved_on, working_days=working_days)
    except CalendarYearMissing:
        return None


def publicity_awards(*, today: date) -> list[PublicAward]:
    """Awards whose 公示 runs today, newest first: approved under a version with a 公示 period, approved on or before
    today, and today at most the last day of their period."""
    longest = PolicyVersion.objects.filter(publicity_working_days__isnull=False).order_by(
        "-publicity_working_days").values_list("publicity_working_days", flat=True).first()
    if not longest:
        return []
    # N working days never span more than 2N + 30 calendar days (the longest holiday is about 9 days); exact below
    earliest = datetime.combine(today - timedelta(days=2 * longest + 30), datetime.min.time(), tzinfo=BEIJING)
    latest = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=BEIJING)
    candidates = (Application.objects.filter(status=ApplicationStatus.APPROVED, decided_at__gte=earliest,
                                             decided_at__lt=latest, policy_version__publicity_working_days__gt=0)
                  .select_related("enterprise", "work", "policy_version").order_by("-decided_at", "-id"))
    awards = []
    for application in candidates:
        approved_on = application.decided_at.astimezone(BEIJING).date()
        ends_on = publicity_ends_on(approved_on=approved_on,
                                    working_days=application.policy_version.publicity_working_days)
        if ends_on is not None and today > ends_on:
            continue
        awards.append(PublicAward(
            application_id=application.pk, enterprise_name=application.enterprise.name,
            work_title=application.work.title, amount_fen=application.approved_amount_fen or 0,
            overseas=application.overseas_claimed or application.kind == ApplicationKind.OVERSEAS_TOPUP,
            approved_on=approved_on, publicity_ends_on=ends_on,
            policy_version=application.policy_version.version_id))
    return awards


def publicity_award_get(*, application_id: int, today: date) -> PublicAward:
    """One award in 公示 today; any other application is not found."""
    for award in publicity_awards(today=today):
        if award.application_id == application_id:
            return award
    raise NotFound(MSG_AWARD_NOT_IN_PUBLICITY, code="award_not_in_publicity")


def publicity_objections_for_staff():
    """Every objection with its award, for staff (the only readers of contact and text)."""
    return PublicityObjection.objects.select_related("application__enterprise", "application__work")
