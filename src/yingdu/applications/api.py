from datetime import date, datetime
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.security import django_auth
from pydantic import Field

from yingdu.accounts.models import STAFF_ROLES
from yingdu.accounts.selectors import user_roles, user_staff_roles
from yingdu.api_errors import errors
from yingdu.api_types import DB_INT_MAX, NO_NUL, TOKEN_MAX_LENGTH, Id, Limit, Line, Text, Token, TokenList
from yingdu.errors import Forbidden
from yingdu.files import stored_file_response
from yingdu.lists import api_filter_data, api_filtered_page, api_list_description
from yingdu.works.selectors import work_get_for

from . import documents, invoices, selectors, services
from .eligibility import precheck
from .filters import ApplicationFilter
from .models import OPEN_STATUSES

router = Router(tags=["补贴申请"])


class BaseOut(Schema):
    """The two figures behind the base and which one bound it (metered | invoiced)."""

    metered_cost_fen: int
    invoiced_fen: int | None
    base_fen: int
    bound: str
    difference_fen: int | None


class ApplicationOut(Schema):
    id: int
    enterprise_id: int
    work_id: int
    kind: str
    overseas_claimed: bool
    topup_of_id: int | None
    status: str
    status_label: str
    created_at: datetime
    submitted_on: date | None
    limit_year: int | None
    counts_toward_limit: bool
    policy_version: str | None
    accepted_on: date | None
    verified_cost_fen: int | None
    review_amount_fen: int | None
    review_explanation: str
    approved_amount_fen: int | None
    approved_explanation: str
    decision_reason: str
    review_base: BaseOut | None
    approved_base: BaseOut | None

    @staticmethod
    def resolve_review_base(obj):
        return selectors.base_figures(obj.review_detail)

    @staticmethod
    def resolve_approved_base(obj):
        return selectors.base_figures(obj.approved_detail)

    @staticmethod
    def resolve_status_label(obj) -> str:
        return selectors.application_status_label(obj.status)

    @staticmethod
    def resolve_policy_version(obj) -> str | None:
        return obj.policy_version.version_id if obj.policy_version_id else None


class CreateIn(Schema):
    work_id: Id
    overseas_claimed: bool = False


class TransitionIn(Schema):
    reason: Text = ""
    items: TokenList = []
    # structured items of a supplement request: material:<checklist code> | release
    needs: TokenList = []


class ConditionOut(Schema):
    code: str
    label: str
    passed: bool
    reason: str


class MaterialOut(Schema):
    code: str
    label: str
    required: bool
    satisfied: bool
    source: str


class PrecheckOut(Schema):
    passed: bool
    conditions: list[ConditionOut]
    materials: list[MaterialOut]


class SlaOut(Schema):
    accepted_on: date
    sla_working_days: int
    paused_working_days: int | None
    paused_now: bool
    deadline_on: date | None
    working_days_left: int | None
    badge: str
    missing_year: int | None
    provisional: bool
    deadline_not_before: date | None


class StepOut(Schema):
    label: str
    on: date | None
    done: bool
    note: str


class TimelineOut(Schema):
    sla: SlaOut | None
    steps: list[StepOut]


class InvoiceOut(Schema):
    id: int
    application_id: int
    invoice_code: str
    invoice_number: str
    issued_on: date
    seller_uscc: str
    seller_name: str
    amount_fen: int
    tax_fen: int
    content_type: str
    size: int
    filename: str
    declared_at: datetime
    withdrawn: bool
    withdrawn_at: datetime | None
    withdrawal_reason: str

    @staticmethod
    def resolve_seller_name(obj) -> str:
        return obj.seller.name

    @staticmethod
    def resolve_withdrawn(obj) -> bool:
        return hasattr(obj, "withdrawal")

    @staticmethod
    def resolve_withdrawn_at(obj):
        return obj.withdrawal.withdrawn_at if hasattr(obj, "withdrawal") else None

    @staticmethod
    def resolve_withdrawal_reason(obj) -> str:
        return obj.withdrawal.reason if hasattr(obj, "withdrawal") else ""


class InvoiceWithdrawIn(Schema):
    reason: Text = ""


class QueueRowOut(Schema):
    application: ApplicationOut
    sla: SlaOut | None


@router.get("", response=list[ApplicationOut], auth=django_auth, summary="可见的申请列表",
            description=api_list_description("/applications/"))
@errors(cursor_invalid=400, filter_invalid=400)
def application_list(request, response: HttpResponse, status: Token | None = None, enterprise: Line | None = None,
                     work: Line | None = None, submitted_from: date | None = None, submitted_to: date | None = None,
                     after: Token | None = None, limit: Limit = 100):
    data = api_filter_data(status=status, enterprise=enterprise, work=work, submitted_from=submitted_from,
                           submitted_to=submitted_to)
    filterset = ApplicationFilter(data, queryset=selectors.applications_visible_to(request.user),
                                  staff=bool(user_staff_roles(request.user)))
    return api_filtered_page(request, response, filterset, after=after, limit=limit)


@router.post("", response={201: ApplicationOut}, auth=django_auth, summary="为作品创建申请草稿")
@errors(work_not_found=404, application_exists=409)
def application_create(request, payload: CreateIn):
    work = work_get_for(request.user, payload.work_id)
    return 201, services.application_create(work=work, actor=request.user, now=timezone.now(),
                                            overseas_claimed=payload.overseas_claimed)


QUEUE_LIMIT_DEFAULT, QUEUE_LIMIT_MAX, QUEUE_OFFSET_MAX = 50, 200, 10_000_000
# a declared amount in fen: signed within the database's range, so that the service answers a zero or negative
# amount with its own code (invoice_amount_not_positive, invoice_tax_negative)
Fen = Annotated[int, Field(ge=-DB_INT_MAX, le=DB_INT_MAX)]
QueueStatus = Literal[("",) + tuple(status.value for status in OPEN_STATUSES)]
QueueBadge = Literal[("",) + selectors.QUEUE_BADGES]


@router.get("/queue", response=list[QueueRowOut], auth=django_auth,
            summary="审核队列（按剩余工作日排序，分页：limit 至多 200，offset）；可按 status、badge"
                    "（intake|overdue|at_risk|paused|on_track|unknown）与 q（企业名称、信用代码、作品名称、申请编号）筛选")
def application_queue(request, limit: int = Query(QUEUE_LIMIT_DEFAULT, ge=1, le=QUEUE_LIMIT_MAX),
                      offset: int = Query(0, ge=0, le=QUEUE_OFFSET_MAX),
                      status: QueueStatus = "", badge: QueueBadge = "",
                      q: str = Query("", max_length=selectors.QUEUE_SEARCH_MAX_LENGTH, pattern=NO_NUL)):
    if not (user_roles(request.user) & STAFF_ROLES):
        raise Forbidden("只有工作人员可以查看审核队列", code="forbidden")
    return [{"application": row.application, "sla": _sla_out(row.sla)}
            for row in selectors.application_queue(request.user, today=timezone.localdate(), status=status,
                                                   badge=badge, search=q, offset=offset, limit=limit,
                                                   whole_rows=True)]


def _sla_out(sla):
    if sla is None:
        return None
    return {"accepted_on": sla.accepted_on, "sla_working_days": sla.sla_working_days,
            "paused_working_days": sla.paused_working_days, "paused_now": sla.paused_now,
            "deadline_on": sla.deadline_on, "working_days_left": sla.working_days_left, "badge": sla.badge,
            "missing_year": sla.missing_year, "provisional": sla.provisional,
            "deadline_not_before": sla.deadline_not_before}


@router.get("/{int:application_id}", response=ApplicationOut, auth=django_auth, summary="申请详情")
@errors(application_not_found=404)
def application_detail(request, application_id: Id):
    return selectors.application_get_for(request.user, application_id)


@router.get("/{int:application_id}/precheck", response=PrecheckOut, auth=django_auth,
            summary="条件自检：每项条件是否满足及原因")
@errors(application_not_found=404)
def application_precheck(request, application_id: Id):
    application = selectors.application_get_for(request.user, application_id)
    result = precheck(application, today=timezone.localdate())
    return {"passed": result.passed, "conditions": result.conditions, "materials": result.materials}


@router.get("/{int:application_id}/timeline", response=TimelineOut, auth=django_auth,
            summary="进度与审核时限（工作日）")
@errors(application_not_found=404)
def application_timeline(request, application_id: Id):
    application = selectors.application_get_for(request.user, application_id)
    sla = selectors.application_sla(application, today=timezone.localdate())
    return {"sla": _sla_out(sla), "steps": selectors.application_timeline(application, sla=sla)}


@router.post("/{int:application_id}/materials", response={201: MaterialOut}, auth=django_auth,
             summary="上传申报材料（草稿或待补充材料时）")
@errors(material_unknown=400, application_not_found=404)
def material_upload(request, application_id: Id, code: Form[Token], upload: File[UploadedFile]):
    application = selectors.application_get_for(request.user, application_id)
    material = services.application_material_upload(application=application, code=code, upload=upload,
                                                    actor=request.user, now=timezone.now())
    return 201, {"code": material.code, "label": material.label, "required": True, "satisfied": True,
                 "source": "由申请人上传"}


@router.post("/{int:application_id}/topup", response={201: ApplicationOut}, auth=django_auth,
             summary="已批准作品出海后申请出海追加")
@errors(application_not_found=404, topup_not_possible=409)
def application_topup(request, application_id: Id):
    base = selectors.application_get_for(request.user, application_id)
    return 201, services.application_topup_create(base=base, actor=request.user, now=timezone.now())


@router.get("/{int:application_id}/notices/{kind}", auth=django_auth,
            summary="通知书 PDF：acceptance（受理）/ supplement（补充材料）/ decision（决定）")
@errors(application_not_found=404, notice_not_found=404)
def application_notice(request, application_id: Id, kind: Token):
    application = selectors.application_get_for(request.user, application_id)
    sla = selectors.application_sla(application, today=timezone.localdate())
    response = HttpResponse(documents.notice_pdf(application, kind, sla=sla), content_type="application/pdf")
    response["Content-Disposition"] = documents.notice_disposition(application, kind)
    return response


@router.get("/{int:application_id}/invoices", response=list[InvoiceOut], auth=django_auth,
            summary="申报的发票（含已撤回的）")
@errors(application_not_found=404)
def invoice_list(request, application_id: Id):
    return list(selectors.application_invoices(selectors.application_get_for(request.user, application_id)))


@router.post("/{int:application_id}/invoices", response={201: InvoiceOut}, auth=django_auth,
             summary="申报算力发票（企业成员；草稿或待补充材料时；multipart：invoice_code 全电发票留空、invoice_number、"
                     "issued_on、seller_uscc、amount_fen 不含税、tax_fen、upload PDF 或 OFD）")
@errors(application_not_found=404, not_enterprise_member=403, invoice_closed=409, invoice_duplicate=409,
        invoice_code_format=400, invoice_number_format=400, invoice_date_future=400, invoice_seller_uscc=400,
        invoice_seller_not_provider=400, invoice_amount_not_positive=400, invoice_tax_negative=400)
def invoice_declare(request, application_id: Id, invoice_number: Form[Token], issued_on: Form[date],
                    seller_uscc: Form[Token], amount_fen: Form[Fen], tax_fen: Form[Fen], upload: File[UploadedFile],
                    invoice_code: str = Form("", max_length=TOKEN_MAX_LENGTH, pattern=NO_NUL)):
    application = selectors.application_get_for(request.user, application_id)
    invoice = invoices.application_invoice_declare(
        application=application, invoice_code=invoice_code, invoice_number=invoice_number, issued_on=issued_on,
        seller_uscc=seller_uscc, amount_fen=amount_fen, tax_fen=tax_fen, upload=upload, actor=request.user,
        now=timezone.now())
    return 201, selectors.application_invoices(application).get(pk=invoice.pk)


@router.post("/{int:application_id}/invoices/{int:invoice_id}/withdraw", response=InvoiceOut, auth=django_auth,
             summary="撤回误报的发票（企业成员；需填写理由）")
@errors(application_not_found=404, invoice_not_found=404, not_enterprise_member=403, invoice_closed=409,
        invoice_already_withdrawn=409, reason_required=400)
def invoice_withdraw(request, application_id: Id, invoice_id: Id, payload: InvoiceWithdrawIn):
    invoice = selectors.application_invoice_get_for(request.user, application_id, invoice_id)
    invoices.application_invoice_withdraw(invoice=invoice, reason=payload.reason, actor=request.user,
                                          now=timezone.now())
    return selectors.application_invoice_get_for(request.user, application_id, invoice_id)


@router.get("/{int:application_id}/invoices/{int:invoice_id}/file", auth=django_auth,
            summary="发票文件（本企业成员和工作人员）")
@errors(application_not_found=404, invoice_not_found=404)
def invoice_file(request, application_id: Id, invoice_id: Id):
    invoice = selectors.application_invoice_get_for(request.user, application_id, invoice_id)
    return stored_file_response(category="application_invoices", sha256=invoice.sha256,
                                content_type=invoice.content_type, filename=f"invoice-{invoice.pk}")


@router.post("/{int:application_id}/{action}", response=ApplicationOut, auth=django_auth,
             summary="流程操作：submit / accept / start_review / request_supplement / resubmit / approve / reject / "
                     "withdraw")
@errors(role_not_allowed=403, application_not_found=404, unknown_action=404, transition_not_allowed=409,
        notice_incomplete=409, objection_pending=409, supplement_need_unknown=400, supplement_item_unanswered=409)
def application_transition(request, application_id: Id, action: Token, payload: TransitionIn):
    application = selectors.application_get_for(request.user, application_id)
    return services.application_transition_by_action(application=application, action=action, actor=request.user,
                                                     now=timezone.now(), reason=payload.reason, items=payload.items,
                                                     needs=payload.needs)
