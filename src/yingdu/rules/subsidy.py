"""The subsidy calculator: verified cost and policy terms in, an amount with its explanation out."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from enum import StrEnum
from fractions import Fraction

from yingdu.errors import DomainError
from yingdu.rules.money import Money, RoundingRule, round_fen

__all__ = [
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
]

MSG_ANNUAL_LIMIT_REACHED = "本年度已有 {prior_works} 部作品计入申报，已达到每家企业每年 {limit} 部的上限，不能再获得补贴。"
MSG_COST_NEGATIVE = "核定成本不能为负数。"

ROUNDING_RULE_NAMES = {
    RoundingRule.HALF_UP: "四舍五入",
    RoundingRule.HALF_EVEN: "四舍六入五成双",
    RoundingRule.DOWN: "舍去分以下",
}


class OverseasReading(StrEnum):
    """How "the subsidy is raised by a further X %" is read for a work distributed overseas."""

    # A: amount = rate × (1 + uplift) × cost — the subsidy itself grows by the uplift
    A = "A"
    # B: amount = (rate + uplift) × cost — the rate grows by the uplift in percentage points
    B = "B"


class BaseSide(StrEnum):
    """Which figure the subsidy base was taken from."""

    # the verified metered cost (no invoice declared, or the invoices are not lower)
    METERED = "metered"
    # the declared invoices (before tax), lower than the verified metered cost
    INVOICED = "invoiced"


@dataclass(frozen=True, slots=True)
class SubsidyBase:
    """The subsidy base: the verified metered cost, or the lower invoiced amount when invoices are declared."""

    metered: Money
    invoiced: Money | None
    amount: Money
    bound: BaseSide

    @property
    def difference(self) -> Money | None:
        """Metered cost minus invoiced amount (negative when the invoices exceed the metered cost)."""
        return None if self.invoiced is None else self.metered - self.invoiced

    @property
    def explanation(self) -> str:
        """How the base was chosen, in Chinese; empty when no invoice is declared."""
        if self.invoiced is None:
            return ""
        metered, invoiced = self.metered.format_display(), self.invoiced.format_display()
        if self.bound is BaseSide.INVOICED:
            chosen = f"发票金额较低，按发票金额 {invoiced} 元计"
        elif self.metered == self.invoiced:
            chosen = f"两者相同，按 {metered} 元计"
        else:
            chosen = f"计量成本较低，按计量成本 {metered} 元计"
        return (f"补贴基数取平台核定的计量成本 {metered} 元与申报发票金额（不含税）{invoiced} 元中的较低者：{chosen}。")


def subsidy_base(*, verified_cost: Money, invoiced: Money | None) -> SubsidyBase:
    """The base of the subsidy: min(verified metered cost, invoiced amount), or the metered cost with no invoice."""
    if not isinstance(verified_cost, Money):
        raise TypeError("verified_cost must be Money")
    if invoiced is not None and not isinstance(invoiced, Money):
        raise TypeError("invoiced must be Money or None")
    # base = min(metered, invoiced); a tie is reported as the metered cost (the invoices do not lower it)
    if invoiced is not None and invoiced.fen < verified_cost.fen:
        return SubsidyBase(metered=verified_cost, invoiced=invoiced, amount=invoiced, bound=BaseSide.INVOICED)
    return SubsidyBase(metered=verified_cost, invoiced=invoiced, amount=verified_cost, bound=BaseSide.METERED)


class PolicyTermsError(DomainError, ValueError):
    """Policy terms that the calculator cannot use; ``field`` names the offending term."""

    code = "policy_terms_invalid"


class QuoteRefused(DomainError):
    """The calculator declines to give an amount; ``code`` is annual_limit_reached or cost_negative."""

    code = "quote_refused"


def _rate(value: object, field: str) -> Fraction:
    """An exact rate from a Fraction, Decimal, int or decimal string; never a float."""
    if isinstance(value, (bool, float)):
        raise PolicyTermsError(f"{field} 必须写成精确的小数文本，不能是浮点数。", field=field)
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise PolicyTermsError(f"{field} 不是有效的小数：{value!r}。", field=field) from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise PolicyTermsError(f"{field} 必须是有限的小数。", field=field)
    if not isinstance(value, (Fraction, Decimal, int)):
        raise PolicyTermsError(f"{field} 的类型不对：{type(value).__name__}。", field=field)
    rate = Fraction(value)
    # a published rate is a finite decimal (denominator 2^a × 5^b), so it prints exactly as a percentage
    denominator = rate.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        raise PolicyTermsError(f"{field} 必须是有限小数（能精确写成百分比）。", field=field)
    return rate


def _whole(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PolicyTermsError(f"{field} 必须是非负整数。", field=field)
    return value


def _decimal_text(value: Fraction) -> str:
    """A finite-decimal Fraction as plain decimal text without trailing zeros: 39/100 → "0.39"."""
    # a finite decimal needs at most (digits of numerator + bits of denominator) significant digits
    with localcontext() as context:
        context.prec = len(str(abs(value.numerator))) + value.denominator.bit_length() + 2
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return format(exact.normalize(), "f")


def _percent_text(value: Fraction) -> str:
    return _decimal_text(value * 100) + "%"


@dataclass(frozen=True, slots=True)
class PolicyTerms:
    """The terms of one policy version that the calculator needs; rates are exact, caps are fen."""

    version_id: str
    regular_rate: Fraction
    regular_cap_fen: int
    overseas_reading: OverseasReading
    overseas_uplift: Fraction
    overseas_cap_fen: int
    annual_work_limit: int
    rounding_rule: RoundingRule = RoundingRule.HALF_UP

    def __post_init__(self) -> None:
        if not isinstance(self.version_id, str) or not self.version_id.strip():
            raise PolicyTermsError("政策版本号不能为空。", field="version_id")
        set_term = object.__setattr__
        set_term(self, "regular_rate", _rate(self.regular_rate, "regular_rate"))
        set_term(self, "overseas_uplift", _rate(self.overseas_uplift, "overseas_uplift"))
        set_term(self, "regular_cap_fen", _whole(self.regular_cap_fen, "regular_cap_fen"))
        set_term(self, "overseas_cap_fen", _whole(self.overseas_cap_fen, "overseas_cap_fen"))
        set_term(self, "annual_work_limit", _whole(self.annual_work_limit, "annual_work_limit"))
        try:
            set_term(self, "overseas_reading", OverseasReading(self.overseas_reading))
        except ValueError:
            raise PolicyTermsError("出海口径必须是 A 或 B。", field="overseas_reading") from None
        try:
            set_term(self, "rounding_rule", RoundingRule(self.rounding_rule))
        except ValueError:
            raise PolicyTermsError(
                "舍入规则必须是 half_up、half_even 或 down。", field="rounding_rule"
            ) from None
        if not 0 < self.regular_rate <= 1:
            raise PolicyTermsError("常规补贴比例必须大于 0 且不超过 100%。", field="regular_rate")
        if self.overseas_uplift < 0:
            raise PolicyTermsError("出海上浮比例不能为负数。", field="overseas_uplift")
        if self.overseas_rate > 1:
            raise PolicyTermsError("出海补贴的实际比例不能超过 100%。", field="overseas_uplift")
        # together with a non-negative uplift this makes an overseas quote never smaller than a regular one
        if self.overseas_cap_fen < self.regular_cap_fen:
            raise PolicyTermsError("出海作品上限不能低于常规上限。", field="overseas_cap_fen")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> "PolicyTerms":
        """Terms from a policy-version mapping such as HUAIROU_2026_DEFAULT; other keys are ignored."""
        values = {}
        for term in dataclasses.fields(cls):
            if term.name in data:
                values[term.name] = data[term.name]
            elif term.default is dataclasses.MISSING:
                raise PolicyTermsError(f"政策数据缺少 {term.name}。", field=term.name)
        return cls(**values)

    @property
    def overseas_rate(self) -> Fraction:
        """The share of the cost paid for an overseas work, before the cap."""
        if self.overseas_reading is OverseasReading.A:
            # reading A: rate × (1 + uplift)
            return self.regular_rate * (1 + self.overseas_uplift)
        # reading B: rate + uplift
        return self.regular_rate + self.overseas_uplift


@dataclass(frozen=True, slots=True)
class Quote:
    """An amount of support for one work with everything needed to explain it."""

    amount: Money
    capped: bool
    overseas: bool
    reading: OverseasReading | None
    rate_applied: Fraction
    base: Money
    exact_fen: Fraction
    uncapped_amount: Money
    cap: Money
    policy_version: str
    rounding_rule: RoundingRule
    regular_rate: Fraction
    overseas_uplift: Fraction
    subsidy_base: SubsidyBase | None = None

    @property
    def bound(self) -> BaseSide:
        """Which figure bound the base: the metered cost or the invoices."""
        return BaseSide.METERED if self.subsidy_base is None else self.subsidy_base.bound

    @property
    def metered_cost(self) -> Money:
        """The verified metered cost (equal to the base unless invoices lowered it)."""
        return self.base if self.subsidy_base is None else self.subsidy_base.metered

    @property
    def invoiced(self) -> Money | None:
        """The declared invoices before tax, or None when none is declared."""
        return None if self.subsidy_base is None else self.subsidy_base.invoiced

    @property
    def formula(self) -> str:
        """The formula applied, in the terms of the policy."""
        if not self.overseas:
            return "min(round(cost × rate), regular_cap)"
        if self.reading is OverseasReading.A:
            return "min(round(cost × rate × (1 + uplift)), overseas_cap)"
        return "min(round(cost × (rate + uplift)), overseas_cap)"

    @property
    def explanation(self) -> str:
        """The calculation in Chinese, as shown to staff and applicants."""
        base = self.base.format_display()
        rate = _percent_text(self.regular_rate)
        uplift = _percent_text(self.overseas_uplift)
        chosen = "" if self.subsidy_base is None else self.subsidy_base.explanation
        base_name = "补贴基数" if self.invoiced is not None else "核定成本"
        if not self.overseas:
            product = f"{base_name} {base} 元 × 补贴比例 {rate}"
            cap_name = "单部作品补贴上限"
        elif self.reading is OverseasReading.A:
            product = f"作品已出海，按口径 A（补贴额再上浮 {uplift}）：{base_name} {base} 元 × {rate} × (1 + {uplift})"
            cap_name = "出海作品补贴上限"
        else:
            points = _decimal_text(self.overseas_uplift * 100)
            product = f"作品已出海，按口径 B（补贴比例再加 {points} 个百分点）：{base_name} {base} 元 × ({rate} + {uplift})"
            cap_name = "出海作品补贴上限"
        uncapped = self.uncapped_amount.format_display()
        if self.exact_fen.denominator == 1:
            result = f"{uncapped} 元"
        else:
            exact_whole, _, exact_decimals = _decimal_text(self.exact_fen / 100).partition(".")
            exact = f"{int(exact_whole):,}.{exact_decimals}"
            result = f"{exact} 元，按{ROUNDING_RULE_NAMES[self.rounding_rule]}保留到分为 {uncapped} 元"
        cap = self.cap.format_display()
        if self.capped:
            cap_text = f"超过{cap_name} {cap} 元，按上限计"
        else:
            cap_text = f"未超过{cap_name} {cap} 元"
        return (
            f"{chosen}{product} = {result}；{cap_text}。"
            f"补贴金额 {self.amount.format_display()} 元（政策版本 {self.policy_version}）。"
        )

    @property
    def explanation_detail(self) -> dict:
        """The calculation as JSON-ready data: money in fen, rates as decimal strings."""
        return {
            "policy_version": self.policy_version,
            "formula": self.formula,
            "base_fen": self.base.fen,
            "metered_cost_fen": self.metered_cost.fen,
            "invoiced_fen": None if self.invoiced is None else self.invoiced.fen,
            "base_bound": str(self.bound),
            "overseas": self.overseas,
            "reading": None if self.reading is None else str(self.reading),
            "regular_rate": _decimal_text(self.regular_rate),
            "overseas_uplift": _decimal_text(self.overseas_uplift),
            "rate_applied": _decimal_text(self.rate_applied),
            "exact_fen": _decimal_text(self.exact_fen),
            "rounding_rule": str(self.rounding_rule),
            "uncapped_fen": self.uncapped_amount.fen,
            "cap_fen": self.cap.fen,
            "capped": self.capped,
            "amount_fen": self.amount.fen,
        }


def quote(
    *, verified_cost: Money, overseas: bool, policy: PolicyTerms, prior_works_this_year: int | None = None,
    invoiced: Money | None = None,
) -> Quote:
    """The support for one work under the policy, or QuoteRefused when the annual limit is reached.

    ``invoiced`` is the total of the invoices the applicant declared (before tax), None when none is declared: the
    base is then min(verified_cost, invoiced) (``subsidy_base``).
    """
    if not isinstance(verified_cost, Money):
        raise TypeError("verified_cost must be Money")
    chosen = subsidy_base(verified_cost=verified_cost, invoiced=invoiced)
    if not isinstance(overseas, bool):
        raise TypeError("overseas must be a bool")
    if prior_works_this_year is not None:
        if isinstance(prior_works_this_year, bool) or not isinstance(prior_works_this_year, int):
            raise TypeError("prior_works_this_year must be an int")
        if prior_works_this_year < 0:
            raise ValueError("prior_works_this_year must be zero or more")
        if prior_works_this_year >= policy.annual_work_limit:
            raise QuoteRefused(
                MSG_ANNUAL_LIMIT_REACHED.format(prior_works=prior_works_this_year, limit=policy.annual_work_limit),
                code="annual_limit_reached",
                status=409,
                detail={"prior_works_this_year": prior_works_this_year, "annual_work_limit": policy.annual_work_limit},
            )
    if verified_cost.fen < 0 or chosen.amount.fen < 0:
        raise QuoteRefused(MSG_COST_NEGATIVE, code="cost_negative", detail={"verified_cost_fen": verified_cost.fen})
    base = chosen.amount
    if overseas:
        rate_applied, cap_fen = policy.overseas_rate, policy.overseas_cap_fen
    else:
        rate_applied, cap_fen = policy.regular_rate, policy.regular_cap_fen
    # exact amount = cost × rate applied, in fen; rounded once, to whole fen, before the cap
    exact_fen = base.fen * rate_applied
    uncapped_fen = round_fen(exact_fen, rule=policy.rounding_rule)
    # amount = min(rounded amount, cap)
    amount_fen = min(uncapped_fen, cap_fen)
    return Quote(
        amount=Money(amount_fen),
        capped=uncapped_fen > cap_fen,
        overseas=overseas,
        reading=policy.overseas_reading if overseas else None,
        rate_applied=rate_applied,
        base=base,
        exact_fen=exact_fen,
        uncapped_amount=Money(uncapped_fen),
        cap=Money(cap_fen),
        policy_version=policy.version_id,
        rounding_rule=policy.rounding_rule,
        regular_rate=policy.regular_rate,
        overseas_uplift=policy.overseas_uplift,
        subsidy_base=None if invoiced is None else chosen,
    )
