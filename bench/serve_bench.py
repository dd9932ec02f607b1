"""Server start (`yingdu serve`): seconds from launching it to the first successful `/healthz` answer, against a bare
gunicorn serving a trivial WSGI app (bench/trivial_wsgi.py) with the same worker count, in the same run.

Both start on a free loopback port with 2 workers and are polled every 50 ms; each start is measured STARTS times
(a restart after a crash is the same cold start) and the median kept. The static files are collected and compressed
once before, as `make install` does (timed too), and a start that has to collect them (what every start did before
issue 15) is measured once for comparison.
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

STARTS = int(os.environ.get("BENCH_SERVE_STARTS", "3"))
WORKERS = 2
GOAL_SECONDS = 5.0
TIMEOUT_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _until_answered(command: list[str], url: str, env: dict) -> float:
    """Seconds from spawning ``command`` until ``url`` answers 200; the process group is stopped afterwards."""
    began = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        while time.perf_counter() - began < TIMEOUT_SECONDS:
            if process.poll() is not None:
                raise RuntimeError(f"{command[:2]} exited with {process.returncode} before answering")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - began
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{url} did not answer within {TIMEOUT_SECONDS} s")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _yingdu_start(env: dict) -> float:
    port = _free_port()
    command = [str(Path(sys.executable).with_name("yingdu")), "serve", "--bind", f"127.0.0.1:{port}",
               "--workers", str(WORKERS)]
    return _until_answered(command, f"http://127.0.0.1:{port}/healthz", env)


def _bare_start(env: dict) -> float:
    port = _free_port()
    command = [str(Path(sys.executable).with_name("gunicorn")), "bench.trivial_wsgi:application", "--bind",
               f"127.0.0.1:{port}", "--workers", str(WORKERS)]
    return _until_answered(command, f"http://127.0.0.1:{port}/", env)


def run(*, bench_dir: Path) -> list[str]:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "YINGDU_VAR_DIR": str(bench_dir / "serve"), "PYTHONPATH": str(root)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    yingdu = str(Path(sys.executable).with_name("yingdu"))

    began = time.perf_counter()
    subprocess.run([yingdu, "static_collect", "--force"], env=env, check=True, stdout=subprocess.DEVNULL)
    install_seconds = time.perf_counter() - began

    ours, bare = [], []
    for _ in range(STARTS):  # interleaved, so that a burst of load on the shared machine hits both alike
        ours.append(_yingdu_start(env))
        bare.append(_bare_start(env))
    ours_median, bare_median = statistics.median(ours), statistics.median(bare)

    (bench_dir / "serve" / "static" / ".yingdu-collected").unlink()  # as before issue 15: collect at the start
    collecting = _yingdu_start(env)

    verdict = "met" if ours_median < GOAL_SECONDS else "not met"
    return [
        "## Server start",
        "",
        f"`yingdu serve` ({WORKERS} gunicorn workers, SQLite) from launch to the first `200` on `/healthz`, against a"
        f" bare gunicorn with {WORKERS} workers serving a trivial WSGI app (`bench/trivial_wsgi.py`) from launch to"
        f" its first `200`; median of {STARTS} starts each, interleaved. Static files are collected and compressed at"
        " install time (`make install` → `yingdu static_collect`), so a start or a restart after a crash only checks"
        " their fingerprint.",
        "",
        "| measure | yingdu, s | bare gunicorn, s | ratio |",
        "|---|---|---|---|",
        f"| start to first answer | {ours_median:.2f} | {bare_median:.2f} | {ours_median / bare_median:.2f} |",
        f"| start that must collect static files first (every start before issue 15) | {collecting:.2f} |"
        f" {bare_median:.2f} | {collecting / bare_median:.2f} |",
        "",
        f"Install-time collect and compress: {install_seconds:.1f} s (once per install or change of a static file)."
        f" All starts, yingdu: {', '.join(f'{s:.2f}' for s in ours)}; bare: {', '.join(f'{s:.2f}' for s in bare)}.",
        "",
        f"Goal: start in under {GOAL_SECONDS:.0f} s: {verdict} in this run.",
        "",
    ]
