from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yingdu.rules.money import RoundingRule


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class OverseasReadingChoice(models.TextChoices):
    A = "A", _("口径 A：补贴额再上浮")
    B = "B", _("口径 B：比例再加百分点")


class RoundingRuleChoice(models.TextChoices):
    HALF_UP = RoundingRule.HALF_UP.value, _("四舍五入到分")
    HALF_EVEN = RoundingRule.HALF_EVEN.value, _("四舍六入五成双到分")
    DOWN = RoundingRule.DOWN.value, _("舍去分以下")


class ServiceCategory(models.TextChoices):
    COMPUTE = "compute", _("算力服务（含智能算力）")
    MODEL_SERVICE = "model_service", _("模型服务")
    DATA_PRODUCT = "data_product", _("数据产品")


class PolicyVersion(models.Model):
    """One version of the programme's terms; the version in force on D is the published one with the latest
    effective_from ≤ D. A published version is never edited: a revision is a new version."""

    version_id = models.SlugField("版本号", max_length=64, unique=True)
    title = models.CharField("标题", max_length=200)
    change_note = models.TextField("修订说明", blank=True)
    status = models.CharField("状态", max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT)
    effective_from = models.DateField("生效日期", null=True, blank=True)
    # rates are exact decimals (0.3000 = 30 %); caps and budget are integer fen
    regular_rate = models.DecimalField("常规补贴比例", max_digits=5, decimal_places=4)
    regular_cap_fen = models.BigIntegerField("常规单部作品上限（分）")
    overseas_reading = models.CharField("出海口径", max_length=1, choices=OverseasReadingChoice.choices)
    overseas_uplift = models.DecimalField("出海上浮比例", max_digits=5, decimal_places=4)
    overseas_cap_fen = models.BigIntegerField("出海单部作品上限（分）")
    annual_work_limit = models.PositiveIntegerField("每家企业每年支持作品数上限")
    annual_budget_fen = models.BigIntegerField("年度预算（分）", null=True, blank=True)
    objection_window_working_days = models.PositiveIntegerField("异议期（工作日）")
    sla_working_days = models.PositiveIntegerField("受理至兑现时限（工作日）")
    eligible_service_categories = models.JSONField("可抵扣的服务类别", default=list)
    spot_check_sample_rate = models.DecimalField("每季度抽查比例", max_digits=5, decimal_places=4)
    spot_check_minimum = models.PositiveIntegerField("每季度最少抽查作品数")
    voucher_validity_days = models.PositiveIntegerField("算力券有效期（天）", null=True, blank=True)
    materials_checklist = models.JSONField("申报材料清单", default=list)
    # months after leaving an enterprise or provider during which a staff member may not act on its cases;
    # null (versions from before the term existed): the link never lapses
    conflict_lookback_months = models.PositiveSmallIntegerField("回避追溯期（月）", null=True, blank=True)
    # working days after a quarter's end at which the platform draws that quarter's spot checks itself, when no
    # auditor has; null (the default, and versions from before the term existed): only the auditor's button draws
    spot_check_auto_draw_working_days = models.PositiveSmallIntegerField("季度结束后自动抽签（工作日）", null=True,
                                                                         blank=True)
    # working days during which an approved award is shown publicly (公示) with an objection channel;
    # null: no 公示 (the default, and versions from before the term existed)
    publicity_working_days = models.PositiveSmallIntegerField("公示期（工作日）", null=True, blank=True)
    # whether the working days of 公示 pause the review clock (受理至兑现时限) as a supplement request does;
    # false: the default, and versions from before the term existed
    publicity_excluded_from_sla = models.BooleanField("公示期不计入审核时限", default=False)
    # official documents: the number template of each kind ({kind: "怀文促决〔{year}〕{number}号"}) and the remedies and
    # contact a decision states ({review, litigation, contact_office, contact_phone, contact_address}); null (versions
    # from before the terms existed): the default policy's
    document_number_formats = models.JSONField("公文文号格式", null=True, blank=True)
    decision_remedies = models.JSONField("救济途径与联系方式", null=True, blank=True)
    rounding_rule = models.CharField("舍入规则", max_length=16, choices=RoundingRuleChoice.choices,
                                     default=RoundingRuleChoice.HALF_UP)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-effective_from", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["effective_from"], condition=models.Q(status="published"),
                                    name="one_published_policy_per_effective_date"),
            models.CheckConstraint(
                condition=models.Q(status="draft", effective_from__isnull=True, published_at__isnull=True)
                | models.Q(status="published", effective_from__isnull=False, published_at__isnull=False),
                name="published_policy_has_effective_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}（{self.get_status_display()}）"

    @property
    def is_published(self) -> bool:
        return self.status == PolicyStatus.PUBLISHED


class DayKindChoice(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class CalendarKind(models.TextChoices):
    OFFICIAL = "official", _("官方安排")
    PROVISIONAL = "provisional", _("预计（按法定节假日推算）")


class CalendarYearVersion(models.Model):
    """One schedule of a year: an official one published by the State Council, or a provisional one derived from
    the statutory holidays while the official one is not out. The highest official version of a year is in force;
    without one, the highest provisional version stands in, always labelled. A re-import is a new version, never an
    edit; versions of both kinds share one sequence per year."""

    year = models.PositiveSmallIntegerField("年份")
    version = models.PositiveIntegerField("版本")
    kind = models.CharField("性质", max_length=16, choices=CalendarKind.choices, default=CalendarKind.OFFICIAL)
    source = models.CharField("来源", max_length=500)
    # SHA-256 of the canonical JSON of the special days, as written in the log entry
    days_sha256 = models.CharField(max_length=64)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["year", "version"]
        constraints = [models.UniqueConstraint(fields=["year", "version"], name="one_calendar_version_number")]

    def __str__(self) -> str:
        if self.kind == CalendarKind.PROVISIONAL:
            return f"{self.year} 第 {self.version} 版（预计）"
        return f"{self.year} 第 {self.version} 版"

    @property
    def is_provisional(self) -> bool:
        return self.kind == CalendarKind.PROVISIONAL


class CalendarSpecialDay(models.Model):
    """A public holiday or an adjusted working day (调休上班) in one published year schedule."""

    year_version = models.ForeignKey(CalendarYearVersion, on_delete=models.PROTECT, related_name="special_days")
    day_on = models.DateField("日期")
    kind = models.CharField("类型", max_length=8, choices=DayKindChoice.choices)
    name = models.CharField("名称", max_length=100)
    source = models.CharField("来源", max_length=500)

    class Meta:
        ordering = ["day_on"]
        constraints = [models.UniqueConstraint(fields=["year_version", "day_on"], name="one_special_day_per_date")]

    def __str__(self) -> str:
        return f"{self.day_on} {self.get_kind_display()} {self.name}"


class CalendarReminder(models.Model):
    """One day's e-mail to admins that a year's official schedule is due for import (at most one per day)."""

    year = models.PositiveSmallIntegerField("年份")
    sent_on = models.DateField("发送日期", unique=True)
    recipients = models.PositiveIntegerField("收件人数")
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.sent_on} 提醒导入 {self.year} 年日历"
