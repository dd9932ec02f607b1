"""Reads of oversight: draw candidates and the checkpoint at a quarter's end, published draws, visible cases."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_roles
from yingdu.errors import NotFound
from yingdu.policy.selectors import policy_version_in_force, work_calendar
from yingdu.rules.workdays import CalendarYearMissing
from yingdu.transparency.models import SignedCheckpoint
from yingdu.transparency.selectors import cosigned_note
from yingdu.vouchers.models import Voucher

from .draw import DrawError, Quarter
from .events import draw_fields
from .models import CaseFinding, FindingStatus, SpotCheckCase, SpotCheckDraw
from .workflow import AUDIT_STAFF_ROLES

MSG_DRAW_NOT_FOUND = _("未找到该季度的抽查抽签")
MSG_CASE_NOT_FOUND = _("未找到该抽查案件")
MSG_QUARTER_NOT_FOUND = _("未找到该季度（只列出已结束的季度）")
# why a quarter cannot be drawn, for the auditor's page (the service refuses the same cases with its own codes)
MSG_WHY_DRAWN = _("本季度已于 {drawn_at} 抽签，每季度只抽一次")
MSG_WHY_NO_CHECKPOINT = _("季度结束时（北京时间 {end}）还没有已签名的检查点，无法确定随机种子，不能抽签")
MSG_WHY_NO_POLICY = _("季度最后一天（{day}）没有生效的政策版本，无法确定抽查比例")
MSG_WHY_NO_CANDIDATES = _("本季度没有发放算力券的作品，没有可抽查的候选，无需抽签")

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _works_with_vouchers_issued(*, start_at: datetime, end_at: datetime) -> list[int]:
    """Works with a voucher issued (= application approved) in [start_at, end_at), whatever its status today."""
    return sorted(set(Voucher.objects.filter(issued_at__gte=start_at, issued_at__lt=end_at)
                      .values_list("work_id", flat=True)))


# The candidate rules a draw may use, by the name written into the draw. A policy that widens the candidates
# (e.g. every supported work of the year) adds a rule here and names it in draw_candidate_rule.
CANDIDATE_RULES: dict[str, Callable[..., list[int]]] = {
    "works_with_vouchers_issued_in_quarter": _works_with_vouchers_issued,
}


def draw_candidate_rule(policy) -> str:
    """The candidate rule for a quarter under ``policy``; the policy has no term for it yet (the issue's rule)."""
    return "works_with_vouchers_issued_in_quarter"


def draw_candidates(*, rule: str, start_at: datetime, end_at: datetime) -> list[int]:
    """Candidate work ids, ascending."""
    return CANDIDATE_RULES[rule](start_at=start_at, end_at=end_at)


def checkpoint_at(moment: datetime) -> SignedCheckpoint | None:
    """The latest checkpoint signed at or before ``moment``."""
    return SignedCheckpoint.objects.filter(signed_at__lte=moment).order_by("-tree_size").first()


def draws_published() -> QuerySet[SpotCheckDraw]:
    return SpotCheckDraw.objects.order_by("-quarter")


def draw_get(quarter: str) -> SpotCheckDraw:
    draw = SpotCheckDraw.objects.filter(quarter=(quarter or "").strip().upper()).first()
    if draw is None:
        raise NotFound(MSG_DRAW_NOT_FOUND, code="draw_not_found")
    return draw


def draw_document(draw: SpotCheckDraw) -> dict:
    """The published JSON of a draw (public; input of `yingdu-verify draw`). `checkpoint_cosigned` is the draw's
    checkpoint with the witness cosignatures received so far (read at serving time, not part of the draw's entry)."""
    signed = SignedCheckpoint.objects.filter(tree_size=draw.checkpoint_tree_size).first()
    cosigned = (cosigned_note(signed) if signed is not None and draw.checkpoint_note.startswith(signed.note)
                else None)
    return {**draw_fields(draw), "drawn_at": draw.drawn_at.isoformat(), "log_index": draw.log_index,
            "checkpoint_cosigned": cosigned}


def user_may_see_cases(user) -> bool:
    return bool(user_roles(user) & (AUDIT_STAFF_ROLES | {Role.ENTERPRISE_MEMBER}))


def cases_visible_to(user) -> QuerySet[SpotCheckCase]:
    """Auditors and admins (after two-factor) see every case; an enterprise member its own; anyone else none."""
    queryset = SpotCheckCase.objects.select_related("draw", "work", "enterprise")
    roles = user_roles(user)
    if roles & AUDIT_STAFF_ROLES:
        return queryset
    if Role.ENTERPRISE_MEMBER in roles:
        return queryset.filter(enterprise__organisation_id=user.organisation_id)
    return queryset.none()


def case_get_for(user, case_id: int) -> SpotCheckCase:
    """One case the user may see; another enterprise's is reported as not found."""
    case = cases_visible_to(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound(MSG_CASE_NOT_FOUND, code="case_not_found")
    return case


def finding_get_for(user, finding_id: int) -> CaseFinding:
    """A finding of a case the user may see."""
    finding = CaseFinding.objects.filter(pk=finding_id, case__in=cases_visible_to(user)).select_related(
        "case__enterprise").first()
    if finding is None:
        raise NotFound(MSG_CASE_NOT_FOUND, code="case_not_found")
    return finding


def case_is_member(user, case: SpotCheckCase) -> bool:
    return (Role.ENTERPRISE_MEMBER in user_roles(user)
            and user.organisation_id == case.enterprise.organisation_id)


def case_pending_finding(case: SpotCheckCase):
    return case.findings.filter(status=FindingStatus.PENDING_CONFIRMATION).select_related("recorded_by").first()


# --- the quarters an auditor may draw ---------------------------------------------------------------------------


def quarter_of(day: date) -> Quarter:
    return Quarter(year=day.year, number=(day.month - 1) // 3 + 1)


def quarter_before(quarter: Quarter) -> Quarter:
    return Quarter(year=quarter.year - 1, number=4) if quarter.number == 1 else Quarter(quarter.year,
                                                                                            quarter.number - 1)


def quarter_ends_at(quarter: Quarter) -> datetime:
    """00:00 Asia/Shanghai of the next quarter's first day (as the draw counts it)."""
    return datetime.combine(quarter.day_after, time.min, SHANGHAI)


def quarter_last_ended(*, now: datetime) -> Quarter:
    return quarter_before(quarter_of(now.astimezone(SHANGHAI).date()))


@dataclass(frozen=True)
class DrawCandidate:
    work_id: int
    title: str
    enterprise_name: str


@dataclass(frozen=True)
class QuarterDrawState:
    """An ended quarter as the auditor sees it: candidates, the draw if made, and why not drawable, if so."""

    quarter: Quarter
    ends_at: datetime
    candidates: list[DrawCandidate]
    draw: SpotCheckDraw | None
    refusal: str

    @property
    def code(self) -> str:
        return str(self.quarter)

    @property
    def drawable(self) -> bool:
        return not self.refusal


def _labelled(work_ids: list[int]) -> list[DrawCandidate]:
    from yingdu.works.models import Work

    works = Work.objects.select_related("enterprise").in_bulk(work_ids)
    return [DrawCandidate(work_id=work_id, title=works[work_id].title, enterprise_name=works[work_id].enterprise.name)
            for work_id in work_ids if work_id in works]


def quarter_draw_state(quarter: Quarter) -> QuarterDrawState:
    """The state of one ended quarter; the same refusals as the draw service, in words for the page."""
    start_at = datetime.combine(quarter.first_day, time.min, SHANGHAI)
    end_at = quarter_ends_at(quarter)
    draw = SpotCheckDraw.objects.filter(quarter=str(quarter)).first()
    if draw is not None:
        return QuarterDrawState(quarter=quarter, ends_at=end_at, candidates=_labelled(list(draw.candidate_ids)),
                                draw=draw, refusal=MSG_WHY_DRAWN.format(
                                    drawn_at=draw.drawn_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")))
    policy = policy_version_in_force(on=quarter.last_day)
    if policy is None:
        return QuarterDrawState(quarter=quarter, ends_at=end_at, candidates=[], draw=None,
                                refusal=MSG_WHY_NO_POLICY.format(day=quarter.last_day.isoformat()))
    candidates = _labelled(draw_candidates(rule=draw_candidate_rule(policy), start_at=start_at, end_at=end_at))
    refusal = ""
    if not candidates:
        refusal = str(MSG_WHY_NO_CANDIDATES)
    elif checkpoint_at(end_at) is None:
        refusal = MSG_WHY_NO_CHECKPOINT.format(end=end_at.strftime("%Y-%m-%d %H:%M"))
    return QuarterDrawState(quarter=quarter, ends_at=end_at, candidates=candidates, draw=None, refusal=refusal)


def _first_quarter_with_activity(*, last: Quarter) -> Quarter:
    """The earliest quarter with a voucher issued, a checkpoint signed or a draw made (``last`` when none)."""
    moments = [moment for moment in (
        Voucher.objects.order_by("issued_at").values_list("issued_at", flat=True).first(),
        SignedCheckpoint.objects.order_by("signed_at").values_list("signed_at", flat=True).first(),
        SpotCheckDraw.objects.order_by("quarter_start_at").values_list("quarter_start_at", flat=True).first(),
    ) if moment is not None]
    if not moments:
        return last
    first = quarter_of(min(moments).astimezone(SHANGHAI).date())
    return min(first, last, key=lambda q: (q.year, q.number))


def _require_auditor(user) -> None:
    if Role.AUDITOR not in user_roles(user):
        raise NotFound(MSG_QUARTER_NOT_FOUND, code="quarter_not_found")


def draw_quarters_for(user, *, now: datetime) -> list[QuarterDrawState]:
    """Every ended quarter from the first with activity, newest first; auditors only (anyone else: not found)."""
    _require_auditor(user)
    quarter = quarter_last_ended(now=now)
    first = _first_quarter_with_activity(last=quarter)
    states = []
    while (quarter.year, quarter.number) >= (first.year, first.number):
        states.append(quarter_draw_state(quarter))
        quarter = quarter_before(quarter)
    return states


def draw_quarter_get_for(user, code: str, *, now: datetime) -> QuarterDrawState:
    """One ended quarter for an auditor; a malformed, unfinished quarter or another role: not found."""
    _require_auditor(user)
    try:
        quarter = Quarter.parse(code)
    except DrawError:
        raise NotFound(MSG_QUARTER_NOT_FOUND, code="quarter_not_found") from None
    if now < quarter_ends_at(quarter):
        raise NotFound(MSG_QUARTER_NOT_FOUND, code="quarter_not_found")
    return quarter_draw_state(quarter)


def draw_auto_due(*, now: datetime) -> Quarter | None:
    """The last ended quarter when the platform should draw it itself now: the policy in force today sets a number of
    working days after the quarter's end, that day has come, and the quarter is still drawable; otherwise None."""
    today = now.astimezone(SHANGHAI).date()
    policy = policy_version_in_force(on=today)
    working_days = None if policy is None else policy.spot_check_auto_draw_working_days
    if working_days is None:
        return None
    quarter = quarter_last_ended(now=now)
    try:
        due_on = work_calendar().add_working_days(start_on=quarter.last_day, working_days=working_days)
    except CalendarYearMissing:
        return None  # no calendar for the year: the draw itself would refuse to guess dates
    if today < due_on or not quarter_draw_state(quarter).drawable:
        return None
    return quarter
