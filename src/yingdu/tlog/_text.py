"""Strict decoding helpers shared by the text formats (C2SP signed-note, tlog-checkpoint, tlog-proof)."""

import base64
import binascii
import re

MAX_UINT64 = 2**64 - 1

_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)


def encode_base64(data: bytes) -> str:
    """Standard base64 with padding (RFC 4648 §4)."""
    return base64.b64encode(data).decode("ascii")


def decode_base64(text: str, *, error: type[Exception], what: str) -> bytes:
    """Decode standard padded base64 (RFC 4648 §4), rejecting any non-canonical spelling."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise error(f"{what} is not valid base64") from None
    # Reject spellings that decode but do not re-encode identically (stray padding bits).
    if encode_base64(data) != text:
        raise error(f"{what} is not canonical base64")
    return data


def parse_decimal(text: str, *, error: type[Exception], what: str) -> int:
    """Parse an ASCII decimal with no sign and no leading zeroes that fits in 64 bits."""
    if not _DECIMAL.fullmatch(text):
        raise error(f"{what} is not a decimal number without leading zeroes: {text!r}")
    value = int(text)
    if value > MAX_UINT64:
        raise error(f"{what} does not fit in 64 bits")
    return value


def has_control_characters(text: str) -> bool:
    """True when text holds an ASCII control character other than newline (C2SP signed-note §Format)."""
    return any(character < " " and character != "\n" for character in text)
