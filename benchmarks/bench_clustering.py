"""Certified Burer-Monteiro SDP-KM solver vs cvxpy + SCS on the same SDP, in the same run.

The Peng-Wei K-means SDP  max <A, Z>  s.t.  Z psd, Z >= 0, Z 1 = 1, tr Z = K  on an isotropic
Gaussian mixture (K = 3, p = 5, equal sizes, separation 1.5 x the Chen-Yang cutoff), n = 500.
``theory.clustering.kmeans_sdp_bm`` (nonnegative low-rank factor started from a K-means++
partition, augmented Lagrangian, then a dual certificate that proves the rounded partition
optimal; also timed from a random start) against cvxpy + SCS (eps 1e-6)
on the same data; the objectives must agree to 1e-4 relative; the ratio of median times is
reported (target >= 20).  Then the BM solver alone at n = 5000 (time and peak traced memory;
cvxpy would need a 5000 x 5000 psd variable).  BLAS pinned to one thread.
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.common import BLAS_THREADS, blas_description, interleaved
from theory import clustering as C


def _data(n: int, seed: int = 0, ratio: float = 1.5, K: int = 3, p: int = 5):
    d2 = ratio * C.chen_yang_threshold(K * (n // K), p, K)
    return C.gaussian_mixture(C.simplex_centres(K, p, d2), np.eye(p), [n // K] * K, seed)


def main(n: int = 500, n_large: int = 5000, repeats: int = 1) -> dict:
    X, lab = _data(n)
    out: dict = {}

    def bm():
        out["bm"] = C.kmeans_sdp_bm(X, 3, random_state=0)

    def bm_random():
        out["bm_random"] = C.kmeans_sdp_bm(X, 3, init="random", random_state=0)

    def cvx():
        out["cvx"] = C.kmeans_sdp_cvxpy(X, 3, eps=1e-6)

    med = interleaved({"theorylab BM (certified)": bm, "BM, random start": bm_random,
                       "cvxpy + SCS": cvx}, repeats=repeats)
    res, (_, val) = out["bm"], out["cvx"]
    rel = abs(val - res.objective) / abs(res.objective)
    ratio = med["cvxpy + SCS"] / med["theorylab BM (certified)"]
    ratio_random = med["cvxpy + SCS"] / med["BM, random start"]
    rel_random = abs(val - out["bm_random"].objective) / abs(val)
    print(f"SDP-KM, n = {n}, K = 3, p = 5, ratio 1.5; BLAS threads pinned to {BLAS_THREADS} "
          f"({blas_description()})")
    for k, v in med.items():
        print(f"  {k:<28} {v:8.3f} s (median of {repeats}, after one warm-up)")
    print(f"  objective BM {res.objective:.8f} (certified {res.certified}, gap {res.gap:.1e}),"
          f" cvxpy {val:.8f}, relative difference {rel:.1e}")
    print(f"  ratio cvxpy / BM = {ratio:.1f}  (target >= 20); from a random start "
          f"{ratio_random:.1f} (certified {out['bm_random'].certified}, relative difference "
          f"{rel_random:.1e})")

    Xl, labl = _data(n_large, seed=1)
    with threadpool_limits(BLAS_THREADS):
        tracemalloc.start()
        t0 = time.perf_counter()
        big = C.kmeans_sdp_bm(Xl, 3, random_state=0)
        t_large = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    err = C.misclustering_error(labl, big.labels)
    print(f"  n = {n_large}: BM {t_large:.2f} s, peak traced memory {peak:.1f} MiB "
          f"(a dense n x n float64 matrix is {n_large**2 * 8 / 2**20:.0f} MiB; process max RSS "
          f"{rss:.0f} MiB incl. cvxpy), certified "
          f"{big.certified}, gap {big.gap:.1e}, error {err:.3f}, {big.iterations} iterations")
    return {"n": n, "seconds": med, "ratio": ratio, "ratio_random_start": ratio_random,
            "target": 20.0, "objective_rel_diff": rel,
            "certified": bool(res.certified), "gap": res.gap, "n_large": n_large,
            "seconds_large": t_large, "peak_mib_large": peak, "max_rss_mib": rss,
            "certified_large": bool(big.certified), "error_large": err}


if __name__ == "__main__":
    main()
