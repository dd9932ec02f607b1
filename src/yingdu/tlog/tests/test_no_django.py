"""The pure core and its verifier import no Django, so an outside auditor can run them alone."""

import subprocess
import sys

CHECK = "import yingdu.tlog, yingdu.tlog.cli, sys; assert not any(m.split('.')[0]=='django' for m in sys.modules)"


def test_tlog_and_its_cli_import_without_django():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_tlog_imports_only_the_standard_library_and_cryptography():
    # cryptography loads its own extension modules (_openssl, and cffi's backend) under top-level names.
    code = (
        "import sys; before = set(sys.modules); import yingdu.tlog, yingdu.tlog.cli; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "allowed = set(sys.stdlib_module_names) | {'yingdu', 'cryptography', 'cffi', '_cffi_backend', '_openssl'}; "
        "assert new <= allowed, sorted(new - allowed)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
