"""Every write to works."""

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_roles
from yingdu.enterprises.models import EnterpriseState
from yingdu.errors import Conflict, DomainError, Forbidden, NotFound
from yingdu.files import IMAGE_ONLY, IMAGE_OR_PDF, store_upload
from yingdu.transparency.services import log_append

from .checks import LicenceNumberProblem, form_problems, licence_number_check
from .events import work_declared_event, work_details_event, work_distribution_event, work_release_event
from .models import (
    AiTechnique,
    AspectRatio,
    OverseasDistribution,
    ReleasePlatform,
    Work,
    WorkDetails,
    WorkForm,
    WorkRelease,
)

MSG_NOT_MEMBER = _("只有本企业成员可以登记作品")
MSG_ENTERPRISE_NOT_VERIFIED = _("企业尚未通过核验，不能登记作品")
MSG_TITLE_REQUIRED = _("请填写作品名称")
MSG_TAG_FORMAT = _("项目标签只能包含字母、数字、连字符和下划线，长度3–64")
MSG_TAG_TAKEN = _("该项目标签已被本企业的其他作品使用")
MSG_WINDOW = _("制作结束日期不能早于开始日期")
MSG_FORM = _("请选择作品形式")

MSG_ASPECT = _("请选择画幅")
MSG_AI_TECHNIQUE = _("未知的AI技术：{value}")
MSG_AI_TECHNIQUES_REQUIRED = _("请至少选择一项使用的AI技术")
MSG_PLATFORM = _("请从列表中选择平台")
MSG_PLATFORM_NAME_REQUIRED = _("选择“其他平台”时请填写平台名称")
MSG_URL = _("请填写以 http:// 或 https:// 开头的链接")
MSG_TERRITORY_REQUIRED = _("请填写发行地区")
MSG_LISTED_TITLE_REQUIRED = _("请填写海外上线片名")
MSG_FILE_REQUIRED = _("请上传{label}")
MSG_SUPERSEDED = _("该记录已被更正，请在最新记录上更正")
MSG_RECORD_NOT_FOUND = _("未找到要更正的记录")
MSG_REASON_REQUIRED = _("更正时请填写更正说明")
MSG_GO_LIVE_BEFORE_PRODUCTION = _("上线日期不能早于制作开始日期")

_TAG = re.compile(r"^[A-Za-z0-9_-]{3,64}$")


@dataclass(frozen=True)
class WorkFacts:
    """The facts of a work beyond its identity, checked against its form."""

    episode_count: int
    episode_min_seconds: int
    episode_max_seconds: int
    aspect_ratio: str
    ai_techniques: list[str] = field(default_factory=list)
    overseas_titles: list[str] = field(default_factory=list)


def _require_member(actor, enterprise) -> None:
    if Role.ENTERPRISE_MEMBER not in user_roles(actor) or actor.organisation_id != enterprise.organisation_id:
        raise Forbidden(MSG_NOT_MEMBER, code="not_enterprise_member")


def _clean_facts(*, form: str, facts: WorkFacts) -> WorkFacts:
    if facts.aspect_ratio not in AspectRatio.values:
        raise DomainError(MSG_ASPECT, code="aspect_ratio_invalid", field="aspect_ratio")
    techniques = list(dict.fromkeys(facts.ai_techniques))
    for value in techniques:
        if value not in AiTechnique.values:
            raise DomainError(str(MSG_AI_TECHNIQUE).format(value=value), code="ai_technique_invalid",
                              field="ai_techniques")
    if not techniques:
        raise DomainError(MSG_AI_TECHNIQUES_REQUIRED, code="ai_techniques_required", field="ai_techniques")
    problems = form_problems(form=form, episode_count=facts.episode_count,
                             episode_min_seconds=facts.episode_min_seconds,
                             episode_max_seconds=facts.episode_max_seconds, aspect_ratio=facts.aspect_ratio)
    if problems:
        first = problems[0]
        raise DomainError(" ".join(p.message for p in problems), code=first.code, field=first.field,
                          detail={"problems": [p.code for p in problems]})
    titles = [t.strip()[:200] for t in facts.overseas_titles if t and t.strip()]
    return WorkFacts(episode_count=facts.episode_count, episode_min_seconds=facts.episode_min_seconds,
                     episode_max_seconds=facts.episode_max_seconds, aspect_ratio=facts.aspect_ratio,
                     ai_techniques=techniques, overseas_titles=list(dict.fromkeys(titles)))


def _details_create(*, work: Work, revision: int, title: str, form: str, facts: WorkFacts, reason: str, actor,
                    now) -> WorkDetails:
    return WorkDetails.objects.create(
        work=work, revision=revision, title=title, form=form, overseas_titles=facts.overseas_titles,
        episode_count=facts.episode_count, episode_min_seconds=facts.episode_min_seconds,
        episode_max_seconds=facts.episode_max_seconds, aspect_ratio=facts.aspect_ratio,
        ai_techniques=facts.ai_techniques, reason=reason, recorded_by=actor, recorded_at=now,
    )


def work_declare(*, enterprise, actor, title: str, form: str, project_tag: str, production_start_on: date,
                 production_end_on: date, now, facts: WorkFacts | None = None) -> Work:
    """Declare a work of the actor's (verified) enterprise under a metering project tag, with its facts if given."""
    _require_member(actor, enterprise)
    if enterprise.state != EnterpriseState.VERIFIED:
        raise DomainError(MSG_ENTERPRISE_NOT_VERIFIED, code="enterprise_not_verified")
    title = title.strip()
    if not title:
        raise DomainError(MSG_TITLE_REQUIRED, code="field_required", field="title")
    if form not in WorkForm.values:
        raise DomainError(MSG_FORM, code="work_form_invalid", field="form")
    project_tag = project_tag.strip()
    if not _TAG.match(project_tag):
        raise DomainError(MSG_TAG_FORMAT, code="project_tag_invalid", field="project_tag")
    if production_end_on < production_start_on:
        raise DomainError(MSG_WINDOW, code="production_window_invalid", field="production_end_on")
    if facts is not None:
        facts = _clean_facts(form=form, facts=facts)
    try:
        with transaction.atomic():
            work = Work.objects.create(
                enterprise=enterprise, title=title, form=form, project_tag=project_tag,
                production_start_on=production_start_on, production_end_on=production_end_on,
                declared_by=actor, declared_at=now,
            )
            events = [work_declared_event(work)]
            if facts is not None:
                details = _details_create(work=work, revision=1, title=title, form=form, facts=facts, reason="",
                                          actor=actor, now=now)
                events.append(work_details_event(details))
            log_append(events=events, now=now)
    except IntegrityError:
        raise Conflict(MSG_TAG_TAKEN, code="project_tag_taken", field="project_tag") from None
    return work


def work_details_record(*, work: Work, actor, title: str, form: str, facts: WorkFacts, now,
                        reason: str = "") -> WorkDetails:
    """Record the work's facts as a new revision (the first, or a correction that supersedes the current one)."""
    _require_member(actor, work.enterprise)
    title = title.strip()
    if not title:
        raise DomainError(MSG_TITLE_REQUIRED, code="field_required", field="title")
    if form not in WorkForm.values:
        raise DomainError(MSG_FORM, code="work_form_invalid", field="form")
    facts = _clean_facts(form=form, facts=facts)
    with transaction.atomic():
        locked = Work.objects.select_for_update().get(pk=work.pk)
        latest = locked.details_revisions.order_by("-revision").first()
        if latest is not None and not reason.strip():
            raise DomainError(MSG_REASON_REQUIRED, code="reason_required", field="reason")
        details = _details_create(work=locked, revision=(latest.revision + 1) if latest else 1, title=title,
                                  form=form, facts=facts, reason=reason.strip(), actor=actor, now=now)
        log_append(events=[work_details_event(details)], now=now)
    return details


def _clean_platform(platform: str, platform_name: str) -> str:
    if platform not in ReleasePlatform.values:
        raise DomainError(MSG_PLATFORM, code="platform_invalid", field="platform")
    platform_name = (platform_name or "").strip()[:100]
    if platform == ReleasePlatform.OTHER and not platform_name:
        raise DomainError(MSG_PLATFORM_NAME_REQUIRED, code="field_required", field="platform_name")
    return platform_name if platform == ReleasePlatform.OTHER else ""


def _clean_url(url: str, *, required: bool) -> str:
    url = (url or "").strip()
    if not url and not required:
        return ""
    if not re.match(r"^https?://[^\s/$.?#][^\s]{2,}$", url) or len(url) > 500:
        raise DomainError(MSG_URL, code="url_invalid", field="url")
    return url


def _store(upload, *, category: str, label: str, field_name: str, kinds: frozenset[str] = IMAGE_OR_PDF):
    if upload is None:
        raise DomainError(str(MSG_FILE_REQUIRED).format(label=label), code="file_required", field=field_name)
    try:
        return store_upload(upload=upload, category=category, kinds=kinds)
    except DomainError as error:
        error.field = field_name
        raise


def _superseded_row(model, *, work: Work, supersedes_id: int | None, reason: str):
    if supersedes_id is None:
        return None
    if not reason.strip():
        raise DomainError(MSG_REASON_REQUIRED, code="reason_required", field="reason")
    row = model.objects.select_for_update().filter(pk=supersedes_id, work=work).first()
    if row is None:
        raise NotFound(MSG_RECORD_NOT_FOUND, code="record_not_found")
    if model.objects.filter(supersedes=row).exists():
        raise Conflict(MSG_SUPERSEDED, code="record_superseded")
    return row


def work_release_record(*, work: Work, actor, platform: str, url: str, went_live_on: date, licence_number: str,
                        screenshot, now, platform_name: str = "", supersedes_id: int | None = None,
                        reason: str = "") -> WorkRelease:
    """Record a release (platform, link, go-live date, NRTA number, screenshot); a correction supersedes a row."""
    _require_member(actor, work.enterprise)
    platform_name = _clean_platform(platform, platform_name)
    url = _clean_url(url, required=True)
    if went_live_on < work.production_start_on:
        raise DomainError(MSG_GO_LIVE_BEFORE_PRODUCTION, code="went_live_before_production", field="went_live_on")
    try:
        number = licence_number_check(licence_number, went_live_on=went_live_on)
    except LicenceNumberProblem as problem:
        raise DomainError(problem.message, code=problem.code, field="licence_number") from None
    stored = _store(screenshot, category="release_screenshots", label="上线页面截图", field_name="screenshot",
                    kinds=IMAGE_ONLY)
    try:
        with transaction.atomic():
            previous = _superseded_row(WorkRelease, work=work, supersedes_id=supersedes_id, reason=reason)
            release = WorkRelease.objects.create(
                work=work, platform=platform, platform_name=platform_name, url=url, went_live_on=went_live_on,
                licence_kind=number.kind, licence_number=number.number, screenshot_sha256=stored.sha256,
                screenshot_content_type=stored.content_type, screenshot_size=stored.size,
                screenshot_filename=(getattr(screenshot, "name", "") or "screenshot")[-200:],
                supersedes=previous, reason=reason.strip(), recorded_by=actor, recorded_at=now,
            )
            log_append(events=[work_release_event(release)], now=now)
    except IntegrityError:
        raise Conflict(MSG_SUPERSEDED, code="record_superseded") from None
    return release


def work_distribution_record(*, work: Work, actor, territory: str, platform: str, listed_title: str,
                             went_live_on: date, agreement, listing_evidence, now, platform_name: str = "",
                             url: str = "", supersedes_id: int | None = None,
                             reason: str = "") -> OverseasDistribution:
    """Record an overseas distribution with its agreement, listing evidence and the title used abroad."""
    _require_member(actor, work.enterprise)
    territory = (territory or "").strip()[:100]
    if not territory:
        raise DomainError(MSG_TERRITORY_REQUIRED, code="field_required", field="territory")
    platform_name = _clean_platform(platform, platform_name)
    listed_title = (listed_title or "").strip()[:200]
    if not listed_title:
        raise DomainError(MSG_LISTED_TITLE_REQUIRED, code="field_required", field="listed_title")
    url = _clean_url(url, required=False)
    if went_live_on < work.production_start_on:
        raise DomainError(MSG_GO_LIVE_BEFORE_PRODUCTION, code="went_live_before_production", field="went_live_on")
    agreement_file = _store(agreement, category="overseas_agreements", label="出海发行协议", field_name="agreement")
    listing_file = _store(listing_evidence, category="overseas_listings", label="海外上线证明",
                          field_name="listing_evidence")
    try:
        with transaction.atomic():
            previous = _superseded_row(OverseasDistribution, work=work, supersedes_id=supersedes_id, reason=reason)
            distribution = OverseasDistribution.objects.create(
                work=work, territory=territory, platform=platform, platform_name=platform_name,
                listed_title=listed_title, url=url, went_live_on=went_live_on,
                agreement_sha256=agreement_file.sha256, agreement_content_type=agreement_file.content_type,
                agreement_size=agreement_file.size,
                agreement_filename=(getattr(agreement, "name", "") or "agreement")[-200:],
                listing_sha256=listing_file.sha256, listing_content_type=listing_file.content_type,
                listing_size=listing_file.size,
                listing_filename=(getattr(listing_evidence, "name", "") or "listing")[-200:],
                supersedes=previous, reason=reason.strip(), recorded_by=actor, recorded_at=now,
            )
            log_append(events=[work_distribution_event(distribution)], now=now)
    except IntegrityError:
        raise Conflict(MSG_SUPERSEDED, code="record_superseded") from None
    return distribution
