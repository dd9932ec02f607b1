from django.core.management.base import BaseCommand
from django.utils import timezone

from yingdu.transparency.services import checkpoint_sign


class Command(BaseCommand):
    help = "Sign a checkpoint for the current log (refuses if the log is inconsistent with the last checkpoint)."

    def handle(self, *args, **options):
        signed = checkpoint_sign(now=timezone.now())
        self.stdout.write(signed.note, ending="")
