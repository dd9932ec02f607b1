from pathlib import Path

from django.core.management.base import BaseCommand

from yingdu.transparency.schema import log_schema_markdown


class Command(BaseCommand):
    help = "Print the log entry schema generated from the event catalogue (or write it with --output)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="write to this file (e.g. docs/log-schema.md) instead of stdout")

    def handle(self, *args, **options):
        text = log_schema_markdown()
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
