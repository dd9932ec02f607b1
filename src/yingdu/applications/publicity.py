"""The 公示 steps of an application (split from services.py): the platform's issuance when the period ends, and the
return to review when an objection to the proposed award is upheld. The proposal itself is the approval
(services.application_approve) under a version with a 公示 period."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.actors import SYSTEM
from yingdu.errors import Conflict
from yingdu.policy.selectors import work_calendar
from yingdu.vouchers.services import voucher_issue

from .models import Application
from .selectors import publicity_periods_by_application
from .services import _transition
from .sla import publicity_last_day
from .workflow import ApplicationAction

MSG_PUBLICITY_RUNNING = _("公示期尚未结束（截至 {ends_on}），期满后才能发放算力券")
MSG_PUBLICITY_END_UNKNOWN = _("公示期截止日所在年度的工作日历尚未发布，暂不能发放算力券")


def application_publicity_ends_on(application: Application):
    """The last day of the application's current 公示 (None: in a year with no schedule yet)."""
    [*_, period] = publicity_periods_by_application([application.pk])[application.pk]
    return publicity_last_day(proposed_on=period.proposed_on, working_days=period.working_days,
                              calendar=work_calendar())


def application_publicity_conclude(*, application: Application, now) -> Application:
    """The 公示 ended (the day after its last working day, Beijing time) without an upheld objection: the platform
    approves the proposed award and issues its voucher, in one transaction (the caller checks the objections)."""
    today = timezone.localdate(now)

    def apply(locked: Application) -> dict:
        ends_on = application_publicity_ends_on(locked)
        if ends_on is None:
            raise Conflict(MSG_PUBLICITY_END_UNKNOWN, code="publicity_end_unknown")
        if today <= ends_on:
            raise Conflict(str(MSG_PUBLICITY_RUNNING).format(ends_on=ends_on.isoformat()), code="publicity_running",
                           detail={"publicity_ends_on": ends_on.isoformat()})
        locked.decided_at = now
        return {"publicity_ends_on": ends_on.isoformat(), "approved_amount_fen": locked.approved_amount_fen}

    def issue(approved: Application) -> None:
        if approved.approved_amount_fen > 0:
            voucher_issue(enterprise=approved.enterprise, work_id=approved.work_id, application_id=approved.pk,
                          amount_fen=approved.approved_amount_fen, actor=SYSTEM, now=now)

    return _transition(application=application, action=ApplicationAction.PUBLICITY_CONCLUDE, actor=SYSTEM, now=now,
                       apply=apply, then=issue)


def application_publicity_return(*, application: Application, actor, reason: str, objection_id: int,
                                 now) -> Application:
    """An objection to the proposed award was upheld: the award is withdrawn and the application goes back to review
    with the objection as the reason; the clock resumes (called by the objection's decision, after its entry)."""
    def apply(locked: Application) -> dict:
        [*_, period] = publicity_periods_by_application([locked.pk])[locked.pk]
        locked.approved_amount_fen = None
        locked.approved_explanation = ""
        locked.approved_detail = {}
        locked.decision_reason = ""
        return {"publicity_objection": objection_id, "paused_from": period.proposed_on.isoformat(),
                "paused_to": timezone.localdate(now).isoformat()}

    return _transition(application=application, action=ApplicationAction.PUBLICITY_RETURN, actor=actor, now=now,
                       reason=reason, apply=apply)
