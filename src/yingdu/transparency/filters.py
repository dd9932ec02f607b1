"""Filter of the public list of log entries: by entry type (the catalogue's declared types)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .catalogue import CATALOGUE
from .models import LogEntry


def _entry_types() -> list[tuple[str, str]]:
    return [(declared.name, declared.name) for declared in CATALOGUE]


class LogEntryFilter(django_filters.FilterSet):
    event_type = django_filters.ChoiceFilter(label=_("条目类型"), choices=_entry_types, empty_label=_("全部类型"))

    class Meta:
        model = LogEntry
        fields: list[str] = []
