"""The terms of a policy version as data: their names, labels (Chinese msgids), JSON form and display form."""

from decimal import Decimal

from django.utils.html import format_html_join
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from yingdu.documents.models import DocumentKind
from yingdu.rules.default_policy import HUAIROU_2026_DEFAULT
from yingdu.rules.money import Money
from yingdu.rules.subsidy import PolicyTerms

from .models import OverseasReadingChoice, PolicyVersion, RoundingRuleChoice, ServiceCategory

# every term of a version, in the order they are shown and logged
TERM_FIELDS = (
    "regular_rate", "regular_cap_fen", "overseas_reading", "overseas_uplift", "overseas_cap_fen",
    "annual_work_limit", "annual_budget_fen", "objection_window_working_days", "sla_working_days",
    "eligible_service_categories", "spot_check_sample_rate", "spot_check_minimum", "voucher_validity_days",
    "materials_checklist", "rounding_rule", "conflict_lookback_months", "spot_check_auto_draw_working_days",
    "publicity_working_days", "publicity_excluded_from_sla", "document_number_formats", "decision_remedies",
)
RATE_FIELDS = ("regular_rate", "overseas_uplift", "spot_check_sample_rate")
FEN_FIELDS = ("regular_cap_fen", "overseas_cap_fen", "annual_budget_fen")
BOOL_FIELDS = ("publicity_excluded_from_sla",)
# the value of a term absent from entries written before it existed
TERM_DEFAULTS = {"publicity_excluded_from_sla": False}
OPTIONAL_FIELDS = ("annual_budget_fen", "voucher_validity_days", "conflict_lookback_months",
                   "spot_check_auto_draw_working_days", "publicity_working_days", "document_number_formats",
                   "decision_remedies")
# the parts of the remedies-and-contact term, in the order a decision prints them
REMEDY_KEYS = ("review", "litigation", "contact_office", "contact_phone", "contact_address")
REQUIRED_REMEDY_KEYS = ("review", "litigation", "contact_office")

TERM_LABELS = {
    "title": _("标题"),
    "change_note": _("修订说明"),
    "regular_rate": _("常规补贴比例"),
    "regular_cap_fen": _("常规单部作品上限"),
    "overseas_reading": _("出海口径"),
    "overseas_uplift": _("出海上浮比例"),
    "overseas_cap_fen": _("出海单部作品上限"),
    "annual_work_limit": _("每家企业每年支持作品数"),
    "annual_budget_fen": _("年度预算"),
    "objection_window_working_days": _("异议期"),
    "sla_working_days": _("受理至兑现时限"),
    "eligible_service_categories": _("算力券可抵扣的服务"),
    "spot_check_sample_rate": _("每季度抽查比例"),
    "spot_check_minimum": _("每季度最少抽查"),
    "voucher_validity_days": _("算力券有效期"),
    "materials_checklist": _("申报材料清单"),
    "rounding_rule": _("舍入规则"),
    "conflict_lookback_months": _("回避追溯期"),
    "spot_check_auto_draw_working_days": _("自动抽签"),
    "publicity_working_days": _("获批公示期"),
    "publicity_excluded_from_sla": _("公示期是否计入审核时限"),
    "document_number_formats": _("公文文号格式"),
    "decision_remedies": _("救济途径与联系方式"),
}
REMEDY_LABELS = {
    "review": _("行政复议告知"),
    "litigation": _("行政诉讼告知"),
    "contact_office": _("联系部门"),
    "contact_phone": _("联系电话"),
    "contact_address": _("联系地址"),
}


def rate_text(value: Decimal) -> str:
    """An exact rate as plain decimal text without trailing zeros: Decimal("0.3000") → "0.3"."""
    return format(Decimal(value).normalize(), "f")


def percent_text(value: Decimal) -> str:
    """A rate as a percentage without trailing zeros: Decimal("0.3000") → "30"."""
    return format((Decimal(value) * 100).normalize(), "f")


def version_terms(version: PolicyVersion) -> dict:
    """All terms as JSON-ready data: rates as decimal strings, money as integer fen, no floats."""
    data = {}
    for field in TERM_FIELDS:
        value = getattr(version, field)
        data[field] = rate_text(value) if field in RATE_FIELDS else value
    data["eligible_service_categories"] = list(version.eligible_service_categories)
    data["materials_checklist"] = [dict(item) for item in version.materials_checklist]
    for field in ("document_number_formats", "decision_remedies"):
        data[field] = dict(data[field]) if data[field] is not None else None
    return data


def document_number_template(version: PolicyVersion | None, kind: str) -> str:
    """The number template of a kind of document in a version; the default policy's for a version from before the
    term existed (null) or when no version is in force."""
    formats = (version.document_number_formats if version is not None else None) or {}
    return formats.get(kind) or HUAIROU_2026_DEFAULT["document_number_formats"][kind]


def decision_remedies(version: PolicyVersion | None) -> dict[str, str]:
    """The remedies and contact a decision states, by REMEDY_KEYS (the default policy's where a version has none)."""
    remedies = (version.decision_remedies if version is not None else None) or HUAIROU_2026_DEFAULT["decision_remedies"]
    return {key: remedies.get(key, "") for key in REMEDY_KEYS}


def calculator_terms(version: PolicyVersion) -> PolicyTerms:
    """The subset of a version's terms that the subsidy calculator uses."""
    return PolicyTerms(
        version_id=version.version_id, regular_rate=Decimal(version.regular_rate),
        regular_cap_fen=version.regular_cap_fen, overseas_reading=version.overseas_reading,
        overseas_uplift=Decimal(version.overseas_uplift), overseas_cap_fen=version.overseas_cap_fen,
        annual_work_limit=version.annual_work_limit, rounding_rule=version.rounding_rule,
    )


def _document_term_display(field: str, value) -> str:
    """Document number formats (as code: their {year} and {number} are placeholders) and the remedies, which are
    policy text in Chinese on every page, marked as such."""
    if field == "document_number_formats":
        return gettext("按默认格式") if not value else format_html_join(
            gettext("；"), '{}：<code lang="zh-Hans">{}</code>',
            ((DocumentKind(kind).label, template) for kind, template in value.items() if kind in DocumentKind.values))
    return gettext("按默认表述") if not value else format_html_join(
        gettext("；"), '{}：<span lang="zh-Hans">{}</span>',
        ((REMEDY_LABELS[key], value[key]) for key in REMEDY_KEYS if value.get(key)))


# the terms shown as one text when unset and another with their value
_UNSET_OR_VALUE_TEXTS = {
    "voucher_validity_days": (gettext_noop("不设有效期"), gettext_noop("自发放之日起 {value} 天")),
    "conflict_lookback_months": (gettext_noop("不限期限"), gettext_noop("离职后 {value} 个月")),
    "spot_check_auto_draw_working_days": (gettext_noop("不自动抽签（由审计员抽签）"),
                                          gettext_noop("季度结束后第 {value} 个工作日")),
    "publicity_working_days": (gettext_noop("不公示"), gettext_noop("{value} 个工作日")),
}


def term_display(field: str, value) -> str:
    """A term's value for pages and diffs, in the active language (Chinese unless the user chose English)."""
    if field in RATE_FIELDS:
        return f"{percent_text(value)}%"
    if field in FEN_FIELDS:
        return gettext("不设") if value is None else gettext("{amount} 元").format(amount=Money(value).format_display())
    if field == "overseas_reading":
        return str(OverseasReadingChoice(value).label)
    if field == "rounding_rule":
        return str(RoundingRuleChoice(value).label)
    if field in ("objection_window_working_days", "sla_working_days"):
        return gettext("{value} 个工作日").format(value=value)
    if field == "annual_work_limit":
        return gettext("{value} 部").format(value=value)
    if field == "spot_check_minimum":
        return gettext("{value} 部作品").format(value=value)
    if field in _UNSET_OR_VALUE_TEXTS:
        unset, text = _UNSET_OR_VALUE_TEXTS[field]
        return gettext(unset) if value is None else gettext(text).format(value=value)
    if field == "publicity_excluded_from_sla":
        return gettext("不计入（公示期间审核时限暂停）") if value else gettext("计入")
    if field == "eligible_service_categories":
        return gettext("、").join(str(ServiceCategory(code).label) for code in value) or "—"
    if field == "materials_checklist":
        return gettext("；").join(item["label"] for item in value) or "—"
    if field in ("document_number_formats", "decision_remedies"):
        return _document_term_display(field, value)
    return str(value)
