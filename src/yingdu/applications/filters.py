"""Filters of the application list and its Excel export (status, enterprise (staff), work, submission dates), and
of the staff review queue, its export and its API (status, clock badge, search)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from yingdu.lists import EnterpriseSearchFilter, date_range
from yingdu.widgets import OptionsSelect

from . import selectors
from .models import OPEN_STATUSES, Application, ApplicationStatus


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ApplicationStatus.choices, empty_label=_("全部"))
    enterprise = EnterpriseSearchFilter(label=_("企业名称或信用代码"))
    work = django_filters.CharFilter(label=_("作品名称"), field_name="work__title", lookup_expr="icontains",
                                     max_length=200)
    submitted_from, submitted_to = date_range("submitted_on", _("提交日期自"), _("提交日期至"))

    class Meta:
        model = Application
        fields: list[str] = []

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.filters["enterprise"]


QUEUE_BADGE_LABELS = [("intake", _("待受理")), ("overdue", _("已超期")), ("at_risk", _("临近截止")),
                      ("paused", _("已暂停")), ("on_track", _("正常")), ("unknown", _("日历未发布"))]


class QueueFilter(django_filters.FilterSet):
    """The review queue's filters: an open status, a clock badge (computed on ``today``'s clock, in the database)
    and a search of the enterprise's name or USCC, the work's title or the application number. The rows are
    ``selectors.application_queue_queryset``'s for the user, in queue order; a value outside the choices or too long
    is an error beside its field (the page, 400; the export, 400), as the API refuses it (400)."""

    q = django_filters.CharFilter(label=_("搜索"), max_length=selectors.QUEUE_SEARCH_MAX_LENGTH, method="_by_selector",
                                  widget=forms.TextInput(attrs={
                                      "type": "search",
                                      "placeholder": _("企业名称、统一社会信用代码、作品名称或申请编号")}))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=[(s.value, s.label) for s in OPEN_STATUSES],
                                         empty_label=_("全部"), method="_by_selector", widget=OptionsSelect)
    badge = django_filters.ChoiceFilter(label=_("时限"), choices=QUEUE_BADGE_LABELS, empty_label=_("全部"),
                                        method="_by_selector", widget=OptionsSelect)

    class Meta:
        model = Application
        fields: list[str] = []

    def __init__(self, data=None, *, user, today, **kwargs):
        self.user, self.today = user, today
        super().__init__(data, queryset=Application.objects.none(), **kwargs)

    def _by_selector(self, queryset, name, value):
        return queryset  # the three filters are applied together by filter_queryset

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        return selectors.application_queue_queryset(self.user, today=self.today, status=data.get("status") or "",
                                                    badge=data.get("badge") or "", search=data.get("q") or "")

    @property
    def values(self) -> dict:
        """The valid filters as the selectors take them (status, badge, search)."""
        data = self.form.cleaned_data
        return {"status": data.get("status") or "", "badge": data.get("badge") or "", "search": data.get("q") or ""}
