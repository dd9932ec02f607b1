"""An entry type for the log's own tests and benchmarks (imported by them only; the platform never declares it)."""

from datetime import UTC, datetime

from yingdu.transparency.catalogue import Field, Kind, declare
from yingdu.transparency.services import event_time

# A fixed time, so that an entry's exact bytes are known in advance.
TEST_ENTRY_AT = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)

TEST_ENTRY = declare(
    "testing.entry",
    doc="An entry appended by the platform's own tests and benchmarks; a deployment never declares it.",
    fields={"at": Field(Kind.TIME), "n": Field(Kind.INT, "sequence number within the test"),
            "group": Field(Kind.INT, "writer or batch the entry belongs to")},
    not_projected="test data: it writes no table",
)


def sample_entry(n: int, *, group: int = 0, at: datetime = TEST_ENTRY_AT) -> dict:
    return TEST_ENTRY.build(at=event_time(at), n=n, group=group)


def sample_entries(count: int, *, start: int = 0, group: int = 0) -> list[dict]:
    return [sample_entry(start + offset, group=group) for offset in range(count)]
