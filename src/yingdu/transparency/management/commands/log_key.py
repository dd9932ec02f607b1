from django.core.management.base import BaseCommand

from yingdu.transparency.selectors import published_verifier_keys


class Command(BaseCommand):
    help = "Print the log's verifier keys (C2SP vkey text), newest first, for `yingdu-verify --key`."

    def handle(self, *args, **options):
        for key in published_verifier_keys():
            self.stdout.write(key)
