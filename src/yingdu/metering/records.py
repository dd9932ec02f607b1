"""Parsing and checking one usage record as a provider sent it (no database): fields, times, quantity, bytes."""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import msgspec

from yingdu.rules.uscc import UsccProblem, validate_uscc
from yingdu.tlog import leaf_hash
from yingdu.transparency.canonical import canonical_json

REQUIRED_FIELDS = ("record_id", "enterprise_uscc", "project_tag", "sku", "quantity", "started_at", "ended_at")
OPTIONAL_FIELDS = ("node_id", "job_id", "gpu_id", "corrects")
SIGNATURE_FIELD = "signature"
_KNOWN_FIELDS = frozenset((*REQUIRED_FIELDS, *OPTIONAL_FIELDS, SIGNATURE_FIELD))
QUANTITY_DECIMALS = 6
MAX_QUANTITY = Decimal(10) ** 12
# Clocks differ: a record may end up to this far after the platform's "now" and still not be "in the future".
CLOCK_SKEW = timedelta(minutes=5)
_IDENTIFIER = re.compile(r"^[\x21-\x7e]{1,128}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")

PROBLEMS = {
    "record_not_object": "记录必须是 JSON 对象",
    "record_field_missing": "缺少字段 {field}",
    "record_field_unknown": "不认识的字段 {field}",
    "record_field_type": "字段 {field} 必须是字符串",
    "record_id_invalid": "record_id 只能包含可见 ASCII 字符，长度 1–128",
    "uscc_invalid": "enterprise_uscc 不是有效的统一社会信用代码（{reason}）",
    "identifier_invalid": "字段 {field} 只能包含可见 ASCII 字符，长度 1–128",
    "quantity_invalid": "quantity 必须是十进制数字字符串，最多 6 位小数",
    "quantity_not_positive": "quantity 必须大于 0（更正记录可以为负，但不能为 0）",
    "time_invalid": "字段 {field} 必须是带时区偏移的 RFC 3339 时间",
    "time_order": "ended_at 早于 started_at",
    "time_in_future": "ended_at 晚于平台当前时间",
    "canonical_failed": "记录无法规范化为 RFC 8785 JSON",
    "signature_invalid": "记录签名验证失败",
    "sku_unknown": "SKU {sku} 不在本服务商的价目表中",
    "price_not_in_force": "SKU {sku} 在记录开始时间没有生效的价格",
    "correction_target_unknown": "更正记录引用的原记录 {corrects} 不存在",
    "correction_mismatch": "更正记录的企业、项目标签或 SKU 与原记录不一致",
    "record_id_repeated": "同一批次中 record_id 重复且内容不同",
}


class RecordProblem(Exception):
    """Why a record is invalid: a stable code and a Chinese message."""

    def __init__(self, code: str, **detail):
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.message = PROBLEMS[code].format(**detail)


@dataclass(frozen=True)
class ParsedRecord:
    record_id: str
    enterprise_uscc: str
    project_tag: str
    sku: str
    quantity: Decimal
    started_at: datetime
    ended_at: datetime
    node_id: str
    job_id: str
    gpu_id: str
    corrects: str
    content: bytes
    content_hash: bytes

    @property
    def quantity_micro(self) -> int:
        """Quantity in millionths of a unit, exact."""
        return int(self.quantity.scaleb(QUANTITY_DECIMALS))


class RecordIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A record whose every field is known and a string, as msgspec decodes it; anything else (an unknown or missing
    field, a number, a nested value) fails to decode and takes the general path (``decode_record``).

    The fields are declared in RFC 8785 key order (ASCII, so code-point order), and an absent optional field stays
    UNSET, which msgspec leaves out: ``msgspec.json.encode`` of a record is its canonical bytes (the Hypothesis test in
    ``metering/tests/test_record_decoding.py`` compares them with ``rfc8785`` and this path with ``parse_record``'s).
    """

    corrects: str | msgspec.UnsetType = msgspec.UNSET
    ended_at: str
    enterprise_uscc: str
    gpu_id: str | msgspec.UnsetType = msgspec.UNSET
    job_id: str | msgspec.UnsetType = msgspec.UNSET
    node_id: str | msgspec.UnsetType = msgspec.UNSET
    project_tag: str
    quantity: str
    record_id: str
    signature: str | msgspec.UnsetType = msgspec.UNSET
    sku: str
    started_at: str

    def get(self, field: str, default=None):
        """dict.get, for the callers that read a raw record's record_id or signature."""
        value = getattr(self, field, msgspec.UNSET)
        return default if value is msgspec.UNSET else value


record_decoder = msgspec.json.Decoder(RecordIn)
_encode = msgspec.json.encode


def decode_record(text: bytes | str | msgspec.Raw):
    """A RecordIn when the record's JSON decodes as one, else the record as ``json.loads`` decodes it (ValueError
    when it is not JSON)."""
    try:
        return record_decoder.decode(text)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return json.loads(text if isinstance(text, (bytes, str)) else bytes(text))


def signed_content(raw) -> tuple[bytes, bytes]:
    """The canonical bytes a record's signature covers (the record without its signature) and their leaf hash."""
    if type(raw) is RecordIn:
        content = _encode(raw if raw.signature is msgspec.UNSET else msgspec.structs.replace(
            raw, signature=msgspec.UNSET))
        return content, leaf_hash(content)
    body = {key: value for key, value in raw.items() if key != SIGNATURE_FIELD} if isinstance(raw, dict) else raw
    try:
        content = canonical_json(body)
    except Exception:
        raise RecordProblem("canonical_failed") from None
    return content, leaf_hash(content)


def _string(raw: dict, field: str) -> str:
    value = raw.get(field, "")
    if not isinstance(value, str):
        raise RecordProblem("record_field_type", field=field)
    return value


def _time(text: str, field: str) -> datetime:
    if not _RFC3339.match(text):
        raise RecordProblem("time_invalid", field=field)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RecordProblem("time_invalid", field=field) from None


def _quantity(text: str, *, correction: bool) -> Decimal:
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise RecordProblem("quantity_invalid") from None
    if not quantity.is_finite() or quantity.as_tuple().exponent < -QUANTITY_DECIMALS or abs(quantity) >= MAX_QUANTITY:
        raise RecordProblem("quantity_invalid")
    if "e" in text.lower():
        raise RecordProblem("quantity_invalid")
    if quantity == 0 or (quantity < 0 and not correction):
        raise RecordProblem("quantity_not_positive")
    return quantity


@lru_cache(maxsize=4096)
def _valid_uscc(raw: str) -> str:
    """validate_uscc, remembered: a provider's batches name the same few enterprises over and over."""
    return validate_uscc(raw)


def parse_record(raw, *, now: datetime, signed: tuple[bytes, bytes] | None = None) -> ParsedRecord:
    """Check one record's fields and times; raise RecordProblem naming the first problem.

    ``raw`` is a decoded JSON value, or a ``RecordIn`` that msgspec decoded (its fields' presence and types are
    then known good, and the remaining checks are the same code). ``signed`` is ``signed_content(raw)`` when the
    caller computed it already (for a batch signature).
    """
    if type(raw) is RecordIn:
        return _checked(raw.record_id, raw.enterprise_uscc, raw.project_tag, raw.sku,
                        *(value if value is not msgspec.UNSET else "" for value in (
                            raw.node_id, raw.job_id, raw.gpu_id, raw.corrects)),
                        raw.quantity, raw.started_at, raw.ended_at, now=now, raw=raw, signed=signed)
    if not isinstance(raw, dict):
        raise RecordProblem("record_not_object")
    if not _KNOWN_FIELDS.issuperset(raw):
        raise RecordProblem("record_field_unknown", field=next(field for field in raw if field not in _KNOWN_FIELDS))
    for field in REQUIRED_FIELDS:
        if field not in raw:
            raise RecordProblem("record_field_missing", field=field)
    record_id = _string(raw, "record_id")
    if not _IDENTIFIER.match(record_id):
        raise RecordProblem("record_id_invalid")
    uscc = _uscc_checked(_string(raw, "enterprise_uscc"))
    identifiers = {}
    for field in _IDENTIFIER_FIELDS:
        value = _string(raw, field)
        _identifier_checked(field, value)
        identifiers[field] = value
    quantity = _quantity(_string(raw, "quantity"), correction=bool(identifiers["corrects"]))
    started_at, ended_at = _span_checked(_string(raw, "started_at"), _string(raw, "ended_at"), now=now)
    content, content_hash = signed or signed_content(raw)
    return ParsedRecord(record_id=record_id, enterprise_uscc=uscc, quantity=quantity, started_at=started_at,
                        ended_at=ended_at, content=content, content_hash=content_hash, **identifiers)


_IDENTIFIER_FIELDS = ("project_tag", "sku", "node_id", "job_id", "gpu_id", "corrects")


def _span_checked(started_text: str, ended_text: str, *, now: datetime) -> tuple[datetime, datetime]:
    """The record's start and end, in order and not in the future (beyond the allowed clock skew)."""
    started_at, ended_at = _time(started_text, "started_at"), _time(ended_text, "ended_at")
    if ended_at < started_at:
        raise RecordProblem("time_order")
    if ended_at > now + CLOCK_SKEW:
        raise RecordProblem("time_in_future")
    return started_at, ended_at


def _uscc_checked(text: str) -> str:
    try:
        return _valid_uscc(text)
    except UsccProblem as problem:
        raise RecordProblem("uscc_invalid", reason=problem.code) from None


def _identifier_checked(field: str, value: str) -> None:
    if (value or field in ("project_tag", "sku")) and not _IDENTIFIER.match(value):
        raise RecordProblem("identifier_invalid", field=field)


def _checked(record_id: str, uscc: str, project_tag: str, sku: str, node_id: str, job_id: str, gpu_id: str,
             corrects: str, quantity_text: str, started_text: str, ended_text: str, *, now: datetime, raw,
             signed: tuple[bytes, bytes] | None) -> ParsedRecord:
    """The checks of a record whose fields are all present strings, in the order parse_record reports them."""
    if not _IDENTIFIER.match(record_id):
        raise RecordProblem("record_id_invalid")
    uscc = _uscc_checked(uscc)
    for field, value in (("project_tag", project_tag), ("sku", sku), ("node_id", node_id), ("job_id", job_id),
                         ("gpu_id", gpu_id), ("corrects", corrects)):
        _identifier_checked(field, value)
    quantity = _quantity(quantity_text, correction=bool(corrects))
    started_at, ended_at = _span_checked(started_text, ended_text, now=now)
    content, content_hash = signed or signed_content(raw)
    return ParsedRecord(record_id=record_id, enterprise_uscc=uscc, project_tag=project_tag, sku=sku,
                        quantity=quantity, started_at=started_at, ended_at=ended_at, node_id=node_id, job_id=job_id,
                        gpu_id=gpu_id, corrects=corrects, content=content, content_hash=content_hash)
