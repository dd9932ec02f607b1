"""Reads of oversight: draw candidates and the checkpoint at a quarter's end, published draws, visible cases."""

from collections.abc import Callable
from datetime import datetime

from django.db.models import QuerySet

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_roles
from yingdu.errors import NotFound
from yingdu.transparency.models import SignedCheckpoint
from yingdu.transparency.selectors import cosigned_note
from yingdu.vouchers.models import Voucher

from .events import draw_fields
from .models import CaseFinding, FindingStatus, SpotCheckCase, SpotCheckDraw
from .workflow import AUDIT_STAFF_ROLES

MSG_DRAW_NOT_FOUND = "未找到该季度的抽查抽签"
MSG_CASE_NOT_FOUND = "未找到该抽查案件"


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
