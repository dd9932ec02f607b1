from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.security import django_auth

from yingdu.accounts.selectors import user_staff_roles
from yingdu.api_errors import errors
from yingdu.api_types import Count, Id, Limit, Line, LineList, Text, Token, TokenList
from yingdu.enterprises.selectors import enterprise_of_user
from yingdu.errors import Forbidden, NotFound
from yingdu.files import stored_file_response
from yingdu.lists import api_filter_data, api_filtered_page, api_list_description

from . import selectors, services
from .filters import WorkFilter

router = Router(tags=["作品"])


class DetailsOut(Schema):
    revision: int
    title: str
    overseas_titles: list[str]
    form: str
    episode_count: int
    episode_min_seconds: int
    episode_max_seconds: int
    aspect_ratio: str
    ai_techniques: list[str]
    reason: str
    recorded_at: datetime


class WorkOut(Schema):
    id: int
    enterprise_id: int
    title: str
    form: str
    project_tag: str
    production_start_on: date
    production_end_on: date
    declared_at: datetime
    details: DetailsOut | None = None

    @staticmethod
    def resolve_details(obj):
        return selectors.work_current_details(obj)


class FactsIn(Schema):
    episode_count: Count
    episode_min_seconds: Count
    episode_max_seconds: Count
    aspect_ratio: Token
    ai_techniques: TokenList
    overseas_titles: LineList = []

    def facts(self) -> services.WorkFacts:
        data = self.dict()
        return services.WorkFacts(**{name: data[name] for name in (
            "episode_count", "episode_min_seconds", "episode_max_seconds", "aspect_ratio", "ai_techniques",
            "overseas_titles")})


class DeclareIn(FactsIn):
    title: Line
    form: Token
    project_tag: Token
    production_start_on: date
    production_end_on: date


class DetailsIn(FactsIn):
    title: Line
    form: Token
    reason: Text = ""


class ReleaseIn(Schema):
    platform: Token
    platform_name: Line = ""
    url: Line
    went_live_on: date
    licence_number: Line
    supersedes_id: Id | None = None
    reason: Text = ""


class ReleaseOut(Schema):
    id: int
    platform: str
    platform_label: str
    url: str
    went_live_on: date
    licence_kind: str
    licence_number: str
    screenshot_sha256: str
    supersedes_id: int | None
    reason: str
    recorded_at: datetime


class DistributionIn(Schema):
    territory: Token
    platform: Token
    platform_name: Line = ""
    listed_title: Line
    url: Line = ""
    went_live_on: date
    supersedes_id: Id | None = None
    reason: Text = ""


class DistributionOut(Schema):
    id: int
    territory: str
    platform: str
    platform_label: str
    listed_title: str
    url: str
    went_live_on: date
    agreement_sha256: str
    listing_sha256: str
    supersedes_id: int | None
    reason: str
    recorded_at: datetime


@router.get("", response=list[WorkOut], auth=django_auth, summary="可见的作品列表",
            description=api_list_description("/works/"))
@errors(cursor_invalid=400, filter_invalid=400)
def work_list(request, response: HttpResponse, q: Line | None = None, form: Token | None = None,
              enterprise: Line | None = None, declared_from: date | None = None, declared_to: date | None = None,
              after: Token | None = None, limit: Limit = 100):
    data = api_filter_data(q=q, form=form, enterprise=enterprise, declared_from=declared_from,
                           declared_to=declared_to)
    filterset = WorkFilter(data, queryset=selectors.works_visible_to(request.user),
                           staff=bool(user_staff_roles(request.user)))
    return api_filtered_page(request, response, filterset, after=after, limit=limit)


@router.post("", response={201: WorkOut}, auth=django_auth, summary="登记作品（含集数、单集时长、画幅、AI技术）")
@errors(aspect_ratio_mismatch=400, field_required=400, work_form_invalid=400, not_enterprise_member=403)
def work_declare(request, payload: DeclareIn):
    enterprise = enterprise_of_user(request.user)
    if enterprise is None:
        raise Forbidden(services.MSG_NOT_MEMBER, code="not_enterprise_member")
    data = payload.dict()
    work = services.work_declare(
        enterprise=enterprise, actor=request.user, now=timezone.now(), facts=payload.facts(),
        **{k: data[k] for k in ("title", "form", "project_tag", "production_start_on", "production_end_on")})
    return 201, work


@router.get("/{int:work_id}", response=WorkOut, auth=django_auth, summary="作品详情")
@errors(work_not_found=404)
def work_detail(request, work_id: Id):
    return selectors.work_get_for(request.user, work_id)


@router.get("/{int:work_id}/details", response=list[DetailsOut], auth=django_auth, summary="作品信息的全部版本")
@errors(work_not_found=404)
def work_details_history(request, work_id: Id):
    return list(selectors.work_details_history(selectors.work_get_for(request.user, work_id)))


@router.post("/{int:work_id}/details", response={201: DetailsOut}, auth=django_auth,
             summary="记录作品信息的新版本（更正须说明理由）")
@errors(field_required=400, work_form_invalid=400, work_not_found=404)
def work_details_record(request, work_id: Id, payload: DetailsIn):
    work = selectors.work_get_for(request.user, work_id)
    details = services.work_details_record(work=work, actor=request.user, title=payload.title, form=payload.form,
                                           facts=payload.facts(), reason=payload.reason, now=timezone.now())
    return 201, details


@router.get("/{int:work_id}/releases", response=list[ReleaseOut], auth=django_auth, summary="上线记录（含已被更正的）")
@errors(work_not_found=404)
def release_list(request, work_id: Id):
    return list(selectors.work_releases_all(selectors.work_get_for(request.user, work_id)))


@router.post("/{int:work_id}/releases", response={201: ReleaseOut}, auth=django_auth, summary="登记上线记录")
@errors(platform_invalid=400, work_not_found=404)
def release_record(request, work_id: Id, payload: Form[ReleaseIn], screenshot: File[UploadedFile]):
    work = selectors.work_get_for(request.user, work_id)
    return 201, services.work_release_record(work=work, actor=request.user, screenshot=screenshot,
                                             now=timezone.now(), **payload.dict())


@router.get("/{int:work_id}/releases/{int:release_id}/screenshot", auth=django_auth, summary="下载上线截图")
@errors(release_not_found=404, work_not_found=404)
def release_screenshot(request, work_id: Id, release_id: Id):
    release = selectors.work_release_get(selectors.work_get_for(request.user, work_id), release_id)
    return stored_file_response(category="release_screenshots", sha256=release.screenshot_sha256,
                                content_type=release.screenshot_content_type, filename=release.screenshot_filename)


@router.get("/{int:work_id}/distributions", response=list[DistributionOut], auth=django_auth,
            summary="出海发行记录（含已被更正的）")
@errors(work_not_found=404)
def distribution_list(request, work_id: Id):
    return list(selectors.work_distributions_all(selectors.work_get_for(request.user, work_id)))


@router.post("/{int:work_id}/distributions", response={201: DistributionOut}, auth=django_auth,
             summary="登记出海发行（协议、海外上线证明、片名对应）")
@errors(field_required=400, platform_invalid=400, work_not_found=404)
def distribution_record(request, work_id: Id, payload: Form[DistributionIn], agreement: File[UploadedFile],
                        listing_evidence: File[UploadedFile]):
    work = selectors.work_get_for(request.user, work_id)
    return 201, services.work_distribution_record(work=work, actor=request.user, agreement=agreement,
                                                  listing_evidence=listing_evidence, now=timezone.now(),
                                                  **payload.dict())


@router.get("/{int:work_id}/distributions/{int:distribution_id}/{kind}", auth=django_auth,
            summary="下载出海协议（agreement）或海外上线证明（listing）")
@errors(distribution_not_found=404, work_not_found=404)
def distribution_file(request, work_id: Id, distribution_id: Id, kind: Token):
    distribution = selectors.work_distribution_get(selectors.work_get_for(request.user, work_id), distribution_id)
    if kind not in ("agreement", "listing"):
        raise NotFound("未找到", code="not_found")
    category = "overseas_agreements" if kind == "agreement" else "overseas_listings"
    return stored_file_response(category=category, sha256=getattr(distribution, f"{kind}_sha256"),
                                content_type=getattr(distribution, f"{kind}_content_type"),
                                filename=getattr(distribution, f"{kind}_filename"))
