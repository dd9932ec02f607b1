"""yingdu-push installs from its own wheel into a virtualenv without Django and runs there."""

import subprocess
import sys
import venv
from pathlib import Path

from .conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_installs_and_runs_without_django(tmp_path):
    # the same command as `make push-dist`
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", tmp_path / "dist",
                    ROOT / "push"], check=True, timeout=300)
    [wheel] = (tmp_path / "dist").glob("yingdu_push-*.whl")
    venv.create(tmp_path / "venv", with_pip=True)
    python, script = tmp_path / "venv/bin/python", tmp_path / "venv/bin/yingdu-push"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel], check=True,
                   timeout=300)
    installed = subprocess.run([python, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True,
                               check=True).stdout.lower()
    assert "yingdu-push==" in installed and "django" not in installed and "yingdu==" not in installed

    helped = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "from-slurm" in helped.stdout and "from-prometheus" in helped.stdout
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert "ingest API 1" in version.stdout

    mapping = tmp_path / "map.toml"
    mapping.write_text((FIXTURES / "map.toml").read_text().replace("ENTERPRISE_USCC", "91110116MA01ABCD11"))
    dry = subprocess.run([script, "from-slurm", FIXTURES / "sacct.txt", "--map", mapping, "--dry-run"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert '"record_id": "slurm:hr1:4101"' in dry.stdout and "dry run: 4 records would be sent" in dry.stderr
    key = subprocess.run([script, "keygen", tmp_path / "provider.key"], capture_output=True, text=True, timeout=60)
    assert key.returncode == 0 and key.stdout.startswith("public key: ")
