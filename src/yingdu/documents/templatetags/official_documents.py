"""The remedies and contact of a decision made at a moment, for pages that list decisions (objections)."""

from django import template

from ..selectors import decision_remedies_at

register = template.Library()


@register.simple_tag
def remedies_at(moment) -> dict[str, str] | None:
    return decision_remedies_at(moment) if moment is not None else None
