"""The form of a document number (文号), e.g. 怀文促决〔2026〕12号: a template from the policy with ``{year}`` and
``{number}``. No Django import."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_TEMPLATE_LENGTH = 60
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def template_valid(template: object) -> bool:
    """Whether ``template`` names {year} and {number} once each and holds no other placeholder or brace."""
    if not isinstance(template, str) or not template.strip() or len(template) > MAX_TEMPLATE_LENGTH:
        return False
    placeholders = _PLACEHOLDER.findall(template)
    if sorted(placeholders) != ["{number}", "{year}"]:
        return False
    return "{" not in _PLACEHOLDER.sub("", template) and "}" not in _PLACEHOLDER.sub("", template)


def document_number_format(template: str, *, year: int, sequence: int) -> str:
    """The number of the ``sequence``-th document of ``year`` in the template's form (no zero padding, as in
    〔2026〕12号)."""
    if not template_valid(template):
        raise ValueError(f"not a document number template: {template!r}")
    return template.replace("{year}", str(year)).replace("{number}", str(sequence))


def document_year(moment: datetime) -> int:
    """The Beijing year of an (aware) issuing moment: 2026-12-31T16:00Z is already 2027."""
    return moment.astimezone(BEIJING).year
