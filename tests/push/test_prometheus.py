"""from-prometheus against a real Prometheus (Debian's package) scraping a DCGM-style exporter served by the test.

Prometheus keeps its own (real) clock, also when the suite runs under faketime, so the test takes every moment from
Prometheus's answers, never from the local clock.
"""

import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from yingdu_push.adapters import card_hours

from yingdu.metering.models import UsageRecord

from .conftest import run_cli

PROMETHEUS = shutil.which("prometheus")
STEP = 2  # seconds: twice the scrape interval, so each step holds a sample even when a scrape is late
PERIOD = 4  # seconds: two steps, so that two whole periods are scraped within about 12 s

EXPOSITION = """\
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-5c2a0f0e-0001",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-n07",hpc_job="4201"} 87
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-5c2a0f0e-0002",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-n07",hpc_job="4201"} 64
DCGM_FI_DEV_GPU_UTIL{gpu="2",UUID="GPU-5c2a0f0e-0003",device="nvidia2",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-n07",hpc_job="4202"} 12
DCGM_FI_DEV_GPU_UTIL{gpu="3",UUID="GPU-5c2a0f0e-0004",device="nvidia3",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-n07",hpc_job="9999"} 50
DCGM_FI_DEV_GPU_UTIL{gpu="4",UUID="GPU-5c2a0f0e-0005",device="nvidia4",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-n07"} 0
"""


class Exporter(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = EXPOSITION.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def query(base: str, expression: str) -> list:
    with urllib.request.urlopen(f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expression})}",
                                timeout=10) as response:
        return json.load(response)["data"]["result"]


@pytest.fixture
def prometheus(tmp_path):
    if PROMETHEUS is None:
        pytest.skip("the prometheus binary is absent (Debian package prometheus; `make system-deps` installs it)")
    exporter = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Exporter)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: dcgm
    static_configs:
      - targets: ["127.0.0.1:{exporter.server_address[1]}"]
""")
    port = free_port()
    log = open(tmp_path / "prometheus.log", "w")
    process = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        exporter.shutdown()
        exporter.server_close()


def wait_for_whole_periods(base: str, periods: int, limit: float = 120) -> tuple[float, float]:
    """(first sample, Prometheus's now) once `periods` whole periods after the first sample have been scraped."""
    give_up = time.monotonic() + limit
    first = None
    while time.monotonic() < give_up:
        try:
            if first is None:
                series = query(base, 'DCGM_FI_DEV_GPU_UTIL{gpu="0"}[5m]')  # a range vector: the raw samples
                first = float(series[0]["values"][0][0]) if series else None
            now = float(query(base, "time()")[0])  # a scalar: [time, "value"]
            if first is not None and now >= (first // PERIOD + 1 + periods) * PERIOD + STEP:
                return first, now
        except (OSError, ValueError, KeyError, IndexError):
            pass  # not up yet
        time.sleep(0.5)
    raise AssertionError("Prometheus did not collect samples in time")


@pytest.mark.django_db(transaction=True)
def test_dcgm_gpu_hours_per_job_and_period_land_once(prometheus, platform, tmp_path):
    first, now = wait_for_whole_periods(prometheus, periods=2)
    start, end = str(int(first)), str(int(now))
    common = ["--prometheus", prometheus, "--map", platform.mapping, "--start", start, "--end", end,
              "--period", PERIOD, "--step", STEP, "--instance", "hr1"]

    status, records, err = run_cli("from-prometheus", *common, "--dry-run")
    assert status == 2 and "does not name job '9999'" in err  # an unmapped job stops the run, naming the series
    status, records, err = run_cli("from-prometheus", *common, "--dry-run", "--skip-unmapped")
    assert status == 0, err
    assert "job '9999'" in err and "skipped" in err
    periods = sorted({r["started_at"] for r in records})
    assert len(periods) >= 2 and {r["job_id"] for r in records} == {"4201", "4202"}  # no record for unlabeled GPU 4
    by_key = {(r["job_id"], r["started_at"]): r for r in records}
    for period in periods:
        four_two_oh_one, four_two_oh_two = by_key[("4201", period)], by_key[("4202", period)]
        assert four_two_oh_one["record_id"] == f"prom:hr1:4201:{period}"
        assert (four_two_oh_one["enterprise_uscc"], four_two_oh_one["project_tag"]) == (
            platform.enterprise.uscc, "drama-01")
        # the same scrapes carry both jobs: 2 GPUs for 4201, 1 for 4202, present in the same n steps
        possible = {n: (card_hours(2 * n, STEP), card_hours(n, STEP)) for n in range(1, PERIOD // STEP + 1)}
        assert (Decimal(four_two_oh_one["quantity"]), Decimal(four_two_oh_two["quantity"])) in possible.values()
    # whole periods only, aligned: the same range read again yields the same records
    status, again, _err = run_cli("from-prometheus", *common, "--dry-run", "--skip-unmapped")
    assert again == records

    state = tmp_path / "state.json"
    status, receipts, err = run_cli("from-prometheus", *common, "--skip-unmapped", "--state", state,
                                    *platform.push_options)
    assert status == 0, err
    assert [r["status"] for r in receipts] == ["accepted"] * len(records)
    status, receipts, err = run_cli("from-prometheus", *common, "--skip-unmapped", *platform.push_options)
    assert status == 0 and [r["status"] for r in receipts] == ["duplicate"] * len(records)
    assert UsageRecord.objects.filter(provider=platform.provider).count() == len(records)
    # an incremental run continues from the state's last period end: nothing new yet
    status, receipts, err = run_cli("from-prometheus", "--prometheus", prometheus, "--map", platform.mapping,
                                    "--end", end, "--period", PERIOD, "--step", STEP, "--instance", "hr1",
                                    "--skip-unmapped", "--state", state, *platform.push_options)
    assert (status, receipts) == (0, []), err
