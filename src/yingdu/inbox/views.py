"""The inbox pages: the list (newest first, keyset paged, read/unread), one notification, mark all read."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingdu.accounts.permissions import login_required
from yingdu.errors import NotFound
from yingdu.lists import keyset_list

from . import selectors, services
from .filters import NotificationFilter


@login_required
def notification_list(request):
    filterset = NotificationFilter(request.GET, queryset=selectors.notifications_of(request.user))
    listing = keyset_list(request, filterset, key="id")
    return render(request, "inbox/list.html", {
        "listing": listing, "unread": selectors.notifications_unread_count(request.user)}, status=listing.status)


@login_required
def notification_detail(request, notification_id: int):
    """Opening a notification (from the list or its e-mail) marks it read; another user's is not found."""
    try:
        notification = selectors.notification_get(request.user, notification_id)
    except NotFound:
        raise Http404 from None
    notification = services.notification_open(notification=notification, now=timezone.now())
    return render(request, "inbox/detail.html", {"notification": notification})


@login_required
@require_POST
def mark_all_read(request):
    count = services.notifications_mark_all_read(user=request.user, now=timezone.now())
    messages.success(request, _("已将 {count} 条消息标记为已读").format(count=count))
    return redirect("inbox:list")
