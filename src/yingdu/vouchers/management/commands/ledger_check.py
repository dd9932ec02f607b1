"""`yingdu ledger_check`: recompute the voucher ledger from its transfers and the log; exit 1 on any problem."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yingdu.vouchers.ledger import ledger_check_record


class Command(BaseCommand):
    help = "核对算力券账本：余额由流水重算、借贷平衡、流水与防篡改日志一致"

    def handle(self, *args, **options):
        report = ledger_check_record(clock=timezone.now)  # kept: the finance page shows the latest run
        for problem in report.problems:
            self.stderr.write(problem)
        if not report.ok:
            raise CommandError(f"ledger check failed: {len(report.problems)} problem(s)")
        self.stdout.write(f"ok: {report.accounts} accounts, {report.transfers} transfers, balanced, "
                          "balances equal the sum of transfers, transfers equal the log")
