"""Voucher numbers and redemption codes: random Crockford base32 symbols, with a check symbol on voucher numbers.

No Django import: the format is pure arithmetic, tested on its own.

A voucher number issued from issue 13 on is ``HR-<year>-XXXX-XXXX-XXXXC``: 12 random symbols (60 bits, from
``secrets``) and one check symbol C. The check symbol is Luhn mod 32 over the year's digits and the 12 symbols, in
Crockford's alphabet, so that any single mistyped symbol and any swap of two adjacent different symbols is caught
except the pair 0 and Z (values 0 and 31: Luhn mod N cannot see that swap).
Numbers issued before (``HR-2026-000002``) keep their form and are accepted as they are.

A redemption code is 16 random symbols (80 bits) shown as ``XXXX-XXXX-XXXX-XXXX``; only its SHA-256 is stored.
"""

import hashlib
import re
import secrets
from collections.abc import Callable

# Crockford's base32: digits and letters without I, L, O, U
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
# what people type for a symbol (Crockford's decoding rules): I and L read as 1, O as 0
_READS_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})

NUMBER_RANDOM_SYMBOLS = 12
CODE_SYMBOLS = 16
_LEGACY_NUMBER = re.compile(r"^HR-\d{4}-\d{6}$")
_NUMBER = re.compile(rf"^HR-(\d{{4}})-([{ALPHABET}]{{{NUMBER_RANDOM_SYMBOLS + 1}}})$")


def random_symbols(count: int) -> str:
    """``count`` symbols of Crockford's alphabet from the operating system's CSPRNG."""
    return "".join(secrets.choice(ALPHABET) for _ in range(count))


def check_symbol(payload: str) -> str:
    """Luhn mod 32 check symbol of ``payload`` (symbols of ALPHABET): doubling every second symbol from the right."""
    total = 0
    for position, symbol in enumerate(reversed(payload)):
        value = _VALUE[symbol]
        if position % 2 == 0:
            value *= 2
            value = value // 32 + value % 32
        total += value
    return ALPHABET[(32 - total % 32) % 32]


def _group(symbols: str) -> str:
    return "-".join(symbols[i:i + 4] for i in range(0, len(symbols), 4))


def _number_group(symbols: str) -> str:
    """XXXX-XXXX-XXXXC: the check symbol stays with the last group."""
    return f"{symbols[:4]}-{symbols[4:8]}-{symbols[8:]}"


def voucher_number_new(year: int, *, symbols: Callable[[int], str] = random_symbols) -> str:
    """A new unguessable voucher number for a budget year."""
    body = symbols(NUMBER_RANDOM_SYMBOLS)
    return f"HR-{year:04d}-{_number_group(body + check_symbol(f'{year:04d}{body}'))}"


def voucher_number_normalise(text: str) -> str | None:
    """The canonical form of a typed voucher number, or None when it cannot be one (wrong form or check symbol).

    Case, spaces and the grouping hyphens do not matter, and I/L/O read as 1/1/0; an old sequential number is
    returned as it is."""
    text = re.sub(r"\s+", "", text or "").upper()
    if _LEGACY_NUMBER.match(text):
        return text
    parts = text.split("-", 2)
    if len(parts) != 3 or parts[0] != "HR":
        return None
    body = parts[2].replace("-", "").translate(_READS_AS)
    match = _NUMBER.match(f"HR-{parts[1]}-{body}")
    if match is None:
        return None
    year, symbols = match.groups()
    if check_symbol(year + symbols[:-1]) != symbols[-1]:
        return None
    return f"HR-{year}-{_number_group(symbols)}"


def redemption_code_new(*, symbols: Callable[[int], str] = random_symbols) -> str:
    """A new one-time redemption code, as shown to the enterprise."""
    return _group(symbols(CODE_SYMBOLS))


def redemption_code_hash(text: str) -> str | None:
    """SHA-256 (hex) of a typed code's canonical symbols, or None when it cannot be a code."""
    symbols = re.sub(r"[\s-]+", "", text or "").upper().translate(_READS_AS)
    if len(symbols) != CODE_SYMBOLS or any(symbol not in _VALUE for symbol in symbols):
        return None
    return hashlib.sha256(symbols.encode("ascii")).hexdigest()
