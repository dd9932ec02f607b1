from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yingdu.rules.money import Money


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    UNDER_REVIEW = "under_review", _("审核中")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("待补充材料")
    # approved under a version with a 公示 period: the proposed award (拟支持) is shown publicly; the voucher is
    # issued when the period ends without an upheld objection
    PUBLICITY = "publicity", _("公示中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未予支持")
    WITHDRAWN = "withdrawn", _("已撤回")


class ApplicationKind(models.TextChoices):
    REGULAR = "regular", _("作品补贴申请")
    OVERSEAS_TOPUP = "overseas_topup", _("出海追加申请")


# statuses in which an application holds its place: it blocks another application of the same kind for the work
HOLDING_STATUSES = (
    ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED, ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.SUPPLEMENT_REQUESTED, ApplicationStatus.PUBLICITY, ApplicationStatus.APPROVED,
)
# statuses counted against the annual limit of works (submitted and not rejected or withdrawn)
COUNTED_STATUSES = (
    ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED, ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.SUPPLEMENT_REQUESTED, ApplicationStatus.PUBLICITY, ApplicationStatus.APPROVED,
)
# not yet decided or not yet issued: the review clock runs (or is paused) until the voucher is issued
OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED, ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.SUPPLEMENT_REQUESTED, ApplicationStatus.PUBLICITY,
)


class Application(models.Model):
    """An enterprise's application for support for one work (or an overseas top-up of an approved one)."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="applications")
    work = models.ForeignKey("works.Work", on_delete=models.PROTECT, related_name="applications")
    kind = models.CharField("申请类型", max_length=16, choices=ApplicationKind.choices,
                            default=ApplicationKind.REGULAR)
    overseas_claimed = models.BooleanField("申请出海支持", default=False)
    topup_of = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="topup")
    status = models.CharField("状态", max_length=24, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # set at submission: the year counted against the annual limit and the policy version that applies
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_on = models.DateField("提交日期", null=True, blank=True)
    counts_toward_limit = models.BooleanField(default=True)
    limit_year = models.PositiveSmallIntegerField(null=True, blank=True)
    policy_version = models.ForeignKey("policy.PolicyVersion", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    # SLA: the clock starts at acceptance; supplement requests pause it (SupplementRequest)
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    sla_working_days = models.PositiveIntegerField(null=True, blank=True)
    # The review clock as last computed, kept so that the queue sorts, filters and pages in SQL: a cache of what
    # the audited rows (acceptance, supplement requests, objections) and the calendar give, refreshed by every
    # service that changes them and daily for paused applications (services.application_sla_refresh). Pages show
    # the figures computed from the audited rows, never these.
    sla_deadline_on = models.DateField(null=True, blank=True)
    sla_deadline_not_before = models.DateField(null=True, blank=True)
    sla_paused = models.BooleanField(default=False)
    sla_refreshed_on = models.DateField(null=True, blank=True)
    # the amount computed at review, and the one fixed at approval (fen), each with its explanation
    verified_cost_fen = models.BigIntegerField(null=True, blank=True)
    review_amount_fen = models.BigIntegerField(null=True, blank=True)
    review_explanation = models.TextField(blank=True)
    review_detail = models.JSONField(default=dict, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    approved_amount_fen = models.BigIntegerField(null=True, blank=True)
    approved_explanation = models.TextField(blank=True)
    approved_detail = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # one regular application per work and at most one top-up, unless refused or withdrawn
            models.UniqueConstraint(fields=["work", "kind"], condition=models.Q(status__in=HOLDING_STATUSES),
                                    name="one_holding_application_per_work_and_kind"),
        ]
        indexes = [
            models.Index(fields=["enterprise", "limit_year", "status"], name="application_limit_idx"),
            # the staff queue: open applications by deadline
            models.Index(fields=["status", "sla_deadline_on"], name="application_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"申请 #{self.pk}（{self.get_status_display()}）"

    @property
    def review_amount_display(self) -> str:
        return Money(self.review_amount_fen).format_display() if self.review_amount_fen is not None else "—"

    @property
    def approved_amount_display(self) -> str:
        return Money(self.approved_amount_fen).format_display() if self.approved_amount_fen is not None else "—"

    @property
    def verified_cost_display(self) -> str:
        return Money(self.verified_cost_fen).format_display() if self.verified_cost_fen is not None else "—"


class ApplicationTransition(models.Model):
    """One step of an application's workflow: who, when, why. Never edited."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=24, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=ApplicationStatus.choices)
    # null: the platform itself (SYSTEM), e.g. the issuance at the end of 公示
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    on = models.DateField()
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status or '∅'} → {self.to_status}"


class SupplementRequest(models.Model):
    """A request for supplementary materials: the SLA clock is paused from requested_on to resumed_on."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="supplement_requests")
    items = models.JSONField("需补充的材料", default=list)
    # per item what answers it: "material:<checklist code>" (an upload), "release" (a new release screenshot that
    # supersedes a current release of the work) or "" (the applicant's message); empty for requests made before
    needs = models.JSONField(default=list, blank=True)
    message = models.TextField("说明")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    requested_on = models.DateField()
    response = models.TextField("补充说明", blank=True)
    resumed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_on = models.DateField(null=True, blank=True)
    # what answered each item at resubmission: [{"item": index, "material": id} | {"item": index, "release": id}]
    answers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} 补充材料 {self.requested_on}"


class ApplicationMaterial(models.Model):
    """An uploaded material of the checklist; a later upload of the same code replaces it (both are kept)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="materials")
    code = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    filename = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["code", "-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.code}"


class ReviewerReminder(models.Model):
    """The daily reminder sent to a reviewer about their at-risk and overdue applications (at most one a day)."""

    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_on = models.DateField()
    application_ids = models.JSONField(default=list)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reviewer", "sent_on"], name="one_reminder_per_reviewer_day")]

    def __str__(self) -> str:
        return f"{self.reviewer_id} {self.sent_on}"


class ApplicationInvoice(models.Model):
    """A compute invoice (发票) of the work declared by the applicant; never edited: a declaration made in error is
    withdrawn by its own record (InvoiceWithdrawal) and a correction is a new declaration."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="invoices")
    # empty for a fully digital invoice (全电发票), whose 20-digit number stands alone
    invoice_code = models.CharField("发票代码", max_length=12, blank=True)
    invoice_number = models.CharField("发票号码", max_length=20)
    # how many declarations of the same code and number came before this one (each withdrawn, or on an application
    # refused or withdrawn): with the unique constraint, at most one declaration of an invoice holds its number
    declaration_seq = models.PositiveIntegerField(default=0)
    issued_on = models.DateField("开票日期")
    seller = models.ForeignKey("metering.Provider", on_delete=models.PROTECT, related_name="+")
    seller_uscc = models.CharField("销售方统一社会信用代码", max_length=18)
    amount_fen = models.BigIntegerField("金额（不含税）")
    tax_fen = models.BigIntegerField("税额")
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    filename = models.CharField(max_length=200)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField()

    class Meta:
        ordering = ["declared_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice_code", "invoice_number", "declaration_seq"],
                                    name="one_invoice_declaration_per_seq"),
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(condition=models.Q(tax_fen__gte=0), name="invoice_tax_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_code or '全电'} {self.invoice_number}"

    @property
    def amount_display(self) -> str:
        return Money(self.amount_fen).format_display()

    @property
    def tax_display(self) -> str:
        return Money(self.tax_fen).format_display()


class InvoiceWithdrawal(models.Model):
    """The applicant's withdrawal of an invoice declared in error: it stops counting and its number is free again."""

    invoice = models.OneToOneField(ApplicationInvoice, on_delete=models.PROTECT, related_name="withdrawal")
    reason = models.TextField("撤回理由")
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField()

    class Meta:
        ordering = ["withdrawn_at", "id"]

    def __str__(self) -> str:
        return f"撤回 {self.invoice_id}"
