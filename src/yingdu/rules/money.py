"""Money as integer fen (分), parsing of yuan strings, and the one rounding function."""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from yingdu.errors import DomainError

__all__ = [
    "MSG_MONEY_EMPTY",
    "MSG_MONEY_NEGATIVE",
    "MSG_MONEY_NOT_A_NUMBER",
    "MSG_MONEY_TOO_MANY_DECIMALS",
    "Money",
    "MoneyParseError",
    "RoundingRule",
    "round_fen",
]

FEN_PER_YUAN = 100

MSG_MONEY_EMPTY = "请填写金额。"
MSG_MONEY_NEGATIVE = "金额不能为负数。"
MSG_MONEY_TOO_MANY_DECIMALS = "金额最多保留两位小数（精确到分）。"
MSG_MONEY_NOT_A_NUMBER = "金额格式不正确，请填写如 19500 或 19,500.00 的数字。"

# integer part: plain digits, or digits grouped by commas in threes; optional fraction after a dot
_YUAN_PATTERN = re.compile(r"(?P<whole>\d+|\d{1,3}(?:,\d{3})+)(?:\.(?P<fraction>\d+))?")


class MoneyParseError(DomainError, ValueError):
    """A yuan string that is not an amount of money; ``code`` says why."""

    code = "money_not_a_number"


class RoundingRule(StrEnum):
    """How a fractional number of fen becomes whole fen; the policy names one."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"


def round_fen(value: Fraction | Decimal | int, *, rule: RoundingRule | str = RoundingRule.HALF_UP) -> int:
    """Round an exact number of fen to whole fen by the rule (half_up and down act on the magnitude)."""
    if isinstance(value, (bool, float)) or not isinstance(value, (Fraction, Decimal, int)):
        raise TypeError(f"round_fen takes Fraction, Decimal or int, not {type(value).__name__}")
    rule = RoundingRule(rule)
    exact = Fraction(value)
    sign = -1 if exact < 0 else 1
    magnitude = abs(exact)
    whole, remainder = divmod(magnitude.numerator, magnitude.denominator)
    # fractional part = remainder / denominator; compare 2 × remainder with denominator to find the half
    twice_remainder = 2 * remainder
    if rule is RoundingRule.HALF_UP:
        round_away = twice_remainder >= magnitude.denominator
    elif rule is RoundingRule.HALF_EVEN:
        round_away = twice_remainder > magnitude.denominator or (
            twice_remainder == magnitude.denominator and whole % 2 == 1
        )
    else:
        round_away = False
    return sign * (whole + int(round_away))


_CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CAPITAL_SECTIONS = ("", "万", "亿")


def _capital_group(number: int) -> str:
    """0 < number < 10,000 in capitals, a zero inside written once (壹仟零伍拾), none at the end."""
    text, zero_pending = "", False
    for digit, unit in zip(f"{number:04d}", ("仟", "佰", "拾", ""), strict=True):
        if digit == "0":
            zero_pending = bool(text)
            continue
        if zero_pending:
            text, zero_pending = text + "零", False
        text += _CAPITAL_DIGITS[int(digit)] + unit
    return text


def _capital_whole(whole: int) -> str:
    """A positive whole number of yuan in capitals by sections of four digits (万, 亿); a gap of zeros between
    written digits is one 零 (壹万零伍, 壹亿零壹万)."""
    groups = []
    while whole:
        whole, group = divmod(whole, 10_000)
        groups.append(group)
    text, zero_pending = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            zero_pending = bool(text)
            continue
        if text and (zero_pending or group < 1000):
            text += "零"
        text += _capital_group(group) + _CAPITAL_SECTIONS[index]
        zero_pending = False
    return text


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount of money in integer fen (1 yuan = 100 fen); never a float."""

    fen: int

    def __post_init__(self) -> None:
        if isinstance(self.fen, bool) or not isinstance(self.fen, int):
            raise TypeError(f"Money holds integer fen, not {type(self.fen).__name__}")

    @classmethod
    def from_yuan(cls, text: str) -> "Money":
        """Parse a yuan amount such as "19,500.00", "19500" or "0.01"; raise MoneyParseError otherwise."""
        # NFKC turns full-width digits, commas and dots (１９，５００．００) into ASCII
        cleaned = unicodedata.normalize("NFKC", text).strip()
        if not cleaned:
            raise MoneyParseError(MSG_MONEY_EMPTY, code="money_empty")
        negative = cleaned.startswith("-")
        match = _YUAN_PATTERN.fullmatch(cleaned[1:] if negative else cleaned)
        if match is None:
            raise MoneyParseError(MSG_MONEY_NOT_A_NUMBER, code="money_not_a_number", detail={"input": text})
        if negative:
            raise MoneyParseError(MSG_MONEY_NEGATIVE, code="money_negative", detail={"input": text})
        fraction = match.group("fraction") or ""
        if len(fraction) > 2:
            raise MoneyParseError(
                MSG_MONEY_TOO_MANY_DECIMALS, code="money_too_many_decimals", detail={"input": text}
            )
        whole_yuan = int(match.group("whole").replace(",", ""))
        return cls(whole_yuan * FEN_PER_YUAN + int(fraction.ljust(2, "0")))

    def _format(self, grouping: str) -> str:
        whole_yuan, fen = divmod(abs(self.fen), FEN_PER_YUAN)
        sign = "-" if self.fen < 0 else ""
        return f"{sign}{whole_yuan:{grouping}}.{fen:02d}"

    def format_yuan(self) -> str:
        """Yuan with two decimals and no grouping, e.g. "19500.00" (the API and CLI form)."""
        return self._format("")

    def format_display(self) -> str:
        """Yuan with thousands separators and two decimals, e.g. "19,500.00" (the page form)."""
        return self._format(",")

    def format_capital(self) -> str:
        """The amount in Chinese capitals (人民币大写) as official documents write it, e.g. 12,345.67 yuan is
        壹万贰仟叁佰肆拾伍元陆角柒分 and 100.00 yuan is 壹佰元整. Amounts below 1 万亿 yuan, not negative."""
        if self.fen < 0:
            raise ValueError("a negative amount has no capital form")
        whole, cents = divmod(self.fen, FEN_PER_YUAN)
        jiao, fen = divmod(cents, 10)
        if whole >= 10_000 ** len(_CAPITAL_SECTIONS):
            raise ValueError("amount too large for its capital form")
        text = _capital_whole(whole) + "元" if whole else ""
        if not jiao and not fen:
            return (text or "零元") + "整"
        if jiao:
            text += _CAPITAL_DIGITS[jiao] + "角"
        elif whole:
            text += "零"  # 壹元零伍分
        return text + (_CAPITAL_DIGITS[fen] + "分" if fen else "整")

    def __str__(self) -> str:
        return self.format_yuan()

    def __add__(self, other: "Money") -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.fen + other.fen)

    def __sub__(self, other: "Money") -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.fen - other.fen)

    def __mul__(self, factor: int) -> "Money":
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money(self.fen * factor)

    __rmul__ = __mul__
