"""Schemathesis over the OpenAPI document, in-process: a requests adapter that answers through Django's test client.

The requests transport of schemathesis sends each generated case through a ``requests.Session``; mounting
``DjangoClientAdapter`` on that session hands the request to ``django.test.Client`` instead of the network, so the
case runs in the test's own database transaction (no live server; ``from_wsgi`` closed the test database connection
because the WSGI handler sends ``request_finished``, which the test client disconnects).
"""

import time
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from urllib3 import HTTPHeaderDict

BASE_URL = "http://testserver"
# Headers the test client sets itself (its session cookie, the body's length).
_SKIPPED_HEADERS = {"cookie", "content-length", "host"}


class DjangoClientAdapter(BaseAdapter):
    """A requests adapter whose every request is served by a django.test.Client (with its session)."""

    def __init__(self, client, *, headers: dict[str, str] | None = None):
        super().__init__()
        self.client = client
        self.headers = headers or {}

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        headers = {name: value for name, value in request.headers.items() if name.lower() not in _SKIPPED_HEADERS}
        headers.update(self.headers)
        content_type = headers.pop("Content-Type", None) or headers.pop("content-type", None) or ""
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        started = time.monotonic()
        answer = self.client.generic(request.method, path, data=body, content_type=content_type, headers=headers)
        content = b"".join(answer.streaming_content) if answer.streaming else answer.content
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.reason_phrase
        response.headers = requests.structures.CaseInsensitiveDict(answer.items())
        response.raw = SimpleNamespace(headers=HTTPHeaderDict(dict(answer.items())), version=11)
        response._content = content
        response._content_consumed = True
        response.encoding = answer.charset if hasattr(answer, "charset") else None
        response.url = request.url
        response.request = request
        response.elapsed = timedelta(seconds=time.monotonic() - started)
        return response

    def close(self):
        pass


def session_for(client, *, headers: dict[str, str] | None = None) -> requests.Session:
    """A requests session whose requests go to ``client``."""
    session = requests.Session()
    adapter = DjangoClientAdapter(client, headers=headers)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass
class FuzzReport:
    """What a run found: one line per failing operation (the first failure), and how many cases ran."""

    cases: int = 0
    failures: dict[str, str] = field(default_factory=dict)


def fuzz(schema, session, *, max_examples: int, checks) -> FuzzReport:
    """Run every operation of ``schema`` with up to ``max_examples`` generated cases through ``session``."""
    from hypothesis import HealthCheck, Phase, given, settings

    report = FuzzReport()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"

        @given(case=operation.as_strategy())
        @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate))
        def run(case):
            report.cases += 1
            response = case.call(session=session, base_url=BASE_URL)
            case.validate_response(response, checks=checks)

        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as failure:  # every failure of every operation is reported together
            report.failures[label] = f"{type(failure).__name__}: {str(failure)[:1500]}"
    return report
