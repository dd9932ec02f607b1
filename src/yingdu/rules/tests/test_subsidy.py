"""The subsidy calculator: a known-answer table around both caps and both readings, refusals, properties."""

import dataclasses
import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingdu.rules import subsidy
from yingdu.rules.default_policy import HUAIROU_2026_DEFAULT
from yingdu.rules.money import Money, RoundingRule
from yingdu.rules.subsidy import (
    MSG_ANNUAL_LIMIT_REACHED,
    MSG_COST_NEGATIVE,
    BaseSide,
    OverseasReading,
    PolicyTerms,
    PolicyTermsError,
    QuoteRefused,
    quote,
    subsidy_base,
)

POLICY_A = PolicyTerms.from_mapping(HUAIROU_2026_DEFAULT)
POLICY_B = dataclasses.replace(POLICY_A, overseas_reading=OverseasReading.B)


def test_public_surface_is_pinned():
    assert sorted(subsidy.__all__) == sorted([
        "MSG_ANNUAL_LIMIT_REACHED",
        "MSG_COST_NEGATIVE",
        "BaseSide",
        "OverseasReading",
        "PolicyTerms",
        "PolicyTermsError",
        "Quote",
        "QuoteRefused",
        "SubsidyBase",
        "quote",
        "subsidy_base",
    ])


def test_default_policy_reproduces_the_huairou_measures():
    assert POLICY_A.regular_rate == Fraction(30, 100)
    assert POLICY_A.overseas_uplift == Fraction(30, 100)
    assert POLICY_A.overseas_reading is OverseasReading.A
    assert POLICY_A.regular_cap_fen == Money.from_yuan("20,000.00").fen
    assert POLICY_A.overseas_cap_fen == Money.from_yuan("26,000.00").fen
    assert POLICY_A.annual_work_limit == 5
    assert POLICY_A.rounding_rule is RoundingRule.HALF_UP
    # reading A fits the caps: 26,000 = 20,000 × (1 + 30 %)
    assert POLICY_A.overseas_cap_fen == POLICY_A.regular_cap_fen * (1 + POLICY_A.overseas_uplift)


def test_default_policy_data_is_read_only():
    with pytest.raises(TypeError):
        HUAIROU_2026_DEFAULT["regular_rate"] = "0.50"


# (verified cost in fen, overseas, policy, expected amount in fen, capped); exact product in the comment
QUOTE_TABLE = [
    (0, False, POLICY_A, 0, False),  # zero cost: 0
    (0, True, POLICY_A, 0, False),
    (1, False, POLICY_A, 0, False),  # 0.3 → 0
    (2, False, POLICY_A, 1, False),  # 0.6 → 1
    (5, False, POLICY_A, 2, False),  # 1.5 → 2 (half up)
    (2, True, POLICY_A, 1, False),  # 0.78 → 1
    (50, True, POLICY_A, 20, False),  # 19.5 → 20 (half up)
    (5, True, POLICY_B, 3, False),  # 3.0
    (5_000_000, False, POLICY_A, 1_500_000, False),
    (5_000_000, True, POLICY_A, 1_950_000, False),
    (5_000_000, True, POLICY_B, 2_600_000, True),  # 3,000,000 → overseas cap
    (6_666_666, False, POLICY_A, 2_000_000, False),  # 1,999,999.8 → 2,000,000, equal to the cap
    (6_666_667, False, POLICY_A, 2_000_000, False),  # 2,000,000.1 → 2,000,000: rounding first, then the cap
    (6_666_669, False, POLICY_A, 2_000_000, True),  # 2,000,000.7 → 2,000,001 → regular cap
    (6_666_667, True, POLICY_A, 2_600_000, False),  # 2,600,000.13 → 2,600,000
    (6_666_668, True, POLICY_A, 2_600_000, True),  # 2,600,000.52 → 2,600,001 → overseas cap
    (4_333_333, True, POLICY_B, 2_600_000, False),  # 2,599,999.8 → 2,600,000
    (4_333_334, True, POLICY_B, 2_600_000, False),  # 2,600,000.4 → 2,600,000
    (4_333_335, True, POLICY_B, 2_600_000, True),  # 2,600,001 → overseas cap
    (10_000_000, False, POLICY_A, 2_000_000, True),
    (10_000_000, True, POLICY_A, 2_600_000, True),
    (10_000_000, False, POLICY_B, 2_000_000, True),  # the reading only matters overseas
]


@pytest.mark.parametrize(("cost_fen", "overseas", "policy", "amount_fen", "capped"), QUOTE_TABLE)
def test_quote_table(cost_fen, overseas, policy, amount_fen, capped):
    result = quote(verified_cost=Money(cost_fen), overseas=overseas, policy=policy)
    assert result.amount == Money(amount_fen)
    assert result.capped is capped
    assert result.base == Money(cost_fen)
    assert result.policy_version == "huairou-2026-04"
    assert result.reading == (policy.overseas_reading if overseas else None)


def test_rates_applied_per_reading():
    assert quote(verified_cost=Money(100), overseas=False, policy=POLICY_A).rate_applied == Fraction(30, 100)
    assert quote(verified_cost=Money(100), overseas=True, policy=POLICY_A).rate_applied == Fraction(39, 100)
    assert quote(verified_cost=Money(100), overseas=True, policy=POLICY_B).rate_applied == Fraction(60, 100)


def test_fifty_thousand_yuan_overseas_gives_nineteen_thousand_five_hundred():
    result = quote(verified_cost=Money.from_yuan("50000"), overseas=True, policy=POLICY_A)
    assert result.amount.format_yuan() == "19500.00"


@pytest.mark.parametrize(
    ("rule", "amount_fen"),
    [(RoundingRule.HALF_UP, 5), (RoundingRule.HALF_EVEN, 4), (RoundingRule.DOWN, 4)],
)
def test_the_rounding_rule_comes_from_the_policy(rule, amount_fen):
    policy = dataclasses.replace(POLICY_A, rounding_rule=rule)
    # 15 fen × 30 % = 4.5 fen
    assert quote(verified_cost=Money(15), overseas=False, policy=policy).amount == Money(amount_fen)


def test_fifth_work_in_a_year_is_quoted():
    result = quote(verified_cost=Money(5_000_000), overseas=False, policy=POLICY_A, prior_works_this_year=4)
    assert result.amount == Money(1_500_000)


@pytest.mark.parametrize("prior_works", [5, 6])
def test_sixth_work_in_a_year_is_refused(prior_works):
    with pytest.raises(QuoteRefused) as caught:
        quote(verified_cost=Money(5_000_000), overseas=False, policy=POLICY_A, prior_works_this_year=prior_works)
    assert caught.value.code == "annual_limit_reached"
    assert str(caught.value) == MSG_ANNUAL_LIMIT_REACHED.format(prior_works=prior_works, limit=5)
    assert caught.value.detail == {"prior_works_this_year": prior_works, "annual_work_limit": 5}


def test_without_a_count_of_prior_works_the_limit_is_not_checked():
    assert quote(verified_cost=Money(100), overseas=False, policy=POLICY_A).amount == Money(30)


def test_negative_cost_is_refused():
    with pytest.raises(QuoteRefused) as caught:
        quote(verified_cost=Money(-1), overseas=False, policy=POLICY_A)
    assert caught.value.code == "cost_negative"
    assert str(caught.value) == MSG_COST_NEGATIVE


def test_bad_arguments_are_type_errors():
    with pytest.raises(TypeError):
        quote(verified_cost=50000, overseas=False, policy=POLICY_A)
    with pytest.raises(TypeError):
        quote(verified_cost=Money(1), overseas="yes", policy=POLICY_A)
    with pytest.raises(ValueError):
        quote(verified_cost=Money(1), overseas=False, policy=POLICY_A, prior_works_this_year=-1)


def test_explanation_states_base_rate_reading_cap_and_version():
    result = quote(verified_cost=Money(6_666_668), overseas=True, policy=POLICY_A)
    assert result.explanation == (
        "作品已出海，按口径 A（补贴额再上浮 30%）：核定成本 66,666.68 元 × 30% × (1 + 30%) = 26,000.0052 元，"
        "按四舍五入保留到分为 26,000.01 元；超过出海作品补贴上限 26,000.00 元，按上限计。"
        "补贴金额 26,000.00 元（政策版本 huairou-2026-04）。"
    )
    regular = quote(verified_cost=Money(5_000_000), overseas=False, policy=POLICY_A)
    assert regular.explanation == (
        "核定成本 50,000.00 元 × 补贴比例 30% = 15,000.00 元；未超过单部作品补贴上限 20,000.00 元。"
        "补贴金额 15,000.00 元（政策版本 huairou-2026-04）。"
    )
    reading_b = quote(verified_cost=Money(1_000_000), overseas=True, policy=POLICY_B)
    assert "口径 B（补贴比例再加 30 个百分点）" in reading_b.explanation
    assert "(30% + 30%)" in reading_b.explanation


def test_structured_explanation_is_json_ready():
    detail = quote(verified_cost=Money(6_666_668), overseas=True, policy=POLICY_A).explanation_detail
    assert json.loads(json.dumps(detail)) == detail
    assert detail == {
        "policy_version": "huairou-2026-04",
        "formula": "min(round(cost × rate × (1 + uplift)), overseas_cap)",
        "base_fen": 6_666_668,
        "metered_cost_fen": 6_666_668,
        "invoiced_fen": None,
        "base_bound": "metered",
        "overseas": True,
        "reading": "A",
        "regular_rate": "0.3",
        "overseas_uplift": "0.3",
        "rate_applied": "0.39",
        "exact_fen": "2600000.52",
        "rounding_rule": "half_up",
        "uncapped_fen": 2_600_001,
        "cap_fen": 2_600_000,
        "capped": True,
        "amount_fen": 2_600_000,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"regular_rate": 0.3}, "regular_rate"),
        ({"regular_rate": "abc"}, "regular_rate"),
        ({"regular_rate": Fraction(1, 3)}, "regular_rate"),
        ({"regular_rate": "0"}, "regular_rate"),
        ({"regular_rate": "1.5"}, "regular_rate"),
        ({"overseas_uplift": "-0.1"}, "overseas_uplift"),
        ({"overseas_reading": "B", "overseas_uplift": "0.80"}, "overseas_uplift"),
        ({"overseas_cap_fen": 1_000_000}, "overseas_cap_fen"),
        ({"regular_cap_fen": -1}, "regular_cap_fen"),
        ({"regular_cap_fen": 2_000_000.0}, "regular_cap_fen"),
        ({"annual_work_limit": -1}, "annual_work_limit"),
        ({"overseas_reading": "C"}, "overseas_reading"),
        ({"rounding_rule": "ceiling"}, "rounding_rule"),
        ({"version_id": " "}, "version_id"),
    ],
)
def test_unusable_policy_terms_are_refused_naming_the_field(changes, field):
    with pytest.raises(PolicyTermsError) as caught:
        PolicyTerms.from_mapping({**HUAIROU_2026_DEFAULT, **changes})
    assert caught.value.field == field
    assert caught.value.code == "policy_terms_invalid"


def test_policy_mapping_must_name_every_term():
    data = dict(HUAIROU_2026_DEFAULT)
    del data["overseas_cap_fen"]
    with pytest.raises(PolicyTermsError) as caught:
        PolicyTerms.from_mapping(data)
    assert caught.value.field == "overseas_cap_fen"


policies = st.builds(
    lambda reading, rule, rate_percent, uplift_percent, regular_cap_fen, extra_cap_fen: PolicyTerms(
        version_id="test",
        regular_rate=Fraction(rate_percent, 100),
        regular_cap_fen=regular_cap_fen,
        overseas_reading=reading,
        overseas_uplift=Fraction(uplift_percent, 100),
        overseas_cap_fen=regular_cap_fen + extra_cap_fen,
        annual_work_limit=5,
        rounding_rule=rule,
    ),
    st.sampled_from(OverseasReading),
    st.sampled_from(RoundingRule),
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=0, max_value=5_000_000),
    st.integers(min_value=0, max_value=5_000_000),
) | st.sampled_from([POLICY_A, POLICY_B])
costs_fen = st.integers(min_value=0, max_value=10**10)


@given(policies, costs_fen, st.booleans())
def test_amount_is_whole_fen_between_zero_and_the_cap(policy, cost_fen, overseas):
    result = quote(verified_cost=Money(cost_fen), overseas=overseas, policy=policy)
    cap_fen = policy.overseas_cap_fen if overseas else policy.regular_cap_fen
    assert type(result.amount.fen) is int
    assert 0 <= result.amount.fen <= cap_fen
    assert result.capped == (result.uncapped_amount.fen > cap_fen)


@given(policies, costs_fen, costs_fen, st.booleans())
def test_amount_never_decreases_as_cost_grows(policy, first_fen, second_fen, overseas):
    low_fen, high_fen = sorted((first_fen, second_fen))
    low = quote(verified_cost=Money(low_fen), overseas=overseas, policy=policy)
    high = quote(verified_cost=Money(high_fen), overseas=overseas, policy=policy)
    assert low.amount <= high.amount


@given(policies, costs_fen)
def test_overseas_is_never_less_than_regular(policy, cost_fen):
    regular = quote(verified_cost=Money(cost_fen), overseas=False, policy=policy)
    overseas = quote(verified_cost=Money(cost_fen), overseas=True, policy=policy)
    assert overseas.amount >= regular.amount


def test_invoices_lower_the_base_to_the_fen():
    result = quote(verified_cost=Money(5_000_001), overseas=False, policy=POLICY_A, invoiced=Money(4_000_003))
    assert result.base == Money(4_000_003)
    assert result.bound is BaseSide.INVOICED
    # 4,000,003 fen × 30 % = 1,200,000.9 fen, half-up to 1,200,001
    assert result.amount == Money(1_200_001)
    assert result.explanation == (
        "补贴基数取平台核定的计量成本 50,000.01 元与申报发票金额（不含税）40,000.03 元中的较低者："
        "发票金额较低，按发票金额 40,000.03 元计。补贴基数 40,000.03 元 × 补贴比例 30% = 12,000.009 元，"
        "按四舍五入保留到分为 12,000.01 元；未超过单部作品补贴上限 20,000.00 元。"
        "补贴金额 12,000.01 元（政策版本 huairou-2026-04）。"
    )
    detail = result.explanation_detail
    assert (detail["base_fen"], detail["metered_cost_fen"], detail["invoiced_fen"], detail["base_bound"]) == (
        4_000_003, 5_000_001, 4_000_003, "invoiced")


def test_invoices_above_the_metered_cost_do_not_raise_the_base():
    result = quote(verified_cost=Money(1_000_000), overseas=False, policy=POLICY_A, invoiced=Money(9_000_000))
    assert result.base == Money(1_000_000)
    assert result.bound is BaseSide.METERED
    assert result.amount == quote(verified_cost=Money(1_000_000), overseas=False, policy=POLICY_A).amount
    assert "计量成本较低，按计量成本 10,000.00 元计" in result.explanation
    assert result.explanation_detail["invoiced_fen"] == 9_000_000


def test_no_invoice_keeps_the_metered_base_and_the_explanation_unchanged():
    result = quote(verified_cost=Money(1_000_000), overseas=False, policy=POLICY_A)
    assert result.bound is BaseSide.METERED and result.invoiced is None
    assert result.explanation.startswith("核定成本 10,000.00 元")


@given(metered=st.integers(min_value=0, max_value=10**10), invoiced=st.integers(min_value=0, max_value=10**10))
def test_the_base_is_the_lower_of_the_two_figures(metered, invoiced):
    chosen = subsidy_base(verified_cost=Money(metered), invoiced=Money(invoiced))
    assert chosen.amount.fen == min(metered, invoiced)
    assert chosen.difference.fen == metered - invoiced
    assert (chosen.bound is BaseSide.INVOICED) == (invoiced < metered)
