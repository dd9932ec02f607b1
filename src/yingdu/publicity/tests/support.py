"""Builders for the statistics and 公示 tests: approved applications as rows, a policy version with 公示 on."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from yingdu.actors import SYSTEM
from yingdu.applications.models import Application, ApplicationKind, ApplicationStatus, ApplicationTransition
from yingdu.policy.models import PolicyVersion
from yingdu.policy.services import policy_version_create_draft, policy_version_publish

SHANGHAI = ZoneInfo("Asia/Shanghai")


def beijing(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def application_row(work, *, status=ApplicationStatus.APPROVED, kind=ApplicationKind.REGULAR, amount_fen=None,
                    decided_at=None, overseas: bool = False, topup_of=None, policy_version=None) -> Application:
    """An application as the services leave it after the decision (the figures read only these columns)."""
    created_at = beijing(2026, 1, 5)
    return Application.objects.create(
        enterprise=work.enterprise, work=work, kind=kind, overseas_claimed=overseas, topup_of=topup_of,
        status=status, created_by=work.enterprise.registered_by, created_at=created_at, submitted_at=created_at,
        submitted_on=created_at.date(), limit_year=2026,
        policy_version=policy_version or PolicyVersion.objects.get(version_id="huairou-2026-04"),
        review_amount_fen=amount_fen, approved_amount_fen=amount_fen if status == ApplicationStatus.APPROVED else None,
        decided_at=decided_at)


def publicity_policy(*, working_days: int = 5, effective_from: date = date(2026, 9, 1),
                     version_id: str = "publicity-2026-09", excluded_from_sla: bool = False) -> PolicyVersion:
    """A version in force from ``effective_from`` that shows approved awards for ``working_days`` (and, with
    ``excluded_from_sla``, pauses the review clock meanwhile)."""
    draft = policy_version_create_draft(version_id=version_id, title="公示测试政策", actor=SYSTEM,
                                        now=beijing(2026, 8, 1),
                                        terms={"publicity_working_days": working_days,
                                               "publicity_excluded_from_sla": excluded_from_sla})
    return policy_version_publish(version=draft, effective_from=effective_from, actor=SYSTEM,
                                  now=beijing(2026, 8, 1))


def proposed_row(work, *, amount_fen: int, proposed_at: datetime, policy_version: PolicyVersion) -> Application:
    """An application in 公示 as the approval leaves it: status 公示中 and its proposal step (the period's start)."""
    application = application_row(work, status=ApplicationStatus.PUBLICITY, amount_fen=amount_fen,
                                  policy_version=policy_version)
    application.approved_amount_fen = amount_fen
    application.save(update_fields=["approved_amount_fen"])
    ApplicationTransition.objects.create(
        application=application, action="propose", from_status=ApplicationStatus.UNDER_REVIEW,
        to_status=ApplicationStatus.PUBLICITY, actor=None, at=proposed_at, on=proposed_at.date(),
        detail={"publicity_working_days": policy_version.publicity_working_days,
                "publicity_excluded_from_sla": policy_version.publicity_excluded_from_sla})
    return application
