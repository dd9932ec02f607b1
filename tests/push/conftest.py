"""A live platform for the yingdu-push end-to-end tests: a provider with a key file, two works, a mapping file."""

import base64
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from datetime import timezone as dt_timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from yingdu_push.cli import main

from yingdu.accounts.models import Role
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_work

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def platform(live_server, tmp_path):
    from yingdu.metering import services as metering

    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer)
    works = {tag: make_work(enterprise, tag=tag) for tag in ("drama-01", "drama-02")}
    meter = make_metering_provider(price_fen=1000, sku="gpu-a100-hour")
    long_ago = datetime(2020, 1, 1, tzinfo=dt_timezone.utc)
    metering.catalogue_price_add(provider=meter.provider, sku="gpu-h800-hour", name="H800 卡时", category="compute",
                                 unit="卡时", price_fen=2000, effective_from=long_ago, actor=meter.operator,
                                 now=long_ago)
    key = tmp_path / "provider.key"
    seed = meter.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key.write_text(base64.b64encode(seed).decode() + "\n")
    mapping = tmp_path / "map.toml"
    mapping.write_text((FIXTURES / "map.toml").read_text().replace("ENTERPRISE_USCC", enterprise.uscc))
    return SimpleNamespace(url=live_server.url, api_key=meter.api_key, key=str(key), mapping=str(mapping),
                           enterprise=enterprise, works=works, provider=meter.provider,
                           push_options=["--url", live_server.url, "--api-key", meter.api_key, "--key", str(key)])


def run_cli(*arguments) -> tuple[int, list[dict], str]:
    """yingdu-push in this process: (exit status, the JSON lines it printed, its standard error)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main([str(a) for a in arguments])
    return status, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()
