"""Helpers shared by the policy tests."""

import json
from datetime import date, timedelta

from django.utils import timezone

from yingdu.transparency.models import LogEntry

CALENDAR_2027_CSV = """date,kind,name,source_url
2027-01-01,holiday,元旦,https://example.test/2027
2027-01-02,holiday,元旦,https://example.test/2027
2027-01-03,holiday,元旦,https://example.test/2027
"""


def tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def log_size() -> int:
    return LogEntry.objects.count()


def log_entries_from(index: int) -> list[tuple[str, dict]]:
    """(type, event) of every log entry at ``index`` or later."""
    return [(entry.event_type, json.loads(bytes(entry.entry)))
            for entry in LogEntry.objects.filter(index__gte=index).order_by("index")]
