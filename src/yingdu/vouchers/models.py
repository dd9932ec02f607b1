from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yingdu.metering.models import ServiceCategory


class AccountKind(models.TextChoices):
    PROGRAMME_BUDGET = "programme_budget", _("年度专项预算")
    VOUCHER = "voucher", _("企业算力券账户")
    PROVIDER_RECEIVABLE = "provider_receivable", _("服务商应收（待结算）")
    PROVIDER_SETTLED = "provider_settled", _("服务商已结算")
    CLAIMS_RAISED = "claims_raised", _("追回债权来源")
    RECOVERY_CLAIM = "recovery_claim", _("企业应退回款项")
    RECOVERED = "recovered", _("已追回款项")


class BalanceSide(models.TextChoices):
    """Which side of zero an account's balance may be on; the other side is refused in services and by a CHECK."""

    NOT_NEGATIVE = "not_negative", _("不得为负")
    NOT_POSITIVE = "not_positive", _("不得为正")


class Account(models.Model):
    """A ledger account. balance = Σ transfers in − Σ transfers out; ``balance_fen`` caches it (ledger_check
    recomputes it from the transfers)."""

    key = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    side = models.CharField(max_length=16, choices=BalanceSide.choices)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    enterprise = models.ForeignKey("enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    provider = models.ForeignKey("metering.Provider", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    balance_fen = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(side=BalanceSide.NOT_NEGATIVE, balance_fen__gte=0)
                | Q(side=BalanceSide.NOT_POSITIVE, balance_fen__lte=0),
                name="vouchers_account_balance_on_its_side",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class TransferKind(models.TextChoices):
    ISSUE = "issue", _("发放")
    REDEEM = "redeem", _("核销")
    EXPIRE = "expire", _("到期收回")
    VOID = "void", _("撤销作废")
    SETTLE = "settle", _("结算付款")
    CLAIM = "claim", _("形成追回债权")
    REPAY = "repay", _("追回还款")


class Transfer(models.Model):
    """One balanced movement: ``amount_fen`` leaves ``from_account`` and enters ``to_account``. Never edited or
    deleted (services never do; a database trigger refuses it). Exactly one cause link is set, per kind."""

    kind = models.CharField(max_length=16, choices=TransferKind.choices)
    from_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_out")
    to_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_in")
    amount_fen = models.BigIntegerField()
    reason = models.CharField(max_length=200)
    voucher = models.ForeignKey("Voucher", null=True, blank=True, on_delete=models.PROTECT, related_name="transfers")
    redemption = models.ForeignKey("Redemption", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey("SettlementStatement", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    claim = models.ForeignKey("RecoveryClaim", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    repayment = models.ForeignKey("RecoveryRepayment", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="vouchers_transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(from_account=models.F("to_account")),
                                   name="vouchers_transfer_between_two_accounts"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.amount_fen} {self.from_account_id}→{self.to_account_id}"


class VoucherStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    EXPIRED = "expired", _("已到期")
    REVOKED = "revoked", _("已撤销")


class Voucher(models.Model):
    """A compute voucher (算力券) issued to an enterprise for one approved application; its value is its account."""

    # HR-<year>-XXXX-XXXX-XXXXC from issue 13 on (see numbers.py); HR-<year>-<6 digits> before
    number = models.CharField("券号", max_length=32, unique=True)
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="vouchers")
    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="voucher")
    # plain integers, not foreign keys: the applications app calls voucher_issue and the two apps stay decoupled
    work_id = models.BigIntegerField(db_index=True)
    application_id = models.BigIntegerField(unique=True)
    amount_fen = models.BigIntegerField("面额（分）")
    budget_year = models.PositiveSmallIntegerField("预算年度")
    issued_on = models.DateField("发放日期")
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    expires_on = models.DateField("有效期至", null=True, blank=True)
    policy_version = models.CharField("政策版本", max_length=64)
    # the voucher's terms as issued (from the policy version in force on the issue date)
    eligible_service_categories = models.JSONField(default=list)
    status = models.CharField("状态", max_length=16, choices=VoucherStatus.choices, default=VoucherStatus.ACTIVE)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="vouchers_voucher_amount_positive")]

    def __str__(self) -> str:
        return self.number


class RedemptionStatus(models.TextChoices):
    PENDING = "pending", _("待企业确认")
    CONFIRMED = "confirmed", _("已确认核销")
    REJECTED = "rejected", _("企业已拒绝")
    LAPSED = "lapsed", _("券到期未确认")
    CANCELLED = "cancelled", _("券已撤销")


class Redemption(models.Model):
    """A provider's redemption (核销) of part of a voucher against one order; the ledger moves only when the
    enterprise confirms. A pending redemption reserves its amount."""

    provider = models.ForeignKey("metering.Provider", on_delete=models.PROTECT, related_name="+")
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    order_ref = models.CharField("订单号", max_length=100)
    category = models.CharField("服务类别", max_length=32, choices=ServiceCategory.choices)
    amount_fen = models.BigIntegerField("核销金额（分）")
    description = models.CharField("订单说明", max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=RedemptionStatus.choices, default=RedemptionStatus.PENDING)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    api_key = models.ForeignKey("metering.ApiKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decision_reason = models.CharField(max_length=200, blank=True)
    statement = models.ForeignKey("SettlementStatement", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="redemptions")

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "order_ref"], name="vouchers_one_redemption_per_order"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="vouchers_redemption_amount_positive"),
        ]
        indexes = [models.Index(fields=["voucher", "status"])]

    def __str__(self) -> str:
        return f"{self.provider_id}:{self.order_ref}"


class RedemptionCodeStatus(models.TextChoices):
    """Stored statuses; an active code past ``expires_at`` is shown as expired (nothing is written when it lapses)."""

    ACTIVE = "active", _("可使用")
    USED = "used", _("已使用")
    REVOKED = "revoked", _("已作废")


class RedemptionCode(models.Model):
    """A one-time code with which an enterprise lets a provider redeem one of its vouchers (issue 13): optionally
    bound to one provider and limited to an amount, valid until ``expires_at``. The code itself is shown once to the
    enterprise; only the SHA-256 of its symbols is kept."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemption_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    provider = models.ForeignKey("metering.Provider", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    max_amount_fen = models.BigIntegerField("限额（分）", null=True, blank=True)
    status = models.CharField(max_length=16, choices=RedemptionCodeStatus.choices,
                              default=RedemptionCodeStatus.ACTIVE)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    redemption = models.OneToOneField(Redemption, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="redemption_code")
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(max_amount_fen__isnull=True) | Q(max_amount_fen__gt=0),
                                   name="vouchers_code_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"核销码 #{self.pk}（{self.voucher_id}）"

    def is_expired(self, now) -> bool:
        return self.status == RedemptionCodeStatus.ACTIVE and now >= self.expires_at


class StatementStatus(models.TextChoices):
    OPEN = "open", _("待付款")
    PAID = "paid", _("已付款")


class SettlementStatement(models.Model):
    """Finance's statement of a provider's confirmed redemptions up to a period's end; paid once."""

    number = models.CharField("结算单号", max_length=32, unique=True)
    provider = models.ForeignKey("metering.Provider", on_delete=models.PROTECT, related_name="+")
    period_start_on = models.DateField("期间开始")
    period_end_on = models.DateField("期间结束")
    total_fen = models.BigIntegerField("合计（分）")
    redemption_count = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=StatementStatus.choices, default=StatementStatus.OPEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    payment_reference = models.CharField("付款凭证号", max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(total_fen__gt=0), name="vouchers_statement_total_positive")]

    def __str__(self) -> str:
        return self.number


class RecoveryClaim(models.Model):
    """What an enterprise owes back after its voucher was revoked: the value already redeemed."""

    voucher = models.OneToOneField(Voucher, on_delete=models.PROTECT, related_name="recovery_claim")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField("追回金额（分）")
    repaid_fen = models.BigIntegerField("已还款（分）", default=0)
    raised_at = models.DateTimeField()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="vouchers_claim_amount_positive"),
            models.CheckConstraint(condition=Q(repaid_fen__gte=0, repaid_fen__lte=models.F("amount_fen")),
                                   name="vouchers_claim_repaid_within_amount"),
        ]

    def __str__(self) -> str:
        return f"追回 {self.voucher}"

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.repaid_fen


class RecoveryRepayment(models.Model):
    """One repayment received against a recovery claim."""

    claim = models.ForeignKey(RecoveryClaim, on_delete=models.PROTECT, related_name="repayments")
    amount_fen = models.BigIntegerField("还款金额（分）")
    reference = models.CharField("收款凭证号", max_length=100)
    received_on = models.DateField("收款日期")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="vouchers_repayment_amount_positive"),
            models.UniqueConstraint(fields=["claim", "reference"], name="vouchers_one_repayment_per_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}:{self.reference}"


class Revocation(models.Model):
    """The revocation of a voucher: who, why, from where (finance, or a fraud case), and what it moved."""

    voucher = models.OneToOneField(Voucher, on_delete=models.PROTECT, related_name="revocation")
    source = models.CharField(max_length=32)
    reason = models.TextField("撤销理由")
    voided_fen = models.BigIntegerField()
    claimed_fen = models.BigIntegerField()
    revoked_at = models.DateTimeField()
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-revoked_at", "-id"]

    def __str__(self) -> str:
        return f"撤销 {self.voucher}"


class NoticeKind(models.TextChoices):
    ISSUED = "issued", _("算力券已发放")
    REMINDER_30 = "reminder_30", _("30 天后到期提醒")
    REMINDER_7 = "reminder_7", _("7 天后到期提醒")
    EXPIRED = "expired", _("算力券已到期")
    REVOKED = "revoked", _("算力券已撤销")
    REDEMPTION = "redemption", _("有待确认的核销")
    REDEEMED = "redeemed", _("已凭核销码核销")


class VoucherNotice(models.Model):
    """An in-app notice to an enterprise about one voucher; one per voucher and kind (reminders are sent once)."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    dedupe_key = models.CharField(max_length=64, unique=True)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message


class LedgerCheckRun(models.Model):
    """One run of the ledger check (``ledger.ledger_check``), by the worker or the command: what the finance page
    shows, with its time, instead of recomputing the whole ledger on every view."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    accounts = models.PositiveIntegerField()
    transfers = models.PositiveIntegerField()
    problems = models.JSONField(default=list)

    class Meta:
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"账务核对 {self.finished_at:%Y-%m-%d %H:%M}：{'通过' if self.ok else '有问题'}"

    @property
    def ok(self) -> bool:
        return not self.problems

