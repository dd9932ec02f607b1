from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.security import django_auth

from yingdu.accounts.models import STAFF_ROLES
from yingdu.accounts.selectors import user_roles
from yingdu.api_errors import errors
from yingdu.api_types import Id, Text, Token, TokenList
from yingdu.errors import Forbidden
from yingdu.works.selectors import work_get_for

from . import documents, selectors, services
from .eligibility import precheck

router = Router(tags=["补贴申请"])


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

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_policy_version(obj) -> str | None:
        return obj.policy_version.version_id if obj.policy_version_id else None


class CreateIn(Schema):
    work_id: Id
    overseas_claimed: bool = False


class TransitionIn(Schema):
    reason: Text = ""
    items: TokenList = []


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


class QueueRowOut(Schema):
    application: ApplicationOut
    sla: SlaOut | None


@router.get("", response=list[ApplicationOut], auth=django_auth, summary="可见的申请列表")
def application_list(request, status: Token | None = None):
    queryset = selectors.applications_visible_to(request.user)
    if status:
        queryset = queryset.filter(status=status)
    return list(queryset[:500])


@router.post("", response={201: ApplicationOut}, auth=django_auth, summary="为作品创建申请草稿")
@errors(work_not_found=404, application_exists=409)
def application_create(request, payload: CreateIn):
    work = work_get_for(request.user, payload.work_id)
    return 201, services.application_create(work=work, actor=request.user, now=timezone.now(),
                                            overseas_claimed=payload.overseas_claimed)


@router.get("/queue", response=list[QueueRowOut], auth=django_auth, summary="审核队列（按剩余工作日排序）")
def application_queue(request):
    if not (user_roles(request.user) & STAFF_ROLES):
        raise Forbidden("只有工作人员可以查看审核队列", code="forbidden")
    return [{"application": row.application, "sla": _sla_out(row.sla)}
            for row in selectors.application_queue(request.user, today=timezone.localdate())]


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
    response["Content-Disposition"] = f'inline; filename="application-{application.pk}-{kind}.pdf"'
    return response


@router.post("/{int:application_id}/{action}", response=ApplicationOut, auth=django_auth,
             summary="流程操作：submit / accept / start_review / request_supplement / resubmit / approve / reject / "
                     "withdraw")
@errors(role_not_allowed=403, application_not_found=404, unknown_action=404, transition_not_allowed=409)
def application_transition(request, application_id: Id, action: Token, payload: TransitionIn):
    application = selectors.application_get_for(request.user, application_id)
    return services.application_transition_by_action(application=application, action=action, actor=request.user,
                                                     now=timezone.now(), reason=payload.reason, items=payload.items)
