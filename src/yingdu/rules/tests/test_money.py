"""Money parsing, formatting, arithmetic and the one rounding function."""

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingdu.errors import DomainError
from yingdu.rules import money
from yingdu.rules.money import (
    MSG_MONEY_EMPTY,
    MSG_MONEY_NEGATIVE,
    MSG_MONEY_NOT_A_NUMBER,
    MSG_MONEY_TOO_MANY_DECIMALS,
    Money,
    MoneyParseError,
    RoundingRule,
    round_fen,
)


def test_public_surface_is_pinned():
    assert sorted(money.__all__) == sorted([
        "MSG_MONEY_EMPTY",
        "MSG_MONEY_NEGATIVE",
        "MSG_MONEY_NOT_A_NUMBER",
        "MSG_MONEY_TOO_MANY_DECIMALS",
        "Money",
        "MoneyParseError",
        "RoundingRule",
        "round_fen",
    ])


@pytest.mark.parametrize(
    ("text", "expected_fen"),
    [
        ("19,500.00", 1_950_000),
        ("19500", 1_950_000),
        ("0.01", 1),
        ("0.5", 50),
        ("0", 0),
        ("  1,234,567.8 ", 123_456_780),
        ("１９，５００．００", 1_950_000),
        ("007", 700),
    ],
)
def test_yuan_text_parses_to_fen(text, expected_fen):
    assert Money.from_yuan(text) == Money(expected_fen)


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("", "money_empty", MSG_MONEY_EMPTY),
        ("   ", "money_empty", MSG_MONEY_EMPTY),
        ("-1", "money_negative", MSG_MONEY_NEGATIVE),
        ("-0.01", "money_negative", MSG_MONEY_NEGATIVE),
        ("-19,500.00", "money_negative", MSG_MONEY_NEGATIVE),
        ("1.234", "money_too_many_decimals", MSG_MONEY_TOO_MANY_DECIMALS),
        ("0.001", "money_too_many_decimals", MSG_MONEY_TOO_MANY_DECIMALS),
        ("19500.000", "money_too_many_decimals", MSG_MONEY_TOO_MANY_DECIMALS),
        ("abc", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
        ("-abc", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
        ("1,95", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
        ("12,3456", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
        ("1e5", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
        ("1.", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
        (".5", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
        ("+5", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
        ("1 000", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
        ("NaN", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
        ("1.5万", "money_not_a_number", MSG_MONEY_NOT_A_NUMBER),
    ],
)
def test_bad_yuan_text_is_refused_with_a_stable_code(text, code, message):
    with pytest.raises(MoneyParseError) as caught:
        Money.from_yuan(text)
    assert caught.value.code == code
    assert str(caught.value) == message


def test_parse_error_is_a_value_error_and_a_domain_error():
    assert issubclass(MoneyParseError, ValueError)
    assert issubclass(MoneyParseError, DomainError)


@pytest.mark.parametrize(
    ("fen", "plain", "display"),
    [
        (1_950_000, "19500.00", "19,500.00"),
        (1, "0.01", "0.01"),
        (0, "0.00", "0.00"),
        (123_456_789, "1234567.89", "1,234,567.89"),
        (-50, "-0.50", "-0.50"),
        (-123_456_700, "-1234567.00", "-1,234,567.00"),
    ],
)
def test_format_yuan_and_display(fen, plain, display):
    assert Money(fen).format_yuan() == plain
    assert str(Money(fen)) == plain
    assert Money(fen).format_display() == display


def test_arithmetic_and_comparison():
    assert Money(150) + Money(50) == Money(200)
    assert Money(150) - Money(200) == Money(-50)
    assert Money(150) * 3 == Money(450)
    assert 3 * Money(150) == Money(450)
    assert Money(1) < Money(2) <= Money(2) < Money(3)
    assert max(Money(5), Money(7)) == Money(7)
    assert sum([Money(1), Money(2)], Money(0)) == Money(3)


@pytest.mark.parametrize(
    "operation",
    [
        lambda: Money(1) + 1,
        lambda: Money(1) - 1,
        lambda: Money(1) * 1.5,
        lambda: Money(1) * Fraction(1, 2),
        lambda: Money(1) * True,
        lambda: Money(1) < 2,
        lambda: Money(1.5),
        lambda: Money(Decimal("1")),
        lambda: Money(True),
    ],
)
def test_money_refuses_floats_and_mixed_types(operation):
    with pytest.raises(TypeError):
        operation()


def test_money_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Money(1).fen = 2


@pytest.mark.parametrize(
    ("value", "half_up", "half_even", "down"),
    [
        (Fraction(1, 2), 1, 0, 0),
        (Fraction(3, 2), 2, 2, 1),
        (Fraction(5, 2), 3, 2, 2),
        (Fraction(3, 10), 0, 0, 0),
        (Fraction(6, 10), 1, 1, 0),
        (Fraction(-1, 2), -1, 0, 0),
        (Fraction(-3, 2), -2, -2, -1),
        (Fraction(-7, 10), -1, -1, 0),
        (Decimal("2600000.52"), 2600001, 2600001, 2600000),
        (Decimal("4.5"), 5, 4, 4),
        (7, 7, 7, 7),
    ],
)
def test_round_fen_rules(value, half_up, half_even, down):
    assert round_fen(value) == half_up
    assert round_fen(value, rule=RoundingRule.HALF_UP) == half_up
    assert round_fen(value, rule="half_even") == half_even
    assert round_fen(value, rule=RoundingRule.DOWN) == down


def test_round_fen_refuses_floats_and_unknown_rules():
    with pytest.raises(TypeError):
        round_fen(0.5)
    with pytest.raises(ValueError):
        round_fen(Fraction(1, 2), rule="ceiling")
    with pytest.raises(ValueError):
        round_fen(Decimal("NaN"))


@given(st.integers(min_value=0, max_value=10**15))
def test_formatted_amounts_parse_back(fen):
    assert Money.from_yuan(Money(fen).format_yuan()) == Money(fen)
    assert Money.from_yuan(Money(fen).format_display()) == Money(fen)


@given(st.fractions(max_denominator=10**6).filter(lambda value: abs(value) < 10**12), st.sampled_from(RoundingRule))
def test_round_fen_is_within_one_fen_and_integer(value, rule):
    rounded = round_fen(value, rule=rule)
    assert type(rounded) is int
    assert abs(rounded - value) < 1
    if rule is not RoundingRule.DOWN:
        assert abs(rounded - value) <= Fraction(1, 2)
    else:
        assert abs(rounded) <= abs(value)


@given(
    st.fractions(max_denominator=1000).filter(lambda value: abs(value) < 10**9),
    st.fractions(max_denominator=1000).filter(lambda value: abs(value) < 10**9),
    st.sampled_from(RoundingRule),
)
def test_round_fen_is_monotonic(first, second, rule):
    low, high = sorted((first, second))
    assert round_fen(low, rule=rule) <= round_fen(high, rule=rule)


# --- amounts in capitals (人民币大写) ----------------------------------------------------------------------------

CAPITALS = {
    0: "零元整",
    5: "伍分",
    50: "伍角整",
    56: "伍角陆分",
    100: "壹元整",
    105: "壹元零伍分",
    1_050: "壹拾元伍角整",
    100_000: "壹仟元整",
    105_000: "壹仟零伍拾元整",
    100_500: "壹仟零伍元整",
    1_000_500: "壹万零伍元整",
    1_050_000: "壹万零伍佰元整",
    1_100_000: "壹万壹仟元整",
    1_234_567: "壹万贰仟叁佰肆拾伍元陆角柒分",
    2_000_000: "贰万元整",  # the regular cap per work
    2_600_000: "贰万陆仟元整",  # the overseas cap per work
    10_000_000_000: "壹亿元整",
    10_001_000_000: "壹亿零壹万元整",
    100_000_000_500: "壹拾亿零伍元整",
    1_000_000_000_000: "壹佰亿元整",
}


@pytest.mark.parametrize("fen,capital", CAPITALS.items())
def test_amounts_in_capitals_as_official_documents_write_them(fen, capital):
    assert Money(fen).format_capital() == capital


def _read_capital(text: str) -> int:
    """An independent reader of capitals back to fen, for the round trip below."""
    digits = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
    units = {"拾": 10, "佰": 100, "仟": 1000}
    yuan_text, _, cents_text = text.partition("元") if "元" in text else ("", "", text)
    total = section = number = 0
    for char in yuan_text:
        if char in digits:
            number = digits[char]
        elif char in units:
            section, number = section + number * units[char], 0
        elif char == "万":
            total, section, number = total + (section + number) * 10_000, 0, 0
        elif char == "亿":
            total, section, number = (total + section + number) * 100_000_000, 0, 0
    yuan = total + section + number
    jiao = digits[cents_text[cents_text.index("角") - 1]] if "角" in cents_text else 0
    fen = digits[cents_text[cents_text.index("分") - 1]] if "分" in cents_text else 0
    return yuan * 100 + jiao * 10 + fen


@given(st.integers(min_value=0, max_value=10**14 - 1))
def test_capitals_read_back_to_the_same_amount(fen):
    capital = Money(fen).format_capital()
    assert _read_capital(capital) == fen
    assert "零零" not in capital and not capital.startswith("零") or capital == "零元整"
    assert capital.endswith(("整", "分"))


def test_negative_and_huge_amounts_have_no_capital_form():
    with pytest.raises(ValueError):
        Money(-1).format_capital()
    with pytest.raises(ValueError):
        Money(10**14).format_capital()
