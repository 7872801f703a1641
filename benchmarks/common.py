"""Timing helpers shared by the benchmarks: interleaved repeats, medians, ratios."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from threadpoolctl import threadpool_info, threadpool_limits

BLAS_THREADS = 1


def blas_description() -> str:
    """BLAS libraries and their thread counts as the benchmarks run them (pinned)."""
    with threadpool_limits(BLAS_THREADS):
        libs = threadpool_info()
    return ", ".join(f"{i['internal_api']} x{i['num_threads']}" for i in libs) or "none"


def interleaved(fns: dict[str, Callable[[], object]], *, repeats: int = 7,
                number: int = 1) -> dict[str, float]:
    """Median seconds per call of each function, alternating A, B, A, B, ... so that load on
    the (shared) machine affects every contender alike. Each fn runs once first to warm up
    (jit compilation, caches)."""
    with threadpool_limits(BLAS_THREADS):
        for fn in fns.values():
            fn()
        times: dict[str, list[float]] = {k: [] for k in fns}
        for _ in range(repeats):
            for name, fn in fns.items():
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                times[name].append((time.perf_counter() - t0) / number)
    return {k: statistics.median(v) for k, v in times.items()}
