from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One message to one user in the app (the same text as its e-mail), derived from the log entry that caused it;
    ``read_at`` is the reader's own mark."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=60, help_text="the log entry type that caused it, or the platform alert")
    ref = models.CharField(max_length=120, help_text="the event it tells of, shared by all its recipients")
    log_index = models.BigIntegerField(null=True, blank=True, help_text="the log entry that caused it")
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="path of the object it is about")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recipient", "ref"], name="inbox_one_per_recipient_and_event")]
        indexes = [models.Index(fields=["recipient", "-id"], name="inbox_recipient_newest"),
                   models.Index(fields=["ref"], name="inbox_ref")]

    def __str__(self) -> str:
        return self.subject
