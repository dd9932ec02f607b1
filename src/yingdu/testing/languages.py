"""The visible text of a page and the words in it that belong to the other language: English words on a Chinese page,
Han characters on an English page. Used by the test that renders every page in both languages
(portal/tests/test_page_languages.py); the allow-list rules are recorded in docs/decisions.md."""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# Elements whose content is not shown as text, or is machine text in any language: commands, JSON, file contents.
HIDDEN = {"script", "style", "template", "svg", "code", "pre", "kbd", "samp"}
# Elements that have no end tag.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
# Attributes a person reads or hears (a button's value is its label).
SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
BUTTON_INPUTS = {"submit", "button", "reset"}

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A run of Latin letters, digits and the marks that join technical tokens (ids, URLs, e-mail addresses, codes).
TOKEN = re.compile(r"[A-Za-z0-9_./:@#+%=?&~-]*[A-Za-z][A-Za-z0-9_./:@#+%=?&~'’-]*")
HEX = re.compile(r"[0-9a-fA-F]{8,}")
KEBAB = re.compile(r"[a-z]+(-[a-z]+)+|[A-Z]+(-[A-Z]+)+")
# Proper nouns, brand and product names, standards and technical abbreviations written the same way in Chinese text.
ALLOWED_WORDS = frozenset({
    # abbreviations and technical terms
    "USCC", "API", "PDF", "CSV", "SKU", "GPU", "CPU", "TOTP", "OTP", "URL", "ID", "AI", "HTTP", "HTTPS", "JSON", "XLSX",
    "PNG", "JPEG", "JPG", "MP4", "OIDC", "SSO", "RFC", "SHA", "Ed25519", "Merkle", "TLS", "UTC", "CST", "QR", "ICP",
    "HR", "IP", "DNS", "PEM", "Base64", "PKCS", "C2SP", "Unix", "POST", "GET", "Bearer", "HMAC", "ASCII", "MB", "KB",
    "tokens", "UTF", "Ctrl", "keygen", "Prometheus",
    # the column names of the file formats a page documents (usage CSV, calendar import)
    "sku", "quantity", "corrects", "signature", "date", "kind", "name", "holiday", "workday",
    # brand, product and programme names
    "yingdu", "Excel", "ECharts", "Apache", "Django", "Python", "pip", "NVIDIA", "A100", "H100", "Chromium",
    "PostgreSQL", "SQLite", "Google", "Authenticator", "Microsoft", "FreeOTP", "WeChat", "cryptography",
    # overseas short-drama platforms (the release form's choices)
    "ReelShort", "DramaBox", "ShortMax", "DramaWave",
})


@dataclass(frozen=True)
class Text:
    """A piece of visible text and the language of the element it is in (the nearest ``lang`` attribute)."""

    text: str
    lang: str
    where: str


class _VisibleText(HTMLParser):
    def __init__(self, page_lang: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str, bool]] = [("#document", page_lang, False)]
        self.texts: list[Text] = []

    def _lang(self) -> str:
        return self.stack[-1][1]

    def _hidden(self) -> bool:
        return self.stack[-1][2]

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        lang = values.get("lang") or self._lang()
        hidden = self._hidden() or tag in HIDDEN or (tag == "input" and values.get("type") == "hidden")
        if not hidden:
            for name in SHOWN_ATTRIBUTES:
                if values.get(name):
                    self.texts.append(Text(values[name], lang, f"<{tag} {name}>"))
            if tag == "input" and (values.get("type") or "").lower() in BUTTON_INPUTS and values.get("value"):
                self.texts.append(Text(values["value"], lang, f"<{tag} value>"))
        if tag not in VOID:
            self.stack.append((tag, lang, hidden))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        if not self._hidden() and data.strip():
            self.texts.append(Text(" ".join(data.split()), self._lang(), f"<{self.stack[-1][0]}>"))


def visible_texts(html: str, *, page_lang: str) -> list[Text]:
    """The texts a person reads on the page: element text outside scripts and styles, plus titles, alternative texts,
    placeholders, accessible labels and the labels of input buttons, each with its element's language."""
    parser = _VisibleText(page_lang)
    parser.feed(html)
    parser.close()
    return parser.texts


def _is_chinese(lang: str) -> bool:
    return lang.lower().startswith("zh")


def _technical(token: str) -> bool:
    """Ids, codes, URLs, e-mail addresses, file names, options and hashes: tokens with digits or joining marks in them,
    and lower-case or upper-case words joined by hyphens (``video-gen-second``, ``--state``, ``ABCD-EFGH``)."""
    core = token.rstrip(".:'’")
    return (any(mark in core for mark in "_./:@#=?&%+") or any(ch.isdigit() for ch in core) or bool(HEX.fullmatch(core))
            or core.startswith("-") or bool(KEBAB.fullmatch(core)) or core in ALLOWED_WORDS)


def english_words(text: str, *, data: frozenset[str] = frozenset()) -> list[str]:
    """The English words in ``text`` (a text of a Chinese page): allow-listed names and abbreviations, technical tokens
    and the values in ``data`` (what people typed) are not words of the page."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    words = []
    for token in TOKEN.findall(text):
        if _technical(token):
            continue
        for word in re.split(r"[-'’]", token):
            if len(word) > 1 and word not in ALLOWED_WORDS:
                words.append(token)
                break
    return words


def han_characters(text: str, *, data: frozenset[str] = frozenset()) -> str:
    """The text, if it still has Han characters once the values in ``data`` (what people typed) are taken out, else
    an empty string (a text of an English page)."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return text.strip() if HAN.search(text) else ""


def leaks(html: str, *, page_lang: str, data: frozenset[str] = frozenset()) -> list[str]:
    """The texts of the page in the other language: English words where the page is Chinese, Han characters where it
    is English. A region marked with its own ``lang`` (an official document in Chinese, a name in another script) is
    checked against that language."""
    found = []
    for piece in visible_texts(html, page_lang=page_lang):
        if _is_chinese(piece.lang):
            words = english_words(piece.text, data=data)
            if words:
                found.append(f"{piece.where} English {words}: {piece.text[:120]!r}")
        elif piece.lang.lower().startswith("en"):
            rest = han_characters(piece.text, data=data)
            if rest:
                found.append(f"{piece.where} Chinese: {rest[:120]!r}")
    return found
