"""Log entries of oversight: the draw, and every step of a spot-check case (free text only as a commitment)."""

from yingdu.transparency.services import commitment, event_time

from .draw import DRAW_FORMAT
from .models import SpotCheckCase, SpotCheckDraw
from .workflow import CHECKLIST


def text_commitment(case: SpotCheckCase, text: str) -> str:
    """A salted commitment (the enterprise's salt) to free text, so that entries carry none."""
    return commitment(salt=case.enterprise.commitment_salt, values={"text": text})


def draw_fields(draw: SpotCheckDraw) -> dict:
    """The draw as published and logged: everything `yingdu-verify draw` needs to recompute it."""
    return {
        "format": DRAW_FORMAT,
        "quarter": draw.quarter,
        "quarter_start_at": event_time(draw.quarter_start_at),
        "quarter_end_at": event_time(draw.quarter_end_at),
        "checkpoint": draw.checkpoint_note,
        "checkpoint_tree_size": draw.checkpoint_tree_size,
        "seed": draw.seed_hex,
        "candidate_rule": draw.candidate_rule,
        "policy_version": draw.policy_version,
        "sample_rate": draw.sample_rate,
        "sample_minimum": draw.sample_minimum,
        "candidates": list(draw.candidate_ids),
        "sample_size": len(draw.chosen_ids),
        "chosen": list(draw.chosen_ids),
    }


def draw_event(draw: SpotCheckDraw) -> dict:
    return {"type": "audits.draw", "at": event_time(draw.drawn_at), "draw": draw.pk, "actor": _actor(draw.drawn_by),
            **draw_fields(draw)}


def case_opened_event(case: SpotCheckCase) -> dict:
    return {"type": "audits.case_open", "at": event_time(case.opened_at), "case": case.pk, "draw": case.draw_id,
            "quarter": case.draw.quarter, "work": case.work_id, "enterprise": case.enterprise_id, "rank": case.rank,
            "due_on": case.due_on.isoformat(), "response_deadline_on": case.response_deadline_on.isoformat(),
            "response_policy_version": case.response_policy_version,
            "items": [code for code, _label in CHECKLIST]}


def case_event(case: SpotCheckCase, event_type: str, *, now, actor, **fields) -> dict:
    """audits.<step> of one case."""
    return {"type": event_type, "at": event_time(now), "case": case.pk, "enterprise": case.enterprise_id,
            "actor": _actor(actor), **fields}


def _actor(actor):
    return actor.pk if actor is not None else "system"
