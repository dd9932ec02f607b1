"""Navigation entries for the user's roles, shown in the base layout."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yingdu.accounts.models import STAFF_ROLES, Role
from yingdu.accounts.selectors import user_granted_staff_roles, user_is_otp_verified, user_roles
from yingdu.inbox.selectors import notifications_unread_count
from yingdu.policy.selectors import calendar_next_year_due

from .selectors import workbench_counts


def navigation(request):
    user = getattr(request, "user", None)
    items = [(_("首页"), reverse("portal:home")), (_("政策与测算器"), reverse("policy:current"))]
    roles = user_roles(user) if user is not None else frozenset()
    if user is not None and user.is_authenticated:
        items.append((_("工作台"), reverse("portal:dashboard")))
        if Role.ENTERPRISE_MEMBER in roles:
            items.append((_("我的企业"), reverse("enterprises:mine")))
            items.append((_("作品"), reverse("works:list")))
            items.append((_("补贴申请"), reverse("applications:list")))
            items.append((_("算力用量"), reverse("metering:usage")))
            items.append((_("数据告知书"), reverse("notices:list")))
            items.append((_("算力券钱包"), reverse("vouchers:wallet")))
            items.append((_("抽查"), reverse("audits:case_list")))
        if Role.PROVIDER_OPERATOR in roles:
            items.append((_("服务商工作台"), reverse("metering:provider")))
            items.append((_("算力券核销"), reverse("vouchers:provider")))
        if roles & STAFF_ROLES:
            items.append((_("企业登记"), reverse("enterprises:list")))
            items.append((_("审核队列"), reverse("applications:queue")))
            items.append((_("算力监测"), reverse("metering:monitor")))
            if Role.ENTERPRISE_MEMBER not in roles:
                items.append((_("数据告知书"), reverse("notices:list")))
            items.append((_("算力券"), reverse("vouchers:finance")))
            items.append((_("待复核"), reverse("duties:index")))
            items.append((_("公示异议"), reverse("publicity:objections")))
        if roles & {Role.AUDITOR, Role.ADMIN}:
            items.append((_("监督抽查"), reverse("audits:case_list")))
        if Role.AUDITOR in roles:
            items.append((_("季度抽签"), reverse("audits:draw_list")))
        if Role.ADMIN in roles:
            items.append((_("政策管理"), reverse("policy:manage")))
            items.append((_("算力服务商"), reverse("metering:providers")))
            items.append((_("用户与角色"), reverse("accounts:users")))
    else:
        items.append((_("企业注册"), reverse("enterprises:register")))
    if user is None or not user.is_authenticated:
        # public pages every footer links to; a signed-in person's bar keeps the room for their own work
        items.append((_("项目统计"), reverse("publicity:statistics")))
        items.append((_("防篡改日志"), reverse("transparency:index")))
    role_labels = [Role(r).label for r in sorted(roles)]
    counts = _nav_counts(request, user) if roles else {}
    inbox_url = reverse("inbox:list")
    unread = 0
    if user is not None and user.is_authenticated:
        items.insert(3, (_("消息"), inbox_url))
        unread = notifications_unread_count(user)
        counts = {**counts, inbox_url: unread}
    waiting = counts.get(reverse("portal:dashboard"), 0)
    return {
        "nav_items": [(label, url, counts.get(url, 0)) for label, url in items],
        "nav_waiting_total": waiting,
        "nav_unread": unread,
        # the folded menu's button stands for the two badges inside it: unread messages and work waiting
        "nav_menu_count": unread + waiting,
        "nav_role_labels": role_labels,
        "nav_inbox_url": inbox_url,
        # the user's roles, so that a page offers only the links and buttons its reader may use
        "nav_roles": frozenset(str(role) for role in roles),
        "nav_needs_two_factor": bool(user is not None and user_granted_staff_roles(user)
                                     and not user_is_otp_verified(user)),
    }


def _nav_counts(request, user) -> dict[str, int]:
    """The navigation's waiting-work counts, read once per request (one query) however many templates it renders."""
    counts = getattr(request, "_yingdu_nav_counts", None)
    if counts is None:
        counts = workbench_counts(user, today=timezone.localdate())
        request._yingdu_nav_counts = counts
    return counts


def calendar_banner(request):
    """For admins, from 1 November until next year's official schedule is imported: which year is due."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or Role.ADMIN not in user_roles(user):
        return {}
    return {"calendar_due_year": calendar_next_year_due(today=timezone.localdate())}
