"""Pure checks of a work's declared facts (no Django import): the form against episode lengths and aspect ratio,
and the NRTA release permit / filing number. Every threshold is a named constant here (docs/decisions.md)."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

__all__ = [
    "ASPECT_HORIZONTAL",
    "ASPECT_VERTICAL",
    "FILING",
    "MICRO_DRAMA",
    "MICRO_DRAMA_ASPECT",
    "MICRO_DRAMA_MAX_EPISODE_SECONDS",
    "MICRO_DRAMA_MIN_EPISODE_SECONDS",
    "PERMIT",
    "PERMIT_FIRST_YEAR",
    "SHORT_DRAMA",
    "SHORT_DRAMA_ASPECT",
    "SHORT_DRAMA_MAX_EPISODE_SECONDS",
    "SHORT_DRAMA_MIN_EPISODE_SECONDS",
    "FormProblem",
    "LicenceNumber",
    "LicenceNumberProblem",
    "duration_text",
    "form_problems",
    "licence_number_check",
]

MICRO_DRAMA = "micro_drama"
SHORT_DRAMA = "short_drama"
ASPECT_VERTICAL = "9:16"
ASPECT_HORIZONTAL = "16:9"

# 微短剧: episodes "from tens of seconds to about 15 minutes", vertical (DESIGN glossary; NRTA's definition)
MICRO_DRAMA_MIN_EPISODE_SECONDS = 10
MICRO_DRAMA_MAX_EPISODE_SECONDS = 15 * 60
MICRO_DRAMA_ASPECT = ASPECT_VERTICAL
# 短剧: 10–20 minute episodes, horizontal
SHORT_DRAMA_MIN_EPISODE_SECONDS = 10 * 60
SHORT_DRAMA_MAX_EPISODE_SECONDS = 20 * 60
SHORT_DRAMA_ASPECT = ASPECT_HORIZONTAL

_RULES = {
    MICRO_DRAMA: ("AI微短剧", MICRO_DRAMA_MIN_EPISODE_SECONDS, MICRO_DRAMA_MAX_EPISODE_SECONDS, MICRO_DRAMA_ASPECT),
    SHORT_DRAMA: ("AI短剧", SHORT_DRAMA_MIN_EPISODE_SECONDS, SHORT_DRAMA_MAX_EPISODE_SECONDS, SHORT_DRAMA_ASPECT),
}
_ASPECT_NAMES = {ASPECT_VERTICAL: "竖屏 9:16", ASPECT_HORIZONTAL: "横屏 16:9"}


@dataclass(frozen=True)
class FormProblem:
    code: str
    field: str
    message: str


def duration_text(seconds: int) -> str:
    """Seconds in Chinese: 1080 → "18 分钟", 95 → "1 分 35 秒", 40 → "40 秒"."""
    minutes, rest = divmod(seconds, 60)
    if minutes and rest:
        return f"{minutes} 分 {rest} 秒"
    return f"{minutes} 分钟" if minutes else f"{rest} 秒"


def _other_form_hint(form: str, shortest: int, longest: int, aspect_ratio: str) -> str:
    for other, (label, low, high, aspect) in _RULES.items():
        if other != form and low <= shortest and longest <= high and aspect_ratio == aspect:
            return f"这些参数符合“{label}”，请确认作品形式。"
    return ""


def form_problems(*, form: str, episode_count: int, episode_min_seconds: int, episode_max_seconds: int,
                  aspect_ratio: str) -> list[FormProblem]:
    """Why the declared form disagrees with the episode lengths and aspect ratio; empty when they agree."""
    problems = []
    if episode_count < 1:
        problems.append(FormProblem("episode_count_invalid", "episode_count", "集数至少为 1 集。"))
    if episode_min_seconds < 1 or episode_max_seconds < episode_min_seconds:
        problems.append(FormProblem("episode_length_invalid", "episode_max_seconds",
                                    "单集时长不正确：最长一集不能短于最短一集，且时长须为正数。"))
        return problems
    label, low, high, aspect = _RULES[form]
    hint = _other_form_hint(form, episode_min_seconds, episode_max_seconds, aspect_ratio)
    if episode_max_seconds > high:
        problems.append(FormProblem(
            "episode_too_long", "episode_max_seconds",
            f"{label}的单集时长应在 {duration_text(low)}至 {duration_text(high)}之间，"
            f"申报的最长一集为 {duration_text(episode_max_seconds)}，超过了 {duration_text(high)}。{hint}"))
    if episode_min_seconds < low:
        problems.append(FormProblem(
            "episode_too_short", "episode_min_seconds",
            f"{label}的单集时长应在 {duration_text(low)}至 {duration_text(high)}之间，"
            f"申报的最短一集为 {duration_text(episode_min_seconds)}，短于 {duration_text(low)}。{hint}"))
    if aspect_ratio != aspect:
        declared = _ASPECT_NAMES.get(aspect_ratio, f"“{aspect_ratio}”")
        problems.append(FormProblem(
            "aspect_ratio_mismatch", "aspect_ratio",
            f"{label}应为{_ASPECT_NAMES[aspect]}画幅，申报的画幅为{declared}。{hint}"))
    return problems


# --- NRTA release permit (网络剧片发行许可证) and filing (上线备案号 / 登记备案号) numbers ---

PERMIT = "permit"
FILING = "filing"
# permits for online dramas and films were first issued in 2022 (网剧审字（2022）第001号)
PERMIT_FIRST_YEAR = 2022
# issuer in brackets: 总局 (NRTA) or a provincial bureau's one-character abbreviation
_ISSUERS = "总局|京|津|沪|渝|冀|晋|辽|吉|黑|苏|浙|皖|闽|赣|鲁|豫|鄂|湘|粤|琼|川|蜀|贵|黔|云|滇|陕|秦|甘|陇|青|蒙|桂|藏|宁|新|兵团"
# after NFKC (full-width brackets become ASCII) and with spaces removed:
#   [(issuer)]网{剧|影|微剧|络微短剧|动}审字(YYYY)第N号, e.g. （总局）网剧审字（2022）第001号
_PERMIT = re.compile(
    rf"^(?:\((?P<issuer>{_ISSUERS})\))?网(?P<kind>剧|影|微剧|络微短剧|动)审字\((?P<year>\d{{4}})\)第(?P<serial>\d{{1,6}})号$")
# filing numbers are issued by NRTA's and the provinces' registration systems and by platforms in several layouts;
# no public specification exists, so the check is structural: 6–40 letters, digits, CJK, brackets, - or /, ≥ 6 digits
_FILING = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff()\-/]{6,40}$")
_FILING_MIN_DIGITS = 6


class LicenceNumberProblem(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LicenceNumber:
    kind: str
    number: str
    year: int | None = None


def _normalise(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"\s+", "", text)


def licence_number_check(raw: str, *, went_live_on: date) -> LicenceNumber:
    """Classify and check a release permit or filing number; LicenceNumberProblem says what is wrong."""
    text = _normalise(raw)
    if not text:
        raise LicenceNumberProblem("licence_number_required", "请填写上线备案号或网络剧片发行许可证号。")
    if "审字" in text:
        match = _PERMIT.match(text)
        if match is None:
            raise LicenceNumberProblem(
                "permit_format",
                "发行许可证号格式应为“（发证机关）网剧审字（年份）第编号号”，例如“（总局）网剧审字（2022）第001号”。")
        year = int(match["year"])
        if not PERMIT_FIRST_YEAR <= year <= went_live_on.year:
            raise LicenceNumberProblem(
                "permit_year",
                f"发行许可证号中的年份 {year} 不合理：应在 {PERMIT_FIRST_YEAR} 年至上线当年（{went_live_on.year} 年）之间。")
        display = text.replace("(", "（").replace(")", "）")
        return LicenceNumber(kind=PERMIT, number=display, year=year)
    if not _FILING.match(text) or sum(ch.isdigit() for ch in text) < _FILING_MIN_DIGITS:
        raise LicenceNumberProblem(
            "filing_format",
            "上线备案号格式不正确：应为 6–40 位的字母、数字、汉字、括号或连字符，且至少含 6 位数字；"
            "请按片头标注或备案系统中的编号原样填写。")
    return LicenceNumber(kind=FILING, number=text.replace("(", "（").replace(")", "）"))
