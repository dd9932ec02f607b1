"""Where the slow pages of the scale benchmark spend their time, in-process (Django test client, whole middleware
stack): median CPU ms of each page against `/healthz`, and a cProfile of each page's shares (templates, clocks, SQL).

`DATABASE_URL=sqlite:///var/pages-profile.sqlite3 python -m bench.pages_profile [APPLICATIONS USAGE]` (a database
outside var/bench, which `make bench` removes) seeds the database as the scale benchmark does when it is empty, then
prints one line per page (and the top functions with ``BENCH_PROFILE_TOP=N``). Not part of `make bench`: a tool for the issue 18 page work (docs/decisions.md).
"""

import cProfile
import os
import pstats
import statistics
import sys
import time

PAGES = [
    ("queue", "/applications/queue/", "staff"),
    ("queue API", "/api/v1/applications/queue?limit=50", "staff"),
    ("overdue", "/applications/overdue/", "staff"),
    ("finance", "/vouchers/finance/", "staff"),
    ("usage records", "/metering/usage/records/", "member"),
]
# (share label, file suffix, function name): cumulative time of these functions, as shares of the request's time
SHARES = [
    ("templates", "django/template/base.py", "render"),
    ("clocks", "applications/selectors.py", "applications_with_sla"),
    ("SQL", "django/db/backends/utils.py", "execute"),
]
REPEAT = int(os.environ.get("BENCH_PROFILE_REPEAT", "20"))


def _seed(applications: int, usage: int):
    from django.utils import timezone

    from bench.queue_bench import _seed as seed_applications
    from bench.scale_bench import TODAY, _seed_usage
    from yingdu.accounts.models import Role
    from yingdu.applications.services import applications_sla_refresh_open
    from yingdu.metering.flagging import anomalies_advance
    from yingdu.metering.rollups import rollups_advance
    from yingdu.policy.selectors import policy_version_in_force
    from yingdu.testing.clients import verified
    from yingdu.testing.factories import make_enterprise, make_metering_provider, make_user, make_work
    from yingdu.transparency.services import checkpoint_ensure_current

    reviewer = verified(make_user(roles=(Role.REVIEWER, Role.FINANCE), totp=True))
    mine = make_enterprise(verified_by=reviewer)
    others = [make_enterprise(verified_by=reviewer) for _ in range(49)]
    work = make_work(mine, tag="scale-mine")
    other_works = [make_work(other, tag=f"scale-{n}") for n, other in enumerate(others)]
    meter = make_metering_provider(price_fen=1000)
    now = timezone.now()
    enterprises = [mine, *others]
    seed_applications(applications, start=0, enterprises=enterprises, users=[e.registered_by for e in enterprises],
                      policy=policy_version_in_force(on=TODAY))
    applications_sla_refresh_open(today=TODAY)
    _seed_usage(usage, start=0, meter=meter, mine=mine, work=work, others=others, other_works=other_works, now=now)
    rollups_advance(now=now)
    anomalies_advance(now=now)
    checkpoint_ensure_current(now=now)


def main(applications: int, usage: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingdu.settings")
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from yingdu.accounts.models import Role, User
    from yingdu.enterprises.models import Enterprise
    from yingdu.testing.clients import client_for, verified

    call_command("migrate", verbosity=0)
    setup_test_environment()
    if not Enterprise.objects.exists():
        began = time.perf_counter()
        _seed(applications, usage)
        print(f"seeded in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    reviewer = User.objects.filter(role_grants__role=Role.FINANCE, role_grants__revoked_at__isnull=True).first()
    member = Enterprise.objects.order_by("id").first().registered_by
    clients = {"staff": client_for(verified(reviewer)), "member": client_for(verified(member))}
    anonymous = Client()

    def median_ms(client, path) -> float:
        """Median CPU time of this process per request (the machine is shared: wall time follows its load)."""
        client.get(path)
        times = []
        for _ in range(REPEAT):
            began = time.process_time()
            response = client.get(path)
            times.append(time.process_time() - began)
            assert response.status_code == 200, (path, response.status_code)
        return statistics.median(times) * 1000

    top = int(os.environ.get("BENCH_PROFILE_TOP", "0"))
    only = os.environ.get("BENCH_PROFILE_PAGES")
    print(f"load {os.getloadavg()[0]:.1f}")
    for label, path, who in PAGES:
        if only and label not in only.split(","):
            continue
        healthz = median_ms(anonymous, "/healthz")
        page = median_ms(clients[who], path)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(5):
            clients[who].get(path)
        profile.disable()
        stats = pstats.Stats(profile)
        total = sum(tt for (_f, _l, _n), (_cc, _nc, tt, _ct, _callers) in stats.stats.items())
        shares = []
        for share, suffix, name in SHARES:
            cumulative = max((ct for (file, _l, fn), (_cc, _nc, _tt, ct, _c) in stats.stats.items()
                              if file.endswith(suffix) and fn == name), default=0.0)
            shares.append(f"{share} {cumulative / total * 100:.0f} %")
        print(f"{label}: {page:.1f} ms CPU median, /healthz {healthz:.1f} ms, {page / healthz:.1f}×; " + ", ".join(shares))
        if top:
            stats.sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:3]] or [5000, 40000]
    main(*arguments)
