"""Voucher API: vouchers for enterprises and staff, redemptions for providers (API key) and enterprises."""

from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.security import django_auth

from yingdu.api_errors import errors
from yingdu.api_types import Id, Limit, Line, Text, Token
from yingdu.errors import Forbidden, NotFound
from yingdu.keyset import api_keyset_page
from yingdu.lists import api_filter_data, api_filtered_page, api_list_description, filterset_qs_or_raise
from yingdu.metering.api import PROVIDER_AUTH
from yingdu.rules.money import Money, MoneyParseError

from . import redemptions, selectors, services
from .filters import RedemptionFilter, StatementFilter, VoucherFilter
from .models import Redemption, SettlementStatement

vouchers_router = Router(tags=["算力券"])
redemptions_router = Router(tags=["算力券核销"])
# a larger limit is cut to this page size, as before
REDEMPTIONS_PAGE_MAX = 500


class VoucherOut(Schema):
    number: str
    enterprise: str
    work_id: int
    application_id: int
    amount: str
    amount_fen: int
    balance_fen: int
    pending_fen: int
    available_fen: int
    redeemed_fen: int
    status: str
    issued_on: date
    expires_on: date | None
    policy_version: str
    eligible_service_categories: list[str]


class TransferOut(Schema):
    id: int
    kind: str
    amount_fen: int
    direction: str
    reason: str
    at: datetime


class VoucherDetailOut(VoucherOut):
    history: list[TransferOut]


class RedemptionIn(Schema):
    voucher_number: Token
    code: Token = ""
    order_ref: Line
    category: Token
    amount: Token
    description: Text = ""


class RedemptionOut(Schema):
    id: int
    voucher_number: str
    provider: str
    order_ref: str
    category: str
    amount: str
    amount_fen: int
    description: str
    status: str
    submitted_at: datetime
    decided_at: datetime | None
    statement: str | None


class CodeIn(Schema):
    provider_id: Id | None = None
    max_amount: Token | None = None


class CodeOut(Schema):
    id: int
    voucher_number: str
    provider: str | None
    max_amount_fen: int | None
    status: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    redemption_id: int | None


class CodeCreatedOut(CodeOut):
    code: str


class ReasonIn(Schema):
    reason: Text


class RevokeIn(Schema):
    reason: Text
    source: Token = "finance"


class RevocationOut(Schema):
    number: str
    status: str
    voided_fen: int
    claimed_fen: int


class StatementOut(Schema):
    id: int
    number: str
    provider: str
    period_start_on: date
    period_end_on: date
    total: str
    total_fen: int
    redemption_count: int
    status: str
    payment_reference: str
    paid_at: datetime | None


class StatementDetailOut(StatementOut):
    redemptions: list[RedemptionOut]


class ErrorOut(Schema):
    code: str
    message: str
    detail: dict


def _voucher_out(view: selectors.VoucherView) -> dict:
    voucher = view.voucher
    return {
        "number": voucher.number, "enterprise": voucher.enterprise.name, "work_id": voucher.work_id,
        "application_id": voucher.application_id, "amount": Money(voucher.amount_fen).format_yuan(),
        "amount_fen": voucher.amount_fen, "balance_fen": view.balance_fen, "pending_fen": view.pending_fen,
        "available_fen": view.available_fen, "redeemed_fen": view.redeemed_fen, "status": voucher.status,
        "issued_on": voucher.issued_on, "expires_on": voucher.expires_on, "policy_version": voucher.policy_version,
        "eligible_service_categories": list(voucher.eligible_service_categories),
    }


def _redemption_out(redemption: Redemption) -> dict:
    return {
        "id": redemption.pk, "voucher_number": redemption.voucher.number, "provider": redemption.provider.name,
        "order_ref": redemption.order_ref, "category": redemption.category,
        "amount": Money(redemption.amount_fen).format_yuan(), "amount_fen": redemption.amount_fen,
        "description": redemption.description, "status": redemption.status, "submitted_at": redemption.submitted_at,
        "decided_at": redemption.decided_at,
        "statement": redemption.statement.number if redemption.statement_id else None,
    }


def _statement_out(statement: SettlementStatement) -> dict:
    return {
        "id": statement.pk, "number": statement.number, "provider": statement.provider.name,
        "period_start_on": statement.period_start_on, "period_end_on": statement.period_end_on,
        "total": Money(statement.total_fen).format_yuan(), "total_fen": statement.total_fen,
        "redemption_count": statement.redemption_count, "status": statement.status,
        "payment_reference": statement.payment_reference, "paid_at": statement.paid_at,
    }


def _parse_amount(text: str, field: str = "amount") -> int:
    try:
        return Money.from_yuan(text).fen
    except MoneyParseError as error:
        error.field = field
        raise


def _code_out(view: selectors.CodeView) -> dict:
    code = view.code
    return {"id": code.pk, "voucher_number": code.voucher.number,
            "provider": code.provider.name if code.provider_id else None, "max_amount_fen": code.max_amount_fen,
            "status": view.status, "created_at": code.created_at, "expires_at": code.expires_at,
            "used_at": code.used_at, "redemption_id": code.redemption_id}


def _key_provider(request):
    """The provider of an API-key request, or None for a session request."""
    return getattr(request, "provider", None)


# --- /api/v1/vouchers -----------------------------------------------------------------------------------------


@vouchers_router.get("", response=list[VoucherOut], auth=django_auth, summary="我可见的算力券",
                     description=api_list_description("/vouchers/finance/"))
@errors(cursor_invalid=400, filter_invalid=400)
def vouchers_list(request, response: HttpResponse, status: Token | None = None, number: Token | None = None,
                  enterprise: Line | None = None, after: Token | None = None, limit: Limit = 100):
    filterset = VoucherFilter(api_filter_data(status=status, number=number, enterprise=enterprise),
                              queryset=selectors.vouchers_visible_to(request.user))
    rows = api_filtered_page(request, response, filterset, after=after, limit=min(limit, REDEMPTIONS_PAGE_MAX))
    return [_voucher_out(view) for view in selectors.voucher_views(rows)]


@vouchers_router.get("/{number}", response={200: VoucherDetailOut, 404: ErrorOut}, auth=django_auth,
                     summary="算力券详情与流水")
@errors(voucher_not_found=404)
def voucher_detail(request, number: Token):
    voucher = selectors.voucher_get_for(request.user, number)
    [view] = selectors.voucher_views([voucher])
    history = [{"id": t.pk, "kind": t.kind, "amount_fen": t.amount_fen, "reason": t.reason, "at": t.created_at,
                "direction": "in" if t.to_account_id == voucher.account_id else "out"}
               for t in selectors.voucher_history(voucher)]
    return {**_voucher_out(view), "history": history}


@vouchers_router.post("/{number}/revoke", response={200: RevocationOut, 403: ErrorOut, 404: ErrorOut,
                                                    409: ErrorOut}, auth=django_auth,
                      summary="撤销算力券（财务）：余额作废，已核销金额形成追回债权")
@errors(second_person_required=202, field_required=400, role_not_allowed=403, voucher_not_found=404,
        voucher_not_revocable=409)
def voucher_revoke(request, number: Token, payload: RevokeIn):
    voucher = selectors.voucher_get_for(request.user, number)
    revocation = services.voucher_revoke(voucher=voucher, reason=payload.reason, actor=request.user,
                                         now=timezone.now(), source=payload.source)
    return {"number": voucher.number, "status": "revoked", "voided_fen": revocation.voided_fen,
            "claimed_fen": revocation.claimed_fen}


@vouchers_router.get("/{number}/codes", response={200: list[CodeOut], 404: ErrorOut}, auth=django_auth,
                     summary="算力券的核销码（不含码本身）")
@errors(voucher_not_found=404)
def codes_list(request, number: Token):
    voucher = selectors.voucher_get_for(request.user, number)
    codes = selectors.redemption_codes_visible_to(request.user).filter(voucher=voucher)
    return [_code_out(view) for view in selectors.redemption_code_views(codes, now=timezone.now())]


CODE_DESCRIPTION = f"""
企业成员为本企业的一张有效算力券生成一次性核销码，交给服务商；服务商核销时须同时提供券号和核销码。
响应中的 `code` 只出现这一次，平台只保存其 SHA-256。可选 `provider_id`（只允许该服务商使用）和 `max_amount`
（元，如 `"500.00"`）：带限额的码视为企业事先确认，限额内的核销提交即生效；不带限额的核销仍须企业确认。
有效期 {redemptions.CODE_VALIDITY.total_seconds() / 3600:g} 小时，只能使用一次，可作废。
"""


@vouchers_router.post("/{number}/codes", response={201: CodeCreatedOut, 400: ErrorOut, 404: ErrorOut,
                                                   409: ErrorOut}, auth=django_auth,
                      summary="生成核销码（企业成员）", description=CODE_DESCRIPTION)
@errors(provider_not_local=400, redemption_code_limit_above_available=400, voucher_not_found=404,
        voucher_not_active=409)
def code_create(request, number: Token, payload: CodeIn):
    voucher = selectors.voucher_get_for(request.user, number)
    provider = None
    if payload.provider_id is not None:
        provider = selectors.local_providers().filter(pk=payload.provider_id).first()
        if provider is None:
            raise NotFound(redemptions.MSG_CODE_PROVIDER_NOT_LOCAL, code="provider_not_found", field="provider_id")
    max_amount_fen = _parse_amount(payload.max_amount, "max_amount") if payload.max_amount else None
    issued = redemptions.redemption_code_create(voucher=voucher, actor=request.user, now=timezone.now(),
                                                provider=provider, max_amount_fen=max_amount_fen)
    [view] = selectors.redemption_code_views([issued.code], now=issued.code.created_at)
    return Status(201, {**_code_out(view), "code": issued.text})


@vouchers_router.post("/{number}/codes/{int:code_id}/revoke", response={200: CodeOut, 404: ErrorOut, 409: ErrorOut},
                      auth=django_auth, summary="作废核销码（企业成员）")
@errors(voucher_not_found=404, redemption_code_not_active=409)
def code_revoke(request, number: Token, code_id: Id):
    voucher = selectors.voucher_get_for(request.user, number)
    code = selectors.redemption_code_get_for(request.user, code_id)
    if code.voucher_id != voucher.pk:
        raise NotFound(selectors.MSG_CODE_NOT_FOUND, code="redemption_code_not_found")
    code = redemptions.redemption_code_revoke(code=code, actor=request.user, now=timezone.now())
    [view] = selectors.redemption_code_views([code], now=timezone.now())
    return _code_out(view)


# --- /api/v1/redemptions --------------------------------------------------------------------------------------

SUBMIT_DESCRIPTION = """
服务商提交核销（认证：`X-API-Key: yk_…` 或 `Authorization: Bearer yk_…`）。金额以元为单位的字符串，如 `"1200.00"`。

须同时提供券号（`voucher_number`）和持券企业给出的一次性核销码（`code`）。券号或核销码不对、码已用过、已过期、
已作废、限定了其他服务商，或券已撤销/到期，一律返回 404 `voucher_or_code_invalid`（不透露是哪一种）；同一服务商
短时间内多次填错核销码会被暂时锁定（429 `redemption_code_locked`）。券号校验位不符返回 400 `voucher_number_invalid`。

同一服务商的订单号（order_ref）唯一：同一订单号、相同内容的重复提交返回原记录（200）；内容不同返回 409
`redemption_conflict`。新提交返回 201：核销码带限额且金额不超过限额时状态为 `confirmed`（企业已事先确认，立即
计入待结算）；核销码不带限额时状态为 `pending`（待企业确认），金额在确认或拒绝前被预留。
服务类别须为该券政策允许的类别（`compute` / `model_service` / `data_product`）。
"""


@redemptions_router.post("", response={200: RedemptionOut, 201: RedemptionOut, 400: ErrorOut, 403: ErrorOut,
                                       404: ErrorOut, 409: ErrorOut, 429: ErrorOut},
                         auth=PROVIDER_AUTH, summary="提交核销（服务商）", description=SUBMIT_DESCRIPTION)
@errors(money_empty=400, money_not_a_number=400, money_too_many_decimals=400, order_ref_invalid=400,
        redemption_category_ineligible=400, redemption_code_required=400, voucher_number_invalid=400,
        provider_not_local=403, voucher_or_code_invalid=404, redemption_code_limit_exceeded=409,
        redemption_conflict=409, voucher_expired=409, voucher_insufficient_balance=409, voucher_not_active=409,
        redemption_code_locked=429)
def redemption_submit(request, payload: RedemptionIn):
    result = redemptions.redemption_submit(
        provider=request.provider, voucher_number=payload.voucher_number, code=payload.code,
        order_ref=payload.order_ref,
        category=payload.category, amount_fen=_parse_amount(payload.amount), description=payload.description,
        api_key=request.api_key, now=timezone.now())
    return Status(201 if result.created else 200, _redemption_out(result.redemption))


@redemptions_router.get("", response=list[RedemptionOut], auth=[*PROVIDER_AUTH, django_auth],
                        summary="核销记录（服务商看自己的，企业看自己券的）",
                        description="从新到旧（按编号）。翻页用游标：有下一页时响应头 `Link: <…?after=N>; rel=\"next\"` "
                                    "与 `X-Next-After: N`；`after` 为上一页最后一条的 id。筛选与网页 /vouchers/redemptions/ "
                                    "相同；无效的值返回 400 `filter_invalid`。")
@errors(cursor_invalid=400, filter_invalid=400)
def redemptions_list(request, response: HttpResponse, status: Token | None = None, voucher: Token | None = None,
                     order_ref: Line | None = None, submitted_from: date | None = None,
                     submitted_to: date | None = None, after: Token | None = None,
                     limit: Limit = 100):
    provider = _key_provider(request)
    queryset = (selectors.redemptions_of_provider(provider) if provider is not None
                else selectors.redemptions_visible_to(request.user))
    data = {"status": status, "voucher": voucher, "order_ref": order_ref, "submitted_from": submitted_from,
            "submitted_to": submitted_to}
    filterset = RedemptionFilter({name: value for name, value in data.items() if value is not None},
                                 queryset=queryset.select_related("provider", "statement"), staff=False)
    rows = api_keyset_page(request, response, filterset_qs_or_raise(filterset), key="id", after=after,
                           limit=min(limit, REDEMPTIONS_PAGE_MAX))
    return [_redemption_out(r) for r in rows]


@redemptions_router.get("/statements", response=list[StatementOut], auth=[*PROVIDER_AUTH, django_auth],
                        summary="结算单（服务商看自己的，财务看全部）",
                        description=api_list_description("/vouchers/finance/settlements/"))
@errors(cursor_invalid=400, filter_invalid=400)
def statements_list(request, response: HttpResponse, status: Token | None = None, number: Token | None = None,
                    period_from: date | None = None, period_to: date | None = None, after: Token | None = None,
                    limit: Limit = 100):
    provider = _key_provider(request)
    queryset = (selectors.statements_of_provider(provider) if provider is not None
                else selectors.statements_visible_to(request.user))
    filterset = StatementFilter(api_filter_data(status=status, number=number, period_from=period_from,
                                                period_to=period_to), queryset=queryset, staff=False)
    rows = api_filtered_page(request, response, filterset, after=after, limit=min(limit, REDEMPTIONS_PAGE_MAX))
    return [_statement_out(statement) for statement in rows]


@redemptions_router.get("/statements/{int:statement_id}", response={200: StatementDetailOut, 404: ErrorOut},
                        auth=[*PROVIDER_AUTH, django_auth], summary="结算单明细")
@errors(statement_not_found=404)
def statement_detail(request, statement_id: Id):
    provider = _key_provider(request)
    if provider is not None:
        statement = selectors.statements_of_provider(provider).filter(pk=statement_id).first()
        if statement is None:
            raise NotFound(selectors.MSG_STATEMENT_NOT_FOUND, code="statement_not_found")
    else:
        statement = selectors.statement_get_for(request.user, statement_id)
    lines = [_redemption_out(r) for r in selectors.statement_lines(statement).select_related("provider")]
    return {**_statement_out(statement), "redemptions": lines}


@redemptions_router.get("/{int:redemption_id}", response={200: RedemptionOut, 404: ErrorOut},
                        auth=[*PROVIDER_AUTH, django_auth], summary="一条核销记录")
@errors(redemption_not_found=404)
def redemption_detail(request, redemption_id: Id):
    provider = _key_provider(request)
    if provider is not None:
        return _redemption_out(selectors.redemption_get_for_provider(provider, redemption_id))
    return _redemption_out(selectors.redemption_get_for(request.user, redemption_id))


def _redemption_for_member(request, redemption_id: int) -> Redemption:
    if _key_provider(request) is not None:
        raise Forbidden("只有企业成员可以确认或拒绝核销", code="role_not_allowed")
    return selectors.redemption_get_for(request.user, redemption_id)


@redemptions_router.post("/{int:redemption_id}/confirm", response={200: RedemptionOut, 404: ErrorOut,
                                                                  409: ErrorOut},
                         auth=django_auth, summary="企业确认核销（此时才从券余额划转给服务商）")
@errors(redemption_not_found=404, redemption_not_pending=409)
def redemption_confirm(request, redemption_id: Id):
    redemption = _redemption_for_member(request, redemption_id)
    redemption = redemptions.redemption_confirm(redemption=redemption, actor=request.user, now=timezone.now())
    return _redemption_out(redemption)


@redemptions_router.post("/{int:redemption_id}/reject", response={200: RedemptionOut, 400: ErrorOut,
                                                                 404: ErrorOut, 409: ErrorOut},
                         auth=django_auth, summary="企业拒绝核销（预留金额释放）")
@errors(field_required=400, redemption_not_found=404, redemption_not_pending=409)
def redemption_reject(request, redemption_id: Id, payload: ReasonIn):
    redemption = _redemption_for_member(request, redemption_id)
    redemption = redemptions.redemption_reject(redemption=redemption, reason=payload.reason, actor=request.user,
                                            now=timezone.now())
    return _redemption_out(redemption)
