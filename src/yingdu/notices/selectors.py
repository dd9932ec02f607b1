"""Reads of data notices and objections, narrowed to what each user may see."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import organisation_member_emails, user_roles, user_staff_roles
from yingdu.errors import NotFound
from yingdu.metering.counting import day_bounds, work_counted_records
from yingdu.metering.models import CatalogueEntry, RecordOrigin, UsageRecord
from yingdu.metering.selectors import sku_names
from yingdu.rules.money import Money, round_fen

from .models import ClaimStatus, DataNotice, Objection, ObjectionStatus, PendingNotice

SHANGHAI = ZoneInfo("Asia/Shanghai")
MSG_NOTICE_NOT_FOUND = "未找到该数据告知书"
MSG_OBJECTION_NOT_FOUND = "未找到该异议"


def yuan_display(microfen: int) -> str:
    """Micro-fen shown as yuan, rounded half-up to the fen (display only)."""
    return Money(round_fen(Fraction(microfen, 1_000_000))).format_display()


def period_bounds(*, start_on: date, end_on: date) -> tuple[datetime, datetime]:
    """[start, end) of a period of Asia/Shanghai calendar days as aware datetimes."""
    return day_bounds(start_on=start_on, end_on=end_on)


def notice_window_open(notice: DataNotice, *, today: date) -> bool:
    """Objections are taken: the notice is delivered and its deadline is not past, or is only provisional."""
    if notice.objection_deadline_on is None:
        return False
    return notice.objection_deadline_provisional or today <= notice.objection_deadline_on


def notice_pending_for_work(work) -> QuerySet:
    """Notices owed for a work and not yet issued (their deadline awaits an official calendar year)."""
    return PendingNotice.objects.filter(work=work, notice__isnull=True).order_by("requested_at", "id")


def notices_pending() -> QuerySet:
    """Every notice owed by the platform and not yet issued, oldest first (staff dashboard)."""
    return PendingNotice.objects.filter(notice__isnull=True).select_related("work", "enterprise").order_by(
        "requested_at", "id")


def notice_records_for(*, work, start_on: date, end_on: date, tree_size: int) -> QuerySet[UsageRecord]:
    """The records that count for the work (metering.counting), started in the period, covered by the tree size."""
    return work_counted_records(work, start_on=start_on, end_on=end_on, tree_size=tree_size)


def work_noticed_record_ids(work) -> QuerySet:
    """Primary keys of every usage record on any notice issued for the work (a subquery)."""
    return DataNotice.records.through.objects.filter(datanotice__work=work).values("usagerecord_id")


def work_unnoticed_records(work, *, start_on: date | None = None, end_on: date | None = None,
                           tree_size: int | None = None) -> QuerySet[UsageRecord]:
    """The rows that count for the work (metering.counting) whose original is on none of its notices: what a
    supplementary notice lists. Corrections of a noticed record are told by the decision that made them."""
    return (work_counted_records(work, start_on=start_on, end_on=end_on, tree_size=tree_size)
            .alias(origin_id=Coalesce("corrects_id", "id")).exclude(origin_id__in=work_noticed_record_ids(work)))


def work_notice_gap(work) -> int:
    """How many original records count for the work but are on none of its issued notices: what a supplementary
    notice must tell before approval. A work with no issued notice yet has no gap: its first notice (issued at
    review start, or owed until the official calendar allows it) lists every record."""
    if not DataNotice.objects.filter(work=work).exists():
        return 0
    return work_unnoticed_records(work).filter(corrects__isnull=True).count()


def work_first_notice(work) -> DataNotice | None:
    """The work's earliest notice that is not itself a supplement (what a supplementary notice supplements)."""
    return DataNotice.objects.filter(work=work, supplements__isnull=True).order_by("issued_at", "id").first()


def notice_supplements_pending(work) -> bool:
    """A supplementary notice for the work is owed and waits for the official calendar."""
    return PendingNotice.objects.filter(work=work, notice__isnull=True, supplements__isnull=False).exists()


def notice_member_emails(notice: DataNotice) -> list[str]:
    """The enterprise's registered contacts: active members of its organisation with an e-mail address."""
    return organisation_member_emails(notice.enterprise.organisation_id)


def notice_is_for_member(user, notice: DataNotice) -> bool:
    return (Role.ENTERPRISE_MEMBER in user_roles(user)
            and user.organisation_id == notice.enterprise.organisation_id)


def notices_visible_to(user) -> QuerySet[DataNotice]:
    """Staff see every notice; an enterprise member its enterprise's; anyone else none."""
    queryset = DataNotice.objects.select_related("enterprise", "work")
    if user_staff_roles(user):
        return queryset
    if Role.ENTERPRISE_MEMBER in user_roles(user):
        return queryset.filter(enterprise__organisation_id=user.organisation_id)
    return queryset.none()


def objections_visible_to(user) -> QuerySet[Objection]:
    """Objections to the notices the user may see."""
    return Objection.objects.filter(notice__in=notices_visible_to(user).values("pk"))


def work_notices_for(user, work) -> QuerySet[DataNotice]:
    """The work's notices the user may see, oldest first (the application page lists them)."""
    return notices_visible_to(user).filter(work=work).order_by("issued_at", "id")


def notice_get_for(user, notice_pk: int) -> DataNotice:
    notice = notices_visible_to(user).filter(pk=notice_pk).first()
    if notice is None:
        raise NotFound(MSG_NOTICE_NOT_FOUND, code="notice_not_found")
    return notice


def objection_get_for(user, objection_pk: int) -> Objection:
    objection = Objection.objects.select_related("notice").filter(
        pk=objection_pk, notice__in=notices_visible_to(user)).first()
    if objection is None:
        raise NotFound(MSG_OBJECTION_NOT_FOUND, code="objection_not_found")
    return objection


def work_open_objections(work) -> QuerySet[Objection]:
    """Objections to any of the work's notices that await a decision."""
    return Objection.objects.filter(notice__work=work, status=ObjectionStatus.OPEN)


def notice_open_objection(notice: DataNotice) -> Objection | None:
    return notice.objections.filter(status=ObjectionStatus.OPEN).first()


@dataclass(frozen=True)
class SkuTotal:
    provider: str
    sku: str
    unit: str
    quantity: Decimal
    cost_microfen: int
    name: str = ""   # the catalogue name of the SKU

    @property
    def cost_yuan(self) -> str:
        return yuan_display(self.cost_microfen)


def notice_sku_totals(notice: DataNotice) -> list[SkuTotal]:
    """Quantity and cost per provider and SKU of the notice's records (corrections net)."""
    rows = (notice.records.values("provider_id", "provider__name", "sku")
            .annotate(quantity=Sum("quantity"), cost=Sum("cost_microfen"), n=Count("id"))
            .order_by("provider__name", "sku"))
    units = {(entry.provider_id, entry.sku): entry.unit for entry in CatalogueEntry.objects.filter(
        provider_id__in={row["provider_id"] for row in rows}).order_by("effective_from")}
    names = sku_names((row["provider_id"], row["sku"]) for row in rows)
    return [SkuTotal(provider=row["provider__name"], sku=row["sku"],
                     unit=units.get((row["provider_id"], row["sku"]), ""),
                     name=names.get((row["provider_id"], row["sku"]), ""),
                     quantity=row["quantity"].normalize(), cost_microfen=row["cost"]) for row in rows]


def claims_with_provider_answer(objections) -> list[Objection]:
    """The objections, each claim carrying ``provider_correction``: for a claim awaiting the provider's signed
    correction, the latest correction the provider has pushed for that record since, else None (read, not stored:
    the claim's decided row never changes)."""
    objections = list(objections)
    claims = [claim for objection in objections for claim in objection.claims.all()]
    awaiting = {claim.record_id for claim in claims if claim.status == ClaimStatus.AWAITING_PROVIDER}
    latest = {}
    for row in UsageRecord.objects.filter(corrects_id__in=awaiting, origin=RecordOrigin.PROVIDER).order_by(
            "log_index"):
        latest[row.corrects_id] = row
    for claim in claims:
        claim.provider_correction = (latest.get(claim.record_id) if claim.status == ClaimStatus.AWAITING_PROVIDER
                                     else None)
    return objections


def notice_record_list(notice: DataNotice) -> QuerySet[UsageRecord]:
    return notice.records.select_related("provider").order_by("log_index")
