"""Data notices and objections: enterprises read their own and object; staff issue notices and decide objections."""

import json
from datetime import date, datetime
from typing import Annotated

from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import django_auth
from pydantic import Field

from yingdu.accounts.selectors import user_staff_roles
from yingdu.api_errors import errors
from yingdu.api_types import LIST_MAX_ITEMS, Id, Index, Limit, Line, Text, Token
from yingdu.errors import DomainError
from yingdu.lists import api_filter_data, api_filtered_page, api_list_description
from yingdu.works.selectors import work_get_for

from . import documents, selectors, services
from .filters import NoticeFilter
from .models import DataNotice

router = Router(tags=["数据告知与异议"])


class SkuTotalOut(Schema):
    provider: str
    sku: str
    unit: str
    quantity: str
    cost_microfen: int
    cost_yuan: str


class NoticeRecordOut(Schema):
    id: int
    log_index: int
    provider: str
    record_id: str
    sku: str
    quantity: str
    started_at: datetime
    ended_at: datetime
    origin: str
    corrects_id: int | None
    cost_microfen: int


class ClaimOut(Schema):
    record_id: int
    claimed_quantity: str
    status: str
    decided_quantity: str | None
    correction_id: int | None
    # awaiting_provider: the provider's signed correction of the record pushed since, once there is one
    provider_correction_id: int | None


class ObjectionOut(Schema):
    id: int
    notice_id: int
    status: str
    explanation: str
    filed_at: datetime
    evidence_sha256: list[str]
    claims: list[ClaimOut]
    decided_at: datetime | None
    decision_reason: str


class NoticeOut(Schema):
    id: int
    enterprise_id: int
    work_id: int
    period_start_on: date
    period_end_on: date
    record_count: int
    cost_microfen: int
    cost_yuan: str
    records_sha256: str
    checkpoint_tree_size: int
    checkpoint_root_hash: str
    issued_at: datetime
    delivered_at: datetime | None
    delivered_via: str
    objection_window_working_days: int | None
    objection_deadline_on: date | None
    objection_deadline_provisional: bool
    supplements_id: int | None


class PendingNoticeOut(Schema):
    id: int
    work_id: int
    period_start_on: date
    period_end_on: date
    reason: str
    supplements_id: int | None


class NoticeDetailOut(NoticeOut):
    totals: list[SkuTotalOut]
    records: list[NoticeRecordOut]
    objections: list[ObjectionOut]


class NoticeIn(Schema):
    work_id: Id
    period_start_on: date
    period_end_on: date


class ClaimDecisionIn(Schema):
    record_id: Id
    quantity: Token | Index
    reason: Text = ""


class DecisionIn(Schema):
    decision: Token
    reason: Text = ""
    # decided quantities (partial uphold); claims not listed are upheld as claimed
    claims: Annotated[list[ClaimDecisionIn], Field(max_length=LIST_MAX_ITEMS)] = []


class ObjectionIn(Schema):
    explanation: Text
    claims: Text = ""


def _objection_out(objection) -> dict:
    return {
        "id": objection.pk, "notice_id": objection.notice_id, "status": objection.status,
        "explanation": objection.explanation, "filed_at": objection.filed_at,
        "evidence_sha256": [file.sha256 for file in objection.evidence.all()],
        "claims": [{"record_id": c.record_id, "claimed_quantity": format(c.claimed_quantity.normalize(), "f"),
                    "status": c.status,
                    "decided_quantity": (format(c.decided_quantity.normalize(), "f")
                                         if c.decided_quantity is not None else None),
                    "correction_id": c.correction_id,
                    "provider_correction_id": getattr(getattr(c, "provider_correction", None), "pk", None)}
                   for c in objection.claims.all()],
        "decided_at": objection.decided_at, "decision_reason": objection.decision_reason,
    }


def _notice_out(notice) -> dict:
    return {
        "id": notice.pk, "enterprise_id": notice.enterprise_id, "work_id": notice.work_id,
        "period_start_on": notice.period_start_on, "period_end_on": notice.period_end_on,
        "record_count": notice.record_count, "cost_microfen": notice.cost_microfen,
        "cost_yuan": selectors.yuan_display(notice.cost_microfen), "records_sha256": notice.records_sha256,
        "checkpoint_tree_size": notice.checkpoint_tree_size,
        "checkpoint_root_hash": notice.checkpoint_root_hash_base64, "issued_at": notice.issued_at,
        "delivered_at": notice.delivered_at, "delivered_via": notice.delivered_via,
        "objection_window_working_days": notice.objection_window_working_days,
        "objection_deadline_on": notice.objection_deadline_on,
        "objection_deadline_provisional": notice.objection_deadline_provisional,
        "supplements_id": notice.supplements_id,
    }


def _notice_detail(notice) -> dict:
    return {
        **_notice_out(notice),
        "totals": [{"provider": t.provider, "sku": t.sku, "unit": t.unit, "quantity": format(t.quantity, "f"),
                    "cost_microfen": t.cost_microfen, "cost_yuan": t.cost_yuan}
                   for t in selectors.notice_sku_totals(notice)],
        "records": [{"id": r.pk, "log_index": r.log_index, "provider": r.provider.name, "record_id": r.record_id,
                     "sku": r.sku, "quantity": format(r.quantity.normalize(), "f"), "started_at": r.started_at,
                     "ended_at": r.ended_at, "origin": r.origin, "corrects_id": r.corrects_id,
                     "cost_microfen": r.cost_microfen} for r in selectors.notice_record_list(notice)],
        "objections": [_objection_out(o) for o in selectors.claims_with_provider_answer(
            notice.objections.prefetch_related("evidence", "claims"))],
    }


@router.get("/notices", response=list[NoticeOut], auth=django_auth,
            summary="数据告知书列表（企业看本企业的，工作人员看全部）",
            description=api_list_description("/metering/notices/") + "另可按 work_id 筛选。")
@errors(cursor_invalid=400, filter_invalid=400)
def notice_list(request, response: HttpResponse, work_id: Id | None = None, enterprise: Line | None = None,
                work: Line | None = None, delivered: Token | None = None, objection: Token | None = None,
                issued_from: date | None = None, issued_to: date | None = None, after: Token | None = None,
                limit: Limit = 100):
    queryset = selectors.notices_visible_to(request.user)
    if work_id is not None:
        queryset = queryset.filter(work_id=work_id)
    data = api_filter_data(enterprise=enterprise, work=work, delivered=delivered, objection=objection,
                           issued_from=issued_from, issued_to=issued_to)
    filterset = NoticeFilter(data, queryset=queryset, staff=bool(user_staff_roles(request.user)))
    return [_notice_out(notice) for notice in api_filtered_page(request, response, filterset, after=after,
                                                                 limit=limit)]


@router.get("/notices/{int:notice_id}", response=NoticeDetailOut, auth=django_auth,
            summary="数据告知书详情（企业成员首次查看即为送达）")
@errors(notice_not_found=404)
def notice_detail(request, notice_id: Id):
    notice = selectors.notice_get_for(request.user, notice_id)
    notice = services.data_notice_show_to(notice=notice, user=request.user, now=timezone.now())
    return _notice_detail(notice)


@router.get("/notices/{int:notice_id}/pdf", auth=django_auth,
            summary="数据告知书 PDF（与详情同权限；企业成员首次打开即为送达）")
@errors(notice_not_found=404)
def notice_pdf(request, notice_id: Id):
    return documents.notice_pdf_response(request, selectors.notice_get_for(request.user, notice_id))


@router.post("/notices", response={201: NoticeDetailOut}, auth=django_auth,
             summary="出具数据告知书（审核员、审计员、系统管理员）")
@errors(role_not_allowed=403, work_not_found=404)
def notice_issue(request, payload: NoticeIn):
    work = work_get_for(request.user, payload.work_id)
    notice = services.data_notice_issue(work=work, period_start_on=payload.period_start_on,
                                        period_end_on=payload.period_end_on, actor=request.user, now=timezone.now())
    return Status(201, _notice_detail(notice))


@router.post("/works/{int:work_id}/notices/supplement", response={201: NoticeDetailOut, 202: PendingNoticeOut},
             auth=django_auth,
             summary="出具补充告知书：列出告知后才计入该作品补贴的用量记录（审核员、审计员、系统管理员）；"
                     "异议期截止日待官方日历时列入待出具（202）；无需补充时 409 notice_nothing_to_supplement")
@errors(role_not_allowed=403, work_not_found=404, notice_nothing_to_supplement=409, conflict_of_interest=403,
        recused=403)
def notice_supplement(request, work_id: Id):
    work = work_get_for(request.user, work_id)
    result = services.data_notice_supplement(work=work, actor=request.user, now=timezone.now())
    if result is None:
        raise services.NothingToSupplement()
    if isinstance(result, DataNotice):
        return Status(201, _notice_detail(result))
    return Status(202, {"id": result.pk, "work_id": result.work_id, "period_start_on": result.period_start_on,
                        "period_end_on": result.period_end_on, "reason": result.reason,
                        "supplements_id": result.supplements_id})


def _parse_claims(text: str) -> list[tuple[int, str]]:
    """``claims``: a JSON array of {"record": <id>, "quantity": "<decimal string>"}; empty means none."""
    if not text.strip():
        return []
    try:
        items = json.loads(text)
        return [(int(item["record"]), str(item["quantity"])) for item in items]
    except (ValueError, TypeError, KeyError):
        raise DomainError('claims 须为 JSON 数组，例如 [{"record": 12, "quantity": "7.5"}]',
                          code="invalid_request", field="claims") from None


@router.post("/notices/{int:notice_id}/objections", response={201: ObjectionOut}, auth=django_auth,
             summary="对告知书提出异议（企业成员；multipart：explanation、evidence 文件、可选 claims JSON）")
@errors(notice_not_found=404, objection_already_open=409, objection_late=409)
def objection_file(request, notice_id: Id, payload: Form[ObjectionIn],
                   evidence: File[list[UploadedFile]] = None):
    notice = selectors.notice_get_for(request.user, notice_id)
    objection = services.objection_file(notice=notice, explanation=payload.explanation, evidence=evidence or [],
                                        claims=_parse_claims(payload.claims), actor=request.user, now=timezone.now())
    return Status(201, _objection_out(objection))


@router.post("/objections/{int:objection_id}/decision", response=ObjectionOut, auth=django_auth,
             summary="处理异议：uphold（采纳，可按条目给出决定数量及理由）或 reject（不予采纳，须说明理由）（审核员）")
@errors(second_person_required=202, decision_claim_reason_required=400, decision_claim_unknown=400,
        decision_quantity_out_of_range=400, role_not_allowed=403, objection_not_found=404)
def objection_decide(request, objection_id: Id, payload: DecisionIn):
    objection = selectors.objection_get_for(request.user, objection_id)
    claims = [services.ClaimDecision(record_id=item.record_id, quantity=item.quantity, reason=item.reason)
              for item in payload.claims]
    decided = services.objection_decide(objection=objection, decision=payload.decision, reason=payload.reason,
                                        actor=request.user, now=timezone.now(), claims=claims)
    [decided] = selectors.claims_with_provider_answer([decided])
    return _objection_out(decided)
