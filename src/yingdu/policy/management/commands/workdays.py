from datetime import date

from django.core.management.base import BaseCommand, CommandError

from yingdu.policy.selectors import work_calendar
from yingdu.rules.workdays import CalendarYearMissing

# exit status for a usage error or a year without a published schedule
USAGE_ERROR = 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期“{text}”无效，应为 YYYY-MM-DD。", returncode=USAGE_ERROR) from None


class Command(BaseCommand):
    help = "Official working days: add N to a date, count between two dates, or classify a date."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="the Nth working day after START (START not counted)")
        add.add_argument("start")
        add.add_argument("working_days", type=int)
        between = actions.add_parser("between", help="working days after START up to and including END")
        between.add_argument("start")
        between.add_argument("end")
        classify = actions.add_parser("is", help="workday, holiday or weekend")
        classify.add_argument("day")

    def handle(self, *args, action, **options):
        calendar = work_calendar()
        try:
            if action == "add":
                if options["working_days"] < 0:
                    raise CommandError("工作日数不能为负数。", returncode=USAGE_ERROR)
                start_on = _date(options["start"])
                result = calendar.add_working_days(start_on=start_on, working_days=options["working_days"])
                self.stdout.write(result.isoformat())
                span = (start_on, result)
            elif action == "between":
                span = (_date(options["start"]), _date(options["end"]))
                self.stdout.write(str(calendar.working_days_between(start_on=span[0], end_on=span[1])))
            else:
                span = (_date(options["day"]),)
                self.stdout.write(str(calendar.day_kind(span[0])))
            if calendar.is_provisional(*span):
                # the answer stays on stdout for scripts; the label goes to stderr
                years = "、".join(str(year) for year in sorted(calendar.provisional_years))
                self.stderr.write(f"预计：{years} 年的官方放假安排尚未发布，按法定节假日推算（不含调休）。")
        except CalendarYearMissing as missing:
            raise CommandError(str(missing.message), returncode=USAGE_ERROR) from None
