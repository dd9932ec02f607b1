"""The catalogue of log entry types: every type declared once, in its app's ``events.py``.

A declaration (``EventType``) names the namespaced type, its schema version, its typed fields and the table rows it
writes (``Row``), so that one declaration serves three readers: ``log_append`` refuses an entry that does not match
it, the database audit recomputes the rows from it, and ``docs/log-schema.md`` is generated from it for outside
auditors. Services never write an entry dict themselves: they call the type's builder (``EventType.build``) through
their app's ``events.py``.

An entry is ``{"type": <type>, "v": <version>, <field>: <value>, ...}``. Values are JSON: times are RFC 3339 UTC
strings with microseconds (``2026-11-27T01:02:03.000004Z``), dates ``YYYY-MM-DD``, decimals strings, bytes lower-case
hex, the actor a user id or ``"system"``. Entries written under an earlier version of a type stay readable: a field
added later names the version it appeared in (``since``).
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib import import_module

from yingdu.actors import SYSTEM_REF

# The apps whose events.py declare entry types (imported once, on first use of the catalogue).
EVENT_MODULES = (
    "yingdu.accounts.events", "yingdu.accounts.events_self", "yingdu.enterprises.events", "yingdu.policy.events", "yingdu.metering.events",
    "yingdu.works.events", "yingdu.notices.events", "yingdu.applications.events", "yingdu.vouchers.events",
    "yingdu.audits.events", "yingdu.duties.events", "yingdu.publicity.events", "yingdu.inbox.events",
)

_TYPE_NAME = re.compile(r"^[a-z]+\.[a-z][a-z0-9_]*$")
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_HEX = re.compile(r"^(?:[0-9a-f]{2})*$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class Kind(StrEnum):
    """The JSON form of a field's value, and what the audit decodes it to."""

    INT = "integer"
    STR = "string"
    BOOL = "boolean"
    TIME = "time"          # RFC 3339 UTC with microseconds -> aware datetime
    DATE = "date"          # YYYY-MM-DD -> date
    DECIMAL = "decimal"    # decimal string -> Decimal
    HEX = "hex"            # lower-case hex -> bytes
    DIGEST = "digest"      # 64 hex digits: a SHA-256 or a salted commitment (HMAC-SHA256)
    ACTOR = "actor"        # user id, or "system" -> user id or None
    INTS = "integers"      # list of integers
    STRS = "strings"       # list of strings
    ITEMS = "items"        # list of objects, each with its own declared fields
    JSON = "json"          # any JSON value, recorded as is


class CatalogueError(ValueError):
    """An entry that does not match its declaration (or has no declaration)."""


@dataclass(frozen=True)
class Field:
    """One field of an entry type: its kind, whether null is allowed, and the versions that have it (``since`` the
    version it appeared in, ``until`` the last version that had it, for a field later replaced)."""

    kind: Kind
    doc: str = ""
    null: bool = False
    since: int = 1
    items: Mapping[str, "Field"] | None = None   # the fields of each object of an ITEMS list
    until: int | None = None

    def in_version(self, version: int | None) -> bool:
        return version is None or (self.since <= version and (self.until is None or version <= self.until))

    def check(self, name: str, value, version: int | None = None) -> None:
        if value is None:
            if not self.null:
                raise CatalogueError(f"{name}: null is not allowed")
            return
        if not _KIND_CHECKS[self.kind](value):
            raise CatalogueError(f"{name}: {value!r} is not a {self.kind.value}")
        if self.kind is Kind.ITEMS:
            for position, item in enumerate(value):
                _check_fields(f"{name}[{position}]", item, self.items or {}, version=version)

    def decode(self, value):
        """The Python value the database holds for this entry value (for the audit's comparisons)."""
        if value is None:
            return None
        match self.kind:
            case Kind.TIME:
                return datetime.fromisoformat(value).astimezone(UTC)
            case Kind.DATE:
                return date.fromisoformat(value)
            case Kind.DECIMAL:
                return Decimal(value)
            case Kind.HEX:
                return bytes.fromhex(value)
            case Kind.ACTOR:
                return None if value == SYSTEM_REF or value in LEGACY_SYSTEM_REFS else value
            case Kind.ITEMS:
                return [{key: (self.items[key].decode(item_value) if self.items and key in self.items else item_value)
                         for key, item_value in item.items()} for item in value]
        return value


def _is_int(value) -> bool:
    return type(value) is int


def _is_decimal(value) -> bool:
    if not isinstance(value, str) or not _DECIMAL.match(value):
        return False
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return True


_KIND_CHECKS: dict[Kind, Callable[[object], bool]] = {
    Kind.INT: _is_int,
    Kind.STR: lambda value: isinstance(value, str),
    Kind.BOOL: lambda value: type(value) is bool,
    Kind.TIME: lambda value: isinstance(value, str) and bool(_TIME.match(value)),
    Kind.DATE: lambda value: isinstance(value, str) and bool(_DATE.match(value)),
    Kind.DECIMAL: _is_decimal,
    Kind.HEX: lambda value: isinstance(value, str) and bool(_HEX.match(value)),
    Kind.DIGEST: lambda value: isinstance(value, str) and bool(_DIGEST.match(value)),
    Kind.ACTOR: lambda value: _is_int(value) or value == SYSTEM_REF,
    Kind.INTS: lambda value: isinstance(value, list) and all(_is_int(item) for item in value),
    Kind.STRS: lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value),
    Kind.ITEMS: lambda value: isinstance(value, list) and all(isinstance(item, dict) for item in value),
    Kind.JSON: lambda value: True,
}


# Before the catalogue, entries wrote the system as null or "operator" (see yingdu.actors); entries of an earlier
# version of a type may still say so.
LEGACY_SYSTEM_REFS = (None, "operator")


def _legacy_actor(value) -> bool:
    return _KIND_CHECKS[Kind.ACTOR](value) or value in LEGACY_SYSTEM_REFS


def _check_fields(where: str, event: Mapping, fields: Mapping[str, Field], *, version: int | None,
                  reserved: Iterable[str] = ()) -> None:
    """Every declared field present (those of the entry's version), nothing undeclared, each of its kind."""
    reserved = set(reserved)
    expected = {name for name, declared in fields.items() if declared.in_version(version)}
    present = set(event) - reserved
    if present != expected:
        missing, extra = sorted(expected - present), sorted(present - set(fields))
        if missing or extra:
            raise CatalogueError(f"{where}: missing {missing}, undeclared {extra}")
        raise CatalogueError(f"{where}: fields of a later version than {version}: {sorted(present - expected)}")
    for name in present:
        fields[name].check(f"{where}.{name}", event[name], version)


# --- how an entry's fields become a table's columns (read by the database audit) ---------------------------------

@dataclass(frozen=True)
class Const:
    """A column value implied by the entry type itself (e.g. the action of a state change)."""

    value: object


@dataclass(frozen=True)
class Derived:
    """A column value computed from the decoded entry (and the item, for rows written per list item)."""

    compute: Callable[..., object]
    doc: str = ""


@dataclass(frozen=True)
class Committed:
    """Columns known only by a salted commitment in the entry (personal data, secrets, free text).

    ``digest`` is the entry field holding HMAC-SHA256(salt, canonical JSON of {key: column value}) (see
    ``transparency.services.commitment``); ``columns`` maps each committed key to its column. The salt is the row's
    own column ``salt_column``, or the ``commitment_salt`` column of the ``salt_model`` row whose primary key is the
    entry field ``salt_key`` (e.g. the enterprise's salt for its applications' free text).
    """

    digest: str
    columns: Mapping[str, str]
    salt_column: str | None = None
    salt_model: type | None = None
    salt_key: str | None = None


Source = str | Const | Derived | Committed


@dataclass(frozen=True)
class Row:
    """A row the entry writes: the table (a Django model), the entry field holding its primary key, its columns.

    ``columns`` maps a column's attribute name (``organisation_id`` for a foreign key) to its source: an entry field
    name, a ``Const``, a ``Derived`` or a ``Committed``. ``action`` is ``create`` (a new row), ``update`` (columns of
    an existing row) or ``delete``. With ``each`` set, one row is written per object of that ITEMS field, and string
    sources name the object's fields (``^name`` names the entry's own field).
    """

    model: type
    key: str | Derived
    columns: Mapping[str, Source] = field(default_factory=dict)
    action: str = "create"
    each: str | None = None


class BuiltEntry(dict):
    """An entry made by its type's builder, whose values were checked then (``log_append`` re-checks only that no
    field was added or removed since)."""

    __slots__ = ("declared",)


@dataclass(frozen=True)
class EventType:
    """One declared entry type."""

    name: str
    version: int
    doc: str
    fields: Mapping[str, Field]
    rows: tuple[Row, ...] = ()
    #: the hand-written audit projection that recomputes what this entry writes (yingdu.audits.projections)
    projection: str = ""
    #: why the entry writes no audited row, when it does not (e.g. a reminder e-mail was sent)
    not_projected: str = ""

    def __post_init__(self) -> None:
        if not _TYPE_NAME.match(self.name):
            raise CatalogueError(f"{self.name!r} is not a namespaced type name")
        if "at" not in self.fields:
            raise CatalogueError(f"{self.name}: every entry says when it happened ('at')")
        for name in ("type", "v"):
            if name in self.fields:
                raise CatalogueError(f"{self.name}: {name!r} is reserved")

    def build(self, **values) -> dict:
        """The entry of this type with these field values, checked against the declaration."""
        event = BuiltEntry(type=self.name, v=self.version, **values)
        self.validate(event)
        event.declared = self
        return event

    def builder(self, **shared) -> Callable[..., dict]:
        """``build`` for many entries of this type that share the values ``shared`` (one batch's usage entries):
        those are checked once, here, and each entry's own values when it is built. The entries are the same as
        ``build`` makes, with the same checks; only the repetition is gone."""
        self._check_values(shared)
        keys = self.current_keys

        def build(**values) -> dict:
            event = BuiltEntry(type=self.name, v=self.version, **shared, **values)
            if event.keys() != keys:
                self.validate(event)  # says what is missing or undeclared
            self._check_values(values)
            event.declared = self
            return event

        return build

    def _check_values(self, values: Mapping) -> None:
        """Check some fields of an entry of the current version, each against its declaration."""
        for name, value in values.items():
            spec = self.fields.get(name)
            if spec is None or not spec.in_version(self.version):
                raise CatalogueError(f"{self.name}: {name!r} is not a field of version {self.version}")
            if value is None or spec.kind is Kind.ITEMS or not _KIND_CHECKS[spec.kind](value):
                spec.check(f"{self.name}.{name}", value, self.version)

    @property
    def current_keys(self) -> frozenset[str]:
        """The keys of an entry of the current version."""
        keys = self.__dict__.get("_current_keys")
        if keys is None:
            keys = frozenset(("type", "v", *self.fields))
            object.__setattr__(self, "_current_keys", keys)
        return keys

    def validate(self, event: Mapping) -> None:
        """Check an entry of this type (of this or an earlier version) against the declaration."""
        version = event.get("v")
        if not _is_int(version) or not 1 <= version <= self.version:
            raise CatalogueError(f"{self.name}: version {version!r} is not declared (current {self.version})")
        keys, checks = self._plan(version)
        if event.keys() != keys:
            # the slow path says what is missing or undeclared
            _check_fields(self.name, event, self.fields, version=version, reserved=("type", "v"))
        for name, check, spec in checks:
            value = event[name]
            if check is _legacy_actor:
                if not check(value):
                    raise CatalogueError(f"{self.name}.{name}: {value!r} is not an actor")
            elif value is None or not check(value) or spec.kind is Kind.ITEMS:
                spec.check(f"{self.name}.{name}", value, version)

    def _plan(self, version: int) -> tuple[frozenset[str], tuple]:
        """The keys of an entry of a version and each field's check, worked out once (the audit checks every
        entry)."""
        plans = self.__dict__.get("_plans")
        if plans is None:
            plans = {}
            object.__setattr__(self, "_plans", plans)
        plan = plans.get(version)
        if plan is None:
            present = [(name, spec) for name, spec in self.fields.items() if spec.in_version(version)]
            older = version < self.version
            plan = plans[version] = (frozenset(("type", "v", *(name for name, _spec in present))), tuple(
                (name, _legacy_actor if older and spec.kind is Kind.ACTOR else _KIND_CHECKS[spec.kind], spec)
                for name, spec in present))
        return plan

    def decode(self, event: Mapping) -> dict:
        """The entry's fields as the Python values the database holds (absent fields stay absent)."""
        return {name: self.fields[name].decode(value) for name, value in event.items() if name in self.fields}


class Catalogue:
    """Every declared entry type, by name."""

    def __init__(self) -> None:
        self._types: dict[str, EventType] = {}
        self._loaded = False

    def declare(self, name: str, *, version: int = 1, doc: str, fields: Mapping[str, Field],
                rows: Iterable[Row] = (), projection: str = "", not_projected: str = "") -> EventType:
        """Declare a type (once); returns the declaration, whose ``build`` is the type's builder."""
        if name in self._types:
            raise CatalogueError(f"{name} is declared twice")
        declared = EventType(name=name, version=version, doc=doc, fields=dict(fields), rows=tuple(rows),
                             projection=projection, not_projected=not_projected)
        self._types[name] = declared
        return declared

    def load(self) -> None:
        if not self._loaded:
            for module in EVENT_MODULES:
                import_module(module)
            self._loaded = True

    def __getitem__(self, name: str) -> EventType:
        self.load()
        try:
            return self._types[name]
        except KeyError:
            raise CatalogueError(f"{name!r} is not a declared entry type") from None

    def get(self, name) -> EventType | None:
        self.load()
        return self._types.get(name) if isinstance(name, str) else None

    def __iter__(self):
        self.load()
        return iter(sorted(self._types.values(), key=lambda declared: declared.name))

    def __len__(self) -> int:
        self.load()
        return len(self._types)

    def validate(self, event: Mapping, *, writing: bool = False) -> EventType:
        """The declaration an entry matches; CatalogueError if it has none or does not match it.

        A new entry (``writing``) must be of the type's current version; the log may hold earlier ones.
        """
        declared = self[event.get("type")] if isinstance(event.get("type"), str) else None
        if declared is None:
            raise CatalogueError(f"an entry needs a type, got {event.get('type')!r}")
        if writing and isinstance(event, BuiltEntry) and event.declared is declared \
                and event.get("v") == declared.version and event.keys() == declared.current_keys:
            return declared
        if writing and event.get("v") != declared.version:
            raise CatalogueError(f"{declared.name}: new entries are version {declared.version}, not {event.get('v')!r}")
        declared.validate(event)
        return declared


CATALOGUE = Catalogue()
declare = CATALOGUE.declare


# --- tables the audit does not recompute, each with its reason ---------------------------------------------------

#: model label -> why no entry recomputes the table (declared by each app's events.py with ``not_audited``)
NOT_AUDITED_TABLES: dict[str, str] = {}
#: model label -> {column: why no entry records it}
NOT_AUDITED_COLUMNS: dict[str, dict[str, str]] = {}


def not_audited(model, *, reason: str = "", columns: Mapping[str, str] | None = None) -> None:
    """Declare a table (reason) or some of its columns (columns: name -> reason) as not recomputed from the log."""
    label = model._meta.label
    if reason:
        NOT_AUDITED_TABLES[label] = reason
    if columns:
        NOT_AUDITED_COLUMNS.setdefault(label, {}).update(columns)
