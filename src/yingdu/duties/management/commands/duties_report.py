from django.core.management.base import BaseCommand, CommandError

from yingdu.duties.report import duties_findings


class Command(BaseCommand):
    help = "List existing data that breaks the separation-of-duties rules (nothing is changed)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="exit with status 1 when there is any finding")

    def handle(self, *args, **options):
        findings = duties_findings()
        for finding in findings:
            self.stdout.write(f"{finding.rule}\t{finding.subject}\t{finding.detail}")
        self.stdout.write(f"{len(findings)} finding(s)")
        if findings and options["check"]:
            raise CommandError("separation-of-duties findings: see above")
