from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EnterpriseState(models.TextChoices):
    PENDING = "pending", _("待核验")
    VERIFIED = "verified", _("已核验")
    REJECTED = "rejected", _("未通过核验")
    DISQUALIFIED = "disqualified", _("已取消资格")


class Enterprise(models.Model):
    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.PROTECT, related_name="enterprise")
    name = models.CharField("企业名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    registered_address = models.CharField("注册地址", max_length=300)
    legal_representative = models.CharField("法定代表人", max_length=100)
    contact_name = models.CharField("联系人", max_length=100)
    contact_phone = models.CharField("联系电话", max_length=20)
    licence_sha256 = models.CharField(max_length=64)
    licence_content_type = models.CharField(max_length=64)
    licence_size = models.PositiveIntegerField()
    licence_filename = models.CharField(max_length=200)
    state = models.CharField("状态", max_length=16, choices=EnterpriseState.choices, default=EnterpriseState.PENDING)
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Salt of the commitments to personal data (names, phone) written into log entries instead of the data.
    commitment_salt = models.CharField(max_length=64)

    class Meta:
        ordering = ["-registered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class EnterpriseStateChange(models.Model):
    """One transition of an enterprise's state: who, when, why, effective from which date. Never edited."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="state_changes")
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=16, choices=EnterpriseState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=EnterpriseState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    effective_on = models.DateField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {self.from_state or '∅'} → {self.to_state}"
