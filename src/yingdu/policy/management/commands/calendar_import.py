from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yingdu.actors import SYSTEM
from yingdu.errors import DomainError
from yingdu.policy.services import calendar_year_import_preview, calendar_year_publish
from yingdu.rules.workdays import ScheduleFileError


def _day(special_day) -> str:
    return f"{special_day.day_on.isoformat()} {special_day.kind} {special_day.name}"


class Command(BaseCommand):
    help = "Import a year's official holiday schedule (CSV date,kind,name,source_url or JSON), show the diff, publish."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=["csv", "json"], default=None,
                            help="file format (default: from the file name)")
        parser.add_argument("--source", default=None,
                            help="where the schedule was published, e.g. the notice's URL (default: the file name)")
        parser.add_argument("--publish", action="store_true", help="publish it as the year's next version")

    def handle(self, *args, file, format, source, publish, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"无法读取 {file}：{error}", returncode=2) from None
        try:
            preview = calendar_year_import_preview(text=text, fmt=format, filename=path.name, actor=SYSTEM)
        except ScheduleFileError as error:
            for problem in error.problems:
                self.stderr.write(problem.message)
            raise CommandError(f"{file} 有 {len(error.problems)} 处问题，未导入。", returncode=1) from None
        base = f"现行第 {preview.base_version} 版" if preview.base else "尚无已发布的日程"
        self.stdout.write(f"{preview.year} 年：{len(preview.special_days)} 个特殊日期（对比{base}）")
        for day in preview.diff.added:
            self.stdout.write(f"+ {_day(day)}")
        for day in preview.diff.removed:
            self.stdout.write(f"- {_day(day)}")
        for before, after in preview.diff.changed:
            self.stdout.write(f"~ {_day(before)} → {after.kind} {after.name}")
        diff = preview.diff
        self.stdout.write(f"新增 {len(diff.added)}，删除 {len(diff.removed)}，变更 {len(diff.changed)}。")
        if not publish:
            return
        try:
            published = calendar_year_publish(
                year=preview.year, special_days=preview.special_days, source=source or path.name, actor=SYSTEM,
                now=timezone.now(), based_on_version=preview.base_version,
            )
        except DomainError as error:
            raise CommandError(str(error.message), returncode=1) from None
        self.stdout.write(f"已发布 {published.year} 年第 {published.version} 版日程。")
