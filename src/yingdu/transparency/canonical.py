"""Canonical JSON of log entries (RFC 8785), with a fast path for the value types events actually use."""

import re

import msgspec
import rfc8785

# RFC 8785 §3.2.2.3: integers beyond ±(2**53 − 1) lose precision as IEEE 754 doubles; such values take the slow path.
_SAFE_INTEGER = 2**53 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")
# msgspec's string escaping is RFC 8785's (short escapes for \b \t \n \f \r, \u00xx for the other controls, nothing
# else escaped; proven by the Hypothesis test in tests/test_canonical.py) and order="sorted" sorts keys by code point,
# RFC 8785's order for ASCII keys, the only keys the fast paths let through.
_fast_encoder = msgspec.json.Encoder(order="sorted")


def _fast_path_applies(value) -> bool:
    """True when msgspec's sorted, compact output equals RFC 8785's for this value."""
    if isinstance(value, str):
        # Lone surrogates are escaped by RFC 8785 but cannot be encoded as UTF-8 by msgspec.
        return value.isascii() or _SURROGATE.search(value) is None
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if isinstance(value, dict):
        # RFC 8785 sorts keys by UTF-16 code units, Python by code points: the same order for BMP-only keys.
        for key, item in value.items():
            if not (isinstance(key, str) and key.isascii()):
                return False
            # Strings, the common case, are checked inline: this runs for every record on the ingestion hot path.
            if type(item) is str:
                if not (item.isascii() or _SURROGATE.search(item) is None):
                    return False
            elif not _fast_path_applies(item):
                return False
        return True
    if isinstance(value, (list, tuple)):
        return all(_fast_path_applies(item) for item in value)
    return False


_FLAT_TYPES = frozenset({str, int, bool, type(None)})


def _flat_canonical(value: dict) -> bytes | None:
    """The canonical bytes of a dict of ASCII keys and scalar values (a usage record, a log entry) through msgspec, checked
    with C-speed set operations rather than value by value; None when the general path must decide."""
    try:
        if not "".join(value).isascii():
            return None
    except TypeError:  # a key that is not a string
        return None
    types = set(map(type, value.values()))
    if not types <= _FLAT_TYPES:
        return None
    if int in types and not all(-_SAFE_INTEGER <= item <= _SAFE_INTEGER for item in value.values() if type(item) is int):
        return None
    try:
        return _fast_encoder.encode(value)
    except UnicodeEncodeError:  # a lone surrogate, which RFC 8785 escapes
        return None


def canonical_json(value) -> bytes:
    """RFC 8785 canonical JSON bytes (sorted keys, no insignificant whitespace, UTF-8)."""
    if isinstance(value, dict):
        flat = _flat_canonical(value)
        if flat is not None:
            return flat
    if _fast_path_applies(value):
        return _fast_encoder.encode(value)
    return rfc8785.dumps(value)
