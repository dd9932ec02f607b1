"""The inbox from outside: who receives a notification, who does not, read marks, paging and the e-mail link."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from yingdu.accounts.models import Role
from yingdu.applications import services as applications
from yingdu.applications.tests.support import declare, draft, meter_usage, release, under_review
from yingdu.inbox.models import Notification
from yingdu.inbox.selectors import notifications_unread_count
from yingdu.inbox.services import EMAIL_LINK_LINE, Message, notifications_create
from yingdu.keyset import PAGE_SIZE
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LINK = re.compile(r"https?://\S+/inbox/(\d+)/")


@pytest.fixture
def world():
    reviewer = verified(make_staff(Role.REVIEWER))
    approver = verified(make_staff(Role.APPROVER))
    member = make_user(email="member@drama.example.cn")
    enterprise = make_enterprise(member=member, verified_by=reviewer)
    outsider = make_user(email="other@drama.example.cn")
    make_enterprise(member=outsider, verified_by=reviewer)
    work = declare(enterprise, now=NOW)
    meter_usage(make_metering_provider(), [work])
    release(work, now=NOW)
    application = under_review(draft(work, now=NOW), reviewer, now=NOW)
    # starting the review issued the work's data notice: the member has it in the app too
    assert Notification.objects.filter(recipient=member, kind="notices.issued").count() == 1
    mail.outbox.clear()
    return type("World", (), dict(reviewer=reviewer, approver=approver, member=member, outsider=outsider,
                                  application=application))


def _link_path(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return reverse("inbox:detail", args=[int(match.group(1))])


def test_a_supplement_request_reaches_the_members_inbox_and_mail_with_a_link_only_they_can_open(
        world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        applications.application_request_supplement(application=world.application, actor=world.reviewer,
                                                    items=["发行许可证扫描件"], message="请补充发行许可证扫描件",
                                                    now=NOW)
    notification = Notification.objects.get(recipient=world.member, kind="applications.request_supplement")
    entry = LogEntry.objects.get(index=notification.log_index)
    assert entry.event_type == "applications.request_supplement"
    assert "发行许可证扫描件" in notification.body
    assert notification.link == reverse("applications:detail", args=[world.application.pk])
    assert not Notification.objects.filter(recipient=world.outsider).exists()
    (message,) = [m for m in mail.outbox if m.to == ["member@drama.example.cn"]]
    assert EMAIL_LINK_LINE.split("：")[0] in message.body
    path = _link_path(message)
    assert path == reverse("inbox:detail", args=[notification.pk])

    assert client_for(world.outsider).get(path).status_code == 404
    assert client_for(world.reviewer).get(path).status_code == 404  # staff with two-factor: not theirs either
    without_second_factor = client_for(world.reviewer, two_factor=False).get(path)
    assert without_second_factor.status_code == 302
    assert without_second_factor["Location"].startswith(reverse("accounts:two_factor"))
    assert Notification.objects.get(pk=notification.pk).read_at is None

    member = client_for(world.member)
    page = member.get(path)
    assert page.status_code == 200 and "发行许可证扫描件" in page.content.decode()
    assert Notification.objects.get(pk=notification.pk).read_at is not None
    assert notifications_unread_count(world.member) == 1  # the data notice is still unread


def test_approval_tells_the_enterprise_of_the_decision_and_the_voucher(world, django_capture_on_commit_callbacks):
    # the approver reads the pages in English: the messages are in Chinese all the same, as their e-mails
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        applications.application_approve(application=world.application, actor=world.approver, now=NOW)
    told = Notification.objects.filter(recipient=world.member).exclude(kind="notices.issued")
    assert sorted(told.values_list("kind", flat=True)) == ["applications.approve", "vouchers.notice"]
    for notification in told:
        assert LogEntry.objects.get(index=notification.log_index).event_type == notification.kind
    assert told.get(kind="vouchers.notice").subject.startswith("算力券已发放")
    subjects = [m.subject for m in mail.outbox if m.to == ["member@drama.example.cn"]]
    assert any("已批准" in s for s in subjects) and any("算力券已发放" in s for s in subjects)
    assert all(LINK.search(m.body) for m in mail.outbox)
    assert not Notification.objects.filter(recipient__in=[world.outsider, world.approver, world.reviewer]).exists()


def test_a_rejection_reaches_the_member(world):
    applications.application_reject(application=world.application, actor=world.approver, reason="材料不实", now=NOW)
    notification = Notification.objects.get(recipient=world.member, kind="applications.reject")
    assert "未获批准" in notification.subject


def _many(user, count: int) -> None:
    for number in range(count):
        notifications_create(message=Message(kind="test", ref=f"test:{number}", subject=f"消息 {number}",
                                             body="正文", link="/", recipients=[user]), log_index=None, now=NOW)


def test_unread_count_in_the_navigation_filters_and_mark_all_read():
    user = make_user()
    _many(user, 3)
    Notification.objects.filter(recipient=user, ref="test:0").update(read_at=NOW)
    client = client_for(user)
    body = client.get(reverse("inbox:list")).content.decode()
    assert re.search(r'消息 <span class="nav-count"[^>]*>2</span>', body)
    unread = client.get(reverse("inbox:list"), {"state": "unread"}).content.decode()
    assert "消息 2" in unread and "消息 1" in unread and "消息 0" not in unread
    # the list itself (the header's menu button spells out "未读消息 2 条")
    read = client.get(reverse("inbox:list"), {"state": "read"}).content.decode().split('id="main"')[1]
    assert "消息 0" in read and "消息 2" not in read
    assert client.get(reverse("inbox:list"), {"state": "bogus"}).status_code == 400
    assert client.get(reverse("inbox:mark_all_read")).status_code == 405
    assert client.post(reverse("inbox:mark_all_read")).status_code == 302
    assert notifications_unread_count(user) == 0
    assert 'class="nav-count"' not in client.get(reverse("inbox:list")).content.decode().split("消息</a>")[0][-80:]


def test_the_list_pages_newest_first_by_keyset():
    user = make_user()
    _many(user, PAGE_SIZE + 2)
    client = client_for(user)
    first = client.get(reverse("inbox:list")).content.decode()
    assert f"消息 {PAGE_SIZE + 1}<" in first and "消息 1<" not in first
    next_after = re.search(r'after=(\d+)" rel="next"', first).group(1)
    second = client.get(reverse("inbox:list"), {"after": next_after}).content.decode()
    assert "消息 1<" in second and "消息 0<" in second and f"消息 {PAGE_SIZE + 1}<" not in second
    assert client.get(reverse("inbox:list"), {"after": "x"}).status_code == 400


def test_anonymous_users_are_sent_to_login():
    assert client_for(make_user()).get(reverse("inbox:detail", args=[999999])).status_code == 404
    from django.test import Client

    response = Client().get(reverse("inbox:list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_every_recipient_gets_one_notification_per_event():
    user = make_user()
    message = Message(kind="test", ref="test:once", subject="一次", body="", link="", recipients=[user, user])
    notifications_create(message=message, log_index=None, now=NOW)
    notifications_create(message=message, log_index=None, now=NOW)
    assert Notification.objects.filter(recipient=user).count() == 1
