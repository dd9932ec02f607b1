"""Download names: a readable file name with its extension, in Chinese where the document is (RFC 6266 / RFC 5987)."""

import re
from urllib.parse import quote

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def content_disposition(filename: str, *, fallback: str, inline: bool = False) -> str:
    """The Content-Disposition header for ``filename``: plain when it is ASCII, else the ASCII ``fallback`` for old
    clients plus ``filename*=UTF-8''…`` (RFC 5987 percent-encoding), which every current browser uses."""
    disposition = "inline" if inline else "attachment"
    name = _UNSAFE.sub("_", filename).strip(" .") or fallback
    if name.isascii():
        return f'{disposition}; filename="{name}"'
    return f"{disposition}; filename=\"{_UNSAFE.sub('_', fallback)}\"; filename*=UTF-8''{quote(name, safe='')}"
