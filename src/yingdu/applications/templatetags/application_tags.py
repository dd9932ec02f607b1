from django import template

from yingdu.applications.explanations import explanation_text

register = template.Library()


@register.simple_tag
def explanation(text: str, detail: dict | None) -> str:
    """The explanation of an amount in the page's language (applications.explanations)."""
    return explanation_text(text, detail)
