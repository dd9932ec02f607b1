"""Run every benchmark against a fresh SQLite database under var/bench/ and write docs/benchmarks.md."""

import os
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
# BENCH_SECTIONS=ingest runs a subset; its report then goes to var/bench/benchmarks.md, not docs/.
SECTIONS = ("log", "ingest", "audit", "serve")


def main() -> int:
    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingdu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench import audit_bench, ingest_bench, log_bench, serve_bench

    chosen = os.environ.get("BENCH_SECTIONS", ",".join(SECTIONS)).split(",")
    modules = {"log": log_bench, "ingest": ingest_bench, "audit": audit_bench, "serve": serve_bench}
    sections = [modules[name].run(bench_dir=BENCH_DIR) for name in SECTIONS if name in chosen]
    header = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand. Each figure is a ratio against a baseline",
        "measured in the same run on the same machine, because these machines are shared and noisy.",
        "",
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · Python {platform.python_version()} · "
        f"{platform.machine()} · {os.cpu_count()} cores",
        "",
    ]
    text = "\n".join(header + [line for section in sections for line in section]) + "\n"
    complete = all(name in chosen for name in SECTIONS)
    (ROOT / "docs" / "benchmarks.md" if complete else BENCH_DIR / "benchmarks.md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
