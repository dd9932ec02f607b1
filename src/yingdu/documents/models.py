"""The document numbers (文号) of the official documents the platform issues: one gap-free sequence per kind and
Beijing year."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    """Each kind of official document has its own prefix (policy data) and its own sequence per year."""

    DATA_NOTICE = "data_notice", _("数据告知书")
    ACCEPTANCE = "acceptance", _("受理通知书")
    SUPPLEMENT = "supplement", _("补充材料通知书")
    DECISION = "decision", _("审批决定书")
    VOUCHER = "voucher", _("算力券凭证")
    REVOCATION = "revocation", _("算力券撤销决定书")
    OBJECTION_DECISION = "objection_decision", _("异议处理决定书")
    SPOT_CHECK = "spot_check", _("抽查通知书")


class IssuedDocument(models.Model):
    """One number given to one document: written in the issuing event's transaction and log entry, never edited."""

    kind = models.CharField("文书种类", max_length=32, choices=DocumentKind.choices)
    # the Beijing year of the issuing moment, and the document's place in that year's sequence (1, 2, 3, …)
    year = models.PositiveSmallIntegerField("年度")
    sequence = models.PositiveIntegerField("序号")
    number = models.CharField("文号", max_length=80)
    # the row the document is about (by kind): data notice, application, supplement request, voucher, revocation,
    # objection or spot-check case
    subject_id = models.BigIntegerField("文书对象")
    issued_at = models.DateTimeField("印发时间")

    class Meta:
        ordering = ["kind", "year", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="one_document_per_sequence_number"),
            models.UniqueConstraint(fields=["kind", "subject_id"], name="one_document_per_subject"),
        ]

    def __str__(self) -> str:
        return self.number
