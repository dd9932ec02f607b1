import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The properties here check correctness, not speed: on a shared two-core machine a slow example is load, not a defect,
# so no example has a deadline and the too-slow health check is off. A test's own @settings still sets the rest.
settings.register_profile("yingdu", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("yingdu")

# With YINGDU_EVENT_COVERAGE=1 (set by `make test-sqlite`), the whole suite must append at least one entry of every
# declared type: each is then emitted by a test, through its builder, and checked against its declaration.
EVENT_COVERAGE = os.environ.get("YINGDU_EVENT_COVERAGE") == "1"
_emitted: set[str] = set()


@pytest.fixture(autouse=True, scope="session")
def _test_entry_type():
    """The log's own tests append entries of a test-only type (yingdu.testing.events), declared for every test;
    with YINGDU_EVENT_COVERAGE=1, every type written is recorded."""
    import yingdu.testing.events  # noqa: F401
    from yingdu.transparency.catalogue import CATALOGUE

    if not EVENT_COVERAGE:
        yield
        return
    validate = CATALOGUE.validate

    def recording(event, *, writing=False):
        declared = validate(event, writing=writing)
        if writing:
            _emitted.add(declared.name)
        return declared

    CATALOGUE.validate = recording
    yield
    CATALOGUE.validate = validate


def _xdist_worker(config) -> str | None:
    return getattr(config, "workerinput", {}).get("workerid")


def pytest_configure(config):
    """Under pytest-xdist (`-n`), each worker process records the types it appended in a directory the controller
    creates, and the controller checks their union."""
    if EVENT_COVERAGE and _xdist_worker(config) is None:
        os.environ["YINGDU_EVENT_COVERAGE_DIR"] = tempfile.mkdtemp(prefix="yingdu-events-")


def pytest_sessionfinish(session, exitstatus):
    if not EVENT_COVERAGE:
        return
    shared = Path(os.environ["YINGDU_EVENT_COVERAGE_DIR"])
    worker = _xdist_worker(session.config)
    if worker is not None:
        (shared / f"{worker}.json").write_text(json.dumps(sorted(_emitted)))
        return
    emitted = set(_emitted).union(*(json.loads(path.read_text()) for path in shared.glob("*.json")))
    if exitstatus != 0 or session.testscollected < 500:
        return
    from yingdu.transparency.catalogue import CATALOGUE

    missing = sorted(declared.name for declared in CATALOGUE
                     if declared.name not in emitted and not declared.name.startswith("testing."))
    if missing:
        session.config.get_terminal_writer().line(
            f"EVENT COVERAGE: no test appended an entry of these declared types: {', '.join(missing)}", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _isolated_uploads(settings, tmp_path):
    """Uploaded files go to a per-test directory."""
    settings.UPLOAD_ROOT = tmp_path / "uploads"


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    """Argon2 at its smallest cost (yingdu.testing.hashers): production's cost is a second per hash on these
    machines; test_security checks that production hashes with Argon2id."""
    settings.PASSWORD_HASHERS = ["yingdu.testing.hashers.QuickArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_axes(settings):
    from django.core.cache import cache

    settings.AXES_ENABLED = True
    cache.clear()  # the login spraying counts (accounts.throttle) start empty in every test


@pytest.fixture(autouse=True)
def _declared_api_errors(settings):
    """Every API error answer a test provokes must be declared by its operation (yingdu.api_errors), unless the run
    records them instead (YINGDU_API_ERRORS_RECORD=file, to find what to declare)."""
    settings.API_ERRORS_STRICT = not settings.API_ERRORS_RECORD
