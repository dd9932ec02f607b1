"""Notifications derived from log entries, in the transaction that appends them.

Each entry type that tells a person something has one function here, from the entry (and the rows it names) to the
message and its recipients; the notification stores the entry's index. Apps that already e-mailed these messages
keep sending them (now through ``notifications_mail``, one per recipient with the notification's link); the
messages that had no e-mail (supplement requested, application decided) are e-mailed by the inbox after commit.
"""

import json
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import organisation_members, staff_with_role

from .services import Message, entry_ref, notifications_create

Deriver = Callable[[dict], list[Message]]
DERIVERS: dict[str, Deriver] = {}


def derives(*event_types: str):
    def register(function: Deriver) -> Deriver:
        for event_type in event_types:
            DERIVERS[event_type] = function
        return function
    return register


def on_entries_appended(sender, *, appended, entries, now, **kwargs) -> None:
    """Receiver of transparency's entries_appended: derive each notifying entry's notifications (in Chinese, as
    their e-mails, whatever the language of the page that caused them)."""
    for item, entry in zip(appended, entries, strict=True):
        derive = DERIVERS.get(item.event_type)
        if derive is None:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            messages = derive(json.loads(entry))
        for message in messages:
            notifications_create(message=message, log_index=item.index, now=now)


@derives("vouchers.notice")
def _voucher_notice(entry: dict) -> list[Message]:
    from yingdu.vouchers.models import VoucherNotice

    notice = VoucherNotice.objects.select_related("voucher", "enterprise").get(pk=entry["notice"])
    return [Message(kind="vouchers.notice", ref=entry_ref("vouchers.notice", notice.pk),
                    subject=f"【影都算力券】{notice.get_kind_display()}（{notice.voucher.number}）",
                    body=notice.message, link=reverse("vouchers:detail", args=[notice.voucher.number]),
                    recipients=organisation_members(notice.enterprise.organisation_id))]


@derives("audits.notice")
def _audit_notice(entry: dict) -> list[Message]:
    from yingdu.audits.models import AuditNotice

    notice = AuditNotice.objects.select_related("enterprise").get(pk=entry["notice"])
    return [Message(kind="audits.notice", ref=entry_ref("audits.notice", notice.pk),
                    subject=f"【影都算力券】{notice.get_kind_display()}（抽查案件 {notice.case_id}）",
                    body=notice.message, link=reverse("audits:case_detail", args=[notice.case_id]),
                    recipients=organisation_members(notice.enterprise.organisation_id))]


@derives("notices.issued")
def _data_notice(entry: dict) -> list[Message]:
    from yingdu.notices.models import DataNotice

    notice = DataNotice.objects.select_related("work", "enterprise").get(pk=entry["notice"])
    return [Message(kind="notices.issued", ref=entry_ref("notices.issued", notice.pk),
                    subject=f"【影都算力券】用量数据告知书（{notice.work.title}）",
                    body=(f"影都算力券服务平台向贵企业送达用量数据告知书（编号 {notice.pk}）：作品《{notice.work.title}》，"
                          f"期间 {notice.period_start_on:%Y-%m-%d} 至 {notice.period_end_on:%Y-%m-%d}，"
                          f"用量记录 {notice.record_count} 条。如有异议，请在异议期内在告知书页面提交书面说明和证明材料。"),
                    link=reverse("notices:detail", args=[notice.pk]),
                    recipients=organisation_members(notice.enterprise.organisation_id))]


@derives("objections.upheld", "objections.partially_upheld", "objections.rejected")
def _objection_decided(entry: dict) -> list[Message]:
    from yingdu.notices.models import Objection

    objection = Objection.objects.select_related("notice__work", "notice__enterprise").get(pk=entry["objection"])
    notice = objection.notice
    return [Message(kind="objections.decided", ref=entry_ref("objections.decided", objection.pk),
                    subject=f"【影都算力券】异议处理结果：{objection.get_status_display()}（{notice.work.title}）",
                    body=(f"贵企业对用量数据告知书（编号 {notice.pk}）提出的异议已处理："
                          f"{objection.get_status_display()}。处理意见见告知书页面。"),
                    link=reverse("notices:detail", args=[notice.pk]),
                    recipients=organisation_members(notice.enterprise.organisation_id))]


@derives("applications.reminder")
def _reviewer_reminder(entry: dict) -> list[Message]:
    from yingdu.accounts.models import User

    numbers = "、".join(f"#{pk}" for pk in entry["applications"])
    return [Message(kind="applications.reminder", ref=entry_ref("applications.reminder", entry["reminder"]),
                    subject="【影都算力券】待办申请时限提醒",
                    body=f"以下申请临近或已超过办理时限，请尽快处理：{numbers}",
                    link=reverse("applications:queue"),
                    recipients=list(User.objects.filter(pk=entry["reviewer"], is_active=True)))]


@derives("calendar.reminder_sent")
def _calendar_reminder(entry: dict) -> list[Message]:
    year = entry["year"]
    return [Message(kind="calendar.reminder_sent", ref=entry_ref("calendar.reminder_sent", entry["reminder"]),
                    subject=f"【影都算力券】请导入 {year} 年官方放假安排",
                    body=f"{year} 年官方放假安排尚未导入，请在国务院办公厅通知发布后于“政策管理”页面导入。",
                    link=reverse("policy:manage"), recipients=staff_with_role(Role.ADMIN))]


def _application_message(entry: dict, *, subject: str, body: str) -> list[Message]:
    from yingdu.applications.models import Application

    application = Application.objects.select_related("work", "enterprise").get(pk=entry["application"])
    title = application.work.title
    return [Message(kind=entry["type"],
                    ref=entry_ref("applications.transition", entry["transition"]),
                    subject=subject.format(title=title), body=body.format(title=title, number=application.pk),
                    link=reverse("applications:detail", args=[application.pk]),
                    recipients=organisation_members(application.enterprise.organisation_id), email=True)]


@derives("applications.request_supplement")
def _supplement_requested(entry: dict) -> list[Message]:
    items = "；".join(str(item) for item in entry.get("detail", {}).get("items", []))
    return _application_message(
        entry, subject="【影都算力券】申请需补充材料（{title}）",
        body="贵企业的补贴申请（编号 {number}，作品《{title}》）需补充材料" + (f"：{items}" if items else "")
             + "。请在申请页面逐项补充后重新提交；补充期间不计入办理时限。")


@derives("applications.approve")
def _application_approved(entry: dict) -> list[Message]:
    return _application_message(
        entry, subject="【影都算力券】补贴申请已批准（{title}）",
        body="贵企业的补贴申请（编号 {number}，作品《{title}》）已批准，算力券已发放至“算力券钱包”。")


@derives("applications.reject")
def _application_rejected(entry: dict) -> list[Message]:
    return _application_message(
        entry, subject="【影都算力券】补贴申请未获批准（{title}）",
        body="贵企业的补贴申请（编号 {number}，作品《{title}》）未获批准，理由及救济途径见申请页面的决定书。")


@derives("publicity.objection_decided")
def _publicity_objection_decided(entry: dict) -> list[Message]:
    """The enterprise hears of a decided objection to its proposed award (the public 公示 page already lists the
    objection under its name): upheld withdraws the award and returns the case to review, dismissed keeps it. The
    objector's contact, text and the reason stay with staff; the application page shows the return's reason."""
    from yingdu.applications.models import Application
    from yingdu.publicity.models import ObjectionDecision

    application = Application.objects.select_related("work", "enterprise").get(pk=entry["application"])
    title, number, objection = application.work.title, application.pk, entry["objection"]
    if entry["decision"] == ObjectionDecision.UPHELD:
        subject = f"【影都算力券】公示异议成立，拟支持的补贴已撤回（{title}）"
        body = (f"对贵企业补贴申请（编号 {number}，作品《{title}》）拟支持结果的公示异议（编号 {objection}）经审核成立："
                "拟支持的补贴已撤回，申请退回审核。理由见申请页面。")
    else:
        subject = f"【影都算力券】公示异议不成立（{title}）"
        body = (f"对贵企业补贴申请（编号 {number}，作品《{title}》）拟支持结果的公示异议（编号 {objection}）经审核不成立，"
                "维持拟支持结果；公示期满且无成立的异议后发放算力券。")
    return [Message(kind="publicity.objection_decided", ref=entry_ref("publicity.objection_decided", objection),
                    subject=subject, body=body, link=reverse("applications:detail", args=[number]),
                    recipients=organisation_members(application.enterprise.organisation_id), email=True)]
