"""Log entries of policy versions and calendar years: each holds everything needed to recompute its rows.

A policy version's terms are public programme rules, so they appear in the clear (``terms``: every term of
``yingdu.policy.terms.TERM_FIELDS``; rates as decimal strings, money as integer fen). A calendar year's entry lists
its special days in date order with the ids of their rows.
"""

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from functools import partial

import rfc8785

from yingdu.actors import actor_ref
from yingdu.rules.workdays import SpecialDay
from yingdu.transparency.catalogue import Const, Derived, EventType, Field, Kind, Row, declare
from yingdu.transparency.services import event_time

from .models import (
    CalendarKind,
    CalendarReminder,
    CalendarSpecialDay,
    CalendarYearVersion,
    PolicyVersion,
)
from .terms import RATE_FIELDS, TERM_DEFAULTS, TERM_FIELDS, version_terms


def special_days_data(special_days: Iterable[SpecialDay]) -> list[dict]:
    """A year's special days as JSON-ready data, in date order."""
    return [
        {"date": day.day_on.isoformat(), "kind": str(day.kind), "name": day.name, "source": day.source}
        for day in sorted(special_days, key=lambda day: day.day_on)
    ]


def special_days_sha256(special_days: Iterable[SpecialDay]) -> str:
    # digest = SHA-256(RFC 8785 canonical JSON of the special days list)
    return hashlib.sha256(rfc8785.dumps(special_days_data(special_days))).hexdigest()


# --- policy versions ----------------------------------------------------------------------------------------------

def _term(name: str, event: dict):
    """A term's column value from the entry's ``terms`` (rates are decimal strings there)."""
    value = event["terms"].get(name, TERM_DEFAULTS.get(name))  # terms added later are absent from earlier entries
    return Decimal(value) if name in RATE_FIELDS and value is not None else value


TERM_COLUMNS = {name: Derived(partial(_term, name), f"terms.{name}") for name in TERM_FIELDS}

_VERSION_FIELDS = {
    "at": Field(Kind.TIME, "when"),
    "actor": Field(Kind.ACTOR, "the admin, or system (the default version seeded on installation)"),
    "version_id": Field(Kind.STR, "the version's public identifier, e.g. huairou-2026-04"),
    "title": Field(Kind.STR),
    "change_note": Field(Kind.STR, "what the version changes (public)"),
    "status": Field(Kind.STR, "draft|published, after the write"),
    "effective_from": Field(Kind.DATE, "the date the version takes effect (null for a draft)", null=True),
    "terms": Field(Kind.JSON, "every term: {name: value}; rates as decimal strings, money as integer fen, "
                              "service categories and the materials checklist as lists"),
}
_VERSION_COLUMNS = {"version_id": "version_id", "title": "title", "change_note": "change_note", "status": "status",
                    "effective_from": "effective_from", **TERM_COLUMNS}

DRAFT_CREATED = declare(
    "policy.draft_created",
    doc="A draft policy version was created with all its terms.",
    fields={**_VERSION_FIELDS, "version": Field(Kind.INT, "policy version row id")},
    rows=[Row(PolicyVersion, key="version", columns={
        **_VERSION_COLUMNS, "created_by_id": "actor", "created_at": "at", "updated_at": "at",
        "published_by_id": Const(None), "published_at": Const(None)})],
)

DRAFT_SAVED = declare(
    "policy.draft_saved", version=2,
    doc="A draft policy version was changed; the entry holds the whole version as it stands after the change.",
    fields={**_VERSION_FIELDS, "version": Field(Kind.INT, "policy version row id", since=2)},
    rows=[Row(PolicyVersion, key="version", action="update", columns={**_VERSION_COLUMNS, "updated_at": "at"})],
)

VERSION_PUBLISHED = declare(
    "policy.version_published", version=2,
    doc="A draft policy version was published from a date; from then on it is never edited.",
    fields={**_VERSION_FIELDS, "version": Field(Kind.INT, "policy version row id", since=2)},
    rows=[Row(PolicyVersion, key="version", action="update", columns={
        **_VERSION_COLUMNS, "published_by_id": "actor", "published_at": "at", "updated_at": "at"})],
)


def _policy_version_event(declared: EventType, version: PolicyVersion, *, actor, now) -> dict:
    return declared.build(
        at=event_time(now), actor=actor_ref(actor), version=version.pk, version_id=version.version_id,
        title=version.title, change_note=version.change_note, status=str(version.status),
        effective_from=version.effective_from.isoformat() if version.effective_from else None,
        terms=version_terms(version),
    )


def policy_draft_created_event(version: PolicyVersion, *, actor, now) -> dict:
    return _policy_version_event(DRAFT_CREATED, version, actor=actor, now=now)


def policy_draft_saved_event(version: PolicyVersion, *, actor, now) -> dict:
    return _policy_version_event(DRAFT_SAVED, version, actor=actor, now=now)


def policy_version_published_event(version: PolicyVersion, *, actor, now) -> dict:
    return _policy_version_event(VERSION_PUBLISHED, version, actor=actor, now=now)


# --- calendar years -----------------------------------------------------------------------------------------------

def _special_day_id(event: dict, day: dict) -> int:
    """The row id of a special day: ``special_day_ids`` lists them in the order of ``special_days``."""
    return event["special_day_ids"][event["special_days"].index(day)]


_SPECIAL_DAY_ITEM = {
    "date": Field(Kind.DATE),
    "kind": Field(Kind.STR, "holiday (放假) | workday (调休上班)"),
    "name": Field(Kind.STR, "the holiday's name"),
    "source": Field(Kind.STR, "where this day's arrangement is published"),
}
_YEAR_FIELDS = {
    "at": Field(Kind.TIME, "when"),
    "actor": Field(Kind.ACTOR, "the admin who imported it, or system (packaged years, provisional years)"),
    "year": Field(Kind.INT),
    "version": Field(Kind.INT, "the schedule's version number within the year (shared by both kinds)"),
    "source": Field(Kind.STR, "where the schedule is published"),
    "days_sha256": Field(Kind.DIGEST, "SHA-256 of the RFC 8785 canonical JSON of special_days"),
    "special_days": Field(Kind.ITEMS, "holidays and adjusted working days, in date order", items=_SPECIAL_DAY_ITEM),
    "year_version": Field(Kind.INT, "calendar year version row id", since=2),
    "special_day_ids": Field(Kind.INTS, "special day row ids, in the order of special_days", since=2),
}


def _declare_year(name: str, kind: CalendarKind, doc: str) -> EventType:
    return declare(
        name, version=2, doc=doc, fields=_YEAR_FIELDS,
        rows=[
            Row(CalendarYearVersion, key="year_version", columns={
                "year": "year", "version": "version", "kind": Const(kind.value), "source": "source",
                "days_sha256": "days_sha256", "published_by_id": "actor", "published_at": "at"}),
            Row(CalendarSpecialDay, key=Derived(_special_day_id, "the id at the day's position in special_day_ids"), each="special_days", columns={
                "year_version_id": "^year_version", "day_on": "date", "kind": "kind", "name": "name",
                "source": "source"}),
        ],
    )


YEAR_PUBLISHED = _declare_year(
    "calendar.year_published", CalendarKind.OFFICIAL,
    "A year's official holiday schedule (the State Council's) was published as the year's next version.")
YEAR_PROVISIONAL = _declare_year(
    "calendar.year_provisional", CalendarKind.PROVISIONAL,
    "A provisional schedule for a year without an official one was derived from the statutory holidays.")
YEAR_EVENT_TYPES = {CalendarKind.OFFICIAL: YEAR_PUBLISHED, CalendarKind.PROVISIONAL: YEAR_PROVISIONAL}


def calendar_year_published_event(year_version: CalendarYearVersion, special_days: Iterable[CalendarSpecialDay], *,
                                  actor, now) -> dict:
    """calendar.year_published (official) / calendar.year_provisional: the year's schedule in full, with its
    version number, digest and the ids of its rows."""
    days = sorted(special_days, key=lambda day: day.day_on)
    return YEAR_EVENT_TYPES[CalendarKind(year_version.kind)].build(
        at=event_time(now), actor=actor_ref(actor), year=year_version.year, version=year_version.version,
        source=year_version.source, days_sha256=year_version.days_sha256, special_days=special_days_data(days),
        year_version=year_version.pk, special_day_ids=[day.pk for day in days],
    )


REMINDER_SENT = declare(
    "calendar.reminder_sent", version=2,
    doc="The admins were e-mailed that a year's official schedule is due for import (at most once a day).",
    fields={
        "at": Field(Kind.TIME, "when"),
        "year": Field(Kind.INT, "the year whose schedule is due"),
        "sent_on": Field(Kind.DATE, "the Beijing date of the reminder"),
        "recipients": Field(Kind.INT, "how many admins were e-mailed"),
        "reminder": Field(Kind.INT, "calendar reminder row id", since=2),
    },
    rows=[Row(CalendarReminder, key="reminder", columns={
        "year": "year", "sent_on": "sent_on", "recipients": "recipients", "sent_at": "at"})],
)


def calendar_reminder_sent_event(reminder: CalendarReminder) -> dict:
    return REMINDER_SENT.build(at=event_time(reminder.sent_at), year=reminder.year,
                               sent_on=reminder.sent_on.isoformat(), recipients=reminder.recipients,
                               reminder=reminder.pk)
