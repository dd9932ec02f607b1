"""The timing harness shared by the page benchmarks: percentiles and repeated, warmed-up calls."""

import statistics
import time
from collections.abc import Callable


def percentile(values: list[float], share: float) -> float:
    """The value at ``share`` (0–1) of the sorted values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and p95 seconds of ``repeat`` calls after one warm-up call."""
    call()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), percentile(times, 0.95)
