"""LA-SDP with known covariances against the oracle QDA rule, and equal-means detection
(papers/ila_sdp.md 3.3 (i), (ii); checks 9 and 12).

Model (i): K = 2, p = 5, Sigma_1 = I, Sigma_2 = 2 I, mu_2 = delta e_1, equal sizes.  For each
delta and replicate: LA-SDP with the true (Sigma, pi) solved by ADMM, exact when
max_k |Z_k - Z*_k| < 1e-3 (ADMM tolerance 1e-6); the oracle QDA with the true parameters is
"perfect" when it misclassifies no point.  Model (ii): mu_1 = mu_2, Sigma_2 = 4 Sigma_1 = 4 I_p,
p >= n: LA-SDP (true Sigma) exactness and the Peng-Wei SDP's error, which cannot see a
covariance difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    deltas: tuple[float, ...] = (4.0, 8.0)
    n: int = 40
    p: int = 5
    reps: int = 8
    var2: float = 2.0

    @classmethod
    def full(cls):
        return cls(deltas=(3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0), n=60, reps=20)


def _exact(Z, lab):
    from theory import clustering as C

    Zs = C.group_membership_matrices(lab, 2)
    return min(np.max(np.abs(Z - Zs)), np.max(np.abs(Z - Zs[::-1])))


@runner.register("clustering_la_oracle", paper="clustering", config=Config, sweep="deltas")
def run(config: Config) -> dict:
    """LA-SDP (true Sigma) exact recovery vs the oracle QDA against mean separation delta."""
    from threadpoolctl import threadpool_limits

    from theory import clustering as C

    D, M, p = len(config.deltas), config.reps, config.p
    covs = np.array([np.eye(p), config.var2 * np.eye(p)])
    la_exact = np.zeros((D, M), dtype=int)
    la_err = np.zeros((D, M))
    qda_err = np.zeros((D, M))
    with threadpool_limits(1):
        for a, delta in enumerate(config.deltas):
            means = np.zeros((2, p))
            means[1, 0] = delta
            for m in range(M):
                rng = np.random.default_rng([config.seed, m, round(1000 * delta)])
                X, lab = C.gaussian_mixture(means, covs, [config.n // 2] * 2, rng)
                Z, _, _ = C.la_sdp_admm(C.la_sdp_costs(X, covs, [0.5, 0.5]), tol=1e-6,
                                        max_iter=2000)
                la_exact[a, m] = _exact(Z, lab) < 1e-3
                la_err[a, m] = C.misclustering_error(lab, C.la_round(Z))
                qda_err[a, m] = C.misclustering_error(lab, C.qda_labels(X, means, covs))
    return {"delta": np.array(config.deltas), "la_exact": la_exact, "la_error": la_err,
            "qda_error": qda_err}


@dataclass(frozen=True)
class EqualMeansConfig(runner.SimConfig):
    n: int = 40
    p: int = 100
    reps: int = 3
    var2: float = 4.0

    @classmethod
    def full(cls):
        return cls(n=60, p=60, reps=10)


@runner.register("clustering_equal_means", paper="clustering", config=EqualMeansConfig)
def run_equal_means(config: EqualMeansConfig) -> dict:
    """Equal means, Sigma_2 = 4 Sigma_1: LA-SDP (true Sigma) exact vs Peng-Wei SDP error."""
    from threadpoolctl import threadpool_limits

    from theory import clustering as C

    p = config.p
    covs = np.array([np.eye(p), config.var2 * np.eye(p)])
    la_exact = np.zeros(config.reps, dtype=int)
    sdp_err = np.zeros(config.reps)
    with threadpool_limits(1):
        for m in range(config.reps):
            rng = np.random.default_rng([config.seed, m])
            X, lab = C.gaussian_mixture(np.zeros((2, p)), covs, [config.n // 2] * 2, rng)
            Z, _, _ = C.la_sdp_admm(C.la_sdp_costs(X, covs, [0.5, 0.5]), tol=1e-6,
                                    max_iter=2000)
            la_exact[m] = _exact(Z, lab) < 1e-3
            sdp_err[m] = C.misclustering_error(lab, C.kmeans_sdp_bm(X, 2, random_state=m).labels)
    return {"la_exact": la_exact, "sdp_error": sdp_err}


if __name__ == "__main__":
    runner.main("clustering_la_oracle")
