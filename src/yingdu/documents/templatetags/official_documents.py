"""The remedies and contact of a decision made at a moment, for pages that list decisions (objections)."""

from django import template

from ..selectors import decision_remedies_at, document_number_of

register = template.Library()


@register.simple_tag
def remedies_at(moment) -> dict[str, str] | None:
    return decision_remedies_at(moment) if moment is not None else None


@register.simple_tag
def document_number(kind: str, subject_id) -> str:
    """The number (文号) of the document of ``kind`` about ``subject_id``; "" when it has none."""
    return document_number_of(kind=kind, subject_id=subject_id)
