from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


def _seed_policy_and_calendar(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """Publish the default policy version and the packaged calendar years once (also after a test-database flush)."""
    from django.db import connections
    from django.utils import timezone

    from .models import CalendarYearVersion, PolicyVersion
    from .services import policy_seed

    if using != DEFAULT_DB_ALIAS:
        return
    tables = set(connections[using].introspection.table_names())
    if not {PolicyVersion._meta.db_table, CalendarYearVersion._meta.db_table} <= tables:
        return
    policy_seed(now=timezone.now())


class PolicyConfig(AppConfig):
    name = "yingdu.policy"
    label = "policy"
    verbose_name = "政策与工作日历"

    def ready(self):
        # post_migrate is sent per app in INSTALLED_APPS order; with sender=self this runs after the transparency
        # app's handler has created the log head that every seeded entry needs
        post_migrate.connect(_seed_policy_and_calendar, sender=self, dispatch_uid="policy_seed")
