from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_log_head(sender, using="default", **kwargs):
    """The sequencer row must exist, also after a test database flush (which re-sends post_migrate)."""
    from .services import log_head_ensure

    log_head_ensure(using=using)


class TransparencyConfig(AppConfig):
    name = "yingdu.transparency"
    label = "transparency"
    verbose_name = "防篡改日志"

    def ready(self):
        post_migrate.connect(_ensure_log_head, sender=self, dispatch_uid="transparency_log_head")
