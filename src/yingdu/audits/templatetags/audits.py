from django import template

from yingdu.audits import texts
from yingdu.audits.selectors import draws_published

register = template.Library()


@register.simple_tag
def published_draws():
    """Every published draw, newest quarter first (for the transparency page)."""
    return list(draws_published())


@register.filter
def case_notice_text(notice) -> str:
    """A case notice in the page's language (audits.texts)."""
    return texts.notice_text(notice)
