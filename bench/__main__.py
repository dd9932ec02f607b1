"""Run every benchmark against a fresh SQLite database under var/bench/ and write docs/benchmarks.md."""

import os
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"


def main() -> int:
    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingdu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench import log_bench

    sections = [log_bench.run(bench_dir=BENCH_DIR)]
    header = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand. Each figure is a ratio against a baseline",
        "measured in the same run on the same machine, because these machines are shared and noisy.",
        "",
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · Python {platform.python_version()} · "
        f"{platform.machine()} · {os.cpu_count()} cores · SQLite",
        "",
    ]
    text = "\n".join(header + [line for section in sections for line in section]) + "\n"
    (ROOT / "docs" / "benchmarks.md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
