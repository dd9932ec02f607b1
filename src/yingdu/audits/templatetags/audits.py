from django import template

from yingdu.audits.selectors import draws_published

register = template.Library()


@register.simple_tag
def published_draws():
    """Every published draw, newest quarter first (for the transparency page)."""
    return list(draws_published())
