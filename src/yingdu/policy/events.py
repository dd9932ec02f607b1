"""Log entries of policy versions and calendar years: each holds everything needed to recompute its row."""

import hashlib
from collections.abc import Iterable

import rfc8785

from yingdu.rules.workdays import SpecialDay
from yingdu.transparency.services import event_time

from .models import CalendarYearVersion, PolicyVersion
from .terms import version_terms

SYSTEM_ACTOR = "system"


def actor_ref(actor) -> int | str:
    """A user by id, or "system" for the platform itself (seed data, the operator's shell)."""
    return SYSTEM_ACTOR if actor is None else actor.pk


def special_days_data(special_days: Iterable[SpecialDay]) -> list[dict]:
    """A year's special days as JSON-ready data, in date order."""
    return [
        {"date": day.day_on.isoformat(), "kind": str(day.kind), "name": day.name, "source": day.source}
        for day in sorted(special_days, key=lambda day: day.day_on)
    ]


def special_days_sha256(special_days: Iterable[SpecialDay]) -> str:
    # digest = SHA-256(RFC 8785 canonical JSON of the special days list)
    return hashlib.sha256(rfc8785.dumps(special_days_data(special_days))).hexdigest()


def policy_version_event(version: PolicyVersion, *, event_type: str, actor, now) -> dict:
    """policy.draft_saved / policy.version_published: the whole version as it stands after the write."""
    return {
        "type": event_type,
        "at": event_time(now),
        "actor": actor_ref(actor),
        "version_id": version.version_id,
        "title": version.title,
        "change_note": version.change_note,
        "status": version.status,
        "effective_from": version.effective_from.isoformat() if version.effective_from else None,
        "terms": version_terms(version),
    }


def calendar_year_published_event(year_version: CalendarYearVersion, special_days: Iterable[SpecialDay], *,
                                  actor, now) -> dict:
    """calendar.year_published (official) / calendar.year_provisional (derived from the statutory holidays): the
    year's schedule in full, with its version number and digest."""
    return {
        "type": "calendar.year_provisional" if year_version.is_provisional else "calendar.year_published",
        "at": event_time(now),
        "actor": actor_ref(actor),
        "year": year_version.year,
        "version": year_version.version,
        "source": year_version.source,
        "days_sha256": year_version.days_sha256,
        "special_days": special_days_data(special_days),
    }
