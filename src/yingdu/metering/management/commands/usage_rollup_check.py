"""Recompute the usage rollups from the raw records at the task's watermark and compare; exit 1 on a difference."""

import sys

from django.core.management.base import BaseCommand

from yingdu.metering.rollups import rollups_check

SHOWN = 20


class Command(BaseCommand):
    help = ("Recompute the hourly and daily usage rollups from the raw usage records (below the monitoring task's "
            "watermark) and compare them with the stored ones; --repair replaces them by the recomputation.")

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="replace the stored rollups when they differ")

    def handle(self, *args, repair: bool = False, **options):
        check = rollups_check(repair=repair)
        self.stdout.write(f"rollups at tree size {check.tree_size}: {check.stored_rows} stored rows, "
                          f"{check.expected_rows} recomputed")
        if check.ok:
            self.stdout.write("rollups match the raw records")
            return
        self.stdout.write(f"{len(check.differences)} rollup rows differ from the raw records")
        for key, stored, expected in check.differences[:SHOWN]:
            self.stdout.write(f"  {key}: stored {stored}, recomputed {expected}")
        if repair:
            self.stdout.write("repaired: the stored rollups are now the recomputation")
            return
        sys.exit(1)
