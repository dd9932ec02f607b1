"""Separation of duties: past memberships (for the conflict look-back), recusals, and four-eyes proposals."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PastMembership(models.Model):
    """A user's membership of an organisation that ended; the link still counts for conflicts for a while."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="past_memberships")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField()
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    reason = models.TextField()

    class Meta:
        ordering = ["-ended_at", "-id"]
        indexes = [models.Index(fields=["user", "organisation"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.ended_at:%Y-%m-%d}"


class Recusal(models.Model):
    """A staff member's declaration (回避) that they will not act on a case; it cannot be withdrawn."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="recusals")
    case_kind = models.CharField(max_length=32)
    case_id = models.BigIntegerField()
    reason = models.TextField()
    declared_at = models.DateTimeField()

    class Meta:
        ordering = ["-declared_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "case_kind", "case_id"], name="one_recusal_per_case")]

    def __str__(self) -> str:
        return f"{self.user} · {self.case_kind} {self.case_id}"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("待第二人确认")
    CONFIRMED = "confirmed", _("已确认执行")
    REFUSED = "refused", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


class Proposal(models.Model):
    """A four-eyes step proposed by one staff member; it takes effect only when a second person confirms it."""

    step = models.CharField(max_length=48)
    case_kind = models.CharField(max_length=32)
    case_id = models.BigIntegerField()
    params = models.JSONField(default=dict)
    reason = models.TextField()
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["step", "case_kind", "case_id"], condition=models.Q(status="pending"),
                                    name="one_pending_proposal_per_step_and_case"),
        ]
        indexes = [models.Index(fields=["status", "proposed_at"])]

    def __str__(self) -> str:
        return f"{self.step} · {self.case_kind} {self.case_id} · {self.status}"
