import logging
import os
import signal
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connections
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django.utils.crypto import get_random_string
from django.utils.module_loading import autodiscover_modules
from django_tasks_db.management.commands.db_worker import Worker

from yingdu.periodic import PeriodicScheduler, periodic_tasks

logger = logging.getLogger("yingdu.worker")

# Longest sleep of the scheduler loop, so that a stop request is noticed quickly.
MAX_NAP_SECONDS = 0.2


class Command(BaseCommand):
    help = ("Run background tasks (the django-tasks-db worker) and enqueue the registered periodic tasks when due; "
            "SIGTERM or Ctrl+C finishes the running task and exits.")

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default=DEFAULT_TASK_QUEUE_NAME,
                            help="queues to run, separated by commas, or * for all (default: %(default)s)")
        parser.add_argument("--interval", type=float, default=0.5,
                            help="seconds between polls of an empty queue (default: %(default)s)")
        parser.add_argument("--no-scheduler", action="store_false", dest="scheduler",
                            help="only run tasks; another worker enqueues the periodic ones")

    def handle(self, *args, queue_name, interval, scheduler, **options):
        # Importing every app's tasks module registers its periodic tasks.
        autodiscover_modules("tasks")
        worker = Worker(queue_names=queue_name.split(","), interval=interval, batch=False,
                        backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=False, max_tasks=None,
                        worker_id=get_random_string(32), excluded_queue_names=[])
        self._stopping = False

        def stop(signum, frame):
            if self._stopping:
                logger.warning("received %s again: exiting without waiting for the running task",
                               signal.strsignal(signum))
                os._exit(1)
            logger.info("received %s: finishing the running task, then exiting", signal.strsignal(signum))
            # Only flags are set here: the loops below notice them within a fraction of a second.
            self._stopping = True
            worker.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        thread = threading.Thread(target=self._run_worker, args=(worker,), name="yingdu-task-worker")
        thread.start()
        periodic = PeriodicScheduler(periodic_tasks()) if scheduler else None
        logger.info("worker %s started: queues %s; periodic tasks: %s", worker.worker_id, queue_name,
                    ", ".join(f"{p.name} every {p.seconds:g} s" for p in periodic_tasks()) if periodic else "off")
        try:
            while not self._stopping:
                if not thread.is_alive():
                    raise CommandError("the task worker thread stopped unexpectedly")
                nap = MAX_NAP_SECONDS
                if periodic is not None:
                    nap = min(nap, self._schedule(periodic))
                time.sleep(nap)
        finally:
            self._stopping = True
            worker.running = False
            thread.join()
            connections.close_all()
        logger.info("worker %s stopped", worker.worker_id)

    def _schedule(self, periodic: PeriodicScheduler) -> float:
        """Enqueue what is due; return how long to sleep. A database error is logged and retried next time."""
        close_old_connections()
        try:
            for enqueued in periodic.run_due():
                logger.debug("enqueued %s", enqueued.name)
        except DatabaseError:
            logger.exception("could not enqueue periodic tasks; retrying")
            return MAX_NAP_SECONDS
        return periodic.seconds_until_due()

    @staticmethod
    def _run_worker(worker: Worker) -> None:
        try:
            worker.run()
        except Exception:
            logger.exception("the task worker failed")
        finally:
            connections.close_all()
