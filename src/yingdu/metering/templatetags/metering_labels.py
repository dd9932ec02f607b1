"""SKUs shown by their catalogue name (the code stays in the element's title, for those who report it)."""

from django import template

from ..selectors import provider_sku_names

register = template.Library()


@register.simple_tag(takes_context=True)
def sku_name(context, record) -> str:
    """The catalogue name of a usage record's SKU, or its code when the catalogue has none; each provider's names
    are read once per rendering."""
    cache = context.render_context.setdefault("sku_names", {})
    if record.provider_id not in cache:
        cache[record.provider_id] = provider_sku_names(record.provider_id)
    return cache[record.provider_id].get(record.sku) or record.sku
