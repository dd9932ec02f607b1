"""Applications and their transitions, from applications.create and applications.<action> entries.

(Supplement requests, materials and reminders are recomputed from the rows declared in applications/events.py.)
"""

from django.db.models import F

from yingdu.actors import SYSTEM_REF
from yingdu.applications.models import Application, ApplicationKind, ApplicationStatus, ApplicationTransition

from .base import Committed, ExpectedRows, MismatchSink, Projection, parse_date, parse_time
from .enterprises import enterprise_salts

APPLICATION_TABLE = Application._meta.db_table
TRANSITION_TABLE = ApplicationTransition._meta.db_table

# what a draft holds before any transition: every field a later step sets is still empty
_DRAFT_EMPTY = {
    "submitted_at": None, "submitted_on": None, "limit_year": None, "policy_version": None, "accepted_on": None,
    "sla_working_days": None, "verified_cost_fen": None, "review_amount_fen": None, "reviewed_at": None,
    "approved_amount_fen": None, "decided_at": None, "decision_reason": "", "reviewer_id": None,
    "review_explanation": "", "review_detail": {}, "approved_explanation": "", "approved_detail": {},
}
_REVIEWED = ("start_review", "resubmit", "approve", "propose")


class ApplicationProjection(Projection):
    tables = {
        APPLICATION_TABLE: (),
        TRANSITION_TABLE: (),
    }
    name = "applications"

    def __init__(self) -> None:
        self.applications = ExpectedRows(APPLICATION_TABLE)
        self.transitions = ExpectedRows(TRANSITION_TABLE)
        self.enterprise_of: dict[int, int] = {}

    def entry(self, index: int, event_type: str, event: dict) -> None:
        at = parse_time(event["at"])
        application_id = event["application"]
        if event_type == "applications.create":
            self.enterprise_of[application_id] = event["enterprise"]
            self.applications.create(application_id, index, {
                "enterprise_id": event["enterprise"], "work_id": event["work"], "kind": event["kind"],
                "overseas_claimed": event["overseas_claimed"], "topup_of_id": event["topup_of"],
                "created_by_id": event["actor"], "created_at": at, "status": ApplicationStatus.DRAFT,
                "counts_toward_limit": event["kind"] == ApplicationKind.REGULAR, **_DRAFT_EMPTY,
            })
            return
        action = event_type.removeprefix("applications.")
        detail = event["detail"]
        enterprise_id = event["enterprise"]
        reason = Committed(event["reason_commitment"], ("reason",), ("enterprise", enterprise_id))
        self.transitions.create(event["transition"], index, {
            "application_id": application_id, "action": action, "from_status": event["from_status"],
            "to_status": event["to_status"], "actor_id": None if event["actor"] == SYSTEM_REF else event["actor"],
            "at": at, "on": parse_date(event["on"]),
            "reason": reason, "detail": detail,
        })
        changed = {"status": event["to_status"], "enterprise_id": enterprise_id, "work_id": event["work"],
                   "kind": event["kind"]}
        if action == "submit":
            changed.update(submitted_at=at, submitted_on=parse_date(event["on"]), limit_year=detail["limit_year"],
                           policy_version=detail["policy_version"],
                           counts_toward_limit=detail["counts_toward_limit"])
        elif action == "accept":
            changed.update(accepted_on=parse_date(detail["accepted_on"]), sla_working_days=detail["sla_working_days"],
                           reviewer_id=event["actor"])
        if action == "start_review":
            changed["reviewer_id"] = event["actor"]
        if action in _REVIEWED:
            changed.update(verified_cost_fen=detail["verified_cost_fen"], review_amount_fen=detail["amount_fen"],
                           reviewed_at=at)
            if "review_detail" in event:  # since version 2
                changed.update(review_explanation=event["review_explanation"], review_detail=event["review_detail"])
        if action in ("approve", "propose"):
            changed["approved_amount_fen"] = detail["approved_amount_fen"]
            if "review_detail" in event:
                changed.update(approved_explanation=event["review_explanation"],
                               approved_detail=event["review_detail"])
        if action in ("approve", "reject", "propose"):
            changed["decision_reason"] = Committed(
                event["reason_commitment"], ("decision_reason",), ("enterprise", enterprise_id), keys=("reason",))
        if action in ("approve", "reject", "publicity_conclude"):
            # a proposed award (公示) is decided when the platform issues it
            changed["decided_at"] = at
        if action == "publicity_return":
            changed.update(approved_amount_fen=None, approved_explanation="", approved_detail={},
                           decision_reason="")
        self.applications.set(application_id, index, changed)

    def finish(self, tree_size: int, sink: MismatchSink) -> None:
        salts = enterprise_salts()
        fields = ["pk", "enterprise_id", "work_id", "kind", "overseas_claimed", "topup_of_id", "created_by_id",
                  "created_at", "status", "counts_toward_limit", *(name for name in _DRAFT_EMPTY
                                                                    if name != "policy_version")]
        rows = Application.objects.values(*fields, policy_version_key=F("policy_version__version_id")).iterator()
        self.applications.compare(((row["pk"], {**row, "policy_version": row["policy_version_key"]})
                                   for row in rows), sink, salts=salts)
        fields = ["pk", "application_id", "action", "from_status", "to_status", "actor_id", "at", "on", "reason",
                  "detail"]
        self.transitions.compare(((row["pk"], row) for row in ApplicationTransition.objects.values(*fields)
                                  .iterator()), sink, salts=salts)

