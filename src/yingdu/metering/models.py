from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _


class ServiceCategory(models.TextChoices):
    COMPUTE = "compute", _("算力")
    MODEL_SERVICE = "model_service", _("模型服务")
    DATA_PRODUCT = "data_product", _("数据产品")


class Provider(models.Model):
    """A compute / model / data provider registered on the platform."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.PROTECT, related_name="provider")
    name = models.CharField("服务商名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    is_local = models.BooleanField("本地算力服务商", default=True)
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A provider's API key: only a SHA-256 of the secret is kept; the key is shown once when created."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="api_keys")
    prefix = models.CharField(max_length=16, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    label = models.CharField("用途说明", max_length=100)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    # the log carries HMAC-SHA256(salt, {secret_sha256, label}), not the secret's hash or the free-text label
    commitment_salt = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.provider} · {self.prefix}"


class SigningKey(models.Model):
    """An Ed25519 public key a provider signs usage with; several may be valid at once for rotation."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="signing_keys")
    key_id = models.CharField(max_length=16, unique=True)
    public_key = models.BinaryField(max_length=32)
    label = models.CharField("用途说明", max_length=100)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # the log carries HMAC-SHA256(salt, {label}), not the free-text label
    commitment_salt = models.CharField(max_length=64)

    class Meta:
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.provider} · {self.key_id}"


class CatalogueEntry(models.Model):
    """One price version of a SKU; a price change is a new row with a later effective time, never an edit."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="catalogue")
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField("服务名称", max_length=200)
    category = models.CharField("服务类别", max_length=16, choices=ServiceCategory.choices)
    unit = models.CharField("计量单位", max_length=32)
    price_fen = models.BigIntegerField("单价（分/单位）")
    effective_from = models.DateTimeField("生效时间")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["sku", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "sku", "effective_from"], name="one_price_per_sku_and_time"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} @ {self.effective_from:%Y-%m-%d}"


class RecordStatus(models.TextChoices):
    ACCEPTED = "accepted", _("已接收")
    QUARANTINED = "quarantined", _("待归属")


class QuarantineReason(models.TextChoices):
    """Why an accepted record awaits attribution (UsageRecord.quarantine_reason; the field keeps the codes)."""

    ENTERPRISE_UNKNOWN = "enterprise_unknown", _("企业未登记")
    WORK_UNKNOWN = "work_unknown", _("项目标签未对应作品")


class RecordOrigin(models.TextChoices):
    PROVIDER = "provider", _("服务商上报")
    OBJECTION = "objection", _("异议更正")


class UsageRecord(models.Model):
    """A usage record as the provider sent and signed it, priced and logged; never edited (corrections are new).

    A correction appended by the platform when an objection is upheld has ``origin="objection"`` and no provider
    signature: its origin is the platform's log entry (``metering.usage_corrected``) under a signed checkpoint.
    """

    # Single-column indexes that a composite index below already leads with are off (db_index=False): each costs a
    # write per ingested row. The foreign-key constraints stay (docs/decisions.md "Ingestion at a quarter of COPY").
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="usage_records", db_index=False)
    record_id = models.CharField(max_length=128)
    content_sha256 = models.CharField(max_length=64)
    enterprise_uscc = models.CharField(max_length=18)
    project_tag = models.CharField(max_length=64)
    sku = models.CharField(max_length=64)
    quantity = models.DecimalField(max_digits=24, decimal_places=6)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    node_id = models.CharField(max_length=128, blank=True)
    job_id = models.CharField(max_length=128, blank=True)
    gpu_id = models.CharField(max_length=128, blank=True)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections")
    status = models.CharField(max_length=16, choices=RecordStatus.choices)
    quarantine_reason = models.CharField(max_length=32, blank=True)
    enterprise = models.ForeignKey("enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="usage_records", db_index=False)
    work = models.ForeignKey("works.Work", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="usage_records", db_index=False)
    category = models.CharField(max_length=16, choices=ServiceCategory.choices)
    price_fen = models.BigIntegerField()
    # cost in millionths of a fen: quantity (6 decimals) × price, exact; rounded once, per work, when summed
    cost_microfen = models.BigIntegerField()
    # a database default, so the ingestion's plain INSERT need not name the column
    origin = models.CharField(max_length=16, choices=RecordOrigin.choices, db_default=RecordOrigin.PROVIDER)
    signing_key = models.ForeignKey(SigningKey, null=True, on_delete=models.PROTECT, related_name="+")
    signature = models.BinaryField(max_length=64, null=True)
    # batch-signed records: the signed batch root and this record's inclusion path in the batch (RFC 9162 §2.1.3)
    batch_root = models.BinaryField(max_length=32, null=True)
    batch_index = models.IntegerField(null=True)
    batch_size = models.IntegerField(null=True)
    batch_path = models.BinaryField(null=True)
    log_index = models.BigIntegerField(unique=True)
    received_at = models.DateTimeField()
    # Derived: the enterprise and work the record belongs to (whose members see it) = COALESCE(its attribution's,
    # its original's attribution's, its own). Set at ingestion and by attribution, checked by the database audit
    # against those rows; it lets an enterprise's records be read by one index range instead of an OR of three joins.
    attributed_enterprise = models.ForeignKey("enterprises.Enterprise", null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+", db_index=False)
    attributed_work = models.ForeignKey("works.Work", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "record_id"], name="one_record_per_provider_id"),
        ]
        indexes = [
            models.Index(fields=["work", "started_at"]),
            models.Index(fields=["enterprise", "started_at"]),
            models.Index(fields=["status"]),
            # a correction's original, or the record itself: how counting.py finds a work's rows in one query
            models.Index(Coalesce("corrects_id", "id"), name="usage_record_origin"),
            models.Index(fields=["attributed_enterprise", "log_index"], name="usage_record_enterprise_log"),
            models.Index(fields=["provider", "log_index"], name="usage_record_provider_log"),
            # the anomaly task's shared-GPU/node overlap look-up (flagging._neighbours): without them a full scan
            # that grows with the table (issue 18; docs/decisions.md, partitioning)
            models.Index(fields=["provider", "gpu_id", "started_at"], name="usage_record_gpu_time"),
            models.Index(fields=["provider", "node_id", "started_at"], name="usage_record_node_time"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}:{self.record_id}"


class UsageAttribution(models.Model):
    """Staff attribute a quarantined record to a work of the same enterprise; the record row itself is never edited."""

    record = models.OneToOneField(UsageRecord, on_delete=models.PROTECT, related_name="attribution")
    work = models.ForeignKey("works.Work", on_delete=models.PROTECT, related_name="usage_attributions")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField("归属理由")
    # the log carries HMAC-SHA256(salt, reason), not the free text (it may name people), as for enterprise reasons
    commitment_salt = models.CharField(max_length=64)
    log_index = models.BigIntegerField(unique=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.record_id} → {self.work_id}"


class IngestCounter(models.Model):
    """A monotonic ingestion counter for /metrics, kept in the database so every worker process sees one value."""

    name = models.CharField(max_length=64, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class RollupPeriod(models.TextChoices):
    HOUR = "hour", _("小时")
    DAY = "day", _("日")


class UsageRollup(models.Model):
    """Usage summed per hour or Beijing day of the start, per provider, enterprise, tag, counted work and SKU.

    Derived data kept by the monitoring task (``rollups.py``) from the log-indexed records and attributions up to
    its watermark; ``yingdu usage_rollup_check`` recomputes it from the raw rows and compares. ``work`` is the work
    the row counts for (a correction follows its original; a quarantined record the work staff attributed it to).
    """

    period = models.CharField(max_length=4, choices=RollupPeriod.choices)
    bucket_start = models.DateTimeField()
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    enterprise_uscc = models.CharField(max_length=18)
    project_tag = models.CharField(max_length=64)
    work = models.ForeignKey("works.Work", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    quantity = models.DecimalField(max_digits=28, decimal_places=6)
    cost_microfen = models.BigIntegerField()
    record_count = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(models.F("period"), models.F("bucket_start"), models.F("provider"),
                                    models.F("enterprise_uscc"), models.F("project_tag"),
                                    Coalesce(models.F("work"), models.Value(0)), models.F("sku"),
                                    name="one_usage_rollup_per_key"),
        ]
        indexes = [models.Index(fields=["period", "bucket_start"])]

    def __str__(self) -> str:
        return f"{self.period} {self.bucket_start:%Y-%m-%d %H:%M} {self.provider_id} {self.enterprise_uscc}"


class MonitorWatermark(models.Model):
    """How far a monitoring task has read the log: every record and attribution below ``tree_size`` is counted."""

    name = models.CharField(max_length=32, unique=True)
    tree_size = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.tree_size}"


class ProviderLongestRecord(models.Model):
    """The longest time span (``ended_at - started_at``) of the provider's records the anomaly task has checked.

    Record validation sets no upper limit on a record's span, so this bounds the task's look-up of the records that
    overlap a new one on the same GPU or node: a stored record starting more than ``longest`` before a new record's
    start ended before it. Derived (recomputable from the records), only ever raised."""

    provider = models.OneToOneField(Provider, primary_key=True, on_delete=models.CASCADE, related_name="+")
    longest = models.DurationField()

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.longest}"


class AnomalyFlag(models.Model):
    """One anomaly found by the anomaly task, with its reason (derived from the records; a hint, not a decision)."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32)
    reason = models.TextField()
    provider = models.ForeignKey(Provider, null=True, on_delete=models.PROTECT, related_name="+")
    enterprise_uscc = models.CharField(max_length=18)
    project_tag = models.CharField(max_length=64)
    # the Beijing day of the (first) record's start, or the spike's day
    day = models.DateField()
    record_count = models.IntegerField()
    # [[pk, record_id], ...] of at most RECORD_LINKS_PER_FLAG records
    records = models.JSONField(default=list)
    detected_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "id"]), models.Index(fields=["day", "id"]),
                   models.Index(fields=["enterprise_uscc", "id"])]

    def __str__(self) -> str:
        return self.key
