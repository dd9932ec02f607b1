"""Every write to works."""

import re
from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_roles
from yingdu.enterprises.models import EnterpriseState
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.transparency.services import log_append

from .events import work_declared_event
from .models import Work, WorkForm

MSG_NOT_MEMBER = _("只有本企业成员可以登记作品")
MSG_ENTERPRISE_NOT_VERIFIED = _("企业尚未通过核验，不能登记作品")
MSG_TITLE_REQUIRED = _("请填写作品名称")
MSG_TAG_FORMAT = _("项目标签只能包含字母、数字、连字符和下划线，长度3–64")
MSG_TAG_TAKEN = _("该项目标签已被本企业的其他作品使用")
MSG_WINDOW = _("制作结束日期不能早于开始日期")
MSG_FORM = _("请选择作品形式")

_TAG = re.compile(r"^[A-Za-z0-9_-]{3,64}$")


def work_declare(*, enterprise, actor, title: str, form: str, project_tag: str, production_start_on: date,
                 production_end_on: date, now) -> Work:
    """Declare a work of the actor's (verified) enterprise under a metering project tag."""
    if Role.ENTERPRISE_MEMBER not in user_roles(actor) or actor.organisation_id != enterprise.organisation_id:
        raise Forbidden(MSG_NOT_MEMBER, code="not_enterprise_member")
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
    try:
        with transaction.atomic():
            work = Work.objects.create(
                enterprise=enterprise, title=title, form=form, project_tag=project_tag,
                production_start_on=production_start_on, production_end_on=production_end_on,
                declared_by=actor, declared_at=now,
            )
            log_append(events=[work_declared_event(work)], now=now)
    except IntegrityError:
        raise Conflict(MSG_TAG_TAKEN, code="project_tag_taken", field="project_tag") from None
    return work
