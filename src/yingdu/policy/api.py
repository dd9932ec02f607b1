from datetime import date, datetime
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from yingdu.api_errors import errors
from yingdu.api_types import Count, Line, Text, Token, Year
from yingdu.errors import DomainError
from yingdu.rules.workdays import SpecialDay

from . import selectors, services
from .events import special_days_data
from .terms import version_terms

router = Router(tags=["政策与测算"])
# The longest count of working days the API computes: about ten years, far past any published calendar.
WORKDAYS_MAX = 2500
calendar_router = Router(tags=["工作日历"])
workdays_router = Router(tags=["工作日历"])

MSG_WORKING_DAYS_NEGATIVE = "工作日数不能为负数。"


class ChecklistItemOut(Schema):
    code: str
    label: str


class PolicyVersionOut(Schema):
    version_id: str
    title: str
    change_note: str
    status: str
    effective_from: date | None
    created_at: datetime
    published_at: datetime | None
    regular_rate: str
    regular_cap_fen: int
    overseas_reading: str
    overseas_uplift: str
    overseas_cap_fen: int
    annual_work_limit: int
    annual_budget_fen: int | None
    objection_window_working_days: int
    sla_working_days: int
    eligible_service_categories: list[str]
    spot_check_sample_rate: str
    spot_check_minimum: int
    voucher_validity_days: int | None
    materials_checklist: list[ChecklistItemOut]
    rounding_rule: str
    conflict_lookback_months: int | None
    spot_check_auto_draw_working_days: int | None
    publicity_working_days: int | None
    publicity_excluded_from_sla: bool
    document_number_formats: dict[str, str] | None
    decision_remedies: dict[str, str] | None


def _version_out(version) -> dict:
    return {
        "version_id": version.version_id, "title": version.title, "change_note": version.change_note,
        "status": version.status, "effective_from": version.effective_from, "created_at": version.created_at,
        "published_at": version.published_at, **version_terms(version),
    }


class QuoteIn(Schema):
    cost: Token
    overseas: bool = False
    # negative counts reach the service, which refuses them with its own code (prior_works_invalid)
    prior_works: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] | None = None
    on: date | None = None


class QuoteOut(Schema):
    amount: str
    capped: bool
    policy: str
    explanation: str
    detail: dict


class DraftCreateIn(Schema):
    version_id: Token
    title: Line
    change_note: Text = ""
    copy_in_force: bool = True
    terms: dict = {}


class DraftUpdateIn(Schema):
    title: Line | None = None
    change_note: Text | None = None
    terms: dict = {}


class PublishIn(Schema):
    effective_from: date


class TermChangeOut(Schema):
    field: str
    label: str
    before: str
    after: str


class DiffOut(Schema):
    version_id: str
    base_version_id: str | None
    changes: list[TermChangeOut]


@router.get("/current", response=PolicyVersionOut, summary="现行政策版本（公开；on 指定日期，默认今天）")
@errors(policy_not_in_force=404)
def policy_current(request, on: date | None = None):
    return _version_out(selectors.policy_version_require_in_force(on=on or timezone.localdate()))


@router.post("/quote", response=QuoteOut, summary="测算补贴金额（公开；与 yingdu quote 命令结果相同）")
@errors(money_empty=400, money_negative=400, money_not_a_number=400, money_too_many_decimals=400,
        prior_works_invalid=400, policy_not_in_force=404, annual_limit_reached=409)
def policy_quote(request, payload: QuoteIn):
    result = selectors.policy_quote(cost=payload.cost, overseas=payload.overseas, prior_works=payload.prior_works,
                                    on=payload.on or timezone.localdate())
    return {**selectors.quote_answer(result), "detail": result.explanation_detail}


@router.get("/versions", response=list[PolicyVersionOut], summary="政策版本列表（公开为已发布版本；管理员另见草稿）")
def policy_versions(request):
    return [_version_out(version) for version in selectors.policy_versions_visible_to(request.user)]


@router.get("/versions/{version_id}", response=PolicyVersionOut, summary="一个政策版本")
@errors(policy_version_not_found=404)
def policy_version(request, version_id: Token):
    return _version_out(selectors.policy_version_get_for(request.user, version_id))


@router.get("/versions/{version_id}/diff", response=DiffOut, summary="与现行版本相比的差异")
@errors(policy_version_not_found=404)
def policy_version_diff(request, version_id: Token):
    version = selectors.policy_version_get_for(request.user, version_id)
    base = selectors.policy_version_in_force(on=timezone.localdate())
    return {"version_id": version.version_id, "base_version_id": base.version_id if base else None,
            "changes": selectors.policy_version_diff(version=version, base=base)}


@router.post("/drafts", response={201: PolicyVersionOut}, auth=django_auth, summary="新建草稿（管理员）")
@errors(policy_term_invalid=400, policy_version_id_invalid=400, role_not_allowed=403)
def policy_draft_create(request, payload: DraftCreateIn):
    version = services.policy_version_create_draft(
        version_id=payload.version_id, title=payload.title, change_note=payload.change_note,
        copy_in_force=payload.copy_in_force, terms=payload.terms, actor=request.user, now=timezone.now(),
    )
    return Status(201, _version_out(version))


@router.patch("/versions/{version_id}", response=PolicyVersionOut, auth=django_auth,
              summary="修改草稿（管理员；已发布版本不能修改）")
@errors(policy_version_not_found=404, policy_version_published=409, policy_term_invalid=400, policy_term_unknown=400,
        field_required=400)
def policy_draft_update(request, version_id: Token, payload: DraftUpdateIn):
    version = selectors.policy_version_get_for(request.user, version_id)
    changes = dict(payload.terms)
    if payload.title is not None:
        changes["title"] = payload.title
    if payload.change_note is not None:
        changes["change_note"] = payload.change_note
    return _version_out(services.policy_version_update_draft(version=version, changes=changes, actor=request.user,
                                                             now=timezone.now()))


@router.post("/versions/{version_id}/publish", response=PolicyVersionOut, auth=django_auth,
             summary="发布草稿并指定生效日期（管理员）")
@errors(policy_version_not_found=404, policy_version_published=409)
def policy_version_publish(request, version_id: Token, payload: PublishIn):
    version = selectors.policy_version_get_for(request.user, version_id)
    return _version_out(services.policy_version_publish(version=version, effective_from=payload.effective_from,
                                                        actor=request.user, now=timezone.now()))


class SpecialDayOut(Schema):
    date: str
    kind: str
    name: str
    source: str


class CalendarYearSummaryOut(Schema):
    year: int
    version: int
    source: str
    published_at: datetime


class CalendarYearOut(CalendarYearSummaryOut):
    days_sha256: str
    special_days: list[SpecialDayOut]


def _year_out(year_version, special_days: list[SpecialDay]) -> dict:
    return {"year": year_version.year, "version": year_version.version, "source": year_version.source,
            "published_at": year_version.published_at, "days_sha256": year_version.days_sha256,
            "special_days": special_days_data(special_days)}


class ScheduleIn(Schema):
    content: Text
    format: Literal["csv", "json"] = "csv"


class SchedulePublishIn(ScheduleIn):
    source: Token
    based_on_version: Count | None = None


class ChangedDayOut(Schema):
    before: SpecialDayOut
    after: SpecialDayOut


class SchedulePreviewOut(Schema):
    year: int
    base_version: int
    special_days: list[SpecialDayOut]
    added: list[SpecialDayOut]
    removed: list[SpecialDayOut]
    changed: list[ChangedDayOut]


@calendar_router.get("", response=list[CalendarYearSummaryOut], summary="已发布的年度日程（每年现行版本）")
def calendar_years(request):
    return selectors.calendar_years_in_force()


@calendar_router.get("/{int:year}", response=CalendarYearOut, summary="一年的放假与调休上班日（现行版本）")
@errors(calendar_year_missing=404)
def calendar_year(request, year: Year):
    return _year_out(*selectors.calendar_year_require(year))


@calendar_router.post("/preview", response=SchedulePreviewOut, auth=django_auth,
                      summary="预览导入的年度日程与现行版本的差异（管理员；不写入）")
@errors(schedule_file_invalid=400, role_not_allowed=403)
def calendar_preview(request, payload: ScheduleIn):
    preview = services.calendar_year_import_preview(text=payload.content, fmt=payload.format, actor=request.user)
    return {
        "year": preview.year, "base_version": preview.base_version,
        "special_days": special_days_data(preview.special_days),
        "added": special_days_data(preview.diff.added), "removed": special_days_data(preview.diff.removed),
        "changed": [{"before": special_days_data([before])[0], "after": special_days_data([after])[0]}
                    for before, after in preview.diff.changed],
    }


@calendar_router.post("/publish", response={201: CalendarYearOut}, auth=django_auth,
                      summary="发布年度日程为该年的新版本（管理员）")
@errors(schedule_file_invalid=400, role_not_allowed=403)
def calendar_publish(request, payload: SchedulePublishIn):
    preview = services.calendar_year_import_preview(text=payload.content, fmt=payload.format, actor=request.user)
    year_version = services.calendar_year_publish(
        year=preview.year, special_days=preview.special_days, source=payload.source, actor=request.user,
        now=timezone.now(), based_on_version=payload.based_on_version,
    )
    return Status(201, _year_out(year_version, list(preview.special_days)))


class AddOut(Schema):
    start: date
    working_days: int
    result: date
    provisional: bool = Field(description="true when the answer rests on a year with only a provisional calendar")


class BetweenOut(Schema):
    start: date
    end: date
    working_days: int
    provisional: bool = Field(description="true when the answer rests on a year with only a provisional calendar")


class DayKindOut(Schema):
    day: date
    kind: str
    provisional: bool = Field(description="true when the year has only a provisional calendar")


@workdays_router.get("/add", response=AddOut, summary="START 之后的第 N 个工作日（START 当天不计）")
@errors(calendar_year_missing=400, working_days_negative=400)
def workdays_add(request, start: date, n: Annotated[int, Field(ge=-WORKDAYS_MAX, le=WORKDAYS_MAX)]):
    if n < 0:
        raise DomainError(MSG_WORKING_DAYS_NEGATIVE, code="working_days_negative", field="n")
    calendar = selectors.work_calendar()
    result = calendar.add_working_days(start_on=start, working_days=n)
    return {"start": start, "working_days": n, "result": result, "provisional": calendar.is_provisional(start, result)}


@workdays_router.get("/between", response=BetweenOut, summary="START 之后到 END（含）的工作日数")
@errors(calendar_year_missing=400)
def workdays_between(request, start: date, end: date):
    calendar = selectors.work_calendar()
    return {"start": start, "end": end, "working_days": calendar.working_days_between(start_on=start, end_on=end),
            "provisional": calendar.is_provisional(start, end)}


@workdays_router.get("/is", response=DayKindOut, summary="某日是 workday、holiday 还是 weekend")
@errors(calendar_year_missing=400)
def workdays_is(request, day: date):
    calendar = selectors.work_calendar()
    return {"day": day, "kind": str(calendar.day_kind(day)), "provisional": calendar.is_provisional(day)}
