"""Unified social credit code (统一社会信用代码) per GB 32100-2015: normalisation and check digit."""

from dataclasses import dataclass

# The 31 characters allowed, in the order that gives each its numeric value (I, O, Z, S, V excluded).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_LENGTH = 18
_VALUES = {character: value for value, character in enumerate(USCC_ALPHABET)}
# weight of position i (1-based) = 3^(i-1) mod 31
_WEIGHTS = [pow(3, position, 31) for position in range(USCC_LENGTH - 1)]


@dataclass(frozen=True)
class UsccProblem(Exception):
    """Why a code is not a valid USCC: ``code`` is stable, ``position`` is 1-based where it applies."""

    code: str
    position: int | None = None
    character: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        return self.code


def normalize_uscc(raw: str) -> str:
    """Upper-case and drop spaces, hyphens and full-width spaces, as people type codes from licences."""
    return "".join(ch for ch in raw.upper() if ch not in " -\u3000\t").replace("－", "")


def uscc_check_character(first_seventeen: str) -> str:
    """Check character = (31 − Σ value×weight mod 31) mod 31, mapped back through the alphabet."""
    total = sum(_VALUES[ch] * weight for ch, weight in zip(first_seventeen, _WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(raw: str) -> str:
    """Return the normalised code, or raise UsccProblem naming length, character or check digit."""
    code = normalize_uscc(raw)
    if len(code) != USCC_LENGTH:
        raise UsccProblem("uscc_length")
    for position, character in enumerate(code, start=1):
        if character not in _VALUES:
            raise UsccProblem("uscc_character", position=position, character=character)
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise UsccProblem("uscc_check_digit", position=USCC_LENGTH, character=code[17], expected=expected)
    return code
