"""Every write to policy versions and calendar years; each write appends its log entry in the same transaction."""

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import staff_emails_with_role, user_roles
from yingdu.actors import SYSTEM, actor_user_id, is_system
from yingdu.documents.models import DocumentKind
from yingdu.documents.numbering import template_valid
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.inbox.services import entry_ref, notifications_mail
from yingdu.rules.default_policy import HUAIROU_2026_DEFAULT
from yingdu.rules.money import RoundingRule
from yingdu.rules.statutory import STATUTORY_RULES_FROM_YEAR, STATUTORY_SOURCE, statutory_holidays
from yingdu.rules.subsidy import PolicyTerms, PolicyTermsError
from yingdu.rules.workdays import (
    ScheduleDiff,
    ScheduleFileError,
    ScheduleProblem,
    SpecialDay,
    WorkCalendar,
    chinese_calendar_schedule,
    chinese_calendar_years,
    diff_schedules,
    parse_schedule_file,
)
from yingdu.transparency.services import log_append

from . import selectors
from .events import (
    calendar_reminder_sent_event,
    calendar_year_published_event,
    policy_draft_created_event,
    policy_draft_saved_event,
    policy_version_published_event,
    special_days_sha256,
)
from .models import (
    CalendarKind,
    CalendarReminder,
    CalendarSpecialDay,
    CalendarYearVersion,
    PolicyStatus,
    PolicyVersion,
    ServiceCategory,
)
from .terms import (
    BOOL_FIELDS,
    FEN_FIELDS,
    OPTIONAL_FIELDS,
    RATE_FIELDS,
    REMEDY_KEYS,
    REQUIRED_REMEDY_KEYS,
    TERM_FIELDS,
    TERM_LABELS,
    version_terms,
)
from .workflow import POLICY_ADMIN_ROLES, TRANSITIONS

logger = logging.getLogger(__name__)

# where the State Council's General Office publishes the next year's holiday schedule (each November)
STATE_COUNCIL_NOTICES_URL = "https://www.gov.cn/zhengce/xxgk/"

# sent after an official year schedule is committed (``year_version``, ``now``): apps holding deadlines recompute them
calendar_published = Signal()

MSG_ADMIN_ONLY = _("只有系统管理员可以修改政策和工作日历。")
MSG_VERSION_PUBLISHED = _("政策版本 {version_id} 已发布，不能修改；如需调整请新建草稿。")
MSG_VERSION_ID_INVALID = _("版本号只能包含小写字母、数字和连字符，3 到 64 个字符，以字母或数字开头，如 huairou-2027-01。")
MSG_VERSION_ID_TAKEN = _("版本号 {version_id} 已被使用。")
MSG_REQUIRED = _("请填写{label}。")
MSG_RATE_INVALID = _("{label}应为 0 到 1 之间的小数（如 0.30 表示 30%），最多四位小数。")
MSG_FEN_INVALID = _("{label}应为不小于 0 的整数分。")
MSG_COUNT_INVALID = _("{label}应为不小于 {minimum} 的整数。")
MSG_CHOICE_INVALID = _("{label}的取值无效。")
MSG_CATEGORIES_INVALID = _("请至少选择一类可抵扣的服务：compute（算力服务）、model_service（模型服务）、data_product（数据产品）。")
MSG_CHECKLIST_INVALID = _("申报材料清单的每一项都要有代码（小写字母、数字、下划线）和名称，代码不能重复。")
MSG_UNKNOWN_TERM = _("未知的政策条款：{names}。")
MSG_EFFECTIVE_IN_PAST = _("生效日期不能早于今天（{today}）。")
MSG_EFFECTIVE_NOT_AFTER_LATEST = _("生效日期必须晚于已发布的最新版本 {version_id} 的生效日期 {effective_from}。")
MSG_CALENDAR_BASE_CHANGED = _("{year} 年的日程在预览之后已有新版本发布（现为第 {version} 版），请重新预览。")
MSG_CALENDAR_UNCHANGED = _("与现行的 {year} 年第 {version} 版日程完全相同，无需发布。")
MSG_CALENDAR_SOURCE_REQUIRED = _("请填写日程来源（如国务院办公厅通知的网址或文件名）。")

MSG_DOCUMENT_FORMATS_INVALID = _("公文文号格式须为每种文书各写一个格式。")
MSG_DOCUMENT_FORMAT_INVALID = _("{kind}的文号格式须各含一次 {{year}}（年度）和 {{number}}（序号），不含其他花括号，最长 60 字。")
MSG_REMEDIES_INVALID = _("救济途径与联系方式须写明行政复议、行政诉讼告知和联系部门（每项最长 300 字）。")
MAX_REMEDY_LENGTH = 300

_VERSION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
_CHECKLIST_CODE = re.compile(r"^[a-z0-9_]{1,40}$")
_RATE_PLACES = Decimal("0.0001")

# Terms of the default version that the measures (DESIGN §1) leave open; the choices are in docs/decisions.md.
DEFAULT_EFFECTIVE_FROM = date(2026, 4, 1)
DEFAULT_VERSION_TERMS = {
    **{field: HUAIROU_2026_DEFAULT[field] for field in TERM_FIELDS if field in HUAIROU_2026_DEFAULT},
    "document_number_formats": dict(HUAIROU_2026_DEFAULT["document_number_formats"]),
    "decision_remedies": dict(HUAIROU_2026_DEFAULT["decision_remedies"]),
    "annual_budget_fen": None,
    "eligible_service_categories": [category.value for category in ServiceCategory],
    "spot_check_sample_rate": "0.10",
    "spot_check_minimum": 3,
    "voucher_validity_days": None,
    # not in the measures: the platform's conflict-of-interest rule (README "职责分离"), see docs/decisions.md
    "conflict_lookback_months": 24,
    # not in the measures: the auditor draws by button; an admin may set a day for the platform to draw itself
    "spot_check_auto_draw_working_days": None,
    # not in the measures: 公示 of approved awards is off unless a version sets its period (docs/decisions.md)
    "publicity_working_days": None,
    # not in the measures: with 公示 on, its working days count against the review SLA unless a version says not
    "publicity_excluded_from_sla": False,
    "materials_checklist": [
        {"code": "business_licence", "label": gettext_noop("营业执照（企业注册时上传，已核验怀柔区注册地）")},
        {"code": "release_record", "label": gettext_noop("作品上线信息：平台、链接、上线日期、上线备案号或发行许可证号")},
        {"code": "release_screenshot", "label": gettext_noop("作品上线页面截图")},
        {"code": "compute_statement", "label": gettext_noop("平台核定的算力用量与费用清单（依据服务商上报的用量记录生成）")},
        {"code": "production_description", "label": gettext_noop("作品制作说明：AI 技术使用情况、制作周期、集数与单集时长")},
        {"code": "authenticity_commitment", "label": gettext_noop("申报材料真实性承诺书")},
        {"code": "overseas_agreement", "label": gettext_noop("出海发行协议（申请出海支持时提供）")},
        {"code": "overseas_listing", "label": gettext_noop("海外平台上线证明（申请出海支持时提供）")},
    ],
}


def _require_admin(actor) -> None:
    """Only an admin acts on policy data, or SYSTEM: the platform itself (seed data, the operator's shell)."""
    if not is_system(actor) and not (user_roles(actor) & POLICY_ADMIN_ROLES):
        raise Forbidden(MSG_ADMIN_ONLY, code="role_not_allowed")


def _label(field: str) -> str:
    return TERM_LABELS[field]


def _clean_rate(field: str, value) -> Decimal:
    if isinstance(value, (bool, float)) or value is None:
        raise DomainError(str(MSG_RATE_INVALID).format(label=_label(field)), code="policy_term_invalid", field=field)
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or not 0 <= rate <= 1 or rate != rate.quantize(_RATE_PLACES):
        raise DomainError(str(MSG_RATE_INVALID).format(label=_label(field)), code="policy_term_invalid", field=field)
    return rate.quantize(_RATE_PLACES)


def _clean_count(field: str, value, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DomainError(str(MSG_COUNT_INVALID).format(label=_label(field), minimum=minimum),
                          code="policy_term_invalid", field=field)
    return value


def _clean_choice(field: str, value):
    """A term with a fixed set of values: the overseas reading, the rounding rule, a yes/no term."""
    if field in BOOL_FIELDS:
        allowed = (True, False)
    else:
        allowed = ("A", "B") if field == "overseas_reading" else tuple(rule.value for rule in RoundingRule)
    if not isinstance(value, bool if field in BOOL_FIELDS else str) or value not in allowed:
        raise DomainError(str(MSG_CHOICE_INVALID).format(label=_label(field)), code="policy_term_invalid",
                          field=field)
    return value if field in BOOL_FIELDS else str(value)


def _clean_terms(data: Mapping) -> dict:
    """Check every term and return model-ready values; the first problem raises with the field it concerns."""
    unknown = sorted(set(data) - set(TERM_FIELDS))
    if unknown:
        raise DomainError(str(MSG_UNKNOWN_TERM).format(names="、".join(unknown)), code="policy_term_unknown",
                          detail={"unknown": unknown})
    terms = {}
    for field in TERM_FIELDS:
        value = data.get(field)
        if value is None and field not in OPTIONAL_FIELDS:
            raise DomainError(str(MSG_REQUIRED).format(label=_label(field)), code="field_required", field=field)
        if value is None:
            terms[field] = None
        elif field in RATE_FIELDS:
            terms[field] = _clean_rate(field, value)
        elif field in FEN_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DomainError(str(MSG_FEN_INVALID).format(label=_label(field)), code="policy_term_invalid",
                                  field=field)
            terms[field] = value
        elif field in ("overseas_reading", "rounding_rule", *BOOL_FIELDS):
            terms[field] = _clean_choice(field, value)
        elif field == "eligible_service_categories":
            if (not isinstance(value, (list, tuple)) or not value
                    or any(category not in ServiceCategory.values for category in value)):
                raise DomainError(MSG_CATEGORIES_INVALID, code="policy_term_invalid", field=field)
            # stored in the order of the choices, without repeats
            terms[field] = [category for category in ServiceCategory.values if category in value]
        elif field in _LIST_AND_TABLE_TERMS:
            terms[field] = _LIST_AND_TABLE_TERMS[field](value)
        else:
            minimum = 0 if field in ("spot_check_minimum", "conflict_lookback_months") else 1
            terms[field] = _clean_count(field, value, minimum=minimum)
    if terms["spot_check_sample_rate"] == 0:
        raise DomainError(str(MSG_RATE_INVALID).format(label=_label("spot_check_sample_rate")),
                          code="policy_term_invalid", field="spot_check_sample_rate")
    try:
        PolicyTerms.from_mapping({"version_id": "draft", **terms})
    except PolicyTermsError as error:
        raise DomainError(error.message, code="policy_term_invalid", field=error.field) from None
    return terms


def _clean_checklist(value) -> list[dict]:
    if not isinstance(value, (list, tuple)) or not value:
        raise DomainError(MSG_CHECKLIST_INVALID, code="policy_term_invalid", field="materials_checklist")
    items, codes = [], set()
    for item in value:
        if not isinstance(item, Mapping) or set(item) != {"code", "label"}:
            raise DomainError(MSG_CHECKLIST_INVALID, code="policy_term_invalid", field="materials_checklist")
        code, label = item["code"], item["label"]
        if (not isinstance(code, str) or not _CHECKLIST_CODE.match(code) or code in codes
                or not isinstance(label, str) or not label.strip()):
            raise DomainError(MSG_CHECKLIST_INVALID, code="policy_term_invalid", field="materials_checklist")
        codes.add(code)
        items.append({"code": code, "label": label.strip()})
    return items


def _clean_document_formats(value) -> dict[str, str]:
    """Every kind of document needs a template naming {year} and {number} once each."""
    if not isinstance(value, Mapping) or set(value) != set(DocumentKind.values):
        raise DomainError(MSG_DOCUMENT_FORMATS_INVALID, code="policy_term_invalid", field="document_number_formats")
    cleaned = {}
    for kind in DocumentKind.values:
        template = value[kind].strip() if isinstance(value[kind], str) else None
        if not template_valid(template):
            raise DomainError(str(MSG_DOCUMENT_FORMAT_INVALID).format(kind=DocumentKind(kind).label),
                              code="policy_term_invalid", field="document_number_formats",
                              detail={"kind": kind})
        cleaned[kind] = template
    return cleaned


def _clean_remedies(value) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) != set(REMEDY_KEYS):
        raise DomainError(MSG_REMEDIES_INVALID, code="policy_term_invalid", field="decision_remedies")
    cleaned = {}
    for key in REMEDY_KEYS:
        text = value[key].strip() if isinstance(value[key], str) else None
        if text is None or len(text) > MAX_REMEDY_LENGTH or (key in REQUIRED_REMEDY_KEYS and not text):
            raise DomainError(MSG_REMEDIES_INVALID, code="policy_term_invalid", field="decision_remedies",
                              detail={"key": key})
        cleaned[key] = text
    return cleaned


# terms whose value is a list or a table, each checked by its own function
_LIST_AND_TABLE_TERMS = {"materials_checklist": _clean_checklist, "document_number_formats": _clean_document_formats,
                         "decision_remedies": _clean_remedies}


def _clean_text(field: str, value, *, required: bool) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None or (required and not text):
        raise DomainError(str(MSG_REQUIRED).format(label=_label(field)), code="field_required", field=field)
    return text


def _refuse_if_published(version: PolicyVersion) -> None:
    if version.is_published:
        raise Conflict(str(MSG_VERSION_PUBLISHED).format(version_id=version.version_id),
                       code="policy_version_published", detail={"version_id": version.version_id})


def policy_version_create_draft(*, version_id: str, title: str, actor, now, terms: Mapping | None = None,
                                change_note: str = "", copy_in_force: bool = True) -> PolicyVersion:
    """A new draft: the terms of the version in force (or the default terms), overridden by ``terms``."""
    _require_admin(actor)
    version_id = (version_id or "").strip()
    if not _VERSION_ID.match(version_id):
        raise DomainError(MSG_VERSION_ID_INVALID, code="policy_version_id_invalid", field="version_id")
    title = _clean_text("title", title, required=True)
    base = selectors.policy_version_in_force(on=timezone.localdate(now)) if copy_in_force else None
    starting_terms = version_terms(base) if base is not None else dict(DEFAULT_VERSION_TERMS)
    cleaned = _clean_terms({**starting_terms, **(terms or {})})
    try:
        with transaction.atomic():
            version = PolicyVersion.objects.create(
                version_id=version_id, title=title, change_note=_clean_text("change_note", change_note, required=False),
                status=PolicyStatus.DRAFT, created_by_id=actor_user_id(actor), created_at=now, updated_at=now,
                **cleaned,
            )
            log_append(events=[policy_draft_created_event(version, actor=actor, now=now)], now=now)
    except IntegrityError:
        raise Conflict(str(MSG_VERSION_ID_TAKEN).format(version_id=version_id), code="policy_version_id_taken",
                       field="version_id") from None
    return version


def policy_version_update_draft(*, version: PolicyVersion, changes: Mapping, actor, now) -> PolicyVersion:
    """Change a draft's title, note or terms; a published version is refused (policy_version_published)."""
    _require_admin(actor)
    changes = dict(changes)
    title = changes.pop("title", None)
    change_note = changes.pop("change_note", None)
    with transaction.atomic():
        locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        sources, _target = TRANSITIONS["save_draft"]
        if locked.status not in sources:
            _refuse_if_published(locked)
        cleaned = _clean_terms({**version_terms(locked), **changes})
        if title is not None:
            locked.title = _clean_text("title", title, required=True)
        if change_note is not None:
            locked.change_note = _clean_text("change_note", change_note, required=False)
        for field, value in cleaned.items():
            setattr(locked, field, value)
        locked.updated_at = now
        locked.save()
        log_append(events=[policy_draft_saved_event(locked, actor=actor, now=now)], now=now)
    return locked


def policy_version_publish(*, version: PolicyVersion, effective_from: date, actor, now) -> PolicyVersion:
    """Publish a draft from ``effective_from``: not before today (Asia/Shanghai), after every published version."""
    _require_admin(actor)
    today = timezone.localdate(now)
    if effective_from < today:
        raise DomainError(str(MSG_EFFECTIVE_IN_PAST).format(today=today.isoformat()),
                          code="policy_effective_date_in_past", field="effective_from",
                          detail={"today": today.isoformat()})
    return _publish(version=version, effective_from=effective_from, actor=actor, now=now)


def _publish(*, version: PolicyVersion, effective_from: date, actor, now) -> PolicyVersion:
    with transaction.atomic():
        locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        sources, target = TRANSITIONS["publish"]
        if locked.status not in sources:
            _refuse_if_published(locked)
        # lock every published version first so that two publications queue, then read the latest afresh:
        # versions take effect in the order they are published, so the history reads as one line
        list(PolicyVersion.objects.select_for_update().filter(status=PolicyStatus.PUBLISHED).values_list("pk"))
        latest = selectors.policy_versions_published().first()
        if latest is not None and effective_from <= latest.effective_from:
            raise DomainError(
                str(MSG_EFFECTIVE_NOT_AFTER_LATEST).format(version_id=latest.version_id,
                                                           effective_from=latest.effective_from.isoformat()),
                code="policy_effective_date_not_after_latest", field="effective_from",
                detail={"latest_version_id": latest.version_id,
                        "latest_effective_from": latest.effective_from.isoformat()},
            )
        # the draft was checked when saved; check again in case the rules tightened since
        _clean_terms(version_terms(locked))
        locked.status = target
        locked.effective_from = effective_from
        locked.published_by_id = actor_user_id(actor)
        locked.published_at = now
        locked.updated_at = now
        locked.save()
        log_append(events=[policy_version_published_event(locked, actor=actor, now=now)], now=now)
    return locked


@dataclass(frozen=True)
class CalendarPreview:
    """What publishing a schedule file would change; nothing is written."""

    year: int
    special_days: tuple[SpecialDay, ...]
    base: CalendarYearVersion | None
    diff: ScheduleDiff
    text: str
    fmt: str

    @property
    def base_version(self) -> int:
        return self.base.version if self.base is not None else 0

    @property
    def is_identical(self) -> bool:
        """True when the file holds exactly the schedule in force (sources included): nothing to publish."""
        return self.base is not None and self.base.days_sha256 == special_days_sha256(self.special_days)


def _schedule_format(fmt: str | None, filename: str) -> str:
    if fmt:
        return fmt.lower()
    return "json" if filename.lower().endswith(".json") else "csv"


def calendar_year_import_preview(*, text: str, fmt: str | None = None, filename: str = "", actor) -> CalendarPreview:
    """Parse a year's schedule file and diff it against the year in force; writes nothing."""
    _require_admin(actor)
    fmt = _schedule_format(fmt, filename)
    special_days = tuple(parse_schedule_file(text=text, fmt=fmt))
    year = special_days[0].day_on.year
    base = selectors.calendar_year_in_force(year)
    # without an official version yet, the diff shows what the official schedule changes against the estimate
    shown = base or selectors.calendar_year_latest(year)
    current = selectors.calendar_year_special_days(shown) if shown is not None else []
    return CalendarPreview(year=year, special_days=special_days, base=base,
                           diff=diff_schedules(current=current, proposed=special_days), text=text, fmt=fmt)


def calendar_year_publish(*, year: int, special_days: Sequence[SpecialDay], source: str, actor, now,
                          based_on_version: int | None = None) -> CalendarYearVersion:
    """Publish a year's schedule as its next version; ``based_on_version`` (0 = none) guards a stale preview."""
    _require_admin(actor)
    source = (source or "").strip()
    if not source:
        raise DomainError(MSG_CALENDAR_SOURCE_REQUIRED, code="field_required", field="source")
    special_days = sorted(special_days, key=lambda day: day.day_on)
    # the pure calendar checks the schedule (one year, no repeated date, adjusted working days on weekends)
    WorkCalendar(schedules={year: special_days})
    if not special_days:
        raise ScheduleFileError([ScheduleProblem("schedule_empty", "没有任何节假日或调休上班日。")])
    digest = special_days_sha256(special_days)
    try:
        year_version = _calendar_year_insert(year=year, special_days=special_days, source=source, digest=digest,
                                             actor=actor, now=now, based_on_version=based_on_version)
    except IntegrityError:
        # another publication of the same year took this version number first
        base = selectors.calendar_year_in_force(year)
        version = base.version if base is not None else 0
        raise Conflict(str(MSG_CALENDAR_BASE_CHANGED).format(year=year, version=version),
                       code="calendar_year_changed", detail={"year": year, "version": version}) from None
    # deadlines computed on a provisional (or older) calendar are recomputed by the apps that hold them
    responses = calendar_published.send(sender=CalendarYearVersion, year_version=year_version, now=now)
    # what the receivers recomputed (deadlines moved, owed notices issued), for the page that published
    year_version.recomputed = [result for _receiver, result in responses if result is not None]
    return year_version


def _calendar_year_insert(*, year, special_days, source, digest, actor, now, based_on_version,
                          kind=CalendarKind.OFFICIAL):
    with transaction.atomic():
        # lock the year's versions so that two publications of one year get consecutive numbers
        versions = list(CalendarYearVersion.objects.select_for_update().filter(year=year).order_by("version"))
        same_kind = [version for version in versions if version.kind == kind]
        base = same_kind[-1] if same_kind else None
        base_version = base.version if base is not None else 0
        if based_on_version is not None and based_on_version != base_version:
            raise Conflict(str(MSG_CALENDAR_BASE_CHANGED).format(year=year, version=base_version),
                           code="calendar_year_changed", detail={"year": year, "version": base_version})
        if base is not None and base.days_sha256 == digest:
            raise Conflict(str(MSG_CALENDAR_UNCHANGED).format(year=year, version=base_version),
                           code="calendar_year_unchanged", detail={"year": year, "version": base_version})
        year_version = CalendarYearVersion.objects.create(
            year=year, version=(versions[-1].version if versions else 0) + 1, kind=kind, source=source[:500],
            days_sha256=digest, published_by_id=actor_user_id(actor), published_at=now,
        )
        rows = CalendarSpecialDay.objects.bulk_create([
            CalendarSpecialDay(year_version=year_version, day_on=day.day_on, kind=str(day.kind), name=day.name,
                               source=day.source)
            for day in special_days
        ])
        log_append(events=[calendar_year_published_event(year_version, rows, actor=actor, now=now)], now=now)
    return year_version


def calendar_year_provisional_derive(*, year: int, now) -> CalendarYearVersion | None:
    """Store a provisional calendar for a year without an official schedule, from the statutory holidays; None
    when the year has an official schedule or already this provisional one. The platform itself does this."""
    if year < STATUTORY_RULES_FROM_YEAR or selectors.calendar_year_in_force(year) is not None:
        return None
    special_days = statutory_holidays(year)
    digest = special_days_sha256(special_days)
    if CalendarYearVersion.objects.filter(year=year, kind=CalendarKind.PROVISIONAL, days_sha256=digest).exists():
        return None
    try:
        return _calendar_year_insert(year=year, special_days=special_days, source=STATUTORY_SOURCE, digest=digest,
                                     actor=SYSTEM, now=now, based_on_version=None, kind=CalendarKind.PROVISIONAL)
    except (IntegrityError, Conflict):
        return None  # a concurrent derivation stored it first


def calendar_provisional_years_ensure(*, today: date, now) -> list[CalendarYearVersion]:
    """Provisional calendars for this year and the next, where no official schedule is published yet."""
    derived = [calendar_year_provisional_derive(year=year, now=now) for year in (today.year, today.year + 1)]
    return [year_version for year_version in derived if year_version is not None]


def policy_seed(*, now) -> None:
    """Publish the default policy version and every year the chinese-calendar package covers, once each; derive a
    provisional calendar for the years from the last official one to next year."""
    default_id = HUAIROU_2026_DEFAULT["version_id"]
    if not PolicyVersion.objects.filter(version_id=default_id).exists():
        with transaction.atomic():
            draft = policy_version_create_draft(
                version_id=default_id, title=HUAIROU_2026_DEFAULT["title"], terms=DEFAULT_VERSION_TERMS,
                copy_in_force=False, actor=SYSTEM, now=now,
                change_note="默认版本：按《中国影都人工智能算力服务平台智能影像算力服务实施办法》（2026 年 4 月）。",
            )
            # the measures' own date lies before any deployment, so the seed skips the not-in-the-past check
            _publish(version=draft, effective_from=DEFAULT_EFFECTIVE_FROM, actor=SYSTEM, now=now)
    published_years = set(CalendarYearVersion.objects.filter(kind=CalendarKind.OFFICIAL)
                          .values_list("year", flat=True).distinct())
    for year in chinese_calendar_years():
        if year not in published_years:
            special_days = chinese_calendar_schedule(year)
            calendar_year_publish(year=year, special_days=special_days, source=special_days[0].source, actor=SYSTEM,
                                  now=now)
    today = timezone.localdate(now)
    last_official = max(chinese_calendar_years())
    for year in range(last_official + 1, today.year + 2):
        calendar_year_provisional_derive(year=year, now=now)


def calendar_reminder_send(*, today: date, now) -> CalendarReminder | None:
    """E-mail the admins, once a day, while a year's official schedule is due and not imported (from 1 November
    for next year); None when nothing is due or today's reminder was already sent."""
    year = selectors.calendar_next_year_due(today=today)
    if year is None:
        return None
    recipients = staff_emails_with_role(Role.ADMIN)
    try:
        with transaction.atomic():
            reminder = CalendarReminder.objects.create(year=year, sent_on=today, recipients=len(recipients),
                                                       sent_at=now)
            log_append(events=[calendar_reminder_sent_event(reminder)], now=now)
    except IntegrityError:
        return None
    if recipients:
        with translation.override(settings.LANGUAGE_CODE):
            body = render_to_string("policy/email/calendar_due.txt", {
                "year": year, "today": today, "source_url": STATE_COUNCIL_NOTICES_URL,
                "provisional": selectors.calendar_year_latest(year)})
        notifications_mail(ref=entry_ref("calendar.reminder_sent", reminder.pk),
                           subject=f"【影都算力券】请导入 {year} 年官方放假安排", body=body)
    return reminder
