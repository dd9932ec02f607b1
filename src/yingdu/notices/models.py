import base64

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    IN_APP = "in_app", _("平台内查阅")


class DataNotice(models.Model):
    """A usage statement (用量数据告知书) for one work and period, drawn from a signed checkpoint. Never edited,
    except that its delivery (time, channel, objection deadline) is recorded once."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="data_notices")
    work = models.ForeignKey("works.Work", on_delete=models.PROTECT, related_name="data_notices")
    period_start_on = models.DateField("期间开始日期")
    period_end_on = models.DateField("期间结束日期")
    records = models.ManyToManyField("metering.UsageRecord", related_name="data_notices")
    record_count = models.PositiveIntegerField()
    cost_microfen = models.BigIntegerField()
    # SHA-256 of the RFC 8785 JSON array of the records' log leaf indexes, ascending (also in the log entry)
    records_sha256 = models.CharField(max_length=64)
    checkpoint_tree_size = models.BigIntegerField()
    checkpoint_root_hash = models.BinaryField(max_length=32)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    # a supplementary notice (补充告知书) lists the records that came to count for the work after this earlier notice
    supplements = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="supplementary_notices", verbose_name="所补充的告知书")
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_via = models.CharField(max_length=16, choices=DeliveryChannel.choices, blank=True)
    objection_window_working_days = models.PositiveIntegerField(null=True, blank=True)
    objection_policy_version = models.CharField(max_length=64, blank=True)
    objection_deadline_on = models.DateField(null=True, blank=True)
    # the deadline rests on a provisional calendar year: never enforced against the enterprise, recomputed when the
    # official schedule is published
    objection_deadline_provisional = models.BooleanField(default=False)

    class Meta:
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        kind = "补充告知书" if self.supplements_id else "告知书"
        return f"{kind} {self.pk}：{self.work} {self.period_start_on}–{self.period_end_on}"

    @property
    def checkpoint_root_hash_base64(self) -> str:
        return base64.b64encode(bytes(self.checkpoint_root_hash)).decode()


class PendingNotice(models.Model):
    """A data notice the platform owes but cannot issue yet, because its objection deadline would rest on a year
    without an official calendar. Issued automatically once the calendar allows; never dropped."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    work = models.ForeignKey("works.Work", on_delete=models.PROTECT, related_name="pending_notices")
    period_start_on = models.DateField("期间开始日期")
    period_end_on = models.DateField("期间结束日期")
    reason = models.CharField("原因", max_length=200)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    notice = models.OneToOneField(DataNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    supplements = models.ForeignKey(DataNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="所补充的告知书")
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"待出具告知书 {self.pk}：{self.work_id} {self.period_start_on}–{self.period_end_on}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("已采纳")
    PARTIALLY_UPHELD = "partially_upheld", _("部分采纳")
    REJECTED = "rejected", _("未采纳")


class Objection(models.Model):
    """An enterprise's objection (异议) to a data notice; decided once by a reviewer."""

    notice = models.ForeignKey(DataNotice, on_delete=models.PROTECT, related_name="objections")
    explanation = models.TextField("书面说明")
    status = models.CharField(max_length=16, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    filed_at = models.DateTimeField()
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decision_reason = models.TextField("处理意见", blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notice"], condition=models.Q(status="open"),
                                    name="one_open_objection_per_notice"),
        ]

    def __str__(self) -> str:
        return f"异议 {self.pk}（告知书 {self.notice_id}）"


class ObjectionEvidence(models.Model):
    """An evidence file of an objection, stored by content hash (``yingdu.files``)."""

    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, related_name="evidence")
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    filename = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class ClaimStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DECIDED = "decided", _("已按决定数量更正")
    AWAITING_PROVIDER = "awaiting_provider", _("待服务商签名更正")
    REJECTED = "rejected", _("未采纳")


class ObjectionClaim(models.Model):
    """A record the objection disputes and the quantity the enterprise says is right; on deciding, the quantity
    the reviewer accepts (with a reason where it differs from the claim) and the correction record appended."""

    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, related_name="claims")
    record = models.ForeignKey("metering.UsageRecord", on_delete=models.PROTECT, related_name="+")
    claimed_quantity = models.DecimalField("主张的正确数量", max_digits=24, decimal_places=6)
    correction = models.OneToOneField("metering.UsageRecord", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="objection_claim")
    status = models.CharField(max_length=24, choices=ClaimStatus.choices, default=ClaimStatus.OPEN)
    decided_quantity = models.DecimalField("决定的数量", max_digits=24, decimal_places=6, null=True, blank=True)
    decision_reason = models.TextField("调整理由", blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["objection", "record"], name="one_claim_per_record_and_objection"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} → {self.claimed_quantity}"
