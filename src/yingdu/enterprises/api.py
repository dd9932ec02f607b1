from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.security import django_auth

from yingdu.api_errors import errors
from yingdu.api_types import Id, Limit, Line, Text, Token
from yingdu.errors import DomainError
from yingdu.files import stored_file_response
from yingdu.lists import api_filter_data, api_filtered_page, api_list_description

from . import selectors, services
from .filters import EnterpriseFilter

router = Router(tags=["企业"])


class EnterpriseOut(Schema):
    id: int
    name: str
    uscc: str
    registered_address: str
    legal_representative: str
    contact_name: str
    contact_phone: str
    state: str
    state_label: str
    registered_at: datetime
    licence_sha256: str
    licence_content_type: str
    licence_size: int

    @staticmethod
    def resolve_state_label(obj) -> str:
        return obj.get_state_display()


class StateChangeOut(Schema):
    action: str
    from_state: str
    to_state: str
    actor: str
    at: datetime
    effective_on: date
    reason: str

    @staticmethod
    def resolve_actor(obj) -> str:
        return str(obj.actor)


class RegisterIn(Schema):
    name: Line
    uscc: Token
    registered_address: Line
    legal_representative: Line
    contact_name: Line
    contact_phone: Line


class TransitionIn(Schema):
    reason: Text = ""
    effective_on: date | None = None
    huairou_confirmed: bool = False


class UsccCheckOut(Schema):
    valid: bool
    normalized: str | None = None
    code: str | None = None
    message: str | None = None


@router.get("", response=list[EnterpriseOut], auth=django_auth, summary="可见的企业列表",
            description=api_list_description("/enterprises/"))
@errors(cursor_invalid=400, filter_invalid=400)
def enterprise_list(request, response: HttpResponse, q: Line | None = None, state: Token | None = None,
                    after: Token | None = None, limit: Limit = 100):
    filterset = EnterpriseFilter(api_filter_data(q=q, state=state),
                                 queryset=selectors.enterprises_visible_to(request.user))
    return api_filtered_page(request, response, filterset, after=after, limit=limit)


@router.post("", response={201: EnterpriseOut}, auth=django_auth, summary="登记企业（当前账户成为企业成员）")
@errors(field_required=400, uscc_length=400, staff_cannot_join=409)
def enterprise_register(request, payload: Form[RegisterIn], licence: File[UploadedFile]):
    enterprise = services.enterprise_register(
        user=request.user, details=services.EnterpriseDetails(**payload.dict()), licence=licence, now=timezone.now()
    )
    return 201, enterprise


@router.get("/uscc/{code}", response=UsccCheckOut, summary="校验统一社会信用代码（公开）")
def uscc_validate(request, code: Token):
    try:
        return UsccCheckOut(valid=True, normalized=services.uscc_check(code))
    except DomainError as error:
        return UsccCheckOut(valid=False, code=error.code, message=str(error.message))


@router.get("/{int:enterprise_id}", response=EnterpriseOut, auth=django_auth, summary="企业详情")
@errors(enterprise_not_found=404)
def enterprise_detail(request, enterprise_id: Id):
    return selectors.enterprise_get_for(request.user, enterprise_id)


@router.get("/{int:enterprise_id}/history", response=list[StateChangeOut], auth=django_auth, summary="状态变更记录")
@errors(enterprise_not_found=404)
def enterprise_history(request, enterprise_id: Id):
    return list(selectors.enterprise_history(selectors.enterprise_get_for(request.user, enterprise_id)))


@router.get("/{int:enterprise_id}/licence", auth=django_auth, summary="下载营业执照")
@errors(enterprise_not_found=404)
def enterprise_licence(request, enterprise_id: Id):
    enterprise = selectors.enterprise_get_for(request.user, enterprise_id)
    return stored_file_response(category="licences", sha256=enterprise.licence_sha256,
                                content_type=enterprise.licence_content_type, filename=enterprise.licence_filename)


@router.post("/{int:enterprise_id}/{action}", response=EnterpriseOut, auth=django_auth,
             summary="状态操作：verify / reject / resubmit / disqualify / reinstate")
@errors(second_person_required=202, huairou_not_confirmed=400, enterprise_not_found=404, unknown_action=404,
        transition_not_allowed=409)
def enterprise_transition(request, enterprise_id: Id, action: Token, payload: TransitionIn):
    enterprise = selectors.enterprise_get_for(request.user, enterprise_id)
    return services.enterprise_transition_by_action(
        enterprise=enterprise, action=action, actor=request.user, reason=payload.reason, now=timezone.now(),
        effective_on=payload.effective_on, huairou_confirmed=payload.huairou_confirmed,
    )
