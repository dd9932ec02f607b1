"""The workbench (工作台): what waits for the user, per role, most urgent deadline first.

Each list is read through the owning app's scoped selector (an enterprise member's reach is its own organisation),
is bounded (the first ``WORKBENCH_LIST_SIZE`` items plus a count and a link to the full page) and costs a fixed
number of queries whatever the size of the tables.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from yingdu.accounts.models import STAFF_ROLES, Role
from yingdu.accounts.selectors import user_roles
from yingdu.applications.models import ApplicationStatus
from yingdu.applications.selectors import application_queue_queryset, applications_visible_to
from yingdu.applications.workflow import REVIEW_ACTIONS
from yingdu.audits.models import CaseStatus
from yingdu.audits.selectors import cases_visible_to
from yingdu.audits.workflow import AUDIT_STAFF_ROLES
from yingdu.duties.rules import FOUR_EYES, Step
from yingdu.duties.selectors import proposals_open_for
from yingdu.metering.selectors import quarantined_records
from yingdu.notices.models import ObjectionStatus
from yingdu.notices.selectors import notices_visible_to, objections_visible_to
from yingdu.policy.selectors import calendar_next_year_due
from yingdu.publicity.selectors import publicity_objections_to_decide
from yingdu.vouchers.models import RedemptionStatus, StatementStatus, VoucherStatus
from yingdu.vouchers.selectors import (
    claims_visible_to,
    redemptions_visible_to,
    statements_visible_to,
    vouchers_visible_to,
)

# how many items each list shows on the workbench (the count and the link give the rest); a page layout choice
WORKBENCH_LIST_SIZE = 5


@dataclass(frozen=True)
class WorkItem:
    """One thing to do: what, until when (if it has a deadline), and the page where it is done."""

    label: str
    url: str
    due_on: date | None = None
    note: str = ""


@dataclass
class WorkList:
    """One kind of waiting work: its first items, how many in all, the page listing them all, and the navigation
    entry whose count it adds to."""

    key: str
    title: str
    count: int
    items: list[WorkItem] = field(default_factory=list)
    more_url: str = ""
    nav_url: str = ""


@dataclass(frozen=True)
class _PendingList:
    """A list not read yet: the workbench reads its count and first items, the navigation only its count."""

    key: str
    title: str
    queryset: QuerySet
    build: Callable
    more_url: str
    nav_url: str

    def read(self) -> WorkList:
        count = self.queryset.count()
        items = [self.build(row) for row in self.queryset[:WORKBENCH_LIST_SIZE]] if count else []
        return WorkList(key=self.key, title=self.title, count=count, items=items, more_url=self.more_url,
                        nav_url=self.nav_url)


def _list(key: str, title: str, queryset, build, *, more_url: str, nav_url: str = "") -> _PendingList:
    return _PendingList(key=key, title=title, queryset=queryset, build=build, more_url=more_url,
                        nav_url=nav_url or more_url)


def _counts_in_one_query(querysets: list[QuerySet]) -> list[int]:
    """The row counts of ``querysets`` in one round trip: ``SELECT (SELECT COUNT(*) FROM (…)), …`` (issue 18: the
    navigation of every staff page used to cost one COUNT and one row query per list)."""
    if not querysets:
        return []
    parts, params = [], []
    for n, queryset in enumerate(querysets):
        try:
            sql, part_params = queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # a queryset that can match nothing (``.none()``, ``__in=[]``) compiles to no SQL
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{n})")
        params.extend(part_params)
    with connections[querysets[0].db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return [int(value) for value in cursor.fetchone()]


def _enterprise_lists(user, *, today: date) -> list[_PendingList]:
    applications = reverse("applications:list")
    wallet = reverse("vouchers:wallet")
    notices = reverse("notices:list")
    cases = reverse("audits:case_list")
    return [
        _list("supplements_due", _("待补充材料的申请"),
              applications_visible_to(user).filter(status=ApplicationStatus.SUPPLEMENT_REQUESTED)
              .select_related("work").order_by("id"),
              lambda a: WorkItem(label=_("申请 %(number)s · %(title)s") % {"number": a.pk, "title": a.work.title},
                                 url=reverse("applications:detail", args=[a.pk]) + "#supplements",
                                 note=_("审核时限已暂停，提交补充材料后恢复")),
              more_url=f"{applications}?status={ApplicationStatus.SUPPLEMENT_REQUESTED}", nav_url=applications),
        _list("redemptions_to_confirm", _("待确认的核销"),
              redemptions_visible_to(user).filter(status=RedemptionStatus.PENDING)
              .order_by("voucher__expires_on", "submitted_at", "id"),
              lambda r: WorkItem(label=_("%(provider)s 订单 %(order)s · %(amount)s 元") % {
                  "provider": r.provider.name, "order": r.order_ref, "amount": _yuan(r.amount_fen)},
                  url=f"{wallet}#pending", due_on=r.voucher.expires_on),
              more_url=f"{wallet}#pending", nav_url=wallet),
        _list("notices_in_window", _("异议期内的数据告知书"),
              notices_visible_to(user).filter(Q(objection_deadline_on__gte=today)
                                              | Q(objection_deadline_provisional=True,
                                                  objection_deadline_on__isnull=False)
                                              | Q(delivered_at__isnull=True))
              .order_by(F("objection_deadline_on").asc(nulls_first=True), "id"),
              lambda n: WorkItem(label=_("告知书 %(number)s · %(title)s") % {"number": n.pk, "title": n.work.title},
                                 url=reverse("notices:detail", args=[n.pk]), due_on=n.objection_deadline_on,
                                 note=(_("如对用量数据有异议，请在截止日前提出") if n.objection_deadline_on
                                       else _("新告知书：查看即送达，异议期自送达起计算"))),
              more_url=notices),
        _list("vouchers_expiring", _("设有有效期的算力券"),
              vouchers_visible_to(user).filter(status=VoucherStatus.ACTIVE, expires_on__gte=today,
                                               account__balance_fen__gt=0).select_related("account")
              .order_by("expires_on", "id"),
              lambda v: WorkItem(label=_("券 %(number)s · 余额 %(balance)s 元") % {
                  "number": v.number, "balance": _yuan(v.account.balance_fen)},
                  url=reverse("vouchers:detail", args=[v.number]), due_on=v.expires_on),
              more_url=wallet),
        _list("case_responses_due", _("待提交说明的抽查"),
              cases_visible_to(user).filter(status=CaseStatus.OPEN, responses__isnull=True,
                                            response_deadline_on__gte=today).order_by("response_deadline_on", "id"),
              lambda c: WorkItem(label=_("抽查 %(number)s · %(title)s") % {"number": c.pk, "title": c.work.title},
                                 url=reverse("audits:case_detail", args=[c.pk]), due_on=c.response_deadline_on),
              more_url=cases),
    ]


def _yuan(fen: int) -> str:
    from yingdu.rules.money import Money

    return Money(fen).format_display()


def _application_item(application) -> WorkItem:
    return WorkItem(label=_("申请 %(number)s · %(enterprise)s · %(title)s") % {
        "number": application.pk, "enterprise": application.enterprise.name, "title": application.work.title},
        url=reverse("applications:detail", args=[application.pk]), due_on=application.sla_deadline_on,
        note=application.get_status_display())


def _reviewer_lists(user, *, today: date) -> list[_PendingList]:
    queue = reverse("applications:queue")
    notices = reverse("notices:list")
    quarantine = reverse("metering:quarantine")
    return [
        _list("queue", _("审核队列（按紧急程度）"),
              application_queue_queryset(user, today=today).select_related("enterprise", "work"),
              _application_item, more_url=queue),
        _list("objections", _("待处理的异议"),
              objections_visible_to(user).filter(status=ObjectionStatus.OPEN).select_related("notice__work")
              .order_by("filed_at", "id"),
              lambda o: WorkItem(label=_("告知书 %(number)s · %(title)s 的异议") % {
                  "number": o.notice_id, "title": o.notice.work.title},
                  url=reverse("notices:detail", args=[o.notice_id])),
              more_url=notices),
        _list("publicity_objections", _("待处理的公示异议"), publicity_objections_to_decide(user),
              lambda o: WorkItem(label=_("公示异议 %(number)s · %(enterprise)s · %(title)s") % {
                  "number": o.pk, "enterprise": o.application.enterprise.name, "title": o.application.work.title},
                  url=reverse("publicity:objection_decide", args=[o.pk]),
                  note=_("异议成立则撤回拟支持并退回审核；不成立则公示期满后发放")),
              more_url=reverse("publicity:objections")),
        _list("quarantine", _("待归属的用量记录"), quarantined_records().order_by("received_at", "id"),
              lambda r: WorkItem(label=_("%(provider)s 记录 %(record)s") % {
                  "provider": r.provider.name, "record": r.record_id},
                  url=reverse("metering:record", args=[r.pk])),
              more_url=quarantine, nav_url=reverse("metering:monitor")),
    ]


def _approver_lists(user, *, today: date) -> list[_PendingList]:
    reviewed = applications_visible_to(user).filter(transitions__actor=user,
                                                    transitions__action__in=REVIEW_ACTIONS).values("pk")
    queue = reverse("applications:queue")
    return [_list("awaiting_approval", _("待审批的申请"),
                  applications_visible_to(user).filter(status=ApplicationStatus.UNDER_REVIEW)
                  .exclude(pk__in=reviewed).select_related("enterprise", "work").order_by("sla_deadline_on", "id"),
                  _application_item, more_url=f"{queue}?status={ApplicationStatus.UNDER_REVIEW}", nav_url=queue)]


def _finance_lists(user, *, today: date) -> list[_PendingList]:
    settlements = reverse("vouchers:settlements")
    claims = reverse("vouchers:claims")
    return [
        _list("statements_to_pay", _("待付款的结算单"),
              statements_visible_to(user).filter(status=StatementStatus.OPEN).select_related("provider").order_by("period_end_on", "id"),
              lambda s: WorkItem(label=_("结算单 %(number)s · %(provider)s") % {
                  "number": s.pk, "provider": s.provider.name},
                  url=reverse("vouchers:statement", args=[s.pk]), due_on=None),
              more_url=settlements, nav_url=reverse("vouchers:finance")),
        _list("claims_open", _("未追回完毕的追回债权"),
              claims_visible_to(user).filter(repaid_fen__lt=F("amount_fen")).order_by("raised_at", "id"),
              lambda c: WorkItem(label=_("%(enterprise)s · 券 %(voucher)s · 待追回 %(amount)s 元") % {
                  "enterprise": c.enterprise.name, "voucher": c.voucher.number,
                  "amount": _yuan(c.amount_fen - c.repaid_fen)},
                  url=claims),
              more_url=claims, nav_url=reverse("vouchers:finance")),
    ]


def _auditor_lists(user, *, today: date) -> list[_PendingList]:
    cases = reverse("audits:case_list")
    return [_list("cases_due", _("进行中的抽查"),
                  cases_visible_to(user).filter(status__in=[CaseStatus.OPEN, CaseStatus.FRAUD_PENDING])
                  .order_by("due_on", "id"),
                  lambda c: WorkItem(label=_("抽查 %(number)s · %(enterprise)s · %(title)s") % {
                      "number": c.pk, "enterprise": c.enterprise.name, "title": c.work.title},
                      url=reverse("audits:case_detail", args=[c.pk]), due_on=c.due_on,
                      note=c.get_status_display()),
                  more_url=cases)]


def _admin_lists(user, *, today: date) -> list[WorkList]:
    due_year = calendar_next_year_due(today=today)
    manage = reverse("policy:manage")
    items = [WorkItem(label=_("导入并发布 %(year)s 年官方放假安排") % {"year": due_year}, url=manage)] if due_year else []
    return [WorkList(key="calendar_due", title=_("待发布的工作日历"), count=len(items), items=items, more_url=manage)]


def _four_eyes_list(user) -> _PendingList:
    duties = reverse("duties:index")
    return _list("four_eyes", _("待我复核的事项（双人复核）"),
                 proposals_open_for(user).exclude(proposed_by=user),
                 lambda p: WorkItem(label=_("%(step)s · 由 %(who)s 提出") % {
                     "step": FOUR_EYES[Step(p.step)].label, "who": p.proposed_by}, url=duties),
                 more_url=duties)


def _lists_for(user, *, today: date) -> list[_PendingList | WorkList]:
    """Every list of waiting work for the user's roles, in the fixed order (enterprise, then staff roles)."""
    roles = user_roles(user)
    lists: list[_PendingList | WorkList] = []
    if Role.ENTERPRISE_MEMBER in roles:
        lists += _enterprise_lists(user, today=today)
    if roles & {Role.REVIEWER, Role.ADMIN}:
        lists += _reviewer_lists(user, today=today)
    if Role.APPROVER in roles:
        lists += _approver_lists(user, today=today)
    if Role.FINANCE in roles:
        lists += _finance_lists(user, today=today)
    if roles & AUDIT_STAFF_ROLES:
        lists += _auditor_lists(user, today=today)
    if Role.ADMIN in roles:
        lists += _admin_lists(user, today=today)
    if roles & STAFF_ROLES:
        lists.append(_four_eyes_list(user))
    return lists


def workbench_for(user, *, today: date) -> list[WorkList]:
    """Every list of waiting work for the user's roles with its count and first items: those with items first, then
    the empty ones, each group in a fixed order (enterprise, then staff roles)."""
    lists = [work_list.read() if isinstance(work_list, _PendingList) else work_list
             for work_list in _lists_for(user, today=today)]
    # lists with waiting work first, each group in the fixed order
    return sorted(lists, key=lambda work_list: work_list.count == 0)


def workbench_counts(user, *, today: date) -> dict[str, int]:
    """How many things wait for the user, by navigation entry, plus the total under the workbench's own entry: the
    counts only (no items), all in one query, for the navigation of every page."""
    lists = _lists_for(user, today=today)
    pending = [work_list for work_list in lists if isinstance(work_list, _PendingList)]
    counted = dict(zip((id(work_list) for work_list in pending),
                       _counts_in_one_query([work_list.queryset for work_list in pending]), strict=True))
    counts: dict[str, int] = {}
    total = 0
    for work_list in lists:
        count = counted[id(work_list)] if isinstance(work_list, _PendingList) else work_list.count
        counts[work_list.nav_url] = counts.get(work_list.nav_url, 0) + count
        total += count
    counts[reverse("portal:dashboard")] = total
    return counts
