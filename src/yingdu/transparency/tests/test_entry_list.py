"""The public list of log entries: by type, newest first, keyset pages that new entries do not shift."""

import json
from datetime import UTC, datetime

from django.test import Client

from yingdu.testing.events import sample_entries
from yingdu.transparency.services import log_append

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def _indexes(response) -> list[int]:
    return [entry["index"] for entry in response.context["entries"]]


def test_entries_page_by_index_and_new_entries_do_not_shift_later_pages():
    log_append(events=sample_entries(60), now=NOW)
    client = Client()
    first = client.get("/transparency/entries/")
    assert first.status_code == 200 and _indexes(first) == list(range(59, 9, -1))
    log_append(events=sample_entries(5, start=60), now=NOW)
    second = client.get("/transparency/entries/", {"after": first.context["listing"].keyset.next_after})
    assert _indexes(second) == list(range(9, -1, -1)) and second.context["listing"].keyset.next_after is None
    assert json.loads(second.context["entries"][-1]["text"])["n"] == 0


def test_entries_filter_by_declared_type_and_refuse_unknown_values():
    log_append(events=sample_entries(3), now=NOW)
    client = Client()
    assert _indexes(client.get("/transparency/entries/", {"event_type": "testing.entry"})) == [2, 1, 0]
    assert _indexes(client.get("/transparency/entries/", {"event_type": "vouchers.issue"})) == []
    for query in ({"event_type": "no.such_type"}, {"after": "zero"}):
        response = client.get("/transparency/entries/", query)
        assert response.status_code == 400 and _indexes(response) == []
        assert 'role="alert"' in response.content.decode()
