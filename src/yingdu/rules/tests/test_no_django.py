"""The pure rules import no Django module."""

import subprocess
import sys

PURE_MODULES = [
    "yingdu.rules.money",
    "yingdu.rules.workdays",
    "yingdu.rules.subsidy",
    "yingdu.rules.default_policy",
]


def test_pure_rules_import_no_django():
    script = (
        "import importlib, sys\n"
        f"for name in {PURE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(name for name in sys.modules if name == 'django' or name.startswith('django.'))\n"
        "print(','.join(loaded))\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == ""
