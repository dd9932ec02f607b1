"""`yingdu audit draw --quarter 2026Q3` (the quarterly spot-check draw) and `yingdu audit db` (the database audit)."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "监督检查：draw = 季度抽查抽签；db = 数据库与日志一致性审计"

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        draw = subcommands.add_parser("draw", help="draw the quarter's spot-check sample (once per quarter)")
        draw.add_argument("--quarter", required=True, help="e.g. 2026Q3")
        self.db_parser = subcommands.add_parser("db", help="recompute domain rows from the log and compare")
        try:
            from yingdu.audits import dbaudit
        except ImportError:
            dbaudit = None
        add_db_arguments = getattr(dbaudit, "add_arguments", None)
        if add_db_arguments is not None:
            add_db_arguments(self.db_parser)

    def handle(self, *args, **options):
        if options["subcommand"] == "draw":
            return self.handle_draw(options)
        return self.handle_db(options)

    def handle_draw(self, options):
        from django.utils import timezone

        from yingdu.actors import SYSTEM
        from yingdu.audits.draws import draw_run
        from yingdu.errors import DomainError

        try:
            draw = draw_run(quarter=options["quarter"], actor=SYSTEM, now=timezone.now())
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        self.stdout.write(
            f"draw {draw.quarter}: {len(draw.chosen_ids)} of {len(draw.candidate_ids)} candidates chosen, "
            f"seed {bytes(draw.ranking_seed).hex()} (checkpoint tree size {draw.checkpoint_tree_size}; "
            + (f"ungrindable: {len(draw.reveals)} witness values" if draw.ungrindable else "NOT ungrindable: no witnesses")
            + ")"
        )
        for work_id in draw.chosen_ids:
            self.stdout.write(f"  work {work_id}")

    def handle_db(self, options):
        try:
            from yingdu.audits.dbaudit import run_db_audit
        except ImportError as error:
            raise CommandError(f"the database audit is not available yet (yingdu.audits.dbaudit.run_db_audit): {error}") from error
        return run_db_audit(command=self, options=options)
