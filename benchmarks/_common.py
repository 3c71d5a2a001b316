"""Shared helpers for the benchmark scripts: input texts and timing."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable

from fashion_lab.config import DATA_ENV, get_profile


def benchmark_texts(limit: int = 50000) -> list[str]:
    """Return up to `limit` corpus texts: real data if FASHION_LAB_DATA is set, else the sample."""
    from fashion_lab.data import load_corpus

    profile = get_profile("quick" if os.environ.get(DATA_ENV) else "sample")
    texts = load_corpus(profile).documents["text"].tolist()
    return texts[:limit]


def timed(function: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Return the best wall time of `repeat` calls and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(name: str, lab_seconds: float, bare_seconds: float, unit_count: int, unit: str) -> None:
    """Print one comparison line."""
    ratio = lab_seconds / bare_seconds if bare_seconds else float("nan")
    print(f"{name}: lab {lab_seconds:.2f} s ({unit_count / lab_seconds:,.0f} {unit}/s), "
          f"bare {bare_seconds:.2f} s ({unit_count / bare_seconds:,.0f} {unit}/s), "
          f"ratio {ratio:.2f}x")
