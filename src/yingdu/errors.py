"""The one base class for domain errors: a stable code, a translatable message, optional detail."""

from typing import Any


class DomainError(Exception):
    """A refusal by a service; the API maps it to {"code", "message", "detail"} with ``status``."""

    code = "domain_error"
    status = 400

    def __init__(self, message: Any, *, code: str | None = None, detail: dict | None = None,
                 field: str | None = None, status: int | None = None):
        super().__init__(str(message))
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.detail = detail or {}
        self.field = field

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message), "detail": self.detail}


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class SecondPersonRequired(DomainError):
    """Not a refusal: the step was recorded as a proposal and takes effect when a second person confirms it."""

    code = "second_person_required"
    status = 202
