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
SECTIONS = ("log", "ingest", "audit", "queue", "monitor", "lists", "scale", "serve")


def main() -> int:
    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingdu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench import (
        audit_bench,
        ingest_bench,
        lists_bench,
        log_bench,
        monitor_bench,
        queue_bench,
        scale_bench,
        serve_bench,
    )

    chosen = os.environ.get("BENCH_SECTIONS", ",".join(SECTIONS)).split(",")
    modules = {"log": log_bench, "ingest": ingest_bench, "audit": audit_bench, "queue": queue_bench,
               "monitor": monitor_bench, "lists": lists_bench, "scale": scale_bench, "serve": serve_bench}
    stamp = (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · Python {platform.python_version()} · "
             f"{platform.machine()} · {os.cpu_count()} cores")
    sections = [modules[name].run(bench_dir=BENCH_DIR) for name in SECTIONS if name in chosen]
    complete = all(name in chosen for name in SECTIONS)
    if not complete and os.environ.get("BENCH_UPDATE_DOCS"):
        # BENCH_SECTIONS=queue BENCH_UPDATE_DOCS=1: replace only those sections of docs/benchmarks.md, each stamped
        text = _replace_sections((ROOT / "docs" / "benchmarks.md").read_text(),
                                 [[*section[:-1], f"Section run: {stamp}.", ""] for section in sections])
        (ROOT / "docs" / "benchmarks.md").write_text(text)
        sys.stdout.write(text)
        return 0
    header = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand. Each figure is a ratio against a baseline",
        "measured in the same run on the same machine, because these machines are shared and noisy.",
        "",
        f"Last run: {stamp}",
        "",
    ]
    text = "\n".join(header + [line for section in sections for line in section]) + "\n"
    (ROOT / "docs" / "benchmarks.md" if complete else BENCH_DIR / "benchmarks.md").write_text(text)
    sys.stdout.write(text)
    return 0


def _replace_sections(text: str, sections: list[list[str]]) -> str:
    """The document with each section (a list of lines starting with its ``## `` heading) replacing the section of
    the same heading, up to the next ``## `` heading, or appended when there is none."""
    for section in sections:
        heading = section[0]
        lines = text.rstrip("\n").split("\n")
        if heading in lines:
            start = lines.index(heading)
            end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
            lines[start:end] = section
        else:
            lines += ["", *section]
        text = "\n".join(lines) + "\n"
    return text


if __name__ == "__main__":
    sys.exit(main())
