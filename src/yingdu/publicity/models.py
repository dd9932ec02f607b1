from django.db import models


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


class PublicityObjection(models.Model):
    """An objection anyone submitted to an award during its 公示; only staff see its contact and text."""

    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT,
                                    related_name="publicity_objections")
    contact = models.CharField("联系方式", max_length=100)
    content = models.TextField("异议内容")
    # salt of the entry's commitment to contact and content (kept off the public log: personal data)
    commitment_salt = models.CharField(max_length=64)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"公示异议 #{self.pk}（申请 {self.application_id}）"
