"""Usage ingestion API for providers (API key) and usage reads for providers and enterprises."""

from datetime import date, datetime
from typing import Annotated

import msgspec
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.security import APIKeyHeader, HttpBearer, django_auth
from pydantic import Field

from yingdu.accounts.selectors import user_staff_roles
from yingdu.api_errors import errors, reads_json
from yingdu.api_types import (
    JSON_MAX_DEPTH,
    Id,
    Limit,
    Offset,
    Text,
    Token,
    json_body_check_size,
    json_loads_bounded,
    json_nesting_exceeds,
)
from yingdu.errors import DomainError, Forbidden
from yingdu.keyset import api_keyset_page
from yingdu.lists import filterset_qs_or_raise
from yingdu.works.selectors import work_get_for

from . import monitoring, selectors, services
from .anomalies import AnomalyKind
from .filters import UsageRecordFilter
from .ingest import MAX_BATCH, BatchRefused, usage_batch_ingest
from .records import decode_record, record_decoder

router = Router(tags=["算力计量"])


class _KeyHeader(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request, key):
        found = selectors.provider_for_api_key(key or "")
        if found is None:
            return None
        request.provider, request.api_key = found
        return found[0]


class _KeyBearer(HttpBearer):
    def authenticate(self, request, token):
        return _KeyHeader().authenticate(request, token)


PROVIDER_AUTH = [_KeyHeader(), _KeyBearer()]

INGEST_DESCRIPTION = f"""
批量上报用量记录（每批最多 {MAX_BATCH} 条）。认证：`X-API-Key: yk_…` 或 `Authorization: Bearer yk_…`。

JSON 正文：`{{"key_id": "…", "batch_signature": "<base64>", "records": [{{…}}, …]}}`；
NDJSON（`Content-Type: application/x-ndjson`）：第一行为 `{{"key_id": …, "batch_signature": …}}`，其后每行一条记录。

签名二选一：
- 批次签名：Ed25519 签名覆盖 `b"yingdu-usage-batch/v1\\n" + root`，root 为各记录叶哈希的 RFC 6962 Merkle 根，
  叶哈希 = SHA-256(0x00 ‖ 记录的 RFC 8785 规范化 JSON)；
- 逐条签名：每条记录带 `signature` 字段，为对该记录（去掉 signature 字段）规范化字节的 Ed25519 签名。

每条记录的结果：`accepted`（含日志叶序号与叶哈希，`quarantine` 表示企业或作品尚未识别）、`duplicate`（原回执）、
`conflict`（同一 record_id 内容不同，未作修改）、`invalid`（含错误代码与中文说明）。

接口版本：客户端可用请求头 `X-Yingdu-Ingest-API: 1` 声明它所遵循的接口版本（`yingdu-push` 总是发送）；未声明按 1 处理，
声明了平台不支持的版本则整批拒收（HTTP 400 `ingest_api_unsupported`，`detail.supported` 列出支持的版本）。
应答头 `X-Yingdu-Ingest-API` 给出平台处理所用的版本。
"""
INGEST_API_VERSIONS = ("1",)
INGEST_API_HEADER = "X-Yingdu-Ingest-API"


class RecordResultOut(Schema):
    """The OpenAPI shape of ingest.RecordResult (a test keeps the two in step)."""

    position: int
    record_id: str | None
    status: str
    code: str | None = None
    message: str | None = None
    leaf_index: int | None = None
    leaf_hash: str | None = None
    quarantine: str | None = None


class IngestOut(Schema):
    accepted: int
    duplicate: int
    conflict: int
    invalid: int
    results: list[RecordResultOut]


class UsageRecordOut(Schema):
    id: int
    provider: str
    record_id: str
    enterprise_uscc: str
    project_tag: str
    work_id: int | None
    sku: str
    category: str
    quantity: str
    started_at: datetime
    ended_at: datetime
    status: str
    quarantine_reason: str
    price_fen: int
    cost_microfen: int
    log_index: int

    @staticmethod
    def resolve_provider(obj) -> str:
        return obj.provider.name

    @staticmethod
    def resolve_quantity(obj) -> str:
        return format(obj.quantity.normalize(), "f")


class _BatchIn(msgspec.Struct):
    """A JSON batch as msgspec decodes it, each record left undecoded (``records.decode_record`` decodes each)."""

    key_id: str
    records: list[msgspec.Raw]
    batch_signature: str | None = None


_batch_decoder = msgspec.json.Decoder(_BatchIn)


def _decode_batch(body: bytes) -> tuple[str, str | None, list] | None:
    """The batch decoded by msgspec, each record a ``RecordIn`` when it is one; None when anything about the body is
    unusual (msgspec refuses it), so that the general path (``json_loads_bounded``) decides and words the error."""
    json_body_check_size(body)
    if json_nesting_exceeds(body, JSON_MAX_DEPTH):
        return None
    try:
        batch = _batch_decoder.decode(body)
        return batch.key_id, batch.batch_signature, [decode_record(raw) for raw in batch.records]
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
        return None


def _parse_body(request) -> tuple[str, str | None, list]:
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
    body = request.body
    try:
        if content_type == "application/x-ndjson":
            json_body_check_size(body)
            lines = [line for line in body.decode("utf-8").splitlines() if line.strip()]
            if not lines:
                raise ValueError("empty")
            header = json_loads_bounded(lines[0])
            records = [_ndjson_record(line) for line in lines[1:]]
        else:
            decoded = _decode_batch(body)
            if decoded is not None:
                return decoded
            header = json_loads_bounded(body)
            records = header.get("records") if isinstance(header, dict) else None
    except (ValueError, UnicodeDecodeError):
        raise DomainError("请求正文不是有效的 JSON / NDJSON", code="invalid_request") from None
    if not isinstance(header, dict) or not isinstance(records, list) or not isinstance(header.get("key_id"), str):
        raise DomainError("正文须包含 key_id 与 records 列表", code="invalid_request")
    signature = header.get("batch_signature")
    if signature is not None and not isinstance(signature, str):
        raise DomainError("batch_signature 必须是 Base64 字符串", code="invalid_request")
    return header["key_id"], signature, records


def _ndjson_record(line: str):
    """One NDJSON line's record: a ``RecordIn`` when it decodes as one, else through ``json_loads_bounded``."""
    try:
        return record_decoder.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return json_loads_bounded(line)


@router.post("/usage-records", response=IngestOut, auth=PROVIDER_AUTH, summary="上报用量记录（服务商）",
             description=INGEST_DESCRIPTION,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"type": "object"}},
                 "application/x-ndjson": {"schema": {"type": "string"}}}}})
@reads_json
@errors(batch_empty=400, batch_signature_invalid=400, batch_too_large=400, ingest_api_unsupported=400,
        signing_key_not_valid=400, signing_key_unknown=400)
def usage_records_ingest(request):
    version = request.headers.get(INGEST_API_HEADER, INGEST_API_VERSIONS[0]).strip()
    if version not in INGEST_API_VERSIONS:
        raise DomainError(f"平台不支持上报接口版本 {version[:20]}，支持的版本：{'、'.join(INGEST_API_VERSIONS)}；请升级 yingdu-push",
                          code="ingest_api_unsupported", detail={"supported": list(INGEST_API_VERSIONS)})
    key_id, signature, records = _parse_body(request)
    try:
        results = usage_batch_ingest(provider=request.provider, key_id=key_id, records=records,
                                     batch_signature=signature, now=timezone.now())
    except BatchRefused as refused:
        raise DomainError(refused.message, code=refused.code, detail=refused.detail) from None
    counts = {status: 0 for status in ("accepted", "duplicate", "conflict", "invalid")}
    for result in results:
        counts[result.status] += 1
    # Built from plain dicts that already have IngestOut's shape (the OpenAPI schema above); returning the response
    # directly skips re-validating a thousand results per batch.
    response = JsonResponse({**counts, "results": [result.as_dict() for result in results]},
                            json_dumps_params={"ensure_ascii": False})
    response[INGEST_API_HEADER] = version
    return response


USAGE_LIST_DESCRIPTION = """
从新到旧（按日志序号）。翻页用游标：响应头 `Link: <…?after=N>; rel="next"` 与 `X-Next-After: N`
给出下一页；没有下一页时不带这两个头。`after` 为上一页最后一条的 `log_index`，新上报的记录不会使已取得的页重复或
漏掉记录。`offset` 仍可使用（与 `after` 不能同时使用，否则 400 `cursor_with_offset`），但越往后越慢，请改用 `after`。
筛选条件与网页（/metering/usage/records/）和 Excel 导出相同；无效的值返回 400 `filter_invalid`（detail.fields 为各字段的说明）。
"""


@router.get("/usage-records", response=list[UsageRecordOut], auth=[*PROVIDER_AUTH, django_auth],
            summary="查询用量记录（服务商看本服务商的，企业看本企业的）", description=USAGE_LIST_DESCRIPTION)
@errors(cursor_invalid=400, cursor_with_offset=400, filter_invalid=400)
def usage_records_list(request, response: HttpResponse, work_id: Id | None = None, status: Token | None = None,
                       record_id: Token | None = None, enterprise_uscc: Token | None = None, sku: Token | None = None,
                       started_from: date | None = None, started_to: date | None = None, after: Token | None = None,
                       limit: Limit = 100, offset: Offset = 0):
    provider = getattr(request, "provider", None)
    if provider is not None:
        queryset = selectors.usage_records_visible_to_provider(provider)
    else:
        queryset = selectors.usage_records_visible_to(request.user)
    if work_id is not None:
        # the work a record belongs to (its own, or the one staff attributed it to), within what the caller sees
        queryset = queryset.filter(attributed_work_id=work_id)
    data = {"status": status, "record_id": record_id, "enterprise_uscc": enterprise_uscc, "sku": sku,
            "started_from": started_from, "started_to": started_to}
    filterset = UsageRecordFilter({name: value for name, value in data.items() if value is not None},
                                  queryset=queryset, request=request, show_provider=False)
    return api_keyset_page(request, response, filterset_qs_or_raise(filterset), key="log_index", after=after,
                           limit=limit, offset=offset)


class AnomalyRecordOut(Schema):
    id: int
    record_id: str


class AnomalyOut(Schema):
    id: int
    kind: str
    label: str
    reason: str
    enterprise_uscc: str
    project_tag: str
    day: date | None
    record_count: int
    records: list[AnomalyRecordOut]


class AttachIn(Schema):
    work_id: Id
    reason: Text


class AttributionOut(Schema):
    record: int
    work: int
    enterprise: int
    at: datetime
    reason: str
    log_index: int

    @staticmethod
    def resolve_record(obj) -> int:
        return obj.record_id

    @staticmethod
    def resolve_work(obj) -> int:
        return obj.work_id

    @staticmethod
    def resolve_enterprise(obj) -> int:
        return obj.enterprise_id


def _require_staff(request) -> None:
    if not user_staff_roles(request.user):
        raise Forbidden("只有平台工作人员（已完成双因素认证）可以查看", code="staff_only")


ANOMALIES_DESCRIPTION = """近 days 天（默认 14，按记录开始日或突增日）的异常标记，由后台任务检查全部新记录后存储，最新在前：
超出制作周期、同一 GPU/节点被两家企业同时使用、单日突增、迟报（> 72 小时）、时长类单位数量超出上限。
每条含中文原因与相关记录（最多 10 条）。可按 kind（类型）和 enterprise_uscc 筛选。

翻页用游标：有下一页时响应头 `Link: <…?after=N>; rel="next"` 与 `X-Next-After: N` 给出下一页（N 为本页最后一条的 id），
新的标记不会使已取得的页重复或漏掉标记；每页最多 limit 条（默认 100）。
"""


@router.get("/metering/anomalies", response=list[AnomalyOut], auth=django_auth,
            summary="用量异常标记（工作人员）", description=ANOMALIES_DESCRIPTION)
@errors(staff_only=403, cursor_invalid=400)
def anomalies_list(request, response: HttpResponse,
                   days: Annotated[int, Field(ge=1, le=31)] = monitoring.ANOMALY_DAYS,
                   kind: AnomalyKind | None = None, enterprise_uscc: Token | None = None, after: Token | None = None,
                   limit: Limit = 100):
    _require_staff(request)
    filters = monitoring.AnomalyFilters(kind=kind or "", enterprise_uscc=enterprise_uscc or "",
                                        since=monitoring.chart_days(now=timezone.now(), days=days)[0])
    rows = api_keyset_page(request, response, monitoring.anomaly_flags_queryset(filters), key="id", after=after,
                           limit=limit)
    return [monitoring.anomaly_as_dict(flag) for flag in rows]


@router.post("/metering/usage-records/{int:record_pk}/attribution", response={201: AttributionOut},
             auth=django_auth, summary="把待归属记录归属到作品（审核员、系统管理员）")
@errors(staff_only=403, usage_record_not_found=404, record_already_attributed=409)
def usage_record_attach(request, record_pk: Id, payload: AttachIn):
    _require_staff(request)
    record = selectors.quarantined_records().filter(pk=record_pk).first()
    if record is None:
        record = selectors.usage_record_get_for(request.user, record_pk)
    work = work_get_for(request.user, payload.work_id)
    attribution = services.usage_record_attach(record=record, work=work, actor=request.user, reason=payload.reason,
                                               now=timezone.now())
    return Status(201, attribution)
