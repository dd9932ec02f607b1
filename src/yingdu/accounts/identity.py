"""What makes two login names the same, or look the same (no Django import).

- The stored name is NFKC-normalised (full-width ``ａｄｍｉｎ`` is stored as ``admin``).
- The key, which is unique, is the identifier caseless form of UAX #31 / Unicode §3.13:
  key = NFKC(casefold(NFKC(name))), so ``Admin``, ``ADMIN`` and ``ＡＤＭＩＮ`` share the key ``admin``.
- The skeleton, which is unique too, is the Unicode TR39 §4 skeleton of the key, computed by ICU's SpoofChecker
  (PyICU): two names with the same skeleton are confusable (``admin`` and ``аdmin`` with a Cyrillic а).
- Invisible characters are refused outright: format (Cf: zero-width, bidi controls), control (Cc), line and
  paragraph separators (Zl, Zp) and every space (Zs).
"""

import unicodedata
from functools import cache

import icu

INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zl", "Zp", "Zs"})


def username_normalise(raw: str) -> str:
    """The form a login name is stored in: NFKC, without surrounding white space."""
    return unicodedata.normalize("NFKC", raw.strip())


def username_key(raw: str) -> str:
    """The case-insensitive key of a login name: NFKC(casefold(NFKC(name)))."""
    return unicodedata.normalize("NFKC", username_normalise(raw).casefold())


def username_invisible_characters(raw: str) -> list[str]:
    """The invisible characters of a name (as U+XXXX), before and after NFKC, in order of appearance."""
    found: list[str] = []
    for text in (raw.strip(), username_normalise(raw)):
        for character in text:
            code = f"U+{ord(character):04X}"
            if unicodedata.category(character) in INVISIBLE_CATEGORIES and code not in found:
                found.append(code)
    return found


@cache
def _spoof_checker() -> "icu.SpoofChecker":
    return icu.SpoofChecker()


def username_skeleton(raw: str) -> str:
    """The TR39 skeleton of the name's key: equal skeletons mean confusable names."""
    return _spoof_checker().getSkeleton(0, username_key(raw))
