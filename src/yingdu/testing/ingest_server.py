"""A real gunicorn server over a database of its own, and the metering fixture it ingests for (bench and crash tests).

Everything here runs the platform in subprocesses, as production does: `yingdu migrate`, a fixture script
(``python -m yingdu.testing.ingest_server`` prints the provider's API key, signing key and a verified work), then
gunicorn in its own process group so that a test can SIGKILL the master and its workers at once.
"""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BIN = Path(sys.executable).parent
START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(*, database_url: str, var_dir: Path) -> dict[str, str]:
    """Environment of every subprocess of one server: its database and its own var directory (log signing key)."""
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, YINGDU_VAR_DIR=str(var_dir), YINGDU_ENV="development",
               YINGDU_LOG_SIGNING_KEY=str(var_dir / "log_signing.key"), DJANGO_SETTINGS_MODULE="yingdu.settings",
               LOG_LEVEL="WARNING")
    return env


def postgres_database_url(base_url: str, name: str) -> str:
    """The URL of database `name` on the server of base_url."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def postgres_recreate(base_url: str, name: str, *, drop_only: bool = False) -> None:
    """Drop database `name` (closing its connections) and create it empty, connected through the maintenance db."""
    import psycopg

    with psycopg.connect(postgres_database_url(base_url, "postgres"), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass(frozen=True)
class IngestFixture:
    api_key: str
    private_key_seed: str
    enterprise_uscc: str
    project_tag: str

    def private_key(self):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(self.private_key_seed))


def prepare_database(env: dict[str, str]) -> IngestFixture:
    """Migrate the server's database and create a provider, a verified enterprise and its work (subprocesses)."""
    subprocess.run([str(BIN / "yingdu"), "migrate", "--no-input", "-v0"], env=env, check=True, timeout=300)
    done = subprocess.run([sys.executable, "-m", "yingdu.testing.ingest_server"], env=env, check=True, timeout=120,
                          capture_output=True, text=True)
    return IngestFixture(**json.loads(done.stdout.strip().splitlines()[-1]))


class Server:
    """gunicorn serving yingdu.wsgi in a new session (its own process group), killable as a whole."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, port: int | None = None):
        self.env = env
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # No control socket: its default path is shared by every gunicorn of the user, and servers run side by side.
        log_path = Path(self.env["YINGDU_VAR_DIR"]) / "gunicorn.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "yingdu.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                 "--workers", str(self.workers), "--timeout", "120", "--graceful-timeout", "5",
                 "--no-control-socket"],
                env=self.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer on {self.url} within {START_TIMEOUT_SECONDS} s; see {log_path}")

    def kill(self) -> None:
        """SIGKILL the master and every worker (the whole process group), as a power cut would."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Stop gracefully; kill the group if it does not exit within 10 s."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
            self.process = None
        except ProcessLookupError:
            self.process = None
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _create_fixture() -> dict:
    import django

    django.setup()
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    from yingdu.accounts.models import Role
    from yingdu.testing.clients import verified
    from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_work
    from yingdu.transparency.keys import signing_key

    signing_key()  # generated once here, so that gunicorn workers never race to create it
    enterprise = make_enterprise(verified_by=verified(make_staff(Role.REVIEWER)))
    work = make_work(enterprise)
    meter = make_metering_provider()
    seed = meter.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return {"api_key": meter.api_key, "private_key_seed": base64.b64encode(seed).decode(),
            "enterprise_uscc": enterprise.uscc, "project_tag": work.project_tag}


if __name__ == "__main__":
    print(json.dumps(_create_fixture()))
