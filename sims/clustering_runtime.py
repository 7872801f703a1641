"""Run time of the certified Burer-Monteiro SDP-KM solver against cvxpy + SCS (note table F).

Isotropic GMM, K = 3, p = 5, separation 1.5 x Delta_bar^2 (the exact-recovery regime where the
certificate applies).  Wall-clock seconds on one BLAS thread (threadpoolctl), one solve per
n for each solver, and the relative objective difference where both ran.  Timings are
machine-dependent: only ratios are compared in claims.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    ns: tuple[int, ...] = (60, 150)
    cvxpy_max_n: int = 150
    ratio: float = 1.5

    @classmethod
    def full(cls):
        return cls(ns=(60, 150, 300, 500, 1000, 2000, 5000), cvxpy_max_n=500)


@runner.register("clustering_runtime", paper="clustering", config=Config, sweep="ns")
def run(config: Config) -> dict:
    """Seconds per SDP-KM solve: certified Burer-Monteiro vs cvxpy+SCS, against n."""
    from threadpoolctl import threadpool_limits

    from theory import clustering as C

    K, p = 3, 5
    t_bm, t_cvx, rel, cert = [], [], [], []
    with threadpool_limits(1):
        for n in config.ns:
            n3 = K * (n // K)
            d2 = config.ratio * C.chen_yang_threshold(n3, p, K)
            rng = np.random.default_rng([config.seed, n])
            X, _ = C.gaussian_mixture(C.simplex_centres(K, p, d2), np.eye(p), [n // K] * K, rng)
            t0 = time.perf_counter()
            res = C.kmeans_sdp_bm(X, K, random_state=rng)
            t_bm.append(time.perf_counter() - t0)
            cert.append(res.certified)
            if n <= config.cvxpy_max_n:
                t0 = time.perf_counter()
                _, val = C.kmeans_sdp_cvxpy(X, K, eps=1e-7)
                t_cvx.append(time.perf_counter() - t0)
                rel.append(abs(val - res.objective) / abs(res.objective))
            else:
                t_cvx.append(np.nan)
                rel.append(np.nan)
    return {"n": np.array(config.ns), "seconds_bm": np.array(t_bm),
            "seconds_cvxpy": np.array(t_cvx), "objective_rel_diff": np.array(rel),
            "certified": np.array(cert, dtype=int)}


if __name__ == "__main__":
    runner.main("clustering_runtime")
