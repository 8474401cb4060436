"""Helpers for the benchmarks: a throwaway cluster, timings and client memory peaks."""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sg.adapters.provisioning.local_cluster import LocalCluster


def best(runs: list[float]) -> float:
    return min(runs)


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


@contextmanager
def cluster() -> Iterator[LocalCluster]:
    base = Path(tempfile.mkdtemp(prefix="sg-bench-"))
    server = LocalCluster.create(base)
    try:
        server.start()
        yield server
    finally:
        server.destroy()


def peak_rss_kib() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def current_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_memory(action: Callable[[], Any]) -> tuple[int, int | None, int | None]:
    """Peak Python allocations (bytes, tracemalloc), and the process's peak RSS during
    `action` and its growth over the RSS before (KiB, Linux only)."""
    rss_ok = reset_peak_rss()
    before = current_rss_kib()
    tracemalloc.start()
    try:
        action()
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    peak = peak_rss_kib() if rss_ok else None
    return traced_peak, peak, (peak - before) if peak is not None else None
