"""Excel exports of the staff queue and of decisions, written through yingdu.xlsx (numbers, dates, no formulas)."""

from django.utils import timezone

from yingdu.i18n import in_chinese
from yingdu.xlsx import table_workbook, yuan

BADGES = {"overdue": "已超期", "at_risk": "临近截止", "paused": "已暂停", "on_track": "正常", "unknown": "日历未发布"}


def _deadline_basis(sla) -> str:
    """Whether a deadline in the export is official, provisional (预计) or only bounded."""
    if sla is None:
        return ""
    if sla.deadline_on is None:
        if sla.deadline_not_before is not None:
            return f"{sla.missing_year} 年日历未发布，不早于 {sla.deadline_not_before:%Y-%m-%d}"
        return f"{sla.missing_year} 年日历未发布"
    return "预计（按法定节假日推算）" if sla.provisional else "官方日历"


@in_chinese
def queue_workbook(rows) -> bytes:
    """The queue as shown to staff: one row per open application with its deadline and working days left."""
    return table_workbook("审核队列", ["申请编号", "企业", "统一社会信用代码", "作品", "类型", "状态", "提交日期", "受理日期",
                              "截止日期", "截止日依据", "剩余工作日", "暂停工作日", "时限状态"], [
        [row.application.pk, row.application.enterprise.name, row.application.enterprise.uscc,
         row.application.work.title, row.application.get_kind_display(), row.application.get_status_display(),
         row.application.submitted_on, row.application.accepted_on,
         row.sla.deadline_on if row.sla else None, _deadline_basis(row.sla),
         row.sla.working_days_left if row.sla else None,
         row.sla.paused_working_days if row.sla else None, BADGES[row.sla.badge] if row.sla else "待受理"]
        for row in rows])


@in_chinese
def decisions_workbook(applications) -> bytes:
    """Decided applications with the amounts as numbers of yuan (exact, from fen) and the explanation."""
    return table_workbook("审批决定", ["申请编号", "企业", "作品", "类型", "决定", "决定日期", "政策版本", "核定成本（元）",
                              "批准金额（元）", "计算说明", "理由"], [
        [a.pk, a.enterprise.name, a.work.title, a.get_kind_display(), a.get_status_display(),
         timezone.localdate(a.decided_at) if a.decided_at else None, a.policy_version.version_id if a.policy_version else "",
         yuan(a.verified_cost_fen), yuan(a.approved_amount_fen), a.approved_explanation, a.decision_reason]
        for a in applications])
