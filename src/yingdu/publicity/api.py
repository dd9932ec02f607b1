"""Public API: programme statistics at a checkpoint, awards in 公示 and objections to them (no login)."""

import base64
from datetime import date, datetime

from axes.helpers import get_client_ip_address
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.security import django_auth
from pydantic import Field

from yingdu.api_errors import errors
from yingdu.api_types import Id, Index, Line, Text, Token

from . import selectors
from .services import (
    CONTACT_MAX_LENGTH,
    CONTENT_MAX_LENGTH,
    CONTENT_MIN_LENGTH,
    publicity_objection_decide,
    publicity_objection_submit,
    statistics_snapshot_current,
)

statistics_router = Router(tags=["公开统计"])
publicity_router = Router(tags=["获批公示"])


class CheckpointRefOut(Schema):
    tree_size: int
    root_hash: str = Field(description="base64, as in the signed checkpoint")
    url: str = Field(description="the latest checkpoint; it is consistent with this one (yingdu-verify log)")


class TotalsOut(Schema):
    works_supported: int
    awards: int
    approved_fen: int
    redemptions: int
    redeemed_fen: int


class MonthOut(Schema):
    month: str = Field(description="YYYY-MM, Beijing time")
    works_supported: int
    approved_fen: int
    redeemed_fen: int


class FormOut(Schema):
    form: str
    works_supported: int
    approved_fen: int


class OverseasOut(Schema):
    overseas: bool
    works_supported: int
    approved_fen: int


class StatisticsOut(Schema):
    checkpoint: CheckpointRefOut
    computed_at: datetime
    totals: TotalsOut
    by_month: list[MonthOut]
    by_form: list[FormOut]
    by_overseas: list[OverseasOut]


def _statistics_out(snapshot) -> dict:
    return {
        "checkpoint": {"tree_size": snapshot.tree_size,
                       "root_hash": base64.b64encode(bytes(snapshot.root_hash)).decode("ascii"),
                       "url": "/api/v1/log/checkpoint"},
        "computed_at": snapshot.computed_at, **snapshot.figures,
    }


@statistics_router.get("", response=StatisticsOut,
                       summary="项目统计：支持作品数、批准与核销金额（分），按月、作品形式、出海；附计算时的检查点")
@errors()
def statistics(request):
    return _statistics_out(statistics_snapshot_current(now=timezone.now()))


@statistics_router.get("/at/{tree_size}", response=StatisticsOut, summary="在某个检查点（日志大小）计算的项目统计")
@errors(statistics_not_found=404)
def statistics_at(request, tree_size: Index):
    return _statistics_out(selectors.statistics_snapshot_get(tree_size))


class AwardOut(Schema):
    application_id: int
    enterprise_name: str
    work_title: str
    amount_fen: int
    overseas: bool
    approved_on: date
    publicity_ends_on: date | None
    policy_version: str


class PublicityOut(Schema):
    publicity_working_days: int
    awards: list[AwardOut]


@publicity_router.get("/awards", response=PublicityOut, summary="公示中的获批项目（企业名称、作品名称、金额）")
@errors(publicity_off=404)
def awards(request):
    today = timezone.localdate()
    days = selectors.publicity_require_on(today=today)
    return {"publicity_working_days": days, "awards": selectors.publicity_awards(today=today)}


class ObjectionIn(Schema):
    # the boundary's bounds; the service checks the exact lengths and answers with its own codes
    contact: Line = Field(description=f"电话或电子邮箱（不公开，至多 {CONTACT_MAX_LENGTH} 字）")
    content: Text = Field(description=f"异议内容（不公开，{CONTENT_MIN_LENGTH} 至 {CONTENT_MAX_LENGTH} 字）")


class ObjectionOut(Schema):
    id: int
    application_id: int
    submitted_at: datetime


@publicity_router.post("/awards/{application_id}/objections", response={201: ObjectionOut},
                       summary="对公示中的获批项目提出异议（无需登录；联系方式和内容只有工作人员可见）")
@errors(publicity_off=404, award_not_in_publicity=404, objection_contact_invalid=400, objection_content_invalid=400,
        objection_throttled=429)
def objection_submit(request, application_id: Id, body: ObjectionIn):
    objection = publicity_objection_submit(
        application_id=application_id, contact=body.contact, content=body.content,
        client=get_client_ip_address(request) or "", today=timezone.localdate(), now=timezone.now())
    return Status(201, {"id": objection.pk, "application_id": objection.application_id,
                        "submitted_at": objection.submitted_at})


class OutcomeOut(Schema):
    objection_id: int
    enterprise_name: str
    work_title: str
    submitted_on: date
    decision: str = Field(description="''（待处理）| upheld（异议成立，撤回拟支持并退回审核）| dismissed（异议不成立）")
    decided_on: date | None


@publicity_router.get("/objections", response=list[OutcomeOut],
                      summary="近期收到的公示异议及处理结果（不含异议人的任何信息）")
@errors(publicity_off=404)
def objection_outcomes(request):
    today = timezone.localdate()
    selectors.publicity_require_on(today=today)
    return selectors.publicity_objection_outcomes(today=today)


class DecisionIn(Schema):
    decision: Token = Field(description="upheld（异议成立）| dismissed（异议不成立）")
    reason: Text = Field(description="处理理由（必填）")


class DecisionOut(Schema):
    id: int
    application_id: int
    decision: str
    decided_at: datetime
    application_status: str


@publicity_router.post("/objections/{objection_id}/decision", response=DecisionOut, auth=django_auth,
                       summary="处理公示异议（审核员；审核或批准过该申请的人不能处理）")
@errors(role_not_allowed=403, publicity_objection_insider=403, conflict_of_interest=403, recused=403,
        publicity_objection_not_found=404, objection_decision_invalid=400, reason_required=400,
        publicity_objection_decided=409, transition_not_allowed=409)
def objection_decide(request, objection_id: Id, body: DecisionIn):
    objection = selectors.publicity_objection_get_for(request.user, objection_id)
    decided = publicity_objection_decide(objection=objection, decision=body.decision, reason=body.reason,
                                         actor=request.user, now=timezone.now())
    decided.application.refresh_from_db(fields=["status"])
    return {"id": decided.pk, "application_id": decided.application_id, "decision": decided.decision,
            "decided_at": decided.decided_at, "application_status": decided.application.status}
