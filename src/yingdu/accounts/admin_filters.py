"""Filter of the admin's user list (page, API): name or organisation, staff role, account status."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from .admin_selectors import users_matching
from .models import STAFF_ROLES, Role, RoleGrant, User


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("用户名、姓名或机构"), method="filter_q", max_length=150)
    role = django_filters.ChoiceFilter(label=_("工作人员角色"), method="filter_role", empty_label=_("全部角色"),
                                       choices=[(role.value, role.label) for role in Role if role in STAFF_ROLES])
    active = django_filters.ChoiceFilter(label=_("状态"), method="filter_active", empty_label=_("全部状态"),
                                         choices=[("yes", _("正常")), ("no", _("已停用"))])

    class Meta:
        model = User
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return users_matching(queryset, value)

    def filter_role(self, queryset, name, value):
        return queryset.filter(Exists(RoleGrant.objects.filter(user=OuterRef("pk"), role=value,
                                                               revoked_at__isnull=True)))

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "yes")
