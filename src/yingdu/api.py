"""The JSON API under /api/v1/: one NinjaAPI, every domain error as {"code", "message", "detail"}.

Each operation's possible error answers (yingdu.api_errors) are written into the OpenAPI document; with
``settings.API_ERRORS_STRICT`` an undeclared error answer is a server error, so that tests and the fuzz find it.
"""

import json
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from yingdu.api_errors import operation_errors
from yingdu.api_types import MSG_BODY_TOO_LARGE, json_loads_bounded
from yingdu.errors import DomainError


class ErrorOut(Schema):
    """The body of every error answer."""

    code: str
    message: str
    detail: dict


class _BoundedParser(Parser):
    """JSON bodies within the size and depth limits of yingdu.api_types."""

    def parse_body(self, request):
        return json_loads_bounded(request.body)


class UndeclaredError(AssertionError):
    """An operation answered with an error its declaration does not list (raised only with API_ERRORS_STRICT)."""


class _API(NinjaAPI):
    def _get_bound_routers(self):
        first = self._bound_routers_cache is None
        bound = super()._get_bound_routers()
        if first:
            for operation, path in _operations(bound):
                operation.yingdu_path = path
                operation.run = _remembering_operation(operation, operation.run)
        return bound

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        by_id = {self.get_openapi_operation_id(op) if not op.operation_id else op.operation_id: op
                 for op, _path in _operations(self._get_bound_routers())}
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ErrorOut.model_json_schema()
        for methods in schema["paths"].values():
            for details in methods.values():
                operation = by_id[details["operationId"]]
                _document_errors(details, operation_errors(operation, path=operation.yingdu_path))
        return schema


def _operations(bound_routers):
    for bound_router in bound_routers:
        for path, path_view in bound_router.path_operations.items():
            full_path = re.sub(r"{[^}:]+:", "{", "/" + "/".join(p for p in (bound_router.prefix, path) if p))
            for operation in path_view.operations:
                yield operation, re.sub(r"/+", "/", full_path)


def _remembering_operation(operation, run):
    def run_remembering(request, **kwargs):
        request.yingdu_operation = operation
        return run(request, **kwargs)

    return run_remembering


def _document_errors(details: dict, by_status: dict[int, set[str]]) -> None:
    responses = details["responses"]
    for status, codes in sorted(by_status.items()):
        response = responses.setdefault(status, {"description": ""})
        response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        response["x-error-codes"] = sorted(codes)
        listed = "、".join(f"`{code}`" for code in sorted(codes))
        response["description"] = f"{response.get('description') or _STATUS_TEXT.get(status, '')}（错误代码：{listed}）"


_STATUS_TEXT = {202: "已记录为待复核提议", 400: "请求不正确", 401: "未认证", 403: "无权执行", 404: "未找到",
                409: "状态冲突", 413: "请求正文过大", 429: "请求过于频繁"}


api = _API(
    title="影都算力券服务平台 API",
    version="1",
    description="yingdu JSON API. 错误统一返回 {\"code\", \"message\", \"detail\"}；每个操作列出可能的状态码与错误代码"
                "（x-error-codes）。",
    urls_namespace="api",
    parser=_BoundedParser(),
)


_HTTP_ERRORS = {
    400: ("invalid_request", "请求格式不正确"),
    401: ("not_authenticated", "请先登录"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not_found", "未找到"),
    405: ("method_not_allowed", "不支持该请求方法"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


def _error(request, status: int, code: str, message: str, detail=None):
    _check_declared(request, status, code)
    return api.create_response(request, {"code": code, "message": message, "detail": detail or {}}, status=status)


def _check_declared(request, status: int, code: str) -> None:
    operation = getattr(request, "yingdu_operation", None)
    if not (settings.API_ERRORS_STRICT or settings.API_ERRORS_RECORD) or operation is None:
        return
    if code in operation_errors(operation, path=operation.yingdu_path).get(status, set()):
        return
    if settings.API_ERRORS_RECORD:
        with open(settings.API_ERRORS_RECORD, "a", encoding="utf-8") as record:
            record.write(json.dumps({"module": operation.view_func.__module__, "view": operation.view_func.__name__,
                                     "status": status, "code": code}) + "\n")
    else:
        raise UndeclaredError(f"{request.method} {operation.yingdu_path} answered {status} {code!r}, which "
                              f"{operation.view_func.__module__}.{operation.view_func.__name__} does not declare "
                              "(yingdu.api_errors.errors)")


@api.exception_handler(DomainError)
def on_domain_error(request, error: DomainError):
    body = error.as_dict()
    if error.field:
        body["detail"] = {"field": error.field, **body["detail"]}
    _check_declared(request, error.status, error.code)
    return api.create_response(request, body, status=error.status)


@api.exception_handler(RequestDataTooBig)
def on_request_too_big(request, error):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(request, 413, "request_too_large", str(MSG_BODY_TOO_LARGE).format(limit=limit), {"limit": limit})


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, error: NinjaValidationError):
    return _error(request, 400, "invalid_request", "请求参数不正确", {"errors": error.errors})


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, error):
    return _error(request, 401, *_HTTP_ERRORS[401])


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, error):
    return _error(request, 403, *_HTTP_ERRORS[403])


@api.exception_handler(Http404)
def on_not_found(request, error):
    return _error(request, 404, *_HTTP_ERRORS[404])


@api.exception_handler(HttpError)
def on_http_error(request, error: HttpError):
    if isinstance(error.__cause__, DomainError):  # the body parser's refusal (size, depth), wrapped by ninja
        return on_domain_error(request, error.__cause__)
    if isinstance(error.__cause__, RequestDataTooBig):
        return on_request_too_big(request, error.__cause__)
    code, message = _HTTP_ERRORS.get(error.status_code, ("http_error", "请求失败"))
    return _error(request, error.status_code, code, message, {"reason": str(error)})


def _register_routers() -> None:
    from yingdu.accounts.admin_api import router as users_router
    from yingdu.accounts.api import router as accounts_router
    from yingdu.accounts.api_self import router as accounts_self_router
    from yingdu.applications.api import router as applications_router
    from yingdu.audits.api import router as audits_router
    from yingdu.duties.api import router as duties_router
    from yingdu.enterprises.api import router as enterprises_router
    from yingdu.metering.api import router as metering_router
    from yingdu.notices.api import router as notices_router
    from yingdu.policy.api import calendar_router, workdays_router
    from yingdu.policy.api import router as policy_router
    from yingdu.publicity.api import publicity_router, statistics_router
    from yingdu.transparency.api import router as log_router
    from yingdu.vouchers.api import redemptions_router, vouchers_router
    from yingdu.works.api import router as works_router

    api.add_router("/", accounts_router)
    api.add_router("/", accounts_self_router)
    api.add_router("/users", users_router)
    api.add_router("/enterprises", enterprises_router)
    api.add_router("/policy", policy_router)
    api.add_router("/calendar", calendar_router)
    api.add_router("/workdays", workdays_router)
    api.add_router("/log", log_router)
    api.add_router("/works", works_router)
    api.add_router("/applications", applications_router)
    api.add_router("/", metering_router)
    api.add_router("/", notices_router)
    api.add_router("/vouchers", vouchers_router)
    api.add_router("/redemptions", redemptions_router)
    api.add_router("/audits", audits_router)
    api.add_router("/duties", duties_router)
    api.add_router("/statistics", statistics_router)
    api.add_router("/publicity", publicity_router)


_register_routers()


def not_found(request, rest=""):
    """Any path under /api/v1/ that no operation serves: the JSON error body, not the HTML page."""
    return JsonResponse({"code": "not_found", "message": str(_HTTP_ERRORS[404][1]), "detail": {"path": request.path}},
                        status=404, json_dumps_params={"ensure_ascii": False})
