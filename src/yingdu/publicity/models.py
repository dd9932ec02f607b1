from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StatisticsSnapshot(models.Model):
    """The public programme figures computed at one signed checkpoint (a derived cache, never edited)."""

    tree_size = models.BigIntegerField(primary_key=True)
    root_hash = models.BinaryField(max_length=32)
    # {"totals": {...}, "by_month": [...], "by_form": [...], "by_overseas": [...]}: counts and integer fen
    figures = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-tree_size"]

    def __str__(self) -> str:
        return f"统计 @ {self.tree_size}"


class ObjectionDecision(models.TextChoices):
    UPHELD = "upheld", _("异议成立（撤回拟支持，退回审核）")
    DISMISSED = "dismissed", _("异议不成立（维持拟支持）")


class PublicityObjection(models.Model):
    """An objection anyone submitted to an award during its 公示; only staff see its contact and text."""

    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT,
                                    related_name="publicity_objections")
    contact = models.CharField("联系方式", max_length=100)
    content = models.TextField("异议内容")
    # salt of the entry's commitment to contact and content (kept off the public log: personal data)
    commitment_salt = models.CharField(max_length=64)
    submitted_at = models.DateTimeField()
    # the decision of a reviewer who neither reviewed nor approved the case; empty while the objection is open
    decision = models.CharField("处理结果", max_length=16, choices=ObjectionDecision.choices, blank=True)
    decision_reason = models.TextField("处理理由", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"公示异议 #{self.pk}（申请 {self.application_id}）"
