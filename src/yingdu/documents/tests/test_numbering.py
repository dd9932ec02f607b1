"""The form of a document number and its year (pure: no database)."""

from datetime import UTC, datetime

import pytest

from yingdu.documents.numbering import document_number_format, document_year, template_valid


def test_a_number_is_the_template_with_the_year_and_the_place_in_the_sequence():
    assert document_number_format("怀影算券〔{year}〕{number}号", year=2026, sequence=12) == "怀影算券〔2026〕12号"


@pytest.mark.parametrize("template", [
    "怀文促决〔{year}〕{number}号", "{number}/{year}", "HR-{year}-{number}",
])
def test_templates_naming_year_and_number_once_are_valid(template):
    assert template_valid(template)


@pytest.mark.parametrize("template", [
    "", "   ", None, 12, "怀文促决〔2026〕{number}号", "怀文促决〔{year}〕号", "{year}{number}{number}",
    "{year}{number}{other}", "{year}{number}}", "{{year}}{number}", "怀" * 50 + "{year}{number}",
])
def test_other_templates_are_refused(template):
    assert not template_valid(template)
    if isinstance(template, str):
        with pytest.raises(ValueError):
            document_number_format(template, year=2026, sequence=1)


def test_the_year_of_a_document_is_the_beijing_year_of_its_issuing_moment():
    # New Year's Eve 23:59 in Beijing is 15:59 UTC; midnight in Beijing is 16:00 UTC, still 31 December in UTC
    assert document_year(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)) == 2026
    assert document_year(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == 2027
