from django.conf import settings
from django.db import models


class WorkForm(models.TextChoices):
    MICRO_DRAMA = "micro_drama", "AI微短剧"
    SHORT_DRAMA = "short_drama", "AI短剧"


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
