"""Which error answers each API operation can give: declared on the route, completed from its signature, enforced.

Each route declares the domain error codes its handler and services can raise, with their status::

    @router.post("/{work_id}/releases", ...)
    @errors(work_locked=409, release_number_invalid=400)
    def release_add(request, work_id: Id, ...): ...

The answers that follow from the operation's shape are added without a declaration (``automatic_errors``): 400
``invalid_request`` when it takes parameters or a body, 413 ``request_too_large`` and 400 ``json_too_deep`` when it
takes a JSON body, 401 when it needs authentication, 403 when a session may be used (CSRF, password change), 404
``not_found`` when the path has parameters. yingdu.api writes the union into the OpenAPI document (each status with
the error schema and ``x-error-codes``) and, with ``API_ERRORS_STRICT`` (on in the test suite), refuses to send an
error answer that its operation does not declare: the test or fuzz that provoked it fails with a server error.
"""

from collections.abc import Callable

ERRORS_ATTRIBUTE = "_yingdu_api_errors"

# Answers any operation of a kind can give, by the operation's shape (see the module docstring).
VALIDATION = {"invalid_request": 400}
JSON_BODY = {"request_too_large": 413, "json_too_deep": 400}
AUTHENTICATION = {"not_authenticated": 401}
SESSION = {"forbidden": 403, "password_change_required": 403}
PATH = {"not_found": 404}
# what yingdu.files.store_upload refuses, for any operation that takes a file
FILE_UPLOAD = {"file_empty": 400, "file_too_large": 400, "file_type_not_allowed": 400, "file_damaged": 400,
               "file_not_image": 400}


def errors(**codes: int) -> Callable:
    """Declare the error codes (keyword) and statuses (value) a route can answer with, besides the automatic ones."""
    for code, status in codes.items():
        if not (200 <= status <= 599):
            raise ValueError(f"{code}: {status} is not an HTTP status")

    def declare(view_func: Callable) -> Callable:
        declared = dict(getattr(view_func, ERRORS_ATTRIBUTE, {}))
        declared.update(codes)
        setattr(view_func, ERRORS_ATTRIBUTE, declared)
        return view_func

    return declare


def declared_errors(operation) -> dict[str, int]:
    """The codes declared on the operation's view function."""
    return dict(getattr(operation.view_func, ERRORS_ATTRIBUTE, {}))


def _takes_json_body(operation) -> bool:
    from ninja.params.models import BodyModel

    return any(issubclass(model, BodyModel) for model in operation.models)


def automatic_errors(operation, *, path: str) -> dict[str, int]:
    """The answers that follow from the operation's parameters, body and authentication."""
    found: dict[str, int] = {}
    has_input = any(model.model_fields for model in operation.models)
    if has_input or "{" in path:
        found.update(VALIDATION)
    if _takes_json_body(operation) or getattr(operation.view_func, "_yingdu_reads_json", False):
        found.update(VALIDATION)
        found.update(JSON_BODY)
    if operation.auth_callbacks:
        found.update(AUTHENTICATION)
        if any(_is_session_auth(auth) for auth in operation.auth_callbacks):
            found.update(SESSION)
    if "{" in path:
        found.update(PATH)
    if _takes_files(operation):
        found.update(FILE_UPLOAD)
    return found


def _takes_files(operation) -> bool:
    """The operation takes an uploaded file (a File parameter, alone or in a multipart body with form fields)."""
    from ninja.files import UploadedFile

    def is_file(annotation) -> bool:
        return annotation is UploadedFile or UploadedFile in getattr(annotation, "__args__", ())

    return any(is_file(field.annotation) for model in operation.models for field in model.model_fields.values())


def _is_session_auth(auth) -> bool:
    from ninja.security import SessionAuth

    return isinstance(auth, SessionAuth)


def reads_json(view_func: Callable) -> Callable:
    """Mark a route that parses its JSON body itself (through yingdu.api_types.json_loads_bounded)."""
    view_func._yingdu_reads_json = True
    return view_func


def operation_errors(operation, *, path: str) -> dict[int, set[str]]:
    """Every error code the operation can answer with, by status."""
    by_status: dict[int, set[str]] = {}
    for code, status in {**automatic_errors(operation, path=path), **declared_errors(operation)}.items():
        by_status.setdefault(status, set()).add(code)
    return by_status
