"""The draw core imports no Django: the verifier CLI uses it."""

import subprocess
import sys

CHECK = ("import yingdu.audits.draw, yingdu.tlog.cli, sys; "
         "assert not any(m.split('.')[0]=='django' for m in sys.modules)")


def test_draw_core_imports_without_django():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
