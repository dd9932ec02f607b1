"""Oversight: quarterly spot-check draws, spot-check cases with their checklist, evidence, notes, responses and
findings, and notices to the enterprise. Rows are never deleted; a later decision supersedes an earlier one."""

import base64

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SpotCheckDraw(models.Model):
    """One quarter's draw (yingdu.audits.draw): seed = root hash of the signed checkpoint at the quarter's end."""

    quarter = models.CharField("季度", max_length=6, unique=True)
    quarter_start_at = models.DateTimeField()
    quarter_end_at = models.DateTimeField(help_text="exclusive: 00:00 Asia/Shanghai of the next quarter's first day")
    checkpoint_tree_size = models.BigIntegerField()
    checkpoint_root_hash = models.BinaryField(max_length=32)
    checkpoint_note = models.TextField()
    candidate_rule = models.CharField(max_length=64)
    policy_version = models.CharField(max_length=64)
    sample_rate = models.CharField(max_length=16, help_text="exact decimal string, e.g. 0.1000")
    sample_minimum = models.PositiveIntegerField()
    candidate_ids = models.JSONField(default=list, help_text="work ids, ascending")
    chosen_ids = models.JSONField(default=list, help_text="work ids, in ranking order")
    drawn_at = models.DateTimeField()
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    log_index = models.BigIntegerField(null=True, blank=True)
    # a witnessed draw (entry version 3): seed = SHA-256(root || revealed values); otherwise the root itself
    ranking_seed = models.BinaryField(max_length=32, null=True, blank=True)
    ungrindable = models.BooleanField(default=False)
    witness_quorum = models.PositiveIntegerField(default=0)
    commitments = models.JSONField(default=list, blank=True, help_text="the witnesses' commitments, with proofs")
    reveals = models.JSONField(default=list, blank=True, help_text="the witnesses' signed reveals")
    withheld = models.JSONField(default=list, blank=True, help_text="committed witnesses that did not reveal")

    class Meta:
        ordering = ["-quarter"]

    def __str__(self) -> str:
        return f"{self.quarter} 抽查抽签"

    @property
    def seed_hex(self) -> str:
        return bytes(self.checkpoint_root_hash).hex()

    @property
    def ranking_seed_hex(self) -> str:
        return bytes(self.ranking_seed if self.ranking_seed is not None else self.checkpoint_root_hash).hex()

    @property
    def checkpoint_root_hash_base64(self) -> str:
        return base64.b64encode(bytes(self.checkpoint_root_hash)).decode()


class DrawCommitment(models.Model):
    """A witness's signed commitment to its value for a quarter's draw, appended to the log before the draw."""

    quarter = models.CharField(max_length=6)
    witness_key = models.CharField(max_length=255, help_text="the witness's cosignature verifier key (vkey text)")
    commitment = models.CharField(max_length=64, help_text="hex SHA-256 of the value")
    statement = models.TextField(help_text="the witness's signed commitment statement")
    recorded_at = models.DateTimeField()
    log_index = models.BigIntegerField()

    class Meta:
        ordering = ["quarter", "witness_key"]
        constraints = [models.UniqueConstraint(fields=["quarter", "witness_key"],
                                               name="audits_one_draw_commitment_per_witness")]

    def __str__(self) -> str:
        return f"{self.quarter} {self.witness_key.split('+')[0]}"


class CaseStatus(models.TextChoices):
    OPEN = "open", _("检查中")
    FRAUD_PENDING = "fraud_pending", _("欺诈认定待复核")
    CLOSED_COMPLIANT = "closed_compliant", _("已结案：合规")
    CLOSED_ISSUES = "closed_issues", _("已结案：存在问题（须整改）")
    CLOSED_FRAUD = "closed_fraud", _("已结案：认定欺诈")


class SpotCheckCase(models.Model):
    """A drawn work under spot check: checklist, evidence, notes, the enterprise's response and the finding."""

    draw = models.ForeignKey(SpotCheckDraw, on_delete=models.PROTECT, related_name="cases")
    work = models.ForeignKey("works.Work", on_delete=models.PROTECT, related_name="spot_check_cases")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="spot_check_cases")
    rank = models.PositiveIntegerField(help_text="position in the draw's ranking, from 1")
    status = models.CharField("状态", max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_at = models.DateTimeField()
    opened_on = models.DateField()
    due_on = models.DateField("检查截止日")
    due_working_days = models.PositiveIntegerField()
    response_deadline_on = models.DateField("企业说明截止日")
    response_window_working_days = models.PositiveIntegerField()
    response_policy_version = models.CharField(max_length=64)
    # the dates rest on a provisional calendar year (预计): the response deadline is then never enforced, and both
    # are recomputed when the official schedule is published
    due_on_provisional = models.BooleanField(default=False)
    response_deadline_provisional = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "rank"]
        constraints = [models.UniqueConstraint(fields=["draw", "work"], name="audits_one_case_per_drawn_work")]

    def __str__(self) -> str:
        return f"抽查 #{self.pk}（{self.draw.quarter}）"


class CheckItemResult(models.TextChoices):
    PENDING = "pending", _("待检查")
    OK = "ok", _("相符")
    PROBLEM = "problem", _("有问题")


class CaseCheckItem(models.Model):
    """One checklist item of a case; its latest result (each change is a log entry)."""

    case = models.ForeignKey(SpotCheckCase, on_delete=models.PROTECT, related_name="check_items")
    code = models.CharField(max_length=32)
    label = models.CharField(max_length=200)
    result = models.CharField(max_length=16, choices=CheckItemResult.choices, default=CheckItemResult.PENDING)
    note = models.TextField(blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case", "code"], name="audits_one_check_item_per_code")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.code}"


class CaseEvidence(models.Model):
    """An evidence file of a case (by staff or by the enterprise), stored by content hash (yingdu.files)."""

    case = models.ForeignKey(SpotCheckCase, on_delete=models.PROTECT, related_name="evidence")
    check_code = models.CharField(max_length=32, blank=True)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    filename = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    by_enterprise = models.BooleanField(default=False)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename


class CaseNote(models.Model):
    """A staff note on a case (not shown to the enterprise)."""

    case = models.ForeignKey(SpotCheckCase, on_delete=models.PROTECT, related_name="notes")
    text = models.TextField("备注")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} 备注 {self.pk}"


class CaseResponse(models.Model):
    """The enterprise's written response (说明) to the case, within the policy's objection window."""

    case = models.ForeignKey(SpotCheckCase, on_delete=models.PROTECT, related_name="responses")
    text = models.TextField("书面说明")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()

    class Meta:
        ordering = ["filed_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} 企业说明 {self.pk}"


class FindingOutcome(models.TextChoices):
    COMPLIANT = "compliant", _("合规")
    ISSUES = "issues", _("存在问题（须整改）")
    FRAUD = "fraud", _("欺诈")


class FindingStatus(models.TextChoices):
    FINAL = "final", _("已生效")
    PENDING_CONFIRMATION = "pending_confirmation", _("待第二人复核")
    CONFIRMED = "confirmed", _("已复核确认")
    DECLINED = "declined", _("复核未确认")


class CaseFinding(models.Model):
    """The finding of a case. Compliant and issues take effect at once; fraud only once a second staff member
    (not the recorder) confirms it, which revokes the vouchers and disqualifies the enterprise."""

    case = models.ForeignKey(SpotCheckCase, on_delete=models.PROTECT, related_name="findings")
    outcome = models.CharField("结论", max_length=16, choices=FindingOutcome.choices)
    status = models.CharField(max_length=24, choices=FindingStatus.choices)
    summary = models.TextField("检查结论说明")
    corrective_action = models.TextField("整改要求", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    revoked_vouchers = models.JSONField(default=list, blank=True, help_text="voucher numbers revoked on confirmation")

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(status="pending_confirmation"),
                                    name="audits_one_pending_finding_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_outcome_display()}（{self.get_status_display()}）"


class AuditNoticeKind(models.TextChoices):
    CASE_OPENED = "case_opened", _("作品被抽中接受检查")
    FINDING = "finding", _("检查结论")
    FRAUD_CONFIRMED = "fraud_confirmed", _("认定欺诈：撤销算力券并取消资格")
    DEADLINE_RECOMPUTED = "deadline_moved", _("截止日按官方日历重新计算")


class AuditNotice(models.Model):
    """An in-app notice to the enterprise about its case (and the same by e-mail after commit)."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(SpotCheckCase, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=16, choices=AuditNoticeKind.choices)
    message = models.TextField()
    created_at = models.DateTimeField()
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message[:50]
