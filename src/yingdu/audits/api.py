"""/api/v1/audits/: published draws (public, the input of `yingdu-verify draw`) and spot-check cases."""

from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import django_auth

from yingdu.accounts.selectors import user_roles
from yingdu.api_errors import errors
from yingdu.api_types import Id, Limit, Line, Text, Token
from yingdu.errors import DomainError, Forbidden
from yingdu.lists import api_filter_data, api_filtered_page, api_list_description

from . import selectors, services
from .filters import CaseFilter
from .workflow import AUDIT_STAFF_ROLES

router = Router(tags=["监督检查"])

MSG_CASES_ROLE = "只有审计员、系统管理员和被检查企业可以查看抽查案件"


class DrawSummaryOut(Schema):
    quarter: str
    drawn_at: datetime
    checkpoint_tree_size: int
    seed: str
    ranking_seed: str
    ungrindable: bool
    candidate_count: int
    sample_size: int
    log_index: int | None


class CheckItemOut(Schema):
    code: str
    label: str
    result: str
    note: str
    checked_at: datetime | None


class EvidenceOut(Schema):
    id: int
    check_code: str
    sha256: str
    filename: str
    by_enterprise: bool
    uploaded_at: datetime


class ResponseOut(Schema):
    id: int
    text: str
    filed_at: datetime


class FindingOut(Schema):
    id: int
    case_id: int
    outcome: str
    status: str
    summary: str
    corrective_action: str
    recorded_by: int
    recorded_at: datetime
    reviewed_by: int | None
    reviewed_at: datetime | None
    review_reason: str
    revoked_vouchers: list[str]


class CaseOut(Schema):
    id: int
    quarter: str
    work_id: int
    work_title: str
    enterprise_id: int
    rank: int
    status: str
    opened_on: date
    due_on: date
    response_deadline_on: date
    response_deadline_provisional: bool
    due_on_provisional: bool


class CaseDetailOut(CaseOut):
    check_items: list[CheckItemOut]
    evidence: list[EvidenceOut]
    responses: list[ResponseOut]
    findings: list[FindingOut]


class FindingIn(Schema):
    outcome: Token
    summary: Text
    corrective_action: Text = ""


class ReviewIn(Schema):
    decision: Token
    reason: Text


class ResponseIn(Schema):
    text: Text


def _case_out(case) -> dict:
    return {"id": case.pk, "quarter": case.draw.quarter, "work_id": case.work_id, "work_title": case.work.title,
            "enterprise_id": case.enterprise_id, "rank": case.rank, "status": case.status,
            "opened_on": case.opened_on, "due_on": case.due_on, "response_deadline_on": case.response_deadline_on,
            "response_deadline_provisional": case.response_deadline_provisional,
            "due_on_provisional": case.due_on_provisional}


def _finding_out(finding) -> dict:
    return {"id": finding.pk, "case_id": finding.case_id, "outcome": finding.outcome, "status": finding.status,
            "summary": finding.summary, "corrective_action": finding.corrective_action,
            "recorded_by": finding.recorded_by_id, "recorded_at": finding.recorded_at,
            "reviewed_by": finding.reviewed_by_id, "reviewed_at": finding.reviewed_at,
            "review_reason": finding.review_reason, "revoked_vouchers": list(finding.revoked_vouchers)}


def _case_detail(case) -> dict:
    return {
        **_case_out(case),
        "check_items": [{"code": i.code, "label": i.label, "result": i.result, "note": i.note,
                         "checked_at": i.checked_at} for i in case.check_items.all()],
        "evidence": [{"id": e.pk, "check_code": e.check_code, "sha256": e.sha256, "filename": e.filename,
                      "by_enterprise": e.by_enterprise, "uploaded_at": e.uploaded_at} for e in case.evidence.all()],
        "responses": [{"id": r.pk, "text": r.text, "filed_at": r.filed_at} for r in case.responses.all()],
        "findings": [_finding_out(f) for f in case.findings.all()],
    }


@router.get("/draws", response=list[DrawSummaryOut], summary="已公布的季度抽查抽签（公开）")
def draw_list(request):
    return [{"quarter": d.quarter, "drawn_at": d.drawn_at, "checkpoint_tree_size": d.checkpoint_tree_size,
             "seed": d.seed_hex, "ranking_seed": d.ranking_seed_hex, "ungrindable": d.ungrindable,
             "candidate_count": len(d.candidate_ids), "sample_size": len(d.chosen_ids),
             "log_index": d.log_index} for d in selectors.draws_published()]


@router.get("/draws/{quarter}", summary="一个季度的抽签（公开 JSON；yingdu-verify draw FILE --key KEY 可独立重算）")
@errors(draw_not_found=404)
def draw_detail(request, quarter: Token):
    return selectors.draw_document(selectors.draw_get(quarter))


@router.get("/cases", response=list[CaseOut], auth=django_auth,
            summary="抽查案件列表（审计员、系统管理员看全部；企业看本企业的）",
            description=api_list_description("/audits/"))
@errors(role_not_allowed=403, cursor_invalid=400, filter_invalid=400)
def case_list(request, response: HttpResponse, status: Token | None = None, quarter: Token | None = None,
              enterprise: Line | None = None, due_from: date | None = None, due_to: date | None = None,
              after: Token | None = None, limit: Limit = 100):
    if not selectors.user_may_see_cases(request.user):
        raise Forbidden(MSG_CASES_ROLE, code="role_not_allowed")
    filterset = CaseFilter(api_filter_data(status=status, quarter=quarter, enterprise=enterprise, due_from=due_from,
                                           due_to=due_to),
                           queryset=selectors.cases_visible_to(request.user),
                           staff=bool(user_roles(request.user) & AUDIT_STAFF_ROLES))
    return [_case_out(case) for case in api_filtered_page(request, response, filterset, after=after, limit=limit)]


@router.get("/cases/{int:case_id}", response=CaseDetailOut, auth=django_auth, summary="抽查案件详情")
@errors(case_not_found=404)
def case_detail(request, case_id: Id):
    return _case_detail(selectors.case_get_for(request.user, case_id))


@router.post("/cases/{int:case_id}/findings", response={201: FindingOut}, auth=django_auth,
             summary="记录检查结论：compliant / issues（须写整改要求）/ fraud（待第二人复核）（审计员、系统管理员）")
@errors(role_not_allowed=403, case_not_found=404)
def finding_record(request, case_id: Id, payload: FindingIn):
    case = selectors.case_get_for(request.user, case_id)
    finding = services.case_finding_record(case=case, outcome=payload.outcome, summary=payload.summary,
                                           corrective_action=payload.corrective_action, actor=request.user,
                                           now=timezone.now())
    return Status(201, _finding_out(finding))


@router.post("/findings/{int:finding_id}/review", response=FindingOut, auth=django_auth,
             summary="复核欺诈认定：confirm（撤销全部算力券并取消资格）或 decline（须非记录人）")
@errors(four_eyes=403, case_not_found=404)
def finding_review(request, finding_id: Id, payload: ReviewIn):
    finding = selectors.finding_get_for(request.user, finding_id)
    review = {"confirm": services.case_fraud_confirm, "decline": services.case_fraud_decline}.get(payload.decision)
    if review is None:
        raise DomainError("decision 只能是 confirm 或 decline", code="invalid_request", field="decision")
    return _finding_out(review(finding=finding, reason=payload.reason, actor=request.user, now=timezone.now()))


@router.post("/cases/{int:case_id}/responses", response={201: ResponseOut}, auth=django_auth,
             summary="企业提交书面说明和证明材料（multipart：text、evidence 文件；政策异议期内）")
@errors(case_not_found=404)
def response_file(request, case_id: Id, payload: Form[ResponseIn], evidence: File[list[UploadedFile]] = None):
    case = selectors.case_get_for(request.user, case_id)
    response = services.case_response_file(case=case, text=payload.text, evidence=evidence or [],
                                           actor=request.user, now=timezone.now())
    return Status(201, {"id": response.pk, "text": response.text, "filed_at": response.filed_at})
