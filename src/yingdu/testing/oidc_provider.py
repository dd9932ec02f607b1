"""A running OpenID Connect provider for the tests (panva's oidc-provider under node, installed by ``make
oidc-provider`` into var/oidc-provider), and a client that signs in through its development login form."""

import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parents[3]
MODULE = ROOT / "var" / "oidc-provider" / "node_modules" / "oidc-provider" / "lib" / "index.js"
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID = "yingdu-test"
# the tests' own client secret, known only to the provider they start
CLIENT_SECRET = "test-secret-of-the-test-provider-0123456789"


@dataclass
class RunningProvider:
    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen

    def settings(self) -> dict:
        """The value of ``YINGDU_OIDC`` that points the platform at this provider."""
        return {"issuer": self.issuer, "client_id": self.client_id, "client_secret": self.client_secret}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def provider_start(*, redirect_uris: list[str], accounts: dict[str, dict]) -> RunningProvider:
    """Start the provider with one client and the given accounts (login name → claims); returns when it listens."""
    node = shutil.which("node")
    if node is None or not MODULE.exists():
        raise RuntimeError("the test OIDC provider needs node and `make oidc-provider` (var/oidc-provider)")
    port = _free_port()
    config = {"port": port, "module": str(MODULE), "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "redirect_uris": redirect_uris, "accounts": accounts}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config, handle)
    process = subprocess.Popen([node, str(SCRIPT), handle.name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    seen = []
    for line in process.stdout:
        if line.startswith("ready "):
            break
        seen.append(line)  # the provider's warnings about its development keys
    else:
        process.kill()
        raise RuntimeError("the test OIDC provider did not start: " + "".join(seen))
    # keep reading what it prints, so that a full pipe never stalls it
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return RunningProvider(issuer=line.split()[1], client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                           process=process)


def provider_stop(provider: RunningProvider) -> None:
    provider.process.terminate()
    provider.process.wait(timeout=10)


def _form(html: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', html).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return unescape(action), hidden


def provider_sign_in(authorization_url: str, *, login: str) -> str:
    """Sign in at the provider's login form as ``login`` and consent; returns the callback URL it redirects to."""
    session = requests.Session()
    response = session.get(authorization_url, allow_redirects=True, timeout=10)
    action, fields = _form(response.text)
    response = session.post(urljoin(response.url, action), data={**fields, "login": login, "password": "x"},
                            allow_redirects=False, timeout=10)
    for _step in range(6):
        location = response.headers.get("Location")
        if location is None:
            action, fields = _form(response.text)
            response = session.post(urljoin(response.url, action), data=fields, allow_redirects=False, timeout=10)
            continue
        location = urljoin(response.url, location)
        if not location.startswith(authorization_url.split("/auth", 1)[0]):
            return location
        response = session.get(location, allow_redirects=False, timeout=10)
    raise RuntimeError("the provider did not redirect back")
