"""The eligibility pre-check (达标即享): every published condition, pass or fail, with the reason."""

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingdu.enterprises.models import EnterpriseState
from yingdu.metering.selectors import work_verified_cost_microfen
from yingdu.policy.selectors import policy_version_in_force
from yingdu.policy.terms import calculator_terms
from yingdu.rules.money import Money, round_fen
from yingdu.rules.subsidy import Quote, quote
from yingdu.works.checks import form_problems
from yingdu.works.selectors import work_current_details, work_distributions_current, work_releases_current

from .models import (
    COUNTED_STATUSES,
    HOLDING_STATUSES,
    Application,
    ApplicationKind,
    ApplicationMaterial,
    ApplicationStatus,
)
from .selectors import application_invoiced

MICROFEN_PER_FEN = 1_000_000

# checklist codes the platform satisfies from records it already holds; any other code must be uploaded
AUTO_MATERIALS = {
    "business_licence": gettext_lazy("企业注册时上传并经核验的营业执照"),
    "release_record": gettext_lazy("作品的上线记录（平台、链接、上线日期、备案号或许可证号）"),
    "release_screenshot": gettext_lazy("上线记录中的上线页面截图"),
    "compute_statement": gettext_lazy("平台根据服务商上报的用量记录生成"),
    "production_description": gettext_lazy("作品信息中的 AI 技术、集数与单集时长、制作周期"),
    "overseas_agreement": gettext_lazy("出海记录中的发行协议"),
    "overseas_listing": gettext_lazy("出海记录中的海外上线证明"),
}
OVERSEAS_MATERIALS = frozenset({"overseas_agreement", "overseas_listing"})


@dataclass(frozen=True)
class Condition:
    code: str
    label: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class MaterialStatus:
    code: str
    label: str
    required: bool
    satisfied: bool
    source: str
    upload: ApplicationMaterial | None = None
    # uploaded by the applicant (not satisfied from records the platform holds)
    by_applicant: bool = False


@dataclass
class Precheck:
    conditions: list[Condition] = field(default_factory=list)
    materials: list[MaterialStatus] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(condition.passed for condition in self.conditions)

    @property
    def failed(self) -> list[Condition]:
        return [condition for condition in self.conditions if not condition.passed]


def verified_cost(work, *, rounding_rule: str) -> Money:
    """The work's verified metered cost, rounded to the fen by the policy's rule."""
    return Money(round_fen(Fraction(work_verified_cost_microfen(work), MICROFEN_PER_FEN), rule=rounding_rule))


def counted_applications(*, enterprise_id: int, year: int, exclude_pk: int | None = None) -> int:
    """Applications of the enterprise counted against the annual limit of ``year``."""
    queryset = Application.objects.filter(enterprise_id=enterprise_id, limit_year=year, counts_toward_limit=True,
                                          status__in=COUNTED_STATUSES)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.count()


def latest_materials(application: Application) -> dict[str, ApplicationMaterial]:
    latest: dict[str, ApplicationMaterial] = {}
    for material in application.materials.order_by("code", "-uploaded_at", "-id"):
        latest.setdefault(material.code, material)
    return latest


def application_quote(application: Application, *, version) -> tuple[Quote, int | None, str, dict]:
    """The amount for the application under ``version`` now: (quote, top-up amount in fen, explanation, detail)."""
    terms = calculator_terms(version)
    cost = verified_cost(application.work, rounding_rule=version.rounding_rule)
    # the base is min(verified metered cost, invoices declared) in the calculator (rules.subsidy.subsidy_base)
    invoiced = application_invoiced(application) if application.pk else None
    result = quote(verified_cost=cost, overseas=application.overseas_claimed, policy=terms, invoiced=invoiced)
    detail = dict(result.explanation_detail)
    explanation = result.explanation
    if application.kind != ApplicationKind.OVERSEAS_TOPUP:
        return result, result.amount.fen, explanation, detail
    paid_fen = application.topup_of.approved_amount_fen or 0
    topup_fen = max(result.amount.fen - paid_fen, 0)
    explanation += (f"已批准的常规补贴 {Money(paid_fen).format_display()} 元，"
                    f"本次出海追加 = {result.amount.format_display()} − {Money(paid_fen).format_display()} = "
                    f"{Money(topup_fen).format_display()} 元。")
    detail.update({"already_approved_fen": paid_fen, "topup_fen": topup_fen, "amount_fen": topup_fen})
    return result, topup_fen, explanation, detail


def _material_statuses(application: Application, *, checklist, releases, details, distributions,
                       cost_positive: bool) -> list[MaterialStatus]:
    uploads = latest_materials(application) if application.pk else {}
    release_with_number = any(r.licence_number for r in releases)
    auto_ok = {
        "business_licence": bool(application.enterprise.licence_sha256),
        "release_record": release_with_number,
        "release_screenshot": any(r.screenshot_sha256 for r in releases),
        "compute_statement": cost_positive,
        "production_description": details is not None and bool(details.ai_techniques),
        "overseas_agreement": any(d.agreement_sha256 for d in distributions),
        "overseas_listing": any(d.listing_sha256 for d in distributions),
    }
    statuses = []
    for item in checklist:
        # the policy's label, in the page's language when it is one of the catalogue's (the stored text stays Chinese)
        code, label = item["code"], _(item["label"])
        required = application.overseas_claimed or code not in OVERSEAS_MATERIALS
        if code in AUTO_MATERIALS:
            statuses.append(MaterialStatus(code, label, required, auto_ok[code], str(AUTO_MATERIALS[code])))
        else:
            upload = uploads.get(code)
            statuses.append(MaterialStatus(code, label, required, upload is not None, _("由申请人上传"), upload,
                                           by_applicant=True))
    return statuses


def precheck(application: Application, *, today: date) -> Precheck:
    """Each condition of the version in force (on the submission date once submitted) with pass/fail and why."""
    result = Precheck()
    add = result.conditions.append
    enterprise, work = application.enterprise, application.work
    on = application.submitted_on or today
    version = application.policy_version or policy_version_in_force(on=on)
    if version is None:
        add(Condition("policy_in_force", _("有生效的政策版本"), False,
                      _("{day} 没有生效的政策版本。").format(day=on.isoformat())))
        return result
    add(Condition("policy_in_force", _("有生效的政策版本"), True,
                  _("适用政策版本 {version}。").format(version=version.version_id)))

    if enterprise.state == EnterpriseState.VERIFIED:
        add(Condition("enterprise_verified", _("企业已核验且未被取消资格"), True, _("企业已通过核验。")))
    else:
        add(Condition("enterprise_verified", _("企业已核验且未被取消资格"), False,
                      _("企业当前状态为“{state}”。").format(state=enterprise.get_state_display())))

    details = work_current_details(work)
    if details is None:
        add(Condition("work_details", _("作品信息完整且与作品形式相符"), False,
                      _("尚未填写集数、单集时长、画幅和使用的AI技术。")))
    else:
        problems = form_problems(form=details.form, episode_count=details.episode_count,
                                 episode_min_seconds=details.episode_min_seconds,
                                 episode_max_seconds=details.episode_max_seconds, aspect_ratio=details.aspect_ratio)
        add(Condition("work_details", _("作品信息完整且与作品形式相符"), not problems,
                      " ".join(str(p.message) for p in problems) or
                      _("{form}，{episodes} 集，{aspect}。").format(form=details.get_form_display(),
                                                                  episodes=details.episode_count,
                                                                  aspect=details.get_aspect_ratio_display())))

    releases = list(work_releases_current(work))
    numbered = [r for r in releases if r.licence_number]
    if numbered:
        first = numbered[0]
        add(Condition("work_released", _("作品已上线并有备案号或发行许可证号"), True,
                      _("{day} 在{platform}上线，{kind} {number}。").format(
                          day=first.went_live_on.isoformat(), platform=first.platform_label,
                          kind=first.get_licence_kind_display(), number=first.licence_number)))
    else:
        add(Condition("work_released", _("作品已上线并有备案号或发行许可证号"), False,
                      _("还没有登记上线记录（平台、链接、上线日期、备案号或许可证号、截图）。")))

    cost = verified_cost(work, rounding_rule=version.rounding_rule)
    add(Condition("verified_cost_positive", _("平台核定的算力成本大于 0"), cost.fen > 0,
                  _("制作期内已接受的用量记录合计 {amount} 元。").format(amount=cost.format_display())
                  if cost.fen > 0 else _("制作期内没有已接受的用量记录，核定成本为 0。")))

    if application.kind == ApplicationKind.OVERSEAS_TOPUP:
        add(Condition("annual_limit", _("未超过每年支持作品数上限"), True, _("出海追加申请不计入年度作品数。")))
    else:
        year = on.year
        counted = counted_applications(enterprise_id=enterprise.pk, year=year, exclude_pk=application.pk)
        limit = version.annual_work_limit
        add(Condition("annual_limit", _("未超过每年支持作品数上限"), counted < limit,
                      _("{year} 年已有 {counted} 部作品计入申报，上限为 {limit} 部。").format(
                          year=year, counted=counted, limit=limit)))

    distributions = list(work_distributions_current(work))
    if not application.overseas_claimed:
        add(Condition("overseas_evidence", _("申请出海支持时有出海证明"), True, _("未申请出海支持。")))
    else:
        complete = [d for d in distributions if d.agreement_sha256 and d.listing_sha256]
        add(Condition("overseas_evidence", _("申请出海支持时有出海证明"), bool(complete),
                      _("已登记在{territory}的{platform}发行，片名“{title}”。").format(
                          territory=complete[0].territory, platform=complete[0].platform_label,
                          title=complete[0].listed_title)
                      if complete else _("申请了出海支持，但还没有登记出海发行（协议和海外上线证明）。")))

    result.materials = _material_statuses(application, checklist=version.materials_checklist, releases=releases,
                                          details=details, distributions=distributions, cost_positive=cost.fen > 0)
    missing = [m.label for m in result.materials if m.required and not m.satisfied]
    add(Condition("materials_complete", _("申报材料清单齐全"), not missing,
                  _("缺少：{materials}").format(materials=_("；").join(missing)) if missing
                  else _("清单所列材料均已具备。")))

    others = Application.objects.filter(work=work, kind=application.kind, status__in=HOLDING_STATUSES)
    if application.pk:
        others = others.exclude(pk=application.pk)
    other = others.first()
    add(Condition("no_other_application", _("该作品没有其他进行中或已批准的申请"), other is None,
                  _("没有。") if other is None else _("申请 #{number} 状态为“{status}”。").format(
                      number=other.pk, status=other.get_status_display())))

    if application.kind == ApplicationKind.OVERSEAS_TOPUP:
        base = application.topup_of
        ok = base is not None and base.status == ApplicationStatus.APPROVED and not base.overseas_claimed
        if ok:
            _quote, topup_fen, _text, _detail = application_quote(application, version=version)
            ok = topup_fen > 0
            reason = (_("可追加 {amount} 元。").format(amount=Money(topup_fen).format_display()) if ok
                      else _("按出海口径计算的补贴不高于已批准金额，没有可追加的差额。"))
        else:
            reason = _("作品的常规申请尚未批准，或已按出海口径批准。")
        add(Condition("topup_difference", _("有可追加的出海补贴差额"), ok, reason))
    return result
