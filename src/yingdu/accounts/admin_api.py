"""The admin page of users and roles as JSON: list and search, grant, revoke, deactivate, reactivate."""

from datetime import datetime

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from ninja.security import django_auth

from yingdu.api_errors import errors
from yingdu.api_types import Id, Line, Page, Text, Token
from yingdu.errors import Forbidden
from yingdu.lists import api_filter_data, filterset_qs_or_raise

from .admin_filters import UserFilter
from .admin_selectors import USERS_PER_PAGE, user_for_admin, user_grant_for_admin, users_search
from .admin_services import user_deactivate, user_reactivate
from .models import Role, RoleGrant, User
from .selectors import user_roles
from .services import role_grant, role_revoke

router = Router(tags=["用户与角色"])

MSG_ADMIN_ONLY = _("只有系统管理员（已完成双因素认证）可以管理用户与角色")


def _require_admin(request) -> None:
    if Role.ADMIN not in user_roles(request.user):
        raise Forbidden(MSG_ADMIN_ONLY, code="admin_only")


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    organisation_id: int | None
    organisation_name: str | None
    staff_roles: list[str]
    is_active: bool

    @staticmethod
    def resolve_organisation_name(obj: User) -> str | None:
        return obj.organisation.name if obj.organisation_id else None

    @staticmethod
    def resolve_staff_roles(obj: User) -> list[str]:
        grants = getattr(obj, "active_grants", None)
        if grants is None:
            grants = obj.role_grants.filter(revoked_at__isnull=True)
        return sorted(grant.role for grant in grants)


class UserPageOut(Schema):
    count: int
    page: int
    pages: int
    users: list[UserOut]


class GrantOut(Schema):
    id: int
    user: int
    role: str
    granted_at: datetime
    revoked_at: datetime | None

    @staticmethod
    def resolve_user(obj: RoleGrant) -> int:
        return obj.user_id


class GrantIn(Schema):
    role: Token
    reason: Text = ""


class ReasonIn(Schema):
    reason: Text = ""


@router.get("", response=UserPageOut, auth=django_auth, summary="用户列表与搜索（系统管理员）",
            description="q 按用户名、姓名或机构名称搜索，role 按现有工作人员角色，active 为 yes（正常）或 no（已停用）；"
                        "筛选与网页 /accounts/users/ 相同，无效的值返回 400 `filter_invalid`。每页 25 个，按页码翻页。")
@errors(admin_only=403, filter_invalid=400)
def users_list(request, q: Line = "", role: Token | None = None, active: Token | None = None, page: Page = 1):
    _require_admin(request)
    filterset = UserFilter(api_filter_data(q=q, role=role, active=active), queryset=users_search())
    found = Paginator(filterset_qs_or_raise(filterset), USERS_PER_PAGE).get_page(page)
    return UserPageOut(count=found.paginator.count, page=found.number, pages=found.paginator.num_pages,
                       users=list(found.object_list))


@router.post("/{int:user_id}/roles", response={201: GrantOut}, auth=django_auth,
             summary="授予工作人员角色（系统管理员，须填理由）")
@errors(second_person_required=202, reason_required=400, role_unknown=400, admin_only=403, role_grant_self=403,
        user_not_found=404)
def users_role_grant(request, user_id: Id, payload: GrantIn):
    _require_admin(request)
    grant = role_grant(user=user_for_admin(user_id), role=payload.role, reason=payload.reason, actor=request.user,
                       now=timezone.now())
    return Status(201, grant)


@router.post("/{int:user_id}/roles/{int:grant_id}/revoke", response=GrantOut, auth=django_auth,
             summary="撤销工作人员角色（系统管理员，须填理由）")
@errors(reason_required=400, admin_only=403, role_grant_not_found=404, user_not_found=404)
def users_role_revoke(request, user_id: Id, grant_id: Id, payload: ReasonIn):
    _require_admin(request)
    grant = user_grant_for_admin(user_for_admin(user_id), grant_id)
    return role_revoke(grant=grant, reason=payload.reason, actor=request.user, now=timezone.now())


@router.post("/{int:user_id}/deactivate", response=UserOut, auth=django_auth,
             summary="停用账户并结束其全部登录会话（系统管理员，须填理由）")
@errors(reason_required=400, admin_only=403, user_deactivate_self=403, user_not_found=404, user_already_inactive=409)
def users_deactivate(request, user_id: Id, payload: ReasonIn):
    _require_admin(request)
    user = user_for_admin(user_id)
    user_deactivate(user=user, reason=payload.reason, actor=request.user, now=timezone.now())
    return user


@router.post("/{int:user_id}/reactivate", response=UserOut, auth=django_auth,
             summary="重新启用账户（系统管理员，须填理由）")
@errors(reason_required=400, admin_only=403, user_not_found=404, user_already_active=409)
def users_reactivate(request, user_id: Id, payload: ReasonIn):
    _require_admin(request)
    user = user_for_admin(user_id)
    user_reactivate(user=user, reason=payload.reason, actor=request.user, now=timezone.now())
    return user
