import pytest

from yingdu.tlog import root_hash
from yingdu.transparency.models import LogEntry, LogHead, SignedCheckpoint, StoredHash


@pytest.fixture(autouse=True)
def empty_log(db):
    """Start each test of the log itself from the empty tree (seed data appended at migrate time is set aside)."""
    SignedCheckpoint.objects.all().delete()
    StoredHash.objects.all().delete()
    LogEntry.objects.all().delete()
    LogHead.objects.update(tree_size=0, root_hash=root_hash([]))
