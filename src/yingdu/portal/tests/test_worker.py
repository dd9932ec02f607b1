"""`yingdu worker`: the periodic scheduler, and the whole command against a real SQLite file."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from yingdu import periodic
from yingdu.periodic import PeriodicScheduler, PeriodicTask, periodic_tasks, register_periodic


@task
def housekeeping() -> None:
    """A task for the scheduler tests; never run."""


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def queued() -> int:
    return DBTaskResult.objects.filter(task_path=housekeeping.module_path, status=TaskResultStatus.READY).count()


@pytest.mark.django_db
def test_a_due_task_is_enqueued_once_and_not_again_while_it_is_pending():
    clock = FakeClock()
    periodic = PeriodicTask(task=housekeeping, seconds=1)
    scheduler = PeriodicScheduler([periodic], clock=clock)
    assert scheduler.seconds_until_due() == 0
    assert scheduler.run_due() == [periodic]
    assert queued() == 1
    clock.now += 0.5
    assert scheduler.run_due() == [] and scheduler.seconds_until_due() == pytest.approx(0.5)
    clock.now += 0.5
    assert scheduler.run_due() == []
    assert queued() == 1
    # The worker runs the queued one; the next due time enqueues again.
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)
    clock.now += 1
    assert scheduler.run_due() == [periodic]
    assert queued() == 1


@pytest.mark.django_db
def test_a_task_without_work_is_not_enqueued():
    work = []
    scheduler = PeriodicScheduler([PeriodicTask(task=housekeeping, seconds=5, when=lambda: bool(work))],
                                  clock=FakeClock())
    assert scheduler.run_due() == [] and queued() == 0
    assert scheduler.seconds_until_due() == 5


def test_registration_needs_a_positive_interval_and_replaces_an_earlier_one(monkeypatch):
    monkeypatch.setattr(periodic, "_registry", dict(periodic._registry))
    with pytest.raises(ValueError):
        register_periodic(housekeeping, seconds=0)
    register_periodic(housekeeping, seconds=60)
    register_periodic(housekeeping, seconds=30)
    assert [p.seconds for p in periodic_tasks() if p.task is housekeeping] == [30]


def _yingdu() -> str:
    return str(Path(sys.executable).with_name("yingdu"))


def test_the_worker_signs_a_checkpoint_after_an_append_and_stops_on_sigterm(tmp_path):
    database = tmp_path / "worker.sqlite3"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("YINGDU_", "DJANGO_")) and key != "DATABASE_URL"}
    env.update(DATABASE_URL=f"sqlite:///{database}", YINGDU_VAR_DIR=str(tmp_path / "var"))
    subprocess.run([_yingdu(), "migrate", "--no-input", "-v0"], env=env, check=True, timeout=300)  # a bound, not a measurement: a loaded CI machine migrates slowly
    worker = subprocess.Popen([_yingdu(), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        append = ("from django.utils import timezone; from yingdu.transparency.services import log_append; "
                  "from yingdu.testing.events import sample_entry; "
                  "log_append(events=[sample_entry(1)], now=timezone.now())")
        subprocess.run([_yingdu(), "shell", "-v0", "-c", append], env=env, check=True, timeout=30)
        with sqlite3.connect(database) as db:
            size = db.execute("SELECT tree_size FROM transparency_loghead").fetchone()[0]
        signed = None
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and signed != size:
            time.sleep(0.2)
            with sqlite3.connect(database) as db:
                signed = db.execute("SELECT MAX(tree_size) FROM transparency_signedcheckpoint").fetchone()[0]
        assert signed == size, "no checkpoint covering the appended entry was signed"
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=10)
    assert worker.returncode == 0, output
    assert "stopped" in output
