"""Benchmark of the streaming KDE (sims.kde_core.streaming_kde) against the anchors.

1. Scale: d = 30, n = 1e7 points generated and reduced chunk by chunk at 16 fixed-norm test
   points and 2 bandwidths, in a fresh subprocess whose peak resident memory (ru_maxrss) is
   reported, plus the tracemalloc peak of the numpy allocations in this process.
2. Throughput: the same estimator on a size the anchors handle (n = 2e4, d = 30, 256 queries,
   h = 1), against scikit-learn ``KernelDensity`` (exact: rtol = atol = 0) and
   ``scipy.stats.gaussian_kde`` (made isotropic, covariance h^2 I).  Repeats are interleaved,
   times are medians, ratios are anchor time / our time, and the log-densities are compared.

BLAS is pinned to one thread with threadpoolctl (the machines are shared; the anchors are
single-threaded too).  Run with ``python -m benchmarks.bench_kde`` or call :func:`main`.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
import time
import tracemalloc

import numpy as np

BLAS_THREADS = 1

_SCALE_CODE = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np
    from threadpoolctl import threadpool_limits
    from sims import kde_core
    n, d, q = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    with threadpool_limits(limits=int(sys.argv[4])):
        X = kde_core.fixed_norm_queries(np.random.default_rng(0), q, d, float(d))
        t0 = time.perf_counter()
        r = kde_core.streaming_kde(X, [0.7, 1.0], n=n, seed=0, chunk=65536)
        secs = time.perf_counter() - t0
    print(json.dumps({"seconds": secs,
                      "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      "finite": bool(np.all(np.isfinite(r["log_density"]))),
                      "median_log_density_h1": float(np.median(r["log_density"][:, 1]))}))
""")


def scale_run(n: int = 10_000_000, d: int = 30, q: int = 16) -> dict:
    """Streaming KDE at (n, d) in a subprocess: seconds, peak RSS, finiteness."""
    out = subprocess.run([sys.executable, "-c", _SCALE_CODE, str(n), str(d), str(q),
                          str(BLAS_THREADS)], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res.update(n=n, d=d, queries=q, bandwidths=2,
               throughput_pairs_per_s=n * q / res["seconds"],
               data_matrix_bytes_if_stored=n * d * 8)
    return res


def tracemalloc_peak(n: int = 1_000_000, d: int = 30, q: int = 16) -> dict:
    """Peak numpy allocation of the streaming KDE in this process (tracemalloc)."""
    from sims import kde_core

    X = kde_core.fixed_norm_queries(np.random.default_rng(0), q, d, float(d))
    tracemalloc.start()
    kde_core.streaming_kde(X, [0.7, 1.0], n=n, seed=0, chunk=65536)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"n": n, "d": d, "tracemalloc_peak_bytes": peak,
            "data_matrix_bytes_if_stored": n * d * 8}


def _isotropic_scipy_kde(Y: np.ndarray, h: float):
    from scipy.stats import gaussian_kde

    kde = gaussian_kde(Y.T)
    # gaussian_kde scales its kernel by the data covariance; replace it by I so that the
    # kernel covariance is h^2 I, the estimator of the paper (note section 5).
    kde._data_covariance = np.eye(Y.shape[1])
    kde._data_cho_cov = np.eye(Y.shape[1])
    kde.set_bandwidth(h)
    return kde


def throughput(n: int = 20_000, d: int = 30, q: int = 256, h: float = 1.0,
               repeats: int = 5) -> dict:
    """Interleaved timing of ours vs scikit-learn and scipy; medians and ratios."""
    from sklearn.neighbors import KernelDensity

    from sims import kde_core

    rng = np.random.default_rng(1)
    Y, X = rng.standard_normal((n, d)), rng.standard_normal((q, d))
    sk = KernelDensity(bandwidth=h, kernel="gaussian", rtol=0.0, atol=0.0).fit(Y)
    sp = _isotropic_scipy_kde(Y, h)
    runs = {
        "ours": lambda: kde_core.streaming_kde(X, [h], data=Y)["log_density"][:, 0],
        "sklearn": lambda: sk.score_samples(X),
        "scipy": lambda: sp.logpdf(X.T),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    values = {}
    for _ in range(repeats):
        for name, fn in runs.items():  # interleaved
            t0 = time.perf_counter()
            values[name] = fn()
            times[name].append(time.perf_counter() - t0)
    med = {k: float(np.median(v)) for k, v in times.items()}
    return {
        "n": n, "d": d, "queries": q, "h": h, "repeats": repeats,
        "median_seconds": med,
        "pairs_per_second": {k: n * q / v for k, v in med.items()},
        "speedup_vs_sklearn": med["sklearn"] / med["ours"],
        "speedup_vs_scipy": med["scipy"] / med["ours"],
        "max_abs_logdensity_diff_sklearn": float(np.max(np.abs(values["sklearn"]
                                                               - values["ours"]))),
        "max_abs_logdensity_diff_scipy": float(np.max(np.abs(values["scipy"]
                                                             - values["ours"]))),
    }


def main() -> dict:
    """Run the KDE benchmarks, print a summary and return the numbers."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=BLAS_THREADS):
        tp = throughput()
        tm = tracemalloc_peak()
    sc = scale_run()
    result = {"paper": "kde", "blas_threads": BLAS_THREADS, "scale": sc, "tracemalloc": tm,
              "throughput": tp}
    gb = sc["maxrss_bytes"] / 1e9
    print(f"[kde] streaming KDE d={sc['d']}, n={sc['n']:.0e}, {sc['queries']} queries x 2 h: "
          f"{sc['seconds']:.1f} s, peak RSS {gb:.3f} GB (data matrix would be "
          f"{sc['data_matrix_bytes_if_stored'] / 1e9:.1f} GB), finite={sc['finite']}")
    print(f"[kde] tracemalloc peak at n={tm['n']:.0e}: {tm['tracemalloc_peak_bytes'] / 1e6:.1f} MB")
    m = tp["median_seconds"]
    print(f"[kde] n={tp['n']}, d={tp['d']}, {tp['queries']} queries, BLAS threads "
          f"{BLAS_THREADS}: ours {m['ours'] * 1e3:.1f} ms, sklearn {m['sklearn'] * 1e3:.1f} ms "
          f"(x{tp['speedup_vs_sklearn']:.1f}), scipy {m['scipy'] * 1e3:.1f} ms "
          f"(x{tp['speedup_vs_scipy']:.1f}); max |ln rho diff| vs sklearn "
          f"{tp['max_abs_logdensity_diff_sklearn']:.1e} (its kd-tree), vs scipy "
          f"{tp['max_abs_logdensity_diff_scipy']:.1e}")
    if not math.isfinite(gb) or gb >= 1.0:
        print("[kde] WARNING: peak memory above 1 GB")
    return result


if __name__ == "__main__":
    main()
