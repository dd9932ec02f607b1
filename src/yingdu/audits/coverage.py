"""Which tables the database audit recomputes, and why the others are not: every table of the deployment is
accounted for."""

from django.apps import apps as django_apps
from django.conf import settings

from yingdu.transparency.catalogue import NOT_AUDITED_TABLES

from .logtables import CHECKPOINT_TABLE, COSIGNATURE_TABLE, ENTRY_TABLE, HASH_TABLE, HEAD_TABLE
from .projections import Projection

# Tables of Django and its libraries, which hold no record of the programme: why the audit does not recompute them.
INFRASTRUCTURE_TABLES = {
    "auth": "Django's groups and permissions: the platform grants rights only by role grants (accounts), audited",
    "contenttypes": "Django's registry of models, rebuilt by migrate",
    "sessions": "sign-in sessions: they expire and record nothing of the programme",
    "axes": "login throttling counters",
    "django_tasks_database": "the background task queue and its results (work is logged by the services it calls)",
}
# Columns of the log's own tables that nothing signed or hashed vouches for.
LOG_TABLES = {
    ENTRY_TABLE: "checked against the stored tree", HASH_TABLE: "recomputed from the entries",
    HEAD_TABLE: "checked against the stored tree", CHECKPOINT_TABLE: "signatures, consistency and numbering",
}


def table_coverage(projections: list[Projection]) -> tuple[dict[str, str], dict[str, str]]:
    """Every table of the deployment: (tables not recomputed, with the reason; tables with no reason at all)."""
    audited = set(LOG_TABLES) | {COSIGNATURE_TABLE}
    for projection in projections:
        audited |= set(projection.tables)
    with_reason: dict[str, str] = {}
    unexplained: dict[str, str] = {}
    for model in django_apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in audited:
            continue
        reason = NOT_AUDITED_TABLES.get(model._meta.label) or INFRASTRUCTURE_TABLES.get(model._meta.app_label)
        if reason is None and model._meta.auto_created:
            owner = model._meta.auto_created
            if owner._meta.label == settings.AUTH_USER_MODEL:
                reason = INFRASTRUCTURE_TABLES["auth"]
        if reason:
            with_reason[table] = reason
        else:
            unexplained[table] = "no projection and no reason declared"
    return with_reason, unexplained
