"""An amount's explanation in the page's language: the calculator words it in Chinese (stored with the amount); a
page in another language words the same calculation from the stored detail, and in Chinese that wording is the
calculator's, word for word."""

from fractions import Fraction

import pytest
from django.utils import translation

from yingdu.applications.explanations import _base_choice, _calculation, explanation_text
from yingdu.rules.money import Money
from yingdu.rules.subsidy import PolicyTerms, quote


def _terms(reading: str = "A", rule: str = "half_up") -> PolicyTerms:
    return PolicyTerms(version_id="test-1", regular_rate=Fraction(3, 10), regular_cap_fen=50_000_000,
                       overseas_reading=reading, overseas_uplift=Fraction(1, 10), overseas_cap_fen=80_000_000,
                       annual_work_limit=5, rounding_rule=rule)


CASES = [
    dict(verified_cost=Money(1_234_567), overseas=False, policy=_terms()),
    dict(verified_cost=Money(1_234_567), overseas=True, policy=_terms("A", "half_even")),
    dict(verified_cost=Money(999_999_999), overseas=True, policy=_terms("B", "down")),
    dict(verified_cost=Money(1_000_000), overseas=False, policy=_terms(), invoiced=Money(800_000)),
    dict(verified_cost=Money(1_000_000), overseas=False, policy=_terms(), invoiced=Money(1_000_000)),
]


@pytest.mark.parametrize("case", CASES)
def test_the_chinese_wording_from_the_detail_is_the_calculators(case):
    result = quote(**case)
    with translation.override("zh-hans"):
        assert _base_choice(result.explanation_detail) + _calculation(result.explanation_detail) == result.explanation


@pytest.mark.parametrize("case", CASES)
def test_an_english_page_words_the_calculation_without_chinese(case):
    result = quote(**case)
    with translation.override("en"):
        words = explanation_text(result.explanation, result.explanation_detail)
    assert "yuan" in words and result.amount.format_display() in words and "test-1" in words
    assert not any("\u4e00" <= character <= "\u9fff" for character in words), words
    with translation.override("zh-hans"):
        assert explanation_text(result.explanation, result.explanation_detail) == result.explanation


def test_without_a_detail_the_stored_text_is_shown():
    with translation.override("en"):
        assert explanation_text("补贴金额 1.00 元", {}) == "补贴金额 1.00 元"
