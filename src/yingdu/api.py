"""The JSON API under /api/v1/: one NinjaAPI, every domain error as {"code", "message", "detail"}."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from yingdu.errors import DomainError

api = NinjaAPI(
    title="影都算力券服务平台 API",
    version="1",
    description="yingdu JSON API. 错误统一返回 {\"code\", \"message\", \"detail\"}。",
    urls_namespace="api",
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
    return api.create_response(request, {"code": code, "message": message, "detail": detail or {}}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, error: DomainError):
    body = error.as_dict()
    if error.field:
        body["detail"] = {"field": error.field, **body["detail"]}
    return api.create_response(request, body, status=error.status)


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


_register_routers()
