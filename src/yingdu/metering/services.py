"""Every write to providers, their keys and their price catalogue (usage ingestion is in ingest.py)."""

import base64
import hashlib
import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import OrganisationKind, Role
from yingdu.accounts.selectors import user_roles
from yingdu.accounts.services import organisation_add_member, organisation_create
from yingdu.enterprises.services import uscc_check
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.transparency.services import event_time, log_append

from .models import ApiKey, CatalogueEntry, Provider, ServiceCategory, SigningKey

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

API_KEY_PREFIX = "yk"


def _require_operator(actor, provider: Provider) -> None:
    if Role.PROVIDER_OPERATOR not in user_roles(actor) or actor.organisation_id != provider.organisation_id:
        raise Forbidden(MSG_NOT_OPERATOR, code="not_provider_operator")


def provider_register(*, name: str, uscc: str, is_local: bool, operator, actor, now: datetime) -> Provider:
    """An admin registers a provider and attaches its first operator (a user with no organisation)."""
    if actor is not None and Role.ADMIN not in user_roles(actor):
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
                                           is_local=is_local, registered_at=now, registered_by=actor or operator)
        log_append(events=[{"type": "metering.provider_registered", "at": event_time(now), "provider": provider.pk,
                            "organisation": organisation.pk, "name": provider.name, "uscc": uscc,
                            "is_local": is_local, "actor": actor.pk if actor else None}], now=now)
    return provider


def api_key_create(*, provider: Provider, label: str, actor, now: datetime) -> tuple[ApiKey, str]:
    """A new API key; the returned secret text is shown once and only its SHA-256 is kept."""
    _require_operator(actor, provider)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(provider=provider, prefix=prefix,
                                    secret_sha256=hashlib.sha256(secret.encode()).hexdigest(),
                                    label=label.strip() or "API", created_at=now, created_by=actor)
        log_append(events=[{"type": "metering.api_key_created", "at": event_time(now), "provider": provider.pk,
                            "api_key": key.pk, "prefix": prefix, "actor": actor.pk}], now=now)
    return key, f"{API_KEY_PREFIX}_{prefix}_{secret}"


def api_key_revoke(*, key: ApiKey, actor, now: datetime) -> ApiKey:
    _require_operator(actor, key.provider)
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            raise Conflict(MSG_ALREADY_REVOKED, code="already_revoked")
        locked.revoked_at, locked.revoked_by = now, actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        log_append(events=[{"type": "metering.api_key_revoked", "at": event_time(now), "provider": key.provider_id,
                            "api_key": key.pk, "actor": actor.pk}], now=now)
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
                                            valid_until=valid_until, created_at=now, created_by=actor)
            log_append(events=[{
                "type": "metering.signing_key_added", "at": event_time(now), "provider": provider.pk,
                "key_id": key_id, "public_key": base64.b64encode(public_key).decode(),
                "valid_from": event_time(valid_from), "valid_until": event_time(valid_until) if valid_until else None,
                "actor": actor.pk}], now=now)
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
        log_append(events=[{"type": "metering.signing_key_revoked", "at": event_time(now),
                            "provider": key.provider_id, "key_id": key.key_id, "actor": actor.pk}], now=now)
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
            log_append(events=[{
                "type": "metering.price_added", "at": event_time(now), "provider": provider.pk, "entry": entry.pk,
                "sku": sku, "name": entry.name, "category": category, "unit": entry.unit, "price_fen": price_fen,
                "effective_from": event_time(effective_from), "actor": actor.pk}], now=now)
    except IntegrityError:
        raise Conflict(_("该 SKU 在同一生效时间已有价格"), code="price_exists", field="effective_from") from None
    return entry
