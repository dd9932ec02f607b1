"""`yingdu`: a thin wrapper over Django's management commands (serve, demo, migrate, …)."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingdu.settings")
    from django.core.management import execute_from_command_line

    arguments = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["yingdu", *(arguments or ["help"])])


if __name__ == "__main__":
    main()
