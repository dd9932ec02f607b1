"""The calculation of an amount in words, in the page's language. The calculator (rules.subsidy, no Django) words it
in Chinese, and that text is stored with the amount and printed on the decision; a page in another language words
the same calculation again from the stored detail (``Quote.explanation_detail``)."""

from decimal import Decimal

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from yingdu.policy.terms import percent_text
from yingdu.rules.money import Money
from yingdu.rules.subsidy import BaseSide, OverseasReading, RoundingRule

ROUNDING_RULE_LABELS = {
    RoundingRule.HALF_UP: gettext_lazy("四舍五入"),
    RoundingRule.HALF_EVEN: gettext_lazy("四舍六入五成双"),
    RoundingRule.DOWN: gettext_lazy("舍去分以下"),
}
# what every detail written by Quote.explanation_detail has
DETAIL_KEYS = frozenset({"base_fen", "metered_cost_fen", "invoiced_fen", "base_bound", "overseas", "reading",
                         "regular_rate", "overseas_uplift", "exact_fen", "rounding_rule", "uncapped_fen", "cap_fen",
                         "capped", "amount_fen", "policy_version"})


def _yuan(fen: int) -> str:
    return Money(fen).format_display()


def _exact_yuan(exact_fen: str) -> str:
    """The exact amount before rounding, in yuan with thousands separators: "1234567.5" fen → "12,345.675"."""
    whole, _point, decimals = format((Decimal(exact_fen) / 100).normalize(), "f").partition(".")
    return f"{int(whole):,}.{decimals}" if decimals else f"{int(whole):,}"


def _base_choice(detail: dict) -> str:
    if detail["invoiced_fen"] is None:
        return ""
    metered, invoiced = _yuan(detail["metered_cost_fen"]), _yuan(detail["invoiced_fen"])
    if detail["base_bound"] == BaseSide.INVOICED:
        chosen = _("发票金额较低，按发票金额 {invoiced} 元计").format(invoiced=invoiced)
    elif detail["metered_cost_fen"] == detail["invoiced_fen"]:
        chosen = _("两者相同，按 {metered} 元计").format(metered=metered)
    else:
        chosen = _("计量成本较低，按计量成本 {metered} 元计").format(metered=metered)
    return _("补贴基数取平台核定的计量成本 {metered} 元与申报发票金额（不含税）{invoiced} 元中的较低者：{chosen}。").format(
        metered=metered, invoiced=invoiced, chosen=chosen)


def _calculation(detail: dict) -> str:
    base_name = _("补贴基数") if detail["invoiced_fen"] is not None else _("核定成本")
    base = _yuan(detail["base_fen"])
    rate = percent_text(Decimal(detail["regular_rate"])) + "%"
    uplift = percent_text(Decimal(detail["overseas_uplift"])) + "%"
    if not detail["overseas"]:
        product = _("{base_name} {base} 元 × 补贴比例 {rate}").format(base_name=base_name, base=base, rate=rate)
        cap_name = _("单部作品补贴上限")
    elif detail["reading"] == OverseasReading.A:
        product = _("作品已出海，按口径 A（补贴额再上浮 {uplift}）：{base_name} {base} 元 × {rate} × (1 + {uplift})").format(
            uplift=uplift, base_name=base_name, base=base, rate=rate)
        cap_name = _("出海作品补贴上限")
    else:
        product = _("作品已出海，按口径 B（补贴比例再加 {points} 个百分点）：{base_name} {base} 元 × ({rate} + {uplift})").format(
            points=percent_text(Decimal(detail["overseas_uplift"])), base_name=base_name, base=base, rate=rate,
            uplift=uplift)
        cap_name = _("出海作品补贴上限")
    uncapped = _yuan(detail["uncapped_fen"])
    if Decimal(detail["exact_fen"]) == Decimal(detail["exact_fen"]).to_integral_value():
        result = _("{amount} 元").format(amount=uncapped)
    else:
        result = _("{exact} 元，按{rule}保留到分为 {amount} 元").format(
            exact=_exact_yuan(detail["exact_fen"]), rule=ROUNDING_RULE_LABELS[RoundingRule(detail["rounding_rule"])],
            amount=uncapped)
    cap = _yuan(detail["cap_fen"])
    cap_text = (_("超过{cap_name} {cap} 元，按上限计") if detail["capped"] else _("未超过{cap_name} {cap} 元")).format(
        cap_name=cap_name, cap=cap)
    return _("{product} = {result}；{cap_text}。补贴金额 {amount} 元（政策版本 {version}）。").format(
        product=product, result=result, cap_text=cap_text, amount=_yuan(_full_amount(detail)),
        version=detail["policy_version"])


def _full_amount(detail: dict) -> int:
    """The subsidy the calculation gives (capped); a top-up's ``amount_fen`` is only the difference."""
    return min(detail["uncapped_fen"], detail["cap_fen"])


def explanation_text(text: str, detail: dict | None) -> str:
    """The explanation of an amount: the stored Chinese text on a Chinese page (or when no detail was kept), else
    the same calculation worded from ``detail`` in the page's language."""
    if (get_language() or "zh-hans").lower().startswith("zh") or not detail or not DETAIL_KEYS <= detail.keys():
        return text
    words = _base_choice(detail) + _calculation(detail)
    if "topup_fen" in detail:
        paid = _yuan(detail["already_approved_fen"])
        words += _("已批准的常规补贴 {paid} 元，本次出海追加 = {amount} − {paid} = {topup} 元。").format(
            paid=paid, amount=_yuan(_full_amount(detail)), topup=_yuan(detail["topup_fen"]))
    return words
