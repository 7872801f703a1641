"""Exact recovery of the Peng-Wei SDP across the Chen-Yang cutoff (papers/ila_sdp.md 3.1).

Isotropic GMM, equal sizes, simplex centres at squared separation ratio x Delta_bar^2.  Each
replicate is solved by the certified Burer-Monteiro solver: ``certified`` = a dual
certificate proves Z* (the truth) is the unique SDP optimum; ``beaten`` = the solver found a
feasible point (row-sum residual <= 1e-5) whose objective exceeds <A, Z*> by more than 1e-4
relative, which proves Z* is *not* optimal.  Certified is sufficient only (Errata 6), so the
certified fraction is a lower bound on the exact-recovery probability, and 1 - beaten an upper
bound.  Two registered sims: the low-dimensional table A (n = 60, p = 5, K = 3) and the
high-dimensional check (n = 100, p = 400, K = 2) where sqrt(1 + Kp/(n log n)) matters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    ratios: tuple[float, ...] = (0.5, 0.8, 1.0, 1.3, 2.0)
    ns: tuple[int, ...] = (60,)
    p: int = 5
    K: int = 3
    reps: int = 12

    @classmethod
    def full(cls):
        return cls(ratios=(0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.35, 1.5, 1.75, 2.0),
                   ns=(60, 120, 240, 480), reps=40)


@dataclass(frozen=True)
class HighDimConfig(Config):
    ratios: tuple[float, ...] = (0.8, 1.5)
    ns: tuple[int, ...] = (100,)
    p: int = 400
    K: int = 2
    reps: int = 10

    @classmethod
    def full(cls):
        return cls(ratios=(0.6, 0.8, 1.0, 1.2, 1.5), reps=20)


def _transition(config: Config) -> dict:
    from threadpoolctl import threadpool_limits

    from theory import clustering as C

    R, N, M = len(config.ratios), len(config.ns), config.reps
    cert = np.zeros((R, N, M), dtype=int)
    beaten = np.zeros((R, N, M), dtype=int)
    err = np.zeros((R, N, M))
    margin = np.zeros((R, N, M))
    with threadpool_limits(1):
        for a, ratio in enumerate(config.ratios):
            for b, n in enumerate(config.ns):
                d2 = ratio * C.chen_yang_threshold(n, config.p, config.K)
                mu = C.simplex_centres(config.K, config.p, d2)
                for m in range(M):
                    rng = np.random.default_rng([config.seed, n, m, round(1000 * ratio)])
                    X, lab = C.gaussian_mixture(mu, np.eye(config.p),
                                                [n // config.K] * config.K, rng)
                    res = C.kmeans_sdp_bm(X, config.K, random_state=rng)
                    cert[a, b, m] = res.certified
                    err[a, b, m] = C.misclustering_error(lab, res.labels)
                    truth = C.kmeans_sdp_certificate(X, lab)
                    margin[a, b, m] = truth["eig_margin"]
                    beaten[a, b, m] = (res.info["max_row_residual"] <= 1e-5
                                       and res.objective > truth["primal"] * (1 + 1e-4))
    thr = np.array([C.chen_yang_threshold(n, config.p, config.K) for n in config.ns])
    return {"ratio": np.array(config.ratios), "n": np.tile(config.ns, (R, 1)),
            "threshold": np.tile(thr, (R, 1)), "certified": cert, "beaten": beaten,
            "error": err, "truth_eig_margin": margin}


@runner.register("clustering_transition", paper="clustering", config=Config, sweep="ratios")
def run(config: Config) -> dict:
    """Peng-Wei SDP exact recovery (certified) vs Delta^2 / Delta_bar^2, n = 60, p = 5, K = 3."""
    return _transition(config)


@runner.register("clustering_highdim", paper="clustering", config=HighDimConfig,
                 sweep="ratios")
def run_highdim(config: HighDimConfig) -> dict:
    """Same at n = 100, p = 400, K = 2: the high-dimensional term of the cutoff."""
    return _transition(config)


if __name__ == "__main__":
    runner.main("clustering_transition")
