"""The clock's badge and deadline tags write exactly the markup of the partials they replaced (issue 18: no include
per row), in both languages, for every kind of clock."""

from datetime import date

import pytest
from django.template import Context, Template
from django.utils import translation

from yingdu.applications.models import ApplicationStatus
from yingdu.applications.sla import SlaStatus
from yingdu.applications.templatetags.sla_tags import sla_badge_html, sla_deadline_html, status_label

# the former applications/_sla_badge.html and _sla_deadline.html, verbatim
OLD_BADGE = Template(
    '{% load i18n %}{% if sla %}{% if sla.badge == "overdue" %}<span class="badge sla-overdue" data-t'
    'estid="sla-badge">{% if sla.days_late is None %}{% blocktranslate with missing_year=sla.missing_'
    'year %}已超期（超期天数待 {{ missing_year }} 年日历发布后确定）{% endblocktranslate %}{% else %}{% blocktranslate '
    'with days_late=sla.days_late %}已超期 {{ days_late }} 个工作日{% endblocktranslate %}{% endif %}{% if s'
    'la.provisional %}{% translate "（预计）" %}{% endif %}</span>{% elif sla.badge == "at_risk" %}<span '
    'class="badge sla-at-risk" data-testid="sla-badge">{% blocktranslate with working_days_left=sla.w'
    'orking_days_left %}临近截止 · 剩 {{ working_days_left }} 个工作日{% endblocktranslate %}{% if sla.provisi'
    'onal %}{% translate "（预计）" %}{% endif %}</span>{% elif sla.badge == "paused" %}<span class="badg'
    'e sla-paused" data-testid="sla-badge">{% blocktranslate with working_days_left=sla.working_days_'
    'left %}已暂停 · 剩 {{ working_days_left }} 个工作日{% endblocktranslate %}{% if sla.provisional %}{% tra'
    'nslate "（预计）" %}{% endif %}</span>{% elif sla.badge == "unknown" %}<span class="badge sla-unknow'
    'n" data-testid="sla-badge">{% if sla.paused_now %}{% translate "已暂停 ·" %} {% endif %}{% if sla.d'
    'eadline_not_before %}{% blocktranslate with missing_year=sla.missing_year not_before=sla.deadlin'
    'e_not_before|date:"Y-m-d" %}截止日在 {{ missing_year }} 年，最早不早于 {{ not_before }}{% endblocktranslate'
    ' %}{% else %}{% blocktranslate with missing_year=sla.missing_year %}{{ missing_year }} 年日历未发布，截止'
    '日暂无法计算{% endblocktranslate %}{% endif %}</span>{% else %}<span class="badge sla-on-track" data-t'
    'estid="sla-badge">{% blocktranslate with working_days_left=sla.working_days_left %}剩 {{ working_'
    'days_left }} 个工作日{% endblocktranslate %}{% if sla.provisional %}{% translate "（预计）" %}{% endif %'
    '}</span>{% endif %}{% else %}<span class="badge" data-testid="sla-badge">{% translate "待受理" %}</'
    'span>{% endif %}'
)
OLD_DEADLINE = Template(
    '{% load i18n %}{% if sla.deadline_on %}{{ sla.deadline_on|date:"Y-m-d" }}{% if sla.provisional %'
    '} <abbr class="provisional" title="{% translate "所涉年度的官方放假安排尚未发布，按法定节假日推算；发布后重新计算" %}">{% transl'
    'ate "预计" %}</abbr>{% endif %}{% elif sla.deadline_not_before %}{% blocktranslate with not_before'
    '=sla.deadline_not_before|date:"Y-m-d" %}不早于 {{ not_before }}{% endblocktranslate %}{% else %}—{%'
    ' endif %}'
)
ACCEPTED, TODAY = date(2026, 3, 2), date(2026, 4, 1)


def _clock(**fields) -> SlaStatus:
    values = {"accepted_on": ACCEPTED, "sla_working_days": 30, "paused_working_days": 0, "paused_now": False,
              "deadline_on": date(2026, 4, 14), "working_days_left": 9, "today": TODAY}
    return SlaStatus(**{**values, **fields})


CLOCKS = {
    "on track": _clock(),
    "on track, provisional": _clock(provisional=True),
    "at risk": _clock(working_days_left=3),
    "at risk, provisional": _clock(working_days_left=0, provisional=True),
    "paused": _clock(paused_now=True, paused_working_days=4),
    "paused, provisional": _clock(paused_now=True, provisional=True),
    "overdue": _clock(deadline_on=date(2026, 3, 20), working_days_left=-8),
    "overdue, provisional": _clock(deadline_on=date(2026, 3, 20), working_days_left=-1, provisional=True),
    "overdue by an unknown count": _clock(deadline_on=date(2026, 3, 20), working_days_left=None, missing_year=2027),
    "unknown, bounded": _clock(deadline_on=None, working_days_left=None, missing_year=2027,
                               deadline_not_before=date(2027, 1, 4), today=date(2026, 12, 1)),
    "unknown, bounded, paused": _clock(deadline_on=None, working_days_left=None, missing_year=2027, paused_now=True,
                                       deadline_not_before=date(2027, 1, 4), today=date(2026, 12, 1)),
    "unknown, unbounded": _clock(deadline_on=None, working_days_left=None, missing_year=2027,
                                 today=date(2026, 12, 1)),
    "not accepted": None,
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("name", list(CLOCKS))
def test_badge_and_deadline_tags_write_the_partials_markup(name, language):
    sla = CLOCKS[name]
    with translation.override(language):
        assert sla_badge_html(sla) == OLD_BADGE.render(Context({"sla": sla}))
        assert sla_deadline_html(sla) == OLD_DEADLINE.render(Context({"sla": sla}))


def test_the_english_badge_is_translated():
    with translation.override("en"):
        assert "working days left" in sla_badge_html(CLOCKS["on track"])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_status_label_is_the_status_display(language):
    with translation.override(language):
        for value, label in ApplicationStatus.choices:
            assert status_label(value) == str(label)
