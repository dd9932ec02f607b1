"""The staff review queue as the programme grows: page and API time against `/healthz` and the raw SQL of the same
rows, at 10 % and 100 % of the data, and the previous design (every open application loaded, its clock computed and
sorted in Python) measured on the same data.

Data, seeded in the bench database: applications of 50 enterprises, 14 % of them open (a fifth awaiting intake, the
rest accepted on days spread over the last four months, one in ten paused by a supplement request), the others
approved. Rows are inserted in bulk (the services' own cost is not what is measured here); the stored clocks are then
computed by `applications_sla_refresh_open`, as the worker does. Requests go through Django's test client with a
reviewer signed in with two-factor, so the whole middleware stack and template rendering are timed.
"""

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.timing import timed

FULL = int(os.environ.get("BENCH_QUEUE_APPLICATIONS", "100000" if os.environ.get("BENCH_SCALE") else "20000"))
OPEN_SHARE = 0.14
ENTERPRISES = 50
REQUESTS = 30
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 7)
GOAL_HEALTHZ_RATIO = 5.0
GOAL_GROWTH = 1.5


def _timed(call, repeat: int = REQUESTS) -> tuple[float, float]:
    return timed(call, repeat)

def _seed(count: int, *, start: int, enterprises: list, users: list, policy) -> None:
    """``count`` more applications (and their works), numbered from ``start``."""
    from yingdu.applications.models import Application, ApplicationStatus, SupplementRequest
    from yingdu.works.models import Work

    moment = datetime(2026, 1, 5, 10, tzinfo=SHANGHAI)
    works = [Work(enterprise=enterprises[n % len(enterprises)], title=f"作品{n}", form="micro_drama",
                  project_tag=f"bench-{n}", production_start_on=date(2026, 1, 1),
                  production_end_on=date(2026, 6, 30), declared_by=users[n % len(users)], declared_at=moment)
             for n in range(start, start + count)]
    Work.objects.bulk_create(works, batch_size=2000)
    applications, paused = [], []
    for offset, work in enumerate(works):
        n = start + offset
        open_ = (n % 100) < OPEN_SHARE * 100
        intake = open_ and n % 5 == 0
        accepted_on = None if intake else TODAY - timedelta(days=(n * 7) % 120 + 1)
        status = (ApplicationStatus.SUBMITTED if intake else ApplicationStatus.UNDER_REVIEW if open_
                  else ApplicationStatus.APPROVED)
        if open_ and not intake and n % 10 == 3:
            status = ApplicationStatus.SUPPLEMENT_REQUESTED
        submitted_at = datetime.combine(accepted_on or TODAY, datetime.min.time(), SHANGHAI) - timedelta(days=1)
        application = Application(
            enterprise_id=work.enterprise_id, work=work, status=status, created_by=users[n % len(users)],
            created_at=submitted_at, submitted_at=submitted_at, submitted_on=submitted_at.date(), limit_year=2026,
            policy_version=policy, accepted_on=accepted_on, sla_working_days=None if intake else 30,
            decided_at=None if open_ else submitted_at + timedelta(days=20))
        applications.append(application)
    Application.objects.bulk_create(applications, batch_size=2000)
    for application in applications:
        if application.status == ApplicationStatus.SUPPLEMENT_REQUESTED:
            requested_on = application.accepted_on + timedelta(days=5)
            paused.append(SupplementRequest(application=application, items=["授权书"], message="请补充",
                                            requested_by=users[0], requested_on=requested_on,
                                            requested_at=datetime.combine(requested_on, datetime.min.time(),
                                                                          SHANGHAI)))
    SupplementRequest.objects.bulk_create(paused, batch_size=2000)


def _measure(client, reviewer) -> dict:
    from django.db import connection

    from yingdu.applications.models import OPEN_STATUSES, Application
    from yingdu.applications.selectors import QUEUE_ORDER, applications_with_sla

    def raw_sql():
        # the same 50 rows, with the enterprise and work the page shows, and the page's count
        with connection.cursor() as cursor:
            queryset = (Application.objects.filter(status__in=OPEN_STATUSES).select_related("enterprise", "work")
                        .order_by(*QUEUE_ORDER)[:50])
            sql, params = queryset.query.sql_with_params()
            cursor.execute(sql, params)
            cursor.fetchall()
            cursor.execute(f"SELECT COUNT(*) FROM {Application._meta.db_table} WHERE status IN "
                           f"({', '.join(['%s'] * len(OPEN_STATUSES))})", [s.value for s in OPEN_STATUSES])

    def previous_design():
        rows = applications_with_sla(Application.objects.filter(status__in=OPEN_STATUSES)
                                     .select_related("enterprise", "work"), today=TODAY)
        rows.sort(key=lambda row: (row.sla is not None, row.sla.sort_key if row.sla else (0, 0, date.min)))

    return {
        "healthz": _timed(lambda: client.get("/healthz")),
        "page": _timed(lambda: client.get("/applications/queue/")),
        "filtered": _timed(lambda: client.get("/applications/queue/", {"badge": "at_risk", "page": 2})),
        "api": _timed(lambda: client.get("/api/v1/applications/queue", {"limit": 50})),
        "overdue": _timed(lambda: client.get("/applications/overdue/")),
        "raw": _timed(raw_sql),
        "previous": _timed(previous_design, repeat=3),
    }


def run(*, bench_dir: Path) -> list[str]:
    from django.test import Client
    from django.test.utils import setup_test_environment

    from yingdu.accounts.models import Role
    from yingdu.applications.models import OPEN_STATUSES, Application
    from yingdu.applications.services import applications_sla_refresh_open
    from yingdu.policy.selectors import policy_version_in_force
    from yingdu.testing.clients import client_for, verified
    from yingdu.testing.factories import make_enterprise, make_staff

    setup_test_environment()
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprises = [make_enterprise(verified_by=reviewer) for _ in range(ENTERPRISES)]
    users = [enterprise.registered_by for enterprise in enterprises]
    policy = policy_version_in_force(on=TODAY)
    client: Client = client_for(reviewer)

    small = FULL // 10
    _seed(small, start=0, enterprises=enterprises, users=users, policy=policy)
    applications_sla_refresh_open(today=TODAY)
    at_small = _measure(client, reviewer)
    _seed(FULL - small, start=small, enterprises=enterprises, users=users, policy=policy)
    applications_sla_refresh_open(today=TODAY)
    at_full = _measure(client, reviewer)
    open_count = Application.objects.filter(status__in=OPEN_STATUSES).count()

    def row(label: str, key: str) -> str:
        p50, p95 = at_full[key]
        growth = at_full[key][1] / at_small[key][1]
        healthz = p95 / at_full["healthz"][1]
        raw = p95 / at_full["raw"][1]
        verdict = "meets" if healthz <= GOAL_HEALTHZ_RATIO and growth <= GOAL_GROWTH else "misses"
        return (f"| {label} | {p50 * 1000:.1f} | {p95 * 1000:.1f} | {healthz:.1f}× | {raw:.1f}× | {growth:.2f}× | "
                f"{verdict} |")

    previous_growth = at_full["previous"][0] / at_small["previous"][0]
    return [
        "## Review queue (issue 18)",
        "",
        f"{FULL:,} applications ({open_count:,} open) of {ENTERPRISES} enterprises in SQLite; {REQUESTS} requests of"
        " each page by one reviewer (Django test client, whole middleware stack). p95 ratios are to `/healthz` and to"
        " the raw SQL of the same 50 rows and their count, in the same run; growth is p95 at 100 % over p95 at 10 % of"
        f" the data. Goals: ≤ {GOAL_HEALTHZ_RATIO:.0f}× `/healthz`, growth ≤ {GOAL_GROWTH}×. `BENCH_SCALE=1` seeds"
        " 100,000.",
        "",
        "| page | p50 ms | p95 ms | p95 / `/healthz` | p95 / raw SQL | growth 10 % → 100 % | goal |",
        "|---|---|---|---|---|---|---|",
        row("`/applications/queue/` (first page of 50)", "page"),
        row("`/applications/queue/?badge=at_risk&page=2`", "filtered"),
        row("`GET /api/v1/applications/queue?limit=50`", "api"),
        row("`/applications/overdue/` (first page of 50)", "overdue"),
        "",
        f"The previous design (every open application loaded, each clock computed, sorted in Python) on the same data:"
        f" {at_full['previous'][0] * 1000:,.0f} ms median at 100 % ({at_full['previous'][0] / at_full['page'][0]:.0f}×"
        f" the new page), growth {previous_growth:.1f}× from 10 %.",
        "",
        "Why the pages miss the 5× goal (measured in-process; docs/decisions.md, \"Pages of issue 18 within the"
        " goals\"): `/healthz` here reads no session and renders no template, while every signed-in page first"
        " pays its middleware (session, two-factor, roles), the navigation counts and the base template, 8–12 ms of"
        " CPU on this machine for a page that shows next to nothing (the scale section prints it), most of each page"
        " here. The 50 rows add about 10 ms: reading them and their count (about 3 ms), their clocks with the"
        " objections and 公示 periods (about 2 ms; the compiled calendar is kept per publication) and rendering them"
        " (about 5 ms; the badge and deadline are template tags, no include per row, labels translated once). The"
        " cost of the rows shown does not grow with the table; the COUNT of the matching open applications (for the"
        " pager) grows with their number, and the p95 of 30 requests on this shared machine varies between runs.",
        "",
    ]
