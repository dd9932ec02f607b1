"""Reads for the admin page of users and roles: the searchable list, one user's roles and history."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yingdu.errors import NotFound

from .identity import username_key
from .models import AccountStatusChange, Role, RoleGrant, User

USERS_PER_PAGE = 25
MSG_USER_NOT_FOUND = _("没有这个用户")


def users_search(query: str = "") -> QuerySet[User]:
    """Every login, or those whose login name, display name or organisation's name contains the query; with their
    active role grants (``active_grants``)."""
    users = User.objects.select_related("organisation").prefetch_related(
        Prefetch("role_grants", queryset=RoleGrant.objects.filter(revoked_at__isnull=True).order_by("role"),
                 to_attr="active_grants"))
    return users_matching(users, query).order_by("username", "id")


def users_matching(users: QuerySet[User], query: str) -> QuerySet[User]:
    """Those of ``users`` whose login name (in any width or case), display name or organisation's name contains
    the query; all of them when it is blank."""
    query = query.strip()
    if not query:
        return users
    return users.filter(Q(username__icontains=query) | Q(username_key__contains=username_key(query))
                        | Q(display_name__icontains=query) | Q(organisation__name__icontains=query))


def user_for_admin(user_id: int) -> User:
    """A login as the admin page shows it; NotFound when there is none."""
    user = User.objects.select_related("organisation").filter(pk=user_id).first()
    if user is None:
        raise NotFound(MSG_USER_NOT_FOUND, code="user_not_found")
    return user


def user_active_grants(user: User) -> list[RoleGrant]:
    return list(RoleGrant.objects.filter(user=user, revoked_at__isnull=True).order_by("role"))


def user_grant_for_admin(user: User, grant_id: int) -> RoleGrant:
    grant = RoleGrant.objects.select_related("user").filter(user=user, pk=grant_id).first()
    if grant is None:
        raise NotFound(MSG_USER_NOT_FOUND, code="role_grant_not_found")
    return grant


@dataclass(frozen=True)
class AccountHistoryItem:
    """One change to a login's roles or status, as the admin page lists it."""

    at: datetime
    action: str
    role: str
    actor: User | None
    reason: str


def user_account_history(user: User) -> list[AccountHistoryItem]:
    """Grants, revocations, deactivations and reactivations of a login, latest first."""
    items = []
    for grant in RoleGrant.objects.filter(user=user).select_related("granted_by", "revoked_by"):
        role = Role(grant.role).label
        items.append(AccountHistoryItem(grant.granted_at, str(_("授予角色")), role, grant.granted_by,
                                        grant.grant_reason))
        if grant.revoked_at is not None:
            items.append(AccountHistoryItem(grant.revoked_at, str(_("撤销角色")), role, grant.revoked_by,
                                            grant.revoke_reason))
    for change in AccountStatusChange.objects.filter(user=user).select_related("actor"):
        items.append(AccountHistoryItem(change.at, str(_("重新启用") if change.is_active else _("停用账户")), "",
                                        change.actor, change.reason))
    return sorted(items, key=lambda item: item.at, reverse=True)
