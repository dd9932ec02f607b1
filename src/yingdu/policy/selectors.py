"""Reads of policy versions and calendar years: the version in force, quotes, diffs, the working-day calendar."""

import threading
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.selectors import user_roles
from yingdu.errors import DomainError, NotFound
from yingdu.rules.money import Money, MoneyParseError
from yingdu.rules.subsidy import Quote, quote
from yingdu.rules.workdays import CalendarYearMissing, SpecialDay, WorkCalendar

from .models import CalendarKind, CalendarSpecialDay, CalendarYearVersion, PolicyStatus, PolicyVersion
from .terms import TERM_FIELDS, TERM_LABELS, calculator_terms, percent_text, term_display
from .workflow import POLICY_ADMIN_ROLES

# from this month on, admins are reminded to import next year's official schedule (published each November)
CALENDAR_REMINDER_FROM_MONTH = 11

MSG_POLICY_NOT_IN_FORCE = _("{on} 没有生效的政策版本。")
MSG_POLICY_VERSION_NOT_FOUND = _("未找到该政策版本。")
MSG_PRIOR_WORKS_INVALID = _("本年度已计入的作品数应为不小于 0 的整数。")


class PolicyNotInForce(DomainError):
    code = "policy_not_in_force"
    status = 404


def policy_versions_published() -> QuerySet[PolicyVersion]:
    """Every published version, the latest effective date first (the public history)."""
    return PolicyVersion.objects.filter(status=PolicyStatus.PUBLISHED).order_by("-effective_from")


def policy_versions_visible_to(user) -> QuerySet[PolicyVersion]:
    """Published versions for everyone; admins also see drafts."""
    if user_roles(user) & POLICY_ADMIN_ROLES:
        return PolicyVersion.objects.order_by("status", "-effective_from", "-created_at")
    return policy_versions_published()


def policy_version_get_for(user, version_id: str) -> PolicyVersion:
    """One version the user may see; a draft is "not found" for anyone but an admin."""
    version = policy_versions_visible_to(user).filter(version_id=version_id).first()
    if version is None:
        raise NotFound(MSG_POLICY_VERSION_NOT_FOUND, code="policy_version_not_found")
    return version


def policy_version_in_force(*, on: date) -> PolicyVersion | None:
    """The published version with the latest effective date on or before ``on``, or None."""
    return policy_versions_published().filter(effective_from__lte=on).first()


def policy_version_require_in_force(*, on: date) -> PolicyVersion:
    version = policy_version_in_force(on=on)
    if version is None:
        raise PolicyNotInForce(str(MSG_POLICY_NOT_IN_FORCE).format(on=on.isoformat()),
                               detail={"on": on.isoformat()})
    return version


def policy_version_state(version: PolicyVersion, *, today: date) -> str:
    """"in_force", "scheduled", "superseded" or "draft", as of ``today``."""
    if not version.is_published:
        return "draft"
    if version.effective_from > today:
        return "scheduled"
    in_force = policy_version_in_force(on=today)
    return "in_force" if in_force is not None and in_force.pk == version.pk else "superseded"


@dataclass(frozen=True)
class TermChange:
    field: str
    label: str
    before: str
    after: str


def policy_version_diff(*, version: PolicyVersion, base: PolicyVersion | None) -> list[TermChange]:
    """Terms (and title) that differ between ``base`` (usually the version in force) and ``version``."""
    changes = []
    for field in ("title", *TERM_FIELDS):
        after = getattr(version, field)
        before = getattr(base, field) if base is not None else None
        if base is not None and before == after:
            continue
        changes.append(TermChange(
            field=field, label=str(TERM_LABELS[field]),
            before="—" if base is None else term_display(field, before), after=term_display(field, after),
        ))
    return changes


def policy_quote(*, cost: str | Money, overseas: bool, on: date, prior_works: int | None = None) -> Quote:
    """The support for a work of this verified cost under the version in force on ``on`` (CLI, page and API)."""
    try:
        verified_cost = cost if isinstance(cost, Money) else Money.from_yuan(str(cost))
    except MoneyParseError as error:
        error.field = "cost"
        raise
    if prior_works is not None and (isinstance(prior_works, bool) or not isinstance(prior_works, int)
                                    or prior_works < 0):
        raise DomainError(MSG_PRIOR_WORKS_INVALID, code="prior_works_invalid", field="prior_works")
    version = policy_version_require_in_force(on=on)
    return quote(verified_cost=verified_cost, overseas=overseas, policy=calculator_terms(version),
                 prior_works_this_year=prior_works)


def quote_answer(result: Quote) -> dict:
    """The answer shared by the CLI's --json output and the API: amount in yuan, capped, policy, explanation."""
    return {"amount": result.amount.format_yuan(), "capped": result.capped, "policy": result.policy_version,
            "explanation": result.explanation}


def policy_summary(*, on: date) -> dict | None:
    """Headline numbers of the version in force (else the first scheduled one) for the public pages."""
    version = policy_version_in_force(on=on) or policy_versions_published().order_by("effective_from").first()
    if version is None:
        return None
    return {
        "version_id": version.version_id,
        "regular_percent": percent_text(version.regular_rate),
        "overseas_uplift_percent": percent_text(version.overseas_uplift),
        "regular_cap": Money(version.regular_cap_fen).format_display(),
        "overseas_cap": Money(version.overseas_cap_fen).format_display(),
        "annual_work_limit": version.annual_work_limit,
        "sla_working_days": version.sla_working_days,
        "objection_window_working_days": version.objection_window_working_days,
    }


def calendar_years_in_force() -> list[CalendarYearVersion]:
    """The highest official version of every year, by year."""
    latest: dict[int, CalendarYearVersion] = {}
    for year_version in CalendarYearVersion.objects.filter(kind=CalendarKind.OFFICIAL).order_by("year", "version"):
        latest[year_version.year] = year_version
    return list(latest.values())


def calendar_years_provisional() -> list[CalendarYearVersion]:
    """The highest provisional version of every year that has no official schedule, by year."""
    official = set(CalendarYearVersion.objects.filter(kind=CalendarKind.OFFICIAL).values_list("year", flat=True))
    latest: dict[int, CalendarYearVersion] = {}
    for year_version in CalendarYearVersion.objects.filter(kind=CalendarKind.PROVISIONAL).order_by("year", "version"):
        if year_version.year not in official:
            latest[year_version.year] = year_version
    return list(latest.values())


def calendar_year_in_force(year: int) -> CalendarYearVersion | None:
    """The official schedule in force for a year, or None while only a provisional one (or none) exists."""
    return CalendarYearVersion.objects.filter(year=year, kind=CalendarKind.OFFICIAL).order_by("-version").first()


def calendar_year_latest(year: int) -> CalendarYearVersion | None:
    """The version a year's calendar answers with: the official one in force, else the latest provisional one."""
    return calendar_year_in_force(year) or (
        CalendarYearVersion.objects.filter(year=year, kind=CalendarKind.PROVISIONAL).order_by("-version").first())


def calendar_next_year_due(*, today: date) -> int | None:
    """The year whose official schedule admins should import now: next year from 1 November (the State Council
    publishes it each November) until it is imported; also the current year if it is still missing."""
    years = [today.year] + ([today.year + 1] if today.month >= CALENDAR_REMINDER_FROM_MONTH else [])
    return next((year for year in years if calendar_year_in_force(year) is None), None)


def calendar_year_versions(year: int) -> QuerySet[CalendarYearVersion]:
    return CalendarYearVersion.objects.filter(year=year).order_by("-version")


def _as_special_day(row: CalendarSpecialDay) -> SpecialDay:
    return SpecialDay(row.day_on, row.kind, row.name, row.source)


def calendar_year_special_days(year_version: CalendarYearVersion) -> list[SpecialDay]:
    return [_as_special_day(row) for row in year_version.special_days.order_by("day_on")]


def calendar_year_require(year: int) -> tuple[CalendarYearVersion, list[SpecialDay]]:
    """The version a year answers with (official, else provisional) and its special days, or CalendarYearMissing
    (404 on the API)."""
    year_version = calendar_year_latest(year)
    if year_version is None:
        missing = CalendarYearMissing(year)
        missing.status = 404
        raise missing
    return year_version, calendar_year_special_days(year_version)


@dataclass(frozen=True)
class DeadlineMove:
    """A deadline recomputed on a newly published official calendar; ``late`` lists acts (by id) accepted while
    the deadline was provisional that fall after the official date."""

    what: str
    enterprise_id: int
    previous_on: date | None
    deadline_on: date | None
    url: str
    late: tuple[int, ...] = ()


_calendar_lock = threading.Lock()
_calendar_cache: dict = {}


def _calendar_key() -> tuple:
    # every published version's id and content digest: a new publication, or a rolled-back one whose id is
    # reused for other content, gives a new key
    return tuple(CalendarYearVersion.objects.order_by("id").values_list("id", "kind", "days_sha256"))


def work_calendar() -> WorkCalendar:
    """The working-day calendar: every official year, and the provisional years standing in for unpublished ones
    (cached per process until a new publication)."""
    key = _calendar_key()
    with _calendar_lock:
        cached = _calendar_cache.get("calendar")
        if cached is not None and cached[0] == key:
            return cached[1]
    in_force = {year_version.pk: year_version.year for year_version in calendar_years_in_force()}
    provisional = {year_version.pk: year_version.year for year_version in calendar_years_provisional()}
    schedules: dict[int, list[SpecialDay]] = {year: [] for year in in_force.values()}
    estimated: dict[int, list[SpecialDay]] = {year: [] for year in provisional.values()}
    for row in CalendarSpecialDay.objects.filter(year_version_id__in=[*in_force, *provisional]):
        if row.year_version_id in in_force:
            schedules[in_force[row.year_version_id]].append(_as_special_day(row))
        else:
            estimated[provisional[row.year_version_id]].append(_as_special_day(row))
    calendar = WorkCalendar(schedules=schedules, provisional=estimated)
    with _calendar_lock:
        _calendar_cache["calendar"] = (key, calendar)
    return calendar
