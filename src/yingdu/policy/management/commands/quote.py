import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yingdu.errors import DomainError
from yingdu.policy.selectors import policy_quote, quote_answer


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期“{text}”无效，应为 YYYY-MM-DD。", returncode=2) from None


class Command(BaseCommand):
    help = "Quote the support for a work of a verified cost (yuan) under the policy version in force."

    def add_arguments(self, parser):
        parser.add_argument("--cost", required=True, help="verified compute cost in yuan, e.g. 50000 or 19,500.00")
        parser.add_argument("--overseas", action="store_true", help="the work was distributed overseas")
        parser.add_argument("--prior-works", type=int, default=None, dest="prior_works",
                            help="works of the enterprise already counted this year")
        parser.add_argument("--on", default=None, help="date whose policy version applies (default: today)")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, *args, cost, overseas, prior_works, on, as_json, **options):
        on_date = _date(on) if on else timezone.localdate()
        try:
            result = policy_quote(cost=cost, overseas=overseas, prior_works=prior_works, on=on_date)
        except DomainError as error:
            if as_json:
                self.stdout.write(json.dumps({"refused": error.code, "message": str(error.message)},
                                             ensure_ascii=False))
            raise CommandError(str(error.message), returncode=1) from None
        if as_json:
            self.stdout.write(json.dumps(quote_answer(result), ensure_ascii=False))
        else:
            self.stdout.write(result.amount.format_yuan())
