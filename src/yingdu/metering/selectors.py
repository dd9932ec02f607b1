"""Reads of metering data, narrowed to what each user may see."""

import hashlib
import hmac

from django.db.models import QuerySet

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_roles, user_staff_roles
from yingdu.enterprises.models import Enterprise
from yingdu.errors import NotFound

from .counting import work_counted_cost_microfen
from .models import ApiKey, CatalogueEntry, Provider, RecordStatus, UsageAttribution, UsageRecord


def provider_of_user(user) -> Provider | None:
    if Role.PROVIDER_OPERATOR not in user_roles(user):
        return None
    return Provider.objects.filter(organisation_id=user.organisation_id).first()


def provider_for_api_key(text: str) -> tuple[Provider, ApiKey] | None:
    """The provider an API key (yk_<prefix>_<secret>) belongs to, if the key is known and not revoked."""
    parts = text.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "yk":
        return None
    key = ApiKey.objects.select_related("provider").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None:
        return None
    if not hmac.compare_digest(key.secret_sha256, hashlib.sha256(parts[2].encode()).hexdigest()):
        return None
    return key.provider, key


def usage_records_visible_to(user) -> QuerySet[UsageRecord]:
    """Staff see all; a provider its own records; an enterprise the records attributed to it; others nothing."""
    queryset = UsageRecord.objects.select_related("provider", "work")
    if user_staff_roles(user):
        return queryset
    roles = user_roles(user)
    if Role.PROVIDER_OPERATOR in roles:
        return queryset.filter(provider__organisation_id=user.organisation_id)
    if Role.ENTERPRISE_MEMBER in roles:
        # its own records, quarantined records staff attributed to one of its works, and their corrections: the
        # stored attributed enterprise (one index range on (attributed_enterprise, log_index))
        enterprise_id = Enterprise.objects.filter(organisation_id=user.organisation_id).values_list(
            "pk", flat=True).first()
        return queryset.filter(attributed_enterprise_id=enterprise_id) if enterprise_id else queryset.none()
    return queryset.none()


def usage_records_visible_to_provider(provider: Provider) -> QuerySet[UsageRecord]:
    """What an API key of this provider may read: its own records."""
    return UsageRecord.objects.select_related("provider", "work").filter(provider=provider)


def usage_record_get_for(user, record_pk: int) -> UsageRecord:
    record = usage_records_visible_to(user).filter(pk=record_pk).first()
    if record is None:
        raise NotFound("未找到该用量记录", code="usage_record_not_found")
    return record


def catalogue_of(provider: Provider) -> QuerySet[CatalogueEntry]:
    return CatalogueEntry.objects.filter(provider=provider).order_by("sku", "-effective_from")


def work_verified_cost_microfen(work) -> int:
    """Exact cost of the records that count for the work (counting.py), in micro-fen."""
    return work_counted_cost_microfen(work)


def quarantined_records() -> QuerySet[UsageRecord]:
    return UsageRecord.objects.filter(status=RecordStatus.QUARANTINED).select_related("provider")


def attribution_of(record: UsageRecord) -> UsageAttribution | None:
    return UsageAttribution.objects.select_related("work", "actor").filter(record=record).first()


def attributions_recent() -> QuerySet[UsageAttribution]:
    return UsageAttribution.objects.select_related("record", "record__provider", "work", "actor").order_by("-at")


def providers_all() -> QuerySet[Provider]:
    return Provider.objects.select_related("registered_by").prefetch_related("organisation__members").order_by("name")


def provider_by_uscc(uscc: str) -> Provider | None:
    """The provider registered on the platform under this unified social credit code, or None."""
    return Provider.objects.filter(uscc=uscc).first()


def sku_names(pairs) -> dict[tuple[int, str], str]:
    """The catalogue name people know each SKU by (its latest price version's), by (provider id, SKU code)."""
    pairs = {(provider_id, sku) for provider_id, sku in pairs}
    names: dict[tuple[int, str], str] = {}
    if not pairs:
        return names
    for provider_id, sku, name in (CatalogueEntry.objects
                                   .filter(provider_id__in={p for p, _s in pairs}, sku__in={s for _p, s in pairs})
                                   .order_by("effective_from", "pk").values_list("provider_id", "sku", "name")):
        names[(provider_id, sku)] = name
    return names


def provider_sku_names(provider_id: int) -> dict[str, str]:
    """The catalogue name of each SKU of a provider (its latest price version's), by SKU code."""
    return {sku: name for sku, name in CatalogueEntry.objects.filter(provider_id=provider_id)
            .order_by("effective_from", "pk").values_list("sku", "name")}
