"""Every write to providers, their keys and their price catalogue (usage ingestion is in ingest.py)."""

import base64
import hashlib
import logging
import secrets
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import OrganisationKind, Role
from yingdu.accounts.selectors import user_get_by_username, user_granted_staff_roles, user_roles
from yingdu.accounts.services import organisation_add_member, organisation_create, user_register
from yingdu.actors import SYSTEM, actor_user_id
from yingdu.duties.cases import usage_record_case
from yingdu.duties.services import require_independent
from yingdu.enterprises.services import uscc_check
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.transparency.services import commitment, log_append, new_commitment_salt

from .events import (
    api_key_created_event,
    api_key_revoked_event,
    price_added_event,
    provider_registered_event,
    signing_key_added_event,
    signing_key_revoked_event,
    usage_attributed_event,
)
from .models import (
    ApiKey,
    CatalogueEntry,
    IngestCounter,
    Provider,
    RecordStatus,
    ServiceCategory,
    SigningKey,
    UsageAttribution,
    UsageRecord,
)

MSG_ADMIN_ONLY = _("只有系统管理员可以登记算力服务商")
MSG_NOT_OPERATOR = _("只有本服务商的操作员可以执行此操作")
MSG_PROVIDER_EXISTS = _("该统一社会信用代码的服务商已登记")
MSG_KEY_INVALID = _("公钥必须是 32 字节 Ed25519 公钥的 Base64 编码")
MSG_KEY_EXISTS = _("该公钥已登记")
MSG_ALREADY_REVOKED = _("该密钥已撤销")
MSG_PRICE_PAST = _("新价格的生效时间不能早于当前时间：已计量的用量不能重新定价")
MSG_PRICE_INVALID = _("单价必须是不小于 0 的整数（分）")
MSG_SKU_INVALID = _("SKU 只能包含可见 ASCII 字符，长度 1–64")
MSG_CATEGORY = _("服务类别不正确")
MSG_REQUIRED = _("请填写{label}")
MSG_VALIDITY = _("有效期结束时间必须晚于开始时间")
MSG_OPERATOR_UNKNOWN = _("没有该用户名的账户")
MSG_OPERATOR_HAS_ORGANISATION = _("该账户已属于一个机构，不能再作为服务商操作员")
MSG_OPERATOR_IS_STAFF = _("平台工作人员账户不能作为服务商操作员")
MSG_ATTRIBUTE_ROLE = _("只有审核员或系统管理员可以归属待归属记录")
MSG_ATTRIBUTE_NOT_QUARANTINED = _("只有待归属的记录可以归属到作品；已接收的记录已有归属")
MSG_ATTRIBUTE_CORRECTION = _("更正记录随其原记录计入作品，不能单独归属；请归属原记录")
MSG_ATTRIBUTE_TWICE = _("该记录已归属到作品，不能再次归属")
MSG_ATTRIBUTE_OTHER_ENTERPRISE = _("记录的统一社会信用代码与该作品所属企业不一致，不能归属")
MSG_ATTRIBUTE_REASON = _("请填写归属理由")

# Who may attribute a quarantined record to a work (it changes a work's verified cost, so only programme staff).
ATTRIBUTION_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})

API_KEY_PREFIX = "yk"

logger = logging.getLogger(__name__)


def _require_operator(actor, provider: Provider) -> None:
    if Role.PROVIDER_OPERATOR not in user_roles(actor) or actor.organisation_id != provider.organisation_id:
        raise Forbidden(MSG_NOT_OPERATOR, code="not_provider_operator")


def provider_register(*, name: str, uscc: str, is_local: bool, operator, actor, now: datetime) -> Provider:
    """An admin (or the platform, ``actor=SYSTEM``) registers a provider and attaches its first operator (a user with
    no organisation)."""
    if actor is not SYSTEM and Role.ADMIN not in user_roles(actor):
        raise Forbidden(MSG_ADMIN_ONLY, code="role_not_allowed")
    if not name.strip():
        raise DomainError(str(MSG_REQUIRED).format(label="服务商名称"), code="field_required", field="name")
    uscc = uscc_check(uscc)
    if Provider.objects.filter(uscc=uscc).exists():
        raise Conflict(MSG_PROVIDER_EXISTS, code="provider_exists", field="uscc")
    with transaction.atomic():
        organisation = organisation_create(kind=OrganisationKind.PROVIDER, name=name, now=now)
        organisation_add_member(organisation=organisation, user=operator, now=now)
        provider = Provider.objects.create(organisation=organisation, name=name.strip(), uscc=uscc,
                                           is_local=is_local, registered_at=now,
                                           registered_by_id=actor_user_id(actor) or operator.pk)
        log_append(events=[provider_registered_event(provider, operator=operator, actor=actor, now=now)], now=now)
    return provider


def provider_register_with_operator(*, name: str, uscc: str, is_local: bool, operator_username: str,
                                    operator_display_name: str = "", create_operator: bool, actor, now: datetime
                                    ) -> tuple[Provider, str | None]:
    """Register a provider with its first operator: a new login whose generated initial password is returned (to be
    shown once), or an existing user who belongs to no organisation and holds no staff role."""
    if Role.ADMIN not in user_roles(actor):
        raise Forbidden(MSG_ADMIN_ONLY, code="role_not_allowed")
    username = operator_username.strip()
    if not username:
        raise DomainError(str(MSG_REQUIRED).format(label="操作员用户名"), code="field_required",
                          field="operator_username")
    password = None
    with transaction.atomic():
        if create_operator:
            password = f"Yd-{secrets.token_urlsafe(12)}"
            operator = user_register(username=username, password=password,
                                     display_name=operator_display_name or username,
                                     must_change_password=True, now=now)
        else:
            operator = user_get_by_username(username)
            if operator is None:
                raise DomainError(MSG_OPERATOR_UNKNOWN, code="operator_unknown", field="operator_username")
            if operator.organisation_id is not None:
                raise Conflict(MSG_OPERATOR_HAS_ORGANISATION, code="operator_has_organisation",
                               field="operator_username")
            if user_granted_staff_roles(operator):
                raise Conflict(MSG_OPERATOR_IS_STAFF, code="operator_is_staff", field="operator_username")
        provider = provider_register(name=name, uscc=uscc, is_local=is_local, operator=operator, actor=actor, now=now)
    return provider, password


def api_key_create(*, provider: Provider, label: str, actor, now: datetime) -> tuple[ApiKey, str]:
    """A new API key; the returned secret text is shown once and only its SHA-256 is kept."""
    _require_operator(actor, provider)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(provider=provider, prefix=prefix,
                                    secret_sha256=hashlib.sha256(secret.encode()).hexdigest(),
                                    label=label.strip() or "API", created_at=now, created_by=actor,
                                    commitment_salt=new_commitment_salt())
        log_append(events=[api_key_created_event(key, actor=actor)], now=now)
    return key, f"{API_KEY_PREFIX}_{prefix}_{secret}"


def api_key_revoke(*, key: ApiKey, actor, now: datetime) -> ApiKey:
    _require_operator(actor, key.provider)
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            raise Conflict(MSG_ALREADY_REVOKED, code="already_revoked")
        locked.revoked_at, locked.revoked_by = now, actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        log_append(events=[api_key_revoked_event(locked, actor=actor)], now=now)
    return locked


def signing_key_id(public_key: bytes) -> str:
    """A key's short id: the first 8 bytes of SHA-256 of the raw public key, hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def signing_key_add(*, provider: Provider, public_key_base64: str, label: str, valid_from: datetime,
                    valid_until: datetime | None, actor, now: datetime) -> SigningKey:
    """Register an Ed25519 public key the provider will sign usage with."""
    _require_operator(actor, provider)
    try:
        public_key = base64.b64decode(public_key_base64.strip(), validate=True)
    except ValueError:
        public_key = b""
    if len(public_key) != 32:
        raise DomainError(MSG_KEY_INVALID, code="signing_key_invalid", field="public_key")
    if valid_until is not None and valid_until <= valid_from:
        raise DomainError(MSG_VALIDITY, code="validity_invalid", field="valid_until")
    key_id = signing_key_id(public_key)
    try:
        with transaction.atomic():
            key = SigningKey.objects.create(provider=provider, key_id=key_id, public_key=public_key,
                                            label=label.strip() or "签名密钥", valid_from=valid_from,
                                            valid_until=valid_until, created_at=now, created_by=actor,
                                            commitment_salt=new_commitment_salt())
            log_append(events=[signing_key_added_event(key, actor=actor)], now=now)
    except IntegrityError:
        raise Conflict(MSG_KEY_EXISTS, code="signing_key_exists", field="public_key") from None
    return key


def signing_key_revoke(*, key: SigningKey, actor, now: datetime) -> SigningKey:
    _require_operator(actor, key.provider)
    with transaction.atomic():
        locked = SigningKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            raise Conflict(MSG_ALREADY_REVOKED, code="already_revoked")
        locked.revoked_at = now
        locked.save(update_fields=["revoked_at"])
        log_append(events=[signing_key_revoked_event(locked, actor=actor)], now=now)
    return locked


def catalogue_price_add(*, provider: Provider, sku: str, name: str, category: str, unit: str, price_fen: int,
                        effective_from: datetime, actor, now: datetime) -> CatalogueEntry:
    """A new price version of a SKU, in force from a time not in the past."""
    _require_operator(actor, provider)
    sku = sku.strip()
    if not sku or len(sku) > 64 or not sku.isascii() or not sku.isprintable() or " " in sku:
        raise DomainError(MSG_SKU_INVALID, code="sku_invalid", field="sku")
    if category not in ServiceCategory.values:
        raise DomainError(MSG_CATEGORY, code="category_invalid", field="category")
    for label, value, field in (("服务名称", name, "name"), ("计量单位", unit, "unit")):
        if not value.strip():
            raise DomainError(str(MSG_REQUIRED).format(label=label), code="field_required", field=field)
    if not isinstance(price_fen, int) or isinstance(price_fen, bool) or price_fen < 0:
        raise DomainError(MSG_PRICE_INVALID, code="price_invalid", field="price_fen")
    if effective_from < now:
        raise DomainError(MSG_PRICE_PAST, code="price_effective_in_past", field="effective_from")
    try:
        with transaction.atomic():
            entry = CatalogueEntry.objects.create(
                provider=provider, sku=sku, name=name.strip(), category=category, unit=unit.strip(),
                price_fen=price_fen, effective_from=effective_from, created_at=now, created_by=actor)
            log_append(events=[price_added_event(entry, actor=actor)], now=now)
    except IntegrityError:
        raise Conflict(_("该 SKU 在同一生效时间已有价格"), code="price_exists", field="effective_from") from None
    return entry


def usage_record_attach(*, record: UsageRecord, work, actor, reason: str, now: datetime) -> UsageAttribution:
    """Attribute a quarantined record to a work of the enterprise its USCC names: a new attribution row and a log
    entry; of the usage record only the derived effective enterprise and work (with its corrections') are set."""
    if not (user_roles(actor) & ATTRIBUTION_ROLES):
        raise Forbidden(MSG_ATTRIBUTE_ROLE, code="role_not_allowed")
    if not reason.strip():
        raise DomainError(MSG_ATTRIBUTE_REASON, code="field_required", field="reason")
    require_independent(actor, usage_record_case(record, work), now=now)
    enterprise = work.enterprise
    if enterprise.uscc != record.enterprise_uscc:
        raise DomainError(MSG_ATTRIBUTE_OTHER_ENTERPRISE, code="attribution_enterprise_mismatch", field="work",
                          status=403, detail={"record_uscc": record.enterprise_uscc, "work_uscc": enterprise.uscc})
    try:
        with transaction.atomic():
            # The lock serialises two attempts on one record; the one-to-one constraint is the last line.
            locked = UsageRecord.objects.select_for_update().get(pk=record.pk)
            if locked.status != RecordStatus.QUARANTINED:
                raise Conflict(MSG_ATTRIBUTE_NOT_QUARANTINED, code="record_not_quarantined")
            if locked.corrects_id is not None:
                # a correction counts wherever its original counts (metering.counting)
                raise Conflict(MSG_ATTRIBUTE_CORRECTION, code="record_is_correction")
            if UsageAttribution.objects.filter(record=locked).exists():
                raise Conflict(MSG_ATTRIBUTE_TWICE, code="record_already_attributed")
            salt = new_commitment_salt()
            [entry] = log_append(events=[usage_attributed_event(
                record=locked, enterprise_id=enterprise.pk, work_id=work.pk, actor=actor, now=now,
                reason_commitment=commitment(salt=salt, values={"reason": reason.strip()}))], now=now)
            attribution = UsageAttribution.objects.create(record=locked, work=work, enterprise=enterprise,
                                                          actor=actor, at=now, reason=reason.strip(),
                                                          commitment_salt=salt, log_index=entry.index)
            UsageRecord.objects.filter(Q(pk=locked.pk) | Q(corrects=locked)).update(
                attributed_enterprise=enterprise, attributed_work=work)
    except IntegrityError:
        raise Conflict(MSG_ATTRIBUTE_TWICE, code="record_already_attributed") from None
    _supplement_notice(work, now=now)
    return attribution


def _supplement_notice(work, *, now: datetime) -> None:
    """A record attributed after the work's data notice counts toward the subsidy: the enterprise is sent a
    supplementary notice, which it can object to, before the amount can be approved (the approval checks)."""
    from yingdu.notices.services import data_notice_supplement

    try:
        data_notice_supplement(work=work, actor=SYSTEM, now=now)
    except DomainError as error:
        # the attribution stands; approval stays refused until the notice is issued (notices page)
        logger.warning("supplementary notice for work %s not issued: %s", work.pk, error.code)


def ingest_counters_add(increments: dict[str, int]) -> None:
    """Add to the ingestion counters shown at /metrics; called inside the ingestion's transaction, so a batch that
    rolls back counts nothing. UPDATE … SET value = value + n is atomic across worker processes."""
    amounts = {name: amount for name, amount in sorted(increments.items()) if amount}
    if not amounts:
        return
    # one UPDATE for every counter that exists (the usual case: one round trip per batch); RETURNING names the
    # counters it found, so that only the others are created, each then counted once
    quote = connection.ops.quote_name
    name_column, value_column = quote("name"), quote("value")
    whens = " ".join(["WHEN %s THEN %s"] * len(amounts))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(IngestCounter._meta.db_table)} SET {value_column} = {value_column} + CASE {name_column}"
            f" {whens} END WHERE {name_column} IN ({', '.join(['%s'] * len(amounts))}) RETURNING {name_column}",
            [item for pair in amounts.items() for item in pair] + list(amounts))
        updated = {row[0] for row in cursor.fetchall()}
    for name in sorted(set(amounts) - updated):
        IngestCounter.objects.bulk_create([IngestCounter(name=name, value=0)], ignore_conflicts=True)
        IngestCounter.objects.filter(name=name).update(value=F("value") + amounts[name])
