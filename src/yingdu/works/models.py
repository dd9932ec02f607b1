from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkForm(models.TextChoices):
    MICRO_DRAMA = "micro_drama", _("AI微短剧")
    SHORT_DRAMA = "short_drama", _("AI短剧")


class Work(models.Model):
    """A drama an enterprise declares; its compute is metered under its project tag."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="works")
    title = models.CharField("作品名称", max_length=200)
    form = models.CharField("作品形式", max_length=16, choices=WorkForm.choices)
    project_tag = models.CharField("计量项目标签", max_length=64)
    production_start_on = models.DateField("制作开始日期")
    production_end_on = models.DateField("制作结束日期")
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField()

    class Meta:
        ordering = ["-declared_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "project_tag"], name="one_work_per_project_tag"),
        ]

    def __str__(self) -> str:
        return self.title


class AspectRatio(models.TextChoices):
    VERTICAL = "9:16", _("竖屏 9:16")
    HORIZONTAL = "16:9", _("横屏 16:9")
    SQUARE = "1:1", _("方形 1:1")
    OTHER = "other", _("其他画幅")


class AiTechnique(models.TextChoices):
    SCRIPT_GENERATION = "script_generation", _("剧本生成")
    STORYBOARD = "storyboard", _("分镜与概念图生成")
    DIGITAL_HUMAN = "digital_human", _("数字人")
    VIDEO_GENERATION = "video_generation", _("视频生成")
    VOICE_SYNTHESIS = "voice_synthesis", _("语音合成与配音")
    MUSIC_GENERATION = "music_generation", _("音乐与音效生成")
    INTELLIGENT_EDITING = "intelligent_editing", _("智能剪辑")
    EFFECTS_RENDERING = "effects_rendering", _("特效渲染")
    TRANSLATION = "translation", _("智能翻译与译制")
    OTHER = "other", _("其他")


class ReleasePlatform(models.TextChoices):
    HONGGUO = "hongguo", _("红果短剧")
    HEMA = "hema", _("河马剧场")
    DOUYIN = "douyin", _("抖音")
    KUAISHOU = "kuaishou", _("快手")
    IQIYI = "iqiyi", _("爱奇艺")
    TENCENT_VIDEO = "tencent_video", _("腾讯视频")
    YOUKU = "youku", _("优酷")
    REELSHORT = "reelshort", "ReelShort"
    DRAMABOX = "dramabox", "DramaBox"
    SHORTMAX = "shortmax", "ShortMax"
    DRAMAWAVE = "dramawave", "DramaWave"
    OTHER = "other", _("其他平台")


class LicenceKind(models.TextChoices):
    PERMIT = "permit", _("网络剧片发行许可证号")
    FILING = "filing", _("上线备案号")


class WorkDetails(models.Model):
    """One revision of a work's declared facts; a correction is a new revision, the highest one is current."""

    work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="details_revisions")
    revision = models.PositiveIntegerField("版本")
    title = models.CharField("作品名称", max_length=200)
    overseas_titles = models.JSONField("海外片名", default=list)
    form = models.CharField("作品形式", max_length=16, choices=WorkForm.choices)
    episode_count = models.PositiveIntegerField("集数")
    episode_min_seconds = models.PositiveIntegerField("最短单集时长（秒）")
    episode_max_seconds = models.PositiveIntegerField("最长单集时长（秒）")
    aspect_ratio = models.CharField("画幅", max_length=8, choices=AspectRatio.choices)
    ai_techniques = models.JSONField("使用的AI技术", default=list)
    reason = models.TextField("更正说明", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["work", "-revision"]
        constraints = [models.UniqueConstraint(fields=["work", "revision"], name="one_work_details_revision")]

    def __str__(self) -> str:
        return f"{self.title} 第 {self.revision} 版"

    @property
    def ai_technique_labels(self) -> list[str]:
        return [AiTechnique(value).label for value in self.ai_techniques if value in AiTechnique.values]


class PlatformRecord(models.Model):
    """Fields shared by releases and overseas distributions: the platform and the append-only correction chain."""

    platform = models.CharField("平台", max_length=16, choices=ReleasePlatform.choices)
    platform_name = models.CharField("平台名称（其他平台）", max_length=100, blank=True)
    went_live_on = models.DateField("上线日期")
    # a correction is a new row that supersedes this one, never an edit; one-to-one: superseded at most once
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    reason = models.TextField("更正说明", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        abstract = True
        ordering = ["went_live_on", "id"]

    @property
    def platform_label(self) -> str:
        return self.platform_name if self.platform == ReleasePlatform.OTHER else self.get_platform_display()


class WorkRelease(PlatformRecord):
    """A release of a work on a platform with its NRTA number and a screenshot."""

    work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="releases")
    url = models.URLField("作品链接", max_length=500)
    licence_kind = models.CharField("编号类型", max_length=8, choices=LicenceKind.choices)
    licence_number = models.CharField("上线备案号或发行许可证号", max_length=64)
    screenshot_sha256 = models.CharField(max_length=64)
    screenshot_content_type = models.CharField(max_length=64)
    screenshot_size = models.PositiveIntegerField()
    screenshot_filename = models.CharField(max_length=200)

    class Meta(PlatformRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.work_id} @ {self.platform_label}"


class OverseasDistribution(PlatformRecord):
    """Distribution of a work abroad with its agreement, listing evidence and the title used there."""

    work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="overseas_distributions")
    territory = models.CharField("发行地区", max_length=100)
    listed_title = models.CharField("海外上线片名", max_length=200)
    url = models.URLField("海外上线链接", max_length=500, blank=True)
    agreement_sha256 = models.CharField(max_length=64)
    agreement_content_type = models.CharField(max_length=64)
    agreement_size = models.PositiveIntegerField()
    agreement_filename = models.CharField(max_length=200)
    listing_sha256 = models.CharField(max_length=64)
    listing_content_type = models.CharField(max_length=64)
    listing_size = models.PositiveIntegerField()
    listing_filename = models.CharField(max_length=200)

    class Meta(PlatformRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.work_id} → {self.territory}"
