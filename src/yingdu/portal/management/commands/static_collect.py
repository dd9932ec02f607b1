from django.core.management.base import BaseCommand

from yingdu.staticfiles import static_collect


class Command(BaseCommand):
    help = "Collect and compress the static files (gzip, Brotli) unless they are already current (run at install)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="collect even when the collected set is current")

    def handle(self, *args, force, **options):
        collected = static_collect(force=force)
        self.stdout.write("static files collected and compressed" if collected else "static files are current")
