import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from yingdu.staticfiles import static_collect


class Command(BaseCommand):
    help = "Serve the platform with gunicorn (static files served by the app itself, collected at install time)."
    # A start (or a restart after a crash) must be quick: the system checks belong to the deployment
    # (`yingdu check --deploy`, and `yingdu migrate` runs them), not to every start.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("YINGDU_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))

    def handle(self, *args, bind, workers, **options):
        # `make install` collected and compressed them; this is a check of milliseconds unless a static file changed
        # since (then, and only then, this start collects them again).
        if static_collect():
            self.stdout.write("static files changed since the install: collected and compressed them again")
        self.stdout.write(f"影都算力券服务平台 serving at http://{bind}/ (database: {settings.DATABASES['default']['ENGINE']})")
        self.stdout.flush()
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        # --preload: the master imports the platform once (yingdu.wsgi also loads the URL configuration) and forks
        # the workers with it loaded, instead of every worker importing it at once on a busy machine.
        os.execv(gunicorn, [gunicorn, "yingdu.wsgi:application", "--bind", bind, "--workers", str(workers),
                            "--preload", "--access-logfile", "-", "--timeout", "60"])
