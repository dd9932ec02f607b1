"""A case's notices in the page's language. Each notice is stored (and committed to in the log) in Chinese as it was
sent; a page in another language says what kind of notice it is and what it is about, from the notice's kind and its
case, and points to the case page for the figures."""

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import AuditNotice, AuditNoticeKind


def notice_text(notice: AuditNotice) -> str:
    """The stored Chinese text on a Chinese page, else a sentence built from the notice's kind and case."""
    if (get_language() or "zh-hans").lower().startswith("zh"):
        return notice.message
    case = notice.case
    values = {"number": case.pk, "title": case.work.title, "quarter": case.draw.quarter}
    if notice.kind == AuditNoticeKind.CASE_OPENED:
        return _("您的作品《{title}》在 {quarter} 季度抽查中被抽中（抽查案件 {number}）。请按本页所列截止日提交书面说明和证明材料。"
                 ).format(**values)
    if notice.kind == AuditNoticeKind.FINDING:
        return _("抽查案件 {number}（作品《{title}》）已有检查结论，见本页“检查结论”。").format(**values)
    if notice.kind == AuditNoticeKind.FRAUD_CONFIRMED:
        return _("抽查案件 {number}（作品《{title}》）经两名工作人员认定存在欺诈：贵企业的申报资格已取消，算力券已撤销。"
                 "如有异议，可书面申请重新决定。").format(**values)
    if notice.kind == AuditNoticeKind.DEADLINE_RECOMPUTED:
        return _("抽查案件 {number}（作品《{title}》）的说明截止日已按官方日历重新确定，见本页。此前提交的说明均已受理。").format(
            **values)
    return str(notice.get_kind_display())
