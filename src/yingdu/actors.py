"""Who did it: a person (a User) or the platform itself (SYSTEM), encoded one way in every log entry."""

from typing import Final


class SystemActor:
    """The platform acting on its own (scheduled tasks, migrations, the operator's shell), never a person.

    Services take ``actor=SYSTEM`` explicitly; ``None`` is not an actor (it used to read as "no permission check").
    """

    pk = None
    is_system = True
    is_authenticated = False

    def __repr__(self) -> str:
        return "SYSTEM"

    def __str__(self) -> str:
        return "系统"

    def __reduce__(self):
        return "SYSTEM"


SYSTEM: Final = SystemActor()

# How the system is written in an entry's "actor" field.
SYSTEM_REF: Final = "system"


def actor_ref(actor) -> int | str:
    """The entry value of an actor: the user's id, or "system"; None is refused."""
    if actor is SYSTEM:
        return SYSTEM_REF
    if actor is None or getattr(actor, "pk", None) is None:
        raise ValueError("an actor is a saved user or SYSTEM, not None")
    return actor.pk


def actor_user_id(actor) -> int | None:
    """The value of a ``*_by`` / ``actor`` foreign key column: the user's id, or NULL for the system."""
    return None if actor is SYSTEM else actor.pk


def is_system(actor) -> bool:
    return actor is SYSTEM
