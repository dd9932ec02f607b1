"""The case each staff step acts on, and the organisations it involves (for conflicts of interest).

An application, notice, objection, voucher or spot check involves the enterprise and the providers whose usage the
case rests on; a settlement involves its provider; a role grant is a case about one person's account.
"""

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from yingdu.errors import NotFound

from .rules import CaseKind
from .services import Case

MSG_CASE_UNKNOWN = _("找不到该事项")


def _provider_organisations(record_ids_query) -> frozenset[int]:
    provider = apps.get_model("metering", "Provider")
    return frozenset(provider.objects.filter(pk__in=record_ids_query).values_list("organisation_id", flat=True))


def _work_providers(work_id: int) -> frozenset[int]:
    usage = apps.get_model("metering", "UsageRecord")
    return _provider_organisations(usage.objects.filter(work_id=work_id).values("provider_id").distinct())


def enterprise_case(enterprise) -> Case:
    return Case(CaseKind.ENTERPRISE, enterprise.pk, frozenset({enterprise.organisation_id}))


def application_case(application) -> Case:
    organisations = {application.enterprise.organisation_id} | _work_providers(application.work_id)
    return Case(CaseKind.APPLICATION, application.pk, frozenset(organisations))


def work_case(work) -> Case:
    return Case(CaseKind.WORK, work.pk, frozenset({work.enterprise.organisation_id}) | _work_providers(work.pk))


def objection_case(objection) -> Case:
    notice = objection.notice
    usage = apps.get_model("metering", "UsageRecord")
    claimed = usage.objects.filter(pk__in=objection.claims.values("record_id")).values("provider_id")
    organisations = {notice.enterprise.organisation_id} | _provider_organisations(claimed)
    return Case(CaseKind.OBJECTION, objection.pk, frozenset(organisations))


def voucher_case(voucher) -> Case:
    redemptions = voucher.redemptions.values("provider_id")
    organisations = {voucher.enterprise.organisation_id} | _provider_organisations(redemptions)
    return Case(CaseKind.VOUCHER, voucher.pk, frozenset(organisations))


def settlement_case(statement) -> Case:
    return Case(CaseKind.SETTLEMENT, statement.pk, frozenset({statement.provider.organisation_id}))


def spot_check_case(case) -> Case:
    organisations = {case.enterprise.organisation_id} | _work_providers(case.work_id)
    return Case(CaseKind.SPOT_CHECK, case.pk, frozenset(organisations))


def provider_case(provider) -> Case:
    return Case(CaseKind.PROVIDER, provider.pk, frozenset({provider.organisation_id}))


def usage_record_case(record, work=None) -> Case:
    organisations = {record.provider.organisation_id} if record.provider_id else set()
    if work is not None:
        organisations.add(work.enterprise.organisation_id)
    return Case(CaseKind.USAGE_RECORD, record.pk, frozenset(organisations))


def user_case(user) -> Case:
    return Case(CaseKind.USER, user.pk, frozenset({user.organisation_id} - {None}), user_id=user.pk)


_LOADERS = {
    CaseKind.ENTERPRISE: ("enterprises", "Enterprise", enterprise_case),
    CaseKind.APPLICATION: ("applications", "Application", application_case),
    CaseKind.WORK: ("works", "Work", work_case),
    CaseKind.OBJECTION: ("notices", "Objection", objection_case),
    CaseKind.VOUCHER: ("vouchers", "Voucher", voucher_case),
    CaseKind.SETTLEMENT: ("vouchers", "SettlementStatement", settlement_case),
    CaseKind.SPOT_CHECK: ("audits", "SpotCheckCase", spot_check_case),
    CaseKind.PROVIDER: ("metering", "Provider", provider_case),
    CaseKind.USAGE_RECORD: ("metering", "UsageRecord", usage_record_case),
    CaseKind.USER: ("accounts", "User", user_case),
}


def case_get(kind: str, case_id: int) -> Case:
    """The case of a kind and id (a recusal form, a proposal), or NotFound."""
    try:
        app_label, model_name, build = _LOADERS[CaseKind(kind)]
    except ValueError:
        raise NotFound(MSG_CASE_UNKNOWN, code="case_not_found") from None
    obj = apps.get_model(app_label, model_name).objects.filter(pk=case_id).first()
    if obj is None:
        raise NotFound(MSG_CASE_UNKNOWN, code="case_not_found")
    return build(obj)


def case_url(kind: str, case_id: int) -> str | None:
    """The page of a case, for links from the duties pages (None when it has no page of its own)."""
    from django.urls import reverse

    simple = {CaseKind.ENTERPRISE: ("enterprises:detail", "enterprise_id"),
              CaseKind.APPLICATION: ("applications:detail", "application_id"),
              CaseKind.SETTLEMENT: ("vouchers:statement", "statement_id"),
              CaseKind.SPOT_CHECK: ("audits:case_detail", "case_id"),
              CaseKind.USER: ("accounts:user_detail", "user_id")}
    if kind in simple:
        name, argument = simple[CaseKind(kind)]
        return reverse(name, kwargs={argument: case_id})
    if kind == CaseKind.VOUCHER:
        number = apps.get_model("vouchers", "Voucher").objects.filter(pk=case_id).values_list("number", flat=True)
        return reverse("vouchers:detail", args=[number[0]]) if number else None
    if kind == CaseKind.OBJECTION:
        notice = apps.get_model("notices", "Objection").objects.filter(pk=case_id).values_list("notice_id", flat=True)
        return reverse("notices:detail", kwargs={"notice_id": notice[0]}) if notice else None
    return None
