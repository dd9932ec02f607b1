"""Every write to applications: drafts, materials and the workflow transitions of workflow.py."""

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_roles
from yingdu.actors import SYSTEM, is_system
from yingdu.documents.models import DocumentKind
from yingdu.documents.services import document_number_issue
from yingdu.duties.cases import application_case
from yingdu.duties.services import require_independent
from yingdu.enterprises.models import Enterprise
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.files import store_upload
from yingdu.policy.selectors import policy_version_in_force, policy_version_require_in_force, work_calendar
from yingdu.transparency.services import log_append
from yingdu.vouchers.services import voucher_issue

from .eligibility import AUTO_MATERIALS, application_quote, precheck
from .events import (
    DOCUMENT_OF_STEP,
    application_created_event,
    application_transition_event,
    material_uploaded_event,
)
from .models import (
    OPEN_STATUSES,
    Application,
    ApplicationKind,
    ApplicationMaterial,
    ApplicationStatus,
    ApplicationTransition,
    SupplementRequest,
)
from .selectors import application_sla, objections_by_work, publicity_periods_by_application
from .sla import publicity_last_day
from .workflow import REVIEW_ACTIONS, TRANSITIONS, ApplicationAction

logger = logging.getLogger(__name__)

MSG_NOT_MEMBER = _("只有本企业成员可以办理本企业的申请")
MSG_ROLE_NOT_ALLOWED = _("您的角色不能执行“{action}”")
MSG_TRANSITION_NOT_ALLOWED = _("申请当前状态为“{status}”，不能执行“{action}”")
MSG_REASON_REQUIRED = _("请填写理由")
MSG_ALREADY_APPLIED = _("该作品已有进行中或已批准的申请，不能重复申请")
MSG_PRECHECK_FAILED = _("尚不满足申请条件：{conditions}")
MSG_ANNUAL_LIMIT_REACHED = _("{year} 年本企业已有 {counted} 部作品计入申报，已达到每年 {limit} 部的上限")
MSG_FOUR_EYES = _("您审核过该申请，按“双人复核”规定不能由您批准，请交由其他审批员")
MSG_SUPPLEMENT_ITEMS_REQUIRED = _("请列出需要补充的材料")
MSG_SUPPLEMENT_MESSAGE_REQUIRED = _("请填写补充材料的说明")
MSG_MATERIAL_UNKNOWN = _("“{code}”不在申报材料清单中，或由平台自动提供，无需上传")
MSG_MATERIAL_CLOSED = _("申请当前状态为“{status}”，不能上传材料")
MSG_TOPUP_NOT_POSSIBLE = _("只有已批准、且未按出海口径支持的作品补贴申请可以申请出海追加")
MSG_AMOUNT_UNAVAILABLE = _("无法计算补贴金额：{reason}")
MSG_NOTICE_INCOMPLETE = _("有 {count} 条计入补贴的用量记录尚未以数据告知书（或补充告知书）告知企业，告知后才能批准")
MSG_OBJECTION_PENDING = _("该作品的数据告知书有待处理的异议，处理后才能批准")

_UPLOAD_STATUSES = (ApplicationStatus.DRAFT, ApplicationStatus.SUPPLEMENT_REQUESTED)


def _require_member(actor, enterprise) -> None:
    if Role.ENTERPRISE_MEMBER not in user_roles(actor) or actor.organisation_id != enterprise.organisation_id:
        raise Forbidden(MSG_NOT_MEMBER, code="not_enterprise_member")


def _create(*, work, actor, now, kind: str, overseas_claimed: bool, topup_of=None) -> Application:
    _require_member(actor, work.enterprise)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                enterprise=work.enterprise, work=work, kind=kind, overseas_claimed=overseas_claimed,
                topup_of=topup_of, status=ApplicationStatus.DRAFT, created_by=actor, created_at=now,
                counts_toward_limit=kind == ApplicationKind.REGULAR,
            )
            log_append(events=[application_created_event(application)], now=now)
    except IntegrityError:
        raise Conflict(MSG_ALREADY_APPLIED, code="application_exists") from None
    return application


def application_create(*, work, actor, now, overseas_claimed: bool = False) -> Application:
    """Open a draft application for a work of the actor's enterprise (one per work unless refused or withdrawn)."""
    return _create(work=work, actor=actor, now=now, kind=ApplicationKind.REGULAR, overseas_claimed=overseas_claimed)


def application_topup_create(*, base: Application, actor, now) -> Application:
    """Open an overseas top-up draft for an approved application that was supported at the regular rate."""
    if base.kind != ApplicationKind.REGULAR or base.status != ApplicationStatus.APPROVED or base.overseas_claimed:
        raise Conflict(MSG_TOPUP_NOT_POSSIBLE, code="topup_not_possible")
    return _create(work=base.work, actor=actor, now=now, kind=ApplicationKind.OVERSEAS_TOPUP, overseas_claimed=True,
                   topup_of=base)


def _checklist_for(application: Application, *, today) -> list[dict]:
    version = application.policy_version or policy_version_in_force(on=today)
    return list(version.materials_checklist) if version is not None else []


def application_material_upload(*, application: Application, code: str, upload, actor, now) -> ApplicationMaterial:
    """Upload a checklist material that the platform does not already hold (draft or while a supplement is due)."""
    _require_member(actor, application.enterprise)
    items = {item["code"]: item["label"] for item in _checklist_for(application, today=timezone.localdate(now))}
    if code not in items or code in AUTO_MATERIALS:
        raise DomainError(str(MSG_MATERIAL_UNKNOWN).format(code=code), code="material_unknown", field="code")
    if application.status not in _UPLOAD_STATUSES:
        raise Conflict(str(MSG_MATERIAL_CLOSED).format(status=application.get_status_display()),
                       code="material_upload_closed")
    stored = store_upload(upload=upload, category="application_materials")
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status not in _UPLOAD_STATUSES:
            raise Conflict(str(MSG_MATERIAL_CLOSED).format(status=locked.get_status_display()),
                           code="material_upload_closed")
        material = ApplicationMaterial.objects.create(
            application=locked, code=code, label=items[code], sha256=stored.sha256,
            content_type=stored.content_type, size=stored.size,
            filename=(getattr(upload, "name", "") or code)[-200:], uploaded_by=actor, uploaded_at=now,
        )
        log_append(events=[material_uploaded_event(material)], now=now)
    return material


def _transition(*, application: Application, action: ApplicationAction, actor, now, reason: str = "",
                apply: Callable[[Application], dict] | None = None, lock_enterprise: bool = False,
                close_supplements: bool = False, then: Callable[[Application], None] | None = None) -> Application:
    """Check role, membership, reason and source status, then apply the step, record it and log it atomically.

    ``close_supplements`` closes a supplement request left open (a decision or a withdrawal); ``then`` runs after the
    step's entry is appended, in the same transaction, for its effects in other apps (their entries follow it).
    """
    transition = TRANSITIONS[action]
    if is_system(actor):
        # the platform takes only the steps that no role takes (the end of 公示)
        if transition.roles:
            raise Forbidden(str(MSG_ROLE_NOT_ALLOWED).format(action=transition.label), code="role_not_allowed")
    elif not (user_roles(actor) & transition.roles):
        raise Forbidden(str(MSG_ROLE_NOT_ALLOWED).format(action=transition.label), code="role_not_allowed")
    if Role.ENTERPRISE_MEMBER in transition.roles:
        _require_member(actor, application.enterprise)
    else:
        require_independent(actor, application_case(application), now=now)
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise DomainError(MSG_REASON_REQUIRED, code="reason_required", field="reason")
    with transaction.atomic():
        if lock_enterprise:
            # serialises the enterprise's submissions: PostgreSQL row lock; SQLite has one writer (BEGIN IMMEDIATE)
            Enterprise.objects.select_for_update().filter(pk=application.enterprise_id).first()
        locked = (Application.objects.select_for_update(of=("self",))
                  .select_related("enterprise", "work", "topup_of").get(pk=application.pk))
        if locked.status not in transition.sources:
            raise Conflict(
                str(MSG_TRANSITION_NOT_ALLOWED).format(status=locked.get_status_display(), action=transition.label),
                code="transition_not_allowed", detail={"status": locked.status, "action": action})
        detail = apply(locked) if apply is not None else {}
        closed = _close_open_supplements(locked, actor=actor, now=now) if close_supplements else []
        record = ApplicationTransition.objects.create(
            application=locked, action=action, from_status=locked.status, to_status=transition.target,
            actor=None if is_system(actor) else actor,
            at=now, on=timezone.localdate(now), reason=reason, detail=detail,
        )
        locked.status = transition.target
        _sla_cache(locked, today=timezone.localdate(now))
        locked.save()
        document = _document_issue(action, locked, detail, now=now)
        log_append(events=[application_transition_event(action, locked, record, supplements_closed=closed,
                                                        document=document)], now=now)
        if then is not None:
            then(locked)
    return locked


def _document_issue(action: ApplicationAction, application: Application, detail: dict, *, now):
    """Number the notice the step issues (acceptance, supplement request, decision), if it issues one."""
    if action not in DOCUMENT_OF_STEP:
        return None
    kind, _subject = DOCUMENT_OF_STEP[action]
    subject_id = detail["supplement_request"] if kind == DocumentKind.SUPPLEMENT else application.pk
    return document_number_issue(kind=kind, subject_id=subject_id, now=now)


def application_submit(*, application: Application, actor, now) -> Application:
    """Submit a draft: every pre-check condition must pass; the annual limit is counted under the enterprise lock."""
    today = timezone.localdate(now)

    def apply(locked: Application) -> dict:
        version = policy_version_require_in_force(on=today)
        result = precheck(locked, today=today)
        failed = {condition.code: condition for condition in result.failed}
        if "annual_limit" in failed:
            raise Conflict(failed["annual_limit"].reason, code="annual_limit_reached",
                           detail={"year": today.year, "annual_work_limit": version.annual_work_limit})
        if failed:
            raise DomainError(
                str(MSG_PRECHECK_FAILED).format(conditions="；".join(c.label for c in failed.values())),
                code="precheck_failed",
                detail={"failed": [{"code": c.code, "label": c.label, "reason": c.reason} for c in failed.values()]})
        locked.submitted_at = now
        locked.submitted_on = today
        locked.limit_year = today.year
        locked.policy_version = version
        return {"policy_version": version.version_id, "limit_year": today.year,
                "counts_toward_limit": locked.counts_toward_limit}

    return _transition(application=application, action=ApplicationAction.SUBMIT, actor=actor, now=now, apply=apply,
                       lock_enterprise=True)


def application_accept(*, application: Application, actor, now, reason: str = "") -> Application:
    """Intake: the materials are complete; the SLA clock starts today with the policy's working days."""
    def apply(locked: Application) -> dict:
        locked.accepted_on = timezone.localdate(now)
        locked.sla_working_days = locked.policy_version.sla_working_days
        locked.reviewer = actor
        return {"accepted_on": locked.accepted_on.isoformat(), "sla_working_days": locked.sla_working_days}

    return _transition(application=application, action=ApplicationAction.ACCEPT, actor=actor, now=now, reason=reason,
                       apply=apply)


def _compute_review_amount(locked: Application, now) -> dict:
    try:
        result, amount_fen, explanation, detail = application_quote(locked, version=locked.policy_version)
    except DomainError as error:
        raise DomainError(str(MSG_AMOUNT_UNAVAILABLE).format(reason=error.message), code="amount_unavailable") from None
    # the verified metered cost; the base (lower when invoices bound it) is in the detail
    locked.verified_cost_fen = result.metered_cost.fen
    locked.review_amount_fen = amount_fen
    locked.review_explanation = explanation
    locked.review_detail = detail
    locked.reviewed_at = now
    return {"verified_cost_fen": result.metered_cost.fen, "amount_fen": amount_fen,
            "policy_version": locked.policy_version.version_id}


def _issue_data_notice(application: Application, *, now) -> None:
    """Send the enterprise the usage statement behind the amount (the metering objection flow then applies); when
    its objection deadline awaits an official calendar year, the notice is queued as owed, never dropped."""
    from yingdu.notices.services import data_notice_request

    work = application.work
    today = timezone.localdate(now)
    try:
        data_notice_request(work=work, period_start_on=work.production_start_on,
                            period_end_on=min(work.production_end_on, today), actor=SYSTEM, now=now)
    except DomainError as error:
        # the review stands; staff can issue the notice from the notices page once the cause is fixed
        logger.warning("data notice for application %s not issued: %s", application.pk, error.code)


def application_start_review(*, application: Application, actor, now, reason: str = "",
                             issue_data_notice: bool = True) -> Application:
    """Start the review: compute the amount from today's verified cost, then send the data notice."""
    def apply(locked: Application) -> dict:
        locked.reviewer = actor
        return _compute_review_amount(locked, now)

    reviewed = _transition(application=application, action=ApplicationAction.START_REVIEW, actor=actor, now=now,
                           reason=reason, apply=apply)
    if issue_data_notice:
        _issue_data_notice(reviewed, now=now)
    return reviewed


NEED_RELEASE = "release"
NEED_MATERIAL_PREFIX = "material:"
MSG_SUPPLEMENT_NEED_UNKNOWN = _("“{need}”不是可以要求补充的材料")
MSG_SUPPLEMENT_ITEM_UNANSWERED = _("请为第 {number} 项“{item}”提供所需的文件")
MSG_SUPPLEMENT_RELEASE_CHOICE = _("请选择要更换截图的上线记录")
MSG_SUPPLEMENT_RELEASE_REASON = _("按补充材料要求更换上线页面截图")
# stored in Chinese with the request (as the checklist's labels are) and translated where it is shown
RELEASE_NEED_LABEL = gettext_noop("上线页面截图（替换现有上线记录的截图）")


def _item_unanswered(request, index: int) -> str:
    """The refusal of an unanswered item, naming it by its number and its label as the page shows it: translated
    where the catalogue knows the stored (Chinese) label, else quoted as stored, as the request wrote it."""
    return str(MSG_SUPPLEMENT_ITEM_UNANSWERED).format(number=index + 1, item=gettext(request.items[index]))


def supplement_need_choices(application: Application, *, today) -> list[tuple[str, str]]:
    """What a reviewer may ask for item by item: the checklist materials the applicant uploads, and a new release
    screenshot when the work has a current release; (need, label) pairs, the labels as stored (Chinese)."""
    from yingdu.works.selectors import work_releases_current

    choices = [(f"{NEED_MATERIAL_PREFIX}{item['code']}", item["label"])
               for item in _checklist_for(application, today=today) if item["code"] not in AUTO_MATERIALS]
    if work_releases_current(application.work).exists():
        choices.append((NEED_RELEASE, RELEASE_NEED_LABEL))
    return choices


def application_request_supplement(*, application: Application, actor, items: list[str], message: str,
                                   now, needs: list[str] | None = None) -> Application:
    """Ask for supplementary materials (items and a message); the SLA clock pauses from today.

    ``needs`` are structured items (a checklist material to upload, a new release screenshot) listed before the
    free-text ``items``; each is answered by its own upload on the answer form."""
    choices = dict(supplement_need_choices(application, today=timezone.localdate(now))) if needs else {}
    needs = list(dict.fromkeys(need.strip() for need in needs or () if need and need.strip()))
    for need in needs:
        if need not in choices:
            raise DomainError(str(MSG_SUPPLEMENT_NEED_UNKNOWN).format(need=need), code="supplement_need_unknown",
                              field="needs")
    texts = [item.strip() for item in items if item and item.strip()]
    items = [choices[need] for need in needs] + texts
    message = (message or "").strip()
    if not items:
        raise DomainError(MSG_SUPPLEMENT_ITEMS_REQUIRED, code="supplement_items_required", field="items")
    if not message:
        raise DomainError(MSG_SUPPLEMENT_MESSAGE_REQUIRED, code="supplement_message_required", field="message")
    item_needs = needs + [""] * len(texts)

    def apply(locked: Application) -> dict:
        request = SupplementRequest.objects.create(
            application=locked, items=items, needs=item_needs if needs else [], message=message,
            requested_by=actor, requested_at=now, requested_on=timezone.localdate(now))
        detail = {"supplement_request": request.pk, "items": items, "paused_from": request.requested_on.isoformat()}
        if needs:
            detail["needs"] = item_needs
        return detail

    return _transition(application=application, action=ApplicationAction.REQUEST_SUPPLEMENT, actor=actor, now=now,
                       reason=message, apply=apply)


def _supplement_answers(locked: Application, request: SupplementRequest) -> list[dict]:
    """What answers each structured item of the request: the newest upload of its material, or the newest release
    of the work, recorded since the request; an item without one is refused."""
    from yingdu.works.selectors import work_releases_recorded_since

    answers = []
    for index, need in enumerate(request.needs):
        found = None
        if need.startswith(NEED_MATERIAL_PREFIX):
            material = locked.materials.filter(code=need.removeprefix(NEED_MATERIAL_PREFIX),
                                               uploaded_at__gte=request.requested_at).order_by("-uploaded_at", "-id")
            found = {"item": index, "material": material.values_list("pk", flat=True).first()}
        elif need == NEED_RELEASE:
            release = work_releases_recorded_since(locked.work, since=request.requested_at).first()
            found = {"item": index, "release": release.pk if release else None}
        if found is None:
            continue
        if None in found.values():
            raise Conflict(_item_unanswered(request, index), code="supplement_item_unanswered",
                           field=f"item-{index}")
        answers.append(found)
    return answers


def application_resubmit(*, application: Application, actor, now, response: str = "") -> Application:
    """The applicant answers the open supplement request; the clock resumes and the amount is computed again.

    Each structured item must have been answered since the request (its material uploaded, a new release
    recorded); what answered it is kept on the request, item by item."""
    def apply(locked: Application) -> dict:
        request = locked.supplement_requests.select_for_update().filter(resumed_on__isnull=True).order_by("-id").first()
        answers = _supplement_answers(locked, request)
        request.response = (response or "").strip()
        request.resumed_by = actor
        request.resumed_at = now
        request.resumed_on = timezone.localdate(now)
        request.answers = answers
        request.save()
        detail = {"supplement_request": request.pk, "paused_from": request.requested_on.isoformat(),
                  "paused_to": request.resumed_on.isoformat()}
        if request.needs:
            detail["answers"] = answers
        return {**detail, **_compute_review_amount(locked, now)}

    return _transition(application=application, action=ApplicationAction.RESUBMIT, actor=actor, now=now,
                       reason=response, apply=apply)


def application_supplement_answer(*, application: Application, actor, now, message: str,
                                  uploads: dict[int, object], release_choices: dict[int, int]) -> Application:
    """Answer the open supplement request from one form: per item its upload (a checklist material, or a new
    screenshot recorded as a release superseding the chosen current one, its other facts unchanged), then resubmit
    with the message. All or nothing."""

    _require_member(actor, application.enterprise)
    request = application.supplement_requests.filter(resumed_on__isnull=True).order_by("-id").first()
    if application.status != ApplicationStatus.SUPPLEMENT_REQUESTED or request is None:
        raise Conflict(str(MSG_TRANSITION_NOT_ALLOWED).format(status=application.get_status_display(),
                                                              action=TRANSITIONS[ApplicationAction.RESUBMIT].label),
                       code="transition_not_allowed")
    with transaction.atomic():
        for index, need in enumerate(request.needs):
            upload = uploads.get(index)
            if need and upload is None:
                raise DomainError(_item_unanswered(request, index), code="supplement_item_unanswered",
                                  field=f"item-{index}")
            try:
                _supplement_item_answer(application, actor=actor, now=now, need=need, upload=upload,
                                        release_id=release_choices.get(index))
            except DomainError as error:
                error.field = f"item-{index}"
                raise
        return application_resubmit(application=application, actor=actor, now=now, response=message)


def _supplement_item_answer(application: Application, *, actor, now, need: str, upload, release_id) -> None:
    """Record one item's upload: the checklist material, or the release that supersedes the chosen one."""
    from yingdu.works.selectors import work_releases_current
    from yingdu.works.services import work_release_record

    if need.startswith(NEED_MATERIAL_PREFIX):
        application_material_upload(application=application, code=need.removeprefix(NEED_MATERIAL_PREFIX),
                                    upload=upload, actor=actor, now=now)
    elif need == NEED_RELEASE:
        current = work_releases_current(application.work).filter(pk=release_id).first()
        if current is None:
            raise DomainError(MSG_SUPPLEMENT_RELEASE_CHOICE, code="supplement_release_choice")
        work_release_record(work=application.work, actor=actor, platform=current.platform,
                            platform_name=current.platform_name, url=current.url, went_live_on=current.went_live_on,
                            licence_number=current.licence_number, screenshot=upload, now=now,
                            supersedes_id=current.pk, reason=str(MSG_SUPPLEMENT_RELEASE_REASON))


def _require_told(application: Application) -> None:
    """The amount rests only on records the enterprise was told of and could object to: every record that counts
    is on a data notice of the work (a supplementary one for records that came later), and no objection is open."""
    from yingdu.notices.selectors import work_notice_gap, work_open_objections

    gap = work_notice_gap(application.work)
    if gap:
        raise Conflict(str(MSG_NOTICE_INCOMPLETE).format(count=gap), code="notice_incomplete",
                       detail={"unnoticed_records": gap})
    if work_open_objections(application.work).exists():
        raise Conflict(MSG_OBJECTION_PENDING, code="objection_pending")


def application_approve(*, application: Application, actor, now, reason: str = "") -> Application:
    """Approve (four-eyes: not by anyone who reviewed it); the amount is computed now, fixed and issued as a voucher.

    Under a policy version with a 公示 period the approval is a proposed award instead (拟支持, status 公示中): the
    amount is fixed now, shown publicly for the period, and issued by ``application_publicity_conclude``."""
    version = application.policy_version
    publicity_days = version.publicity_working_days if version is not None else None
    today = timezone.localdate(now)

    def apply(locked: Application) -> dict:
        if locked.transitions.filter(actor=actor, action__in=REVIEW_ACTIONS).exists():
            raise Forbidden(MSG_FOUR_EYES, code="four_eyes")
        _require_told(locked)
        review = _compute_review_amount(locked, now)
        locked.approved_amount_fen = locked.review_amount_fen
        locked.approved_explanation = locked.review_explanation
        locked.approved_detail = locked.review_detail
        locked.decision_reason = (reason or "").strip()
        detail = {**review, "approved_amount_fen": locked.approved_amount_fen}
        if not publicity_days:
            locked.decided_at = now
            return detail
        # the voucher waits for the end of 公示; the review clock runs on (or pauses, as the version says)
        ends_on = publicity_last_day(proposed_on=today, working_days=publicity_days, calendar=work_calendar())
        return {**detail, "publicity_working_days": publicity_days,
                "publicity_ends_on": ends_on.isoformat() if ends_on is not None else None,
                "publicity_excluded_from_sla": version.publicity_excluded_from_sla}

    def issue(approved: Application) -> None:
        # in the approval's transaction (approved if and only if issued), after its entry: the cause, then the effect
        if approved.approved_amount_fen > 0:
            voucher_issue(enterprise=approved.enterprise, work_id=approved.work_id, application_id=approved.pk,
                          amount_fen=approved.approved_amount_fen, actor=actor, now=now)

    if publicity_days:
        return _transition(application=application, action=ApplicationAction.PROPOSE, actor=actor, now=now,
                           reason=reason, apply=apply)
    return _transition(application=application, action=ApplicationAction.APPROVE, actor=actor, now=now, reason=reason,
                       apply=apply, then=issue)


def application_reject(*, application: Application, actor, reason: str, now) -> Application:
    """Refuse support with a reason; the place under the annual limit is released."""
    def apply(locked: Application) -> dict:
        locked.decided_at = now
        locked.decision_reason = reason.strip()
        return {}

    return _transition(application=application, action=ApplicationAction.REJECT, actor=actor, now=now, reason=reason,
                       apply=apply, close_supplements=True)


def application_withdraw(*, application: Application, actor, now, reason: str = "") -> Application:
    """The applicant withdraws before a decision; the place under the annual limit is released."""
    return _transition(application=application, action=ApplicationAction.WITHDRAW, actor=actor, now=now,
                       reason=reason, close_supplements=True)


def _close_open_supplements(locked: Application, *, actor, now) -> list[int]:
    """Close the supplement requests still open (the clock stops with the decision); their ids."""
    open_requests = locked.supplement_requests.select_for_update().filter(resumed_on__isnull=True)
    closed = sorted(open_requests.values_list("pk", flat=True))
    SupplementRequest.objects.filter(pk__in=closed).update(resumed_by=actor, resumed_at=now,
                                                           resumed_on=timezone.localdate(now))
    return closed


def application_transition_by_action(*, application: Application, action: str, actor, now, reason: str = "",
                                     items: list[str] | None = None,
                                     needs: list[str] | None = None) -> Application:
    """Dispatch a named action from a page or the API to its service."""
    if action == ApplicationAction.SUBMIT:
        return application_submit(application=application, actor=actor, now=now)
    if action == ApplicationAction.ACCEPT:
        return application_accept(application=application, actor=actor, now=now, reason=reason)
    if action == ApplicationAction.START_REVIEW:
        return application_start_review(application=application, actor=actor, now=now, reason=reason)
    if action == ApplicationAction.REQUEST_SUPPLEMENT:
        return application_request_supplement(application=application, actor=actor, items=items or [],
                                              message=reason, now=now, needs=needs)
    if action == ApplicationAction.RESUBMIT:
        return application_resubmit(application=application, actor=actor, now=now, response=reason)
    if action == ApplicationAction.APPROVE:
        return application_approve(application=application, actor=actor, now=now, reason=reason)
    if action == ApplicationAction.REJECT:
        return application_reject(application=application, actor=actor, reason=reason, now=now)
    if action == ApplicationAction.WITHDRAW:
        return application_withdraw(application=application, actor=actor, now=now, reason=reason)
    raise DomainError(_("未知操作"), code="unknown_action", status=404)


def _sla_cache(application: Application, *, today, calendar=None, objections=None, publicity=None) -> None:
    """Set the stored review clock (sort and filter columns of the queue) from the audited rows, as of ``today``."""
    sla = application_sla(application, today=today, calendar=calendar, objections=objections, publicity=publicity)
    application.sla_deadline_on = sla.deadline_on if sla is not None else None
    application.sla_deadline_not_before = sla.deadline_not_before if sla is not None else None
    application.sla_paused = bool(sla is not None and sla.paused_now)
    application.sla_refreshed_on = today


SLA_CACHE_FIELDS = ["sla_deadline_on", "sla_deadline_not_before", "sla_paused", "sla_refreshed_on"]


def application_sla_refresh(*, applications, today) -> int:
    """Recompute the stored review clock of these applications (open ones; a cache, not a record: no log entry, the
    audit compares it with the clock recomputed from the audited rows). Returns how many changed."""
    applications = list(applications)
    calendar = work_calendar()
    objections = objections_by_work({a.work_id for a in applications})
    publicity = publicity_periods_by_application([a.pk for a in applications])
    changed = []
    for application in applications:
        before = tuple(getattr(application, name) for name in SLA_CACHE_FIELDS)
        _sla_cache(application, today=today, calendar=calendar, objections=objections[application.work_id],
                   publicity=publicity[application.pk])
        if tuple(getattr(application, name) for name in SLA_CACHE_FIELDS) != before:
            changed.append(application)
    Application.objects.bulk_update(changed, SLA_CACHE_FIELDS, batch_size=500)
    return len(changed)


def applications_sla_refresh_for_work(*, work_id: int, today) -> int:
    """An objection to the work's notice was filed or decided: its open applications' clocks pause or resume."""
    return application_sla_refresh(
        applications=Application.objects.filter(work_id=work_id, status__in=OPEN_STATUSES,
                                                accepted_on__isnull=False).prefetch_related("supplement_requests"),
        today=today)


def applications_sla_refresh_open(*, today, only_moving: bool = False) -> int:
    """Every open application's clock (after a calendar publication); with ``only_moving``, those whose stored
    deadline moves with the date: paused ones, and those not refreshed today nor ever (the worker's daily run)."""
    queryset = Application.objects.filter(status__in=OPEN_STATUSES, accepted_on__isnull=False)
    if only_moving:
        queryset = queryset.filter(Q(sla_paused=True) | Q(sla_refreshed_on__isnull=True)
                                   | Q(sla_deadline_on__isnull=True)).exclude(sla_refreshed_on=today)
    total, last_pk = 0, 0
    while batch := list(queryset.filter(pk__gt=last_pk).order_by("pk").prefetch_related("supplement_requests")[:1000]):
        total += application_sla_refresh(applications=batch, today=today)
        last_pk = batch[-1].pk
    return total
