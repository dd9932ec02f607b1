from django.core.management.base import BaseCommand

from yingdu.tlog import witness


class Command(BaseCommand):
    help = ("Run a C2SP tlog-witness for this log with its own key and state file (for a second institution): "
            "`yingdu witness --key FILE --generate-key NAME`, then "
            "`yingdu witness --key FILE --log-key VKEY --state FILE --listen HOST:PORT`. Needs no database.")
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        witness.add_arguments(parser)

    def handle(self, *args, **options):
        status = witness.run(options, out=self.stdout)
        if status:
            raise SystemExit(status)
