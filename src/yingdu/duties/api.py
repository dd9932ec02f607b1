from datetime import datetime

from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.security import django_auth

from yingdu.accounts.models import STAFF_ROLES
from yingdu.accounts.selectors import user_roles
from yingdu.api_errors import errors
from yingdu.api_types import NO_NUL, Id
from yingdu.errors import Forbidden, NotFound

from . import selectors, services
from .cases import case_get

router = Router(tags=["职责分离"])

MSG_STAFF_ONLY = "只有完成双因素认证的工作人员可以使用"


class ProposalOut(Schema):
    id: int
    step: str
    case_kind: str
    case_id: int
    params: dict
    reason: str
    proposed_by: int
    proposed_at: datetime
    status: str

    @staticmethod
    def resolve_proposed_by(obj) -> int:
        return obj.proposed_by_id


class NoteIn(Schema):
    note: str = Field("", max_length=2000, pattern=NO_NUL)


class RecusalIn(Schema):
    case_kind: str = Field(max_length=32, pattern=NO_NUL)
    case_id: Id
    reason: str = Field(max_length=2000, pattern=NO_NUL)


class RecusalOut(Schema):
    id: int
    case_kind: str
    case_id: int
    declared_at: datetime


def _require_staff(request) -> None:
    if not (user_roles(request.user) & STAFF_ROLES):
        raise Forbidden(MSG_STAFF_ONLY, code="staff_only")


def _open_proposal(request, proposal_id: int):
    _require_staff(request)
    proposal = selectors.proposals_open_for(request.user).filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound("找不到该提议，或您不能处理它", code="proposal_not_found")
    return proposal


@router.get("/proposals", response=list[ProposalOut], auth=django_auth, summary="等待第二人确认的提议（按您的角色）")
@errors(staff_only=403)
def proposal_list(request):
    _require_staff(request)
    return list(selectors.proposals_open_for(request.user)[:200])


@router.post("/proposals/{int:proposal_id}/confirm", response={200: ProposalOut}, auth=django_auth,
             summary="确认提议并执行（须为提议人以外、可办理该事项的工作人员）")
@errors(staff_only=403, proposal_not_found=404)
def proposal_confirm(request, proposal_id: Id, payload: NoteIn):
    proposal = _open_proposal(request, proposal_id)
    services.proposal_confirm(proposal=proposal, actor=request.user, now=timezone.now(), note=payload.note)
    proposal.refresh_from_db()
    return proposal


@router.post("/proposals/{int:proposal_id}/refuse", response={200: ProposalOut}, auth=django_auth,
             summary="驳回提议（提议人调用即撤回）")
@errors(staff_only=403, proposal_not_found=404)
def proposal_refuse(request, proposal_id: Id, payload: NoteIn):
    proposal = _open_proposal(request, proposal_id)
    return services.proposal_refuse(proposal=proposal, actor=request.user, note=payload.note, now=timezone.now())


@router.post("/recusals", response={201: RecusalOut}, auth=django_auth, summary="声明回避")
@errors(staff_only=403, case_not_found=404)
def recusal_declare(request, payload: RecusalIn):
    _require_staff(request)
    case = case_get(payload.case_kind, payload.case_id)
    return 201, services.recusal_declare(actor=request.user, case=case, reason=payload.reason, now=timezone.now())
