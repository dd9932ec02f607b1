"""The review clock's badge and deadline as template tags: the markup of the former ``_sla_badge.html`` and
``_sla_deadline.html`` partials, written in Python (the same markup) so that a list of 50 rows renders them without
an include (a context push and some twenty ``{% translate %}`` nodes) per row. The messages are the same catalogue
entries the partials used (``blocktranslate`` turns ``{{ name }}`` into ``%(name)s``)."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()


# As the {% translate %} and {% blocktranslate %} tags do, the catalogue's messages are written as they are (they are
# the project's own text) and only the values put into them are escaped.
def _message(msgid: str, **values) -> str:
    """A translated message with its values escaped, as ``{% blocktranslate with ... %}`` renders it."""
    return gettext(msgid) % {name: conditional_escape(value) for name, value in values.items()}


def _day(day) -> str:
    return day.isoformat()  # the |date:"Y-m-d" of the partials


def sla_badge_html(sla) -> str:
    if sla is None:
        return mark_safe(f'<span class="badge" data-testid="sla-badge">{gettext("待受理")}</span>')
    provisional = gettext("（预计）") if sla.provisional else ""
    badge = sla.badge
    if badge == "overdue":
        text = (_message("已超期 %(days_late)s 个工作日", days_late=sla.days_late) if sla.days_late is not None
                else _message("已超期（超期天数待 %(missing_year)s 年日历发布后确定）", missing_year=sla.missing_year))
        return mark_safe(f'<span class="badge sla-overdue" data-testid="sla-badge">{text}{provisional}</span>')
    if badge == "at_risk":
        text = _message("临近截止 · 剩 %(working_days_left)s 个工作日", working_days_left=sla.working_days_left)
        return mark_safe(f'<span class="badge sla-at-risk" data-testid="sla-badge">{text}{provisional}</span>')
    if badge == "paused":
        text = _message("已暂停 · 剩 %(working_days_left)s 个工作日", working_days_left=sla.working_days_left)
        return mark_safe(f'<span class="badge sla-paused" data-testid="sla-badge">{text}{provisional}</span>')
    if badge == "unknown":
        paused = gettext("已暂停 ·") + " " if sla.paused_now else ""
        text = (_message("截止日在 %(missing_year)s 年，最早不早于 %(not_before)s", missing_year=sla.missing_year,
                         not_before=_day(sla.deadline_not_before)) if sla.deadline_not_before
                else _message("%(missing_year)s 年日历未发布，截止日暂无法计算", missing_year=sla.missing_year))
        return mark_safe(f'<span class="badge sla-unknown" data-testid="sla-badge">{paused}{text}</span>')
    text = _message("剩 %(working_days_left)s 个工作日", working_days_left=sla.working_days_left)
    return mark_safe(f'<span class="badge sla-on-track" data-testid="sla-badge">{text}{provisional}</span>')


def sla_deadline_html(sla) -> str:
    if sla is None:
        return "—"
    if sla.deadline_on:
        if not sla.provisional:
            return _day(sla.deadline_on)
        title = gettext("所涉年度的官方放假安排尚未发布，按法定节假日推算；发布后重新计算")
        return mark_safe(f'{_day(sla.deadline_on)} <abbr class="provisional" title="{title}">{gettext("预计")}</abbr>')
    if sla.deadline_not_before:
        return mark_safe(_message("不早于 %(not_before)s", not_before=_day(sla.deadline_not_before)))
    return "—"


@register.simple_tag
def sla_badge(sla) -> str:
    """The clock's badge (待受理 when the application is not accepted yet)."""
    return sla_badge_html(sla or None)


@register.simple_tag
def sla_deadline(sla) -> str:
    """The deadline, marked 预计 when it rests on a provisional calendar, or its lower bound, or —."""
    return sla_deadline_html(sla)


@register.filter
def status_label(status: str) -> str:
    """An application status's label in the page's language (as ``get_status_display``, without building the
    field's choices per row)."""
    from yingdu.applications.selectors import application_status_label

    return application_status_label(status)
