from django.db import models


class LogHead(models.Model):
    """The single row that sequences appends: locked by every writer, it holds the current tree size and root."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    tree_size = models.BigIntegerField(default=0)
    root_hash = models.BinaryField(max_length=32)
    # How many checkpoints were ever signed: with SignedCheckpoint.sequence, a deleted checkpoint (the latest
    # included) is visible to the audit.
    checkpoints_signed = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"log head at {self.tree_size}"


class LogEntry(models.Model):
    """One leaf of the Merkle log: the exact canonical bytes of an event and its leaf hash."""

    index = models.BigIntegerField(primary_key=True)
    event_type = models.CharField(max_length=64)
    entry = models.BinaryField()
    leaf_hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["index"]
        # One plain index (db_index=True would add a second, LIKE-pattern one on PostgreSQL, kept up at every append).
        indexes = [models.Index(fields=["event_type"], name="log_entry_event_type")]

    def __str__(self) -> str:
        return f"#{self.index} {self.event_type}"


class StoredHash(models.Model):
    """A complete-subtree hash at its position in the Go sumdb/tlog layout (yingdu.tlog.storage)."""

    index = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"stored hash {self.index}"


class SignedCheckpoint(models.Model):
    """A checkpoint signed by the deployment's key, kept forever; proofs are served only up to these sizes."""

    tree_size = models.BigIntegerField(primary_key=True)
    root_hash = models.BinaryField(max_length=32)
    note = models.TextField()
    signed_at = models.DateTimeField()
    # 1, 2, 3, … in signing order (and so in tree size order); the head counts them.
    sequence = models.BigIntegerField(unique=True)

    class Meta:
        ordering = ["-tree_size"]

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"


class WitnessCosignature(models.Model):
    """A configured witness's cosignature (C2SP tlog-cosignature) of one signed checkpoint, served with it."""

    checkpoint = models.ForeignKey(SignedCheckpoint, on_delete=models.PROTECT, related_name="cosignatures")
    witness_name = models.CharField(max_length=255)
    key_id = models.BigIntegerField()
    timestamp = models.BigIntegerField(help_text="POSIX seconds at which the witness cosigned")
    signature_line = models.TextField()
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["witness_name", "key_id"]
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "witness_name", "key_id"],
                                    name="transparency_one_cosignature_per_witness_key"),
        ]

    def __str__(self) -> str:
        return f"{self.witness_name} cosigned checkpoint {self.checkpoint_id}"
