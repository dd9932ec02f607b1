"""Periodic tasks: a registry, and the scheduler that `yingdu worker` runs beside the django-tasks-db worker.

Django's tasks framework has no scheduler. An app registers a task here (in its `tasks` module) with the interval at
which it should run; the scheduler enqueues it when it is due, by default only when no earlier run of it is still
waiting in the queue, and optionally only when a cheap condition says there is work.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.tasks import Task, TaskResultStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicTask:
    """A task enqueued every `seconds`; skipped while a run is pending, or while `when()` is false."""

    task: Task
    seconds: float
    skip_if_pending: bool = True
    when: Callable[[], bool] | None = None

    @property
    def name(self) -> str:
        return self.task.module_path


_registry: dict[str, PeriodicTask] = {}


def register_periodic(
    task: Task, *, seconds: float, skip_if_pending: bool = True, when: Callable[[], bool] | None = None
) -> Task:
    """Register a task for `yingdu worker` to enqueue every `seconds`; registering the same task again replaces it."""
    if seconds <= 0:
        raise ValueError("a periodic task needs a positive interval")
    periodic = PeriodicTask(task=task, seconds=seconds, skip_if_pending=skip_if_pending, when=when)
    _registry[periodic.name] = periodic
    return task


def periodic_tasks() -> list[PeriodicTask]:
    """Every registered periodic task, in registration order."""
    return list(_registry.values())


def task_pending(task: Task) -> bool:
    """True when a run of the task is in the django-tasks-db queue and has not started yet."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=task.module_path, backend_name=task.backend, status=TaskResultStatus.READY
    ).exists()


class PeriodicScheduler:
    """Enqueues the periodic tasks that are due; every task is due at the first call, then every `seconds`."""

    def __init__(
        self,
        periodic: Sequence[PeriodicTask],
        *,
        clock: Callable[[], float] = time.monotonic,
        is_pending: Callable[[Task], bool] = task_pending,
    ):
        self._periodic = list(periodic)
        self._clock = clock
        self._is_pending = is_pending
        self._next_due: dict[str, float] = {}

    def run_due(self) -> list[PeriodicTask]:
        """Enqueue every due task that is neither pending nor without work, and return those enqueued."""
        enqueued = []
        for periodic in self._periodic:
            now = self._clock()
            if now < self._next_due.get(periodic.name, now):
                continue
            self._next_due[periodic.name] = now + periodic.seconds
            if periodic.skip_if_pending and self._is_pending(periodic.task):
                logger.debug("%s is due but a run is still queued", periodic.name)
                continue
            if periodic.when is not None and not periodic.when():
                continue
            periodic.task.enqueue()
            logger.debug("enqueued %s", periodic.name)
            enqueued.append(periodic)
        return enqueued

    def seconds_until_due(self) -> float:
        """How long until the next task is due (0 when one is due now or none has run yet)."""
        if len(self._next_due) < len(self._periodic):
            return 0.0
        return max(0.0, min(self._next_due.values()) - self._clock())
