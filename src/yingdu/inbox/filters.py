import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Notification

READ_CHOICES = (("unread", _("未读")), ("read", _("已读")))


class NotificationFilter(django_filters.FilterSet):
    """Read or unread."""

    state = django_filters.ChoiceFilter(label=_("状态"), choices=READ_CHOICES, empty_label=_("全部消息"),
                                        method="filter_state")

    class Meta:
        model = Notification
        fields = []

    def filter_state(self, queryset, name, value):
        return queryset.filter(read_at__isnull=(value == "unread")) if value else queryset
