"""Log entries of separation of duties: memberships ended, recusals, four-eyes proposals and their decisions.

Reasons and a proposal's parameters are free text or may name people, so they appear only as commitments salted with
the staff member's own salt (the proposer's, for everything about a proposal).
"""

from yingdu.accounts.models import User
from yingdu.actors import actor_ref
from yingdu.transparency.catalogue import Committed, Const, Field, Kind, Row, declare
from yingdu.transparency.services import commitment, event_time

from .models import PastMembership, Proposal, ProposalStatus, Recusal


def _user_salted(digest: str, columns: dict, salt_key: str) -> Committed:
    return Committed(digest, columns, salt_model=User, salt_key=salt_key)


MEMBERSHIP_ENDED = declare(
    "duties.membership_ended",
    doc="A user left an organisation; the link keeps counting as a conflict of interest for the policy's look-back.",
    fields={"at": Field(Kind.TIME), "actor": Field(Kind.ACTOR, "the admin who ended it, or system"),
            "user": Field(Kind.INT), "organisation": Field(Kind.INT), "past_membership": Field(Kind.INT),
            "reason_commitment": Field(Kind.DIGEST, "commitment to the reason (the user's salt)")},
    rows=[
        Row(PastMembership, key="past_membership", columns={
            "user_id": "user", "organisation_id": "organisation", "ended_at": "at", "ended_by_id": "actor",
            "reason": _user_salted("reason_commitment", {"reason": "reason"}, "user")}),
        Row(User, key="user", action="update", columns={"organisation_id": Const(None)}),
    ],
)

RECUSAL_DECLARED = declare(
    "duties.recusal_declared",
    doc="A staff member declared that they will not act on a case (回避); from then on the services refuse them.",
    fields={"at": Field(Kind.TIME), "user": Field(Kind.INT), "recusal": Field(Kind.INT),
            "case_kind": Field(Kind.STR), "case_id": Field(Kind.INT),
            "reason_commitment": Field(Kind.DIGEST, "commitment to the reason (the user's salt)")},
    rows=[Row(Recusal, key="recusal", columns={
        "user_id": "user", "case_kind": "case_kind", "case_id": "case_id", "declared_at": "at",
        "reason": _user_salted("reason_commitment", {"reason": "reason"}, "user")})],
)

PROPOSED = declare(
    "duties.proposed",
    doc="A four-eyes step was proposed; it takes effect only when a second person confirms it.",
    fields={"at": Field(Kind.TIME), "proposal": Field(Kind.INT), "step": Field(Kind.STR),
            "case_kind": Field(Kind.STR), "case_id": Field(Kind.INT), "proposed_by": Field(Kind.INT),
            "proposal_commitment": Field(Kind.DIGEST, "commitment to the step's parameters and the reason "
                                                      "(the proposer's salt)")},
    rows=[Row(Proposal, key="proposal", columns={
        "step": "step", "case_kind": "case_kind", "case_id": "case_id", "proposed_by_id": "proposed_by",
        "proposed_at": "at", "status": Const(ProposalStatus.PENDING.value), "decided_by_id": Const(None),
        "decided_at": Const(None),
        "proposal": _user_salted("proposal_commitment", {"params": "params", "reason": "reason"}, "proposed_by")})],
)

PROPOSAL_DECIDED = declare(
    "duties.proposal_decided",
    doc="A proposal was confirmed by a second person (the step's own entry follows), refused by a second person, "
        "or withdrawn by its proposer.",
    fields={"at": Field(Kind.TIME), "proposal": Field(Kind.INT), "proposed_by": Field(Kind.INT),
            "status": Field(Kind.STR, "confirmed|refused|withdrawn"), "actor": Field(Kind.ACTOR),
            "note_commitment": Field(Kind.DIGEST, "commitment to the decision note (the proposer's salt)")},
    rows=[Row(Proposal, key="proposal", action="update", columns={
        "status": "status", "decided_by_id": "actor", "decided_at": "at",
        "note": _user_salted("note_commitment", {"note": "decision_note"}, "proposed_by")})],
)


def membership_ended_event(past: PastMembership, *, actor, now) -> dict:
    return MEMBERSHIP_ENDED.build(
        at=event_time(now), actor=actor_ref(actor), user=past.user_id, organisation=past.organisation_id,
        past_membership=past.pk, reason_commitment=commitment(salt=past.user.commitment_salt,
                                                              values={"reason": past.reason}))


def recusal_declared_event(recusal: Recusal, *, now) -> dict:
    return RECUSAL_DECLARED.build(
        at=event_time(now), user=recusal.user_id, recusal=recusal.pk, case_kind=recusal.case_kind,
        case_id=recusal.case_id, reason_commitment=commitment(salt=recusal.user.commitment_salt,
                                                              values={"reason": recusal.reason}))


def proposed_event(proposal: Proposal, *, now) -> dict:
    return PROPOSED.build(
        at=event_time(now), proposal=proposal.pk, step=proposal.step, case_kind=proposal.case_kind,
        case_id=proposal.case_id, proposed_by=proposal.proposed_by_id,
        proposal_commitment=commitment(salt=proposal.proposed_by.commitment_salt,
                                       values={"params": proposal.params, "reason": proposal.reason}))


def proposal_decided_event(proposal: Proposal, *, now) -> dict:
    return PROPOSAL_DECIDED.build(
        at=event_time(now), proposal=proposal.pk, proposed_by=proposal.proposed_by_id, status=proposal.status,
        actor=actor_ref(proposal.decided_by), note_commitment=commitment(
            salt=proposal.proposed_by.commitment_salt, values={"note": proposal.decision_note}))
