"""The periodic checkpoint task."""

import pytest
from django.utils import timezone

from yingdu.periodic import periodic_tasks
from yingdu.testing.events import sample_entries
from yingdu.transparency.models import SignedCheckpoint
from yingdu.transparency.selectors import log_has_unsigned_entries
from yingdu.transparency.services import checkpoint_sign, log_append
from yingdu.transparency.tasks import checkpoint_sign_when_grown

pytestmark = pytest.mark.django_db


def append(count: int):
    log_append(events=sample_entries(count), now=timezone.now())


def test_the_task_signs_when_entries_were_appended():
    append(2)
    checkpoint_sign(now=timezone.now())
    append(3)
    assert log_has_unsigned_entries()
    assert checkpoint_sign_when_grown.call() == 5
    assert list(SignedCheckpoint.objects.values_list("tree_size", flat=True)) == [5, 2]
    assert not log_has_unsigned_entries()


def test_the_task_does_nothing_when_the_log_did_not_grow():
    append(4)
    checkpoint_sign(now=timezone.now())
    assert not log_has_unsigned_entries()
    assert checkpoint_sign_when_grown.call() == 4
    assert SignedCheckpoint.objects.count() == 1


def test_the_task_is_scheduled_every_second_only_when_the_log_grew():
    [periodic] = [p for p in periodic_tasks() if p.task is checkpoint_sign_when_grown]
    assert periodic.seconds == 1 and periodic.skip_if_pending
    assert periodic.when is log_has_unsigned_entries
