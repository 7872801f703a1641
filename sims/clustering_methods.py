"""iLA-SDP against EM, K-means and the Peng-Wei SDP (papers/ila_sdp.md 3.5, table D/E).

Two experiments:

* ``clustering_em_trap`` (check 10): K = 3, p = 2, identity covariances, centres (-a, 0),
  (a, 0), (0, 12).  EM from Forgy starts (K random data points, Sigma = I, pi = 1/K) is
  trapped (error > 0.1) in a fraction of starts; the Peng-Wei SDP and iLA-SDP from label-free
  starts (the rounded SDP solution, random balanced labels) are not.
* ``clustering_methods`` (check 11 and the error-vs-separation figure): the models of table E,
  "elong" (quick: K = 2, centres (0,0), (0,3), both covariances diag(16, 0.25): K-means cuts
  along the long axis) and "mixed" (full: K = 3, centres (0,0), (0,3.5), (6,1.5),
  covariances diag(9, 0.2), diag(9, 0.2), diag(0.2, 4)), centres scaled by ``s``;
  mis-clustering error of K-means (scikit-learn, k-means++, 10
  restarts), the SDP, EM (mean over Forgy starts and best-of-starts by likelihood), iLA-SDP
  (lifted; random balanced labels at quick scale, where it needs ~4 alternations, the rounded
  SDP at full scale, where it needs ~10) and the oracle QDA rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import runner


@dataclass(frozen=True)
class TrapConfig(runner.SimConfig):
    a: float = 3.5
    nk: int = 20
    datasets: int = 1
    em_starts: int = 100
    random_inits: int = 0

    @classmethod
    def full(cls):
        return cls(nk=30, datasets=5, random_inits=2)


@runner.register("clustering_em_trap", paper="clustering", config=TrapConfig)
def run_trap(config: TrapConfig) -> dict:
    """EM trapped fraction from Forgy starts vs SDP and iLA-SDP errors (adversarial layout)."""
    from threadpoolctl import threadpool_limits

    from theory import clustering as C

    means = np.array([[-config.a, 0.0], [config.a, 0.0], [0.0, 12.0]])
    em_err = np.zeros((config.datasets, config.em_starts))
    sdp_err = np.zeros(config.datasets)
    ila_err = np.zeros((config.datasets, 1 + config.random_inits))
    ila_iters = np.zeros((config.datasets, 1 + config.random_inits), dtype=int)
    ila_rise = np.zeros((config.datasets, 1 + config.random_inits))
    with threadpool_limits(1):
        for d in range(config.datasets):
            rng = np.random.default_rng([config.seed, d])
            X, lab = C.gaussian_mixture(means, np.eye(2), [config.nk] * 3, rng)
            labels, *_ = C.em_gmm(X, 3, n_init=config.em_starts, random_state=rng)
            em_err[d] = [C.misclustering_error(lab, q) for q in labels]
            sdp_err[d] = C.misclustering_error(lab, C.kmeans_sdp_bm(X, 3, random_state=rng)
                                               .labels)
            for j, init in enumerate(["sdp"] + ["random"] * config.random_inits):
                res = C.ila_sdp(X, 3, init=init, random_state=rng)
                ila_err[d, j] = C.misclustering_error(lab, res.labels)
                ila_iters[d, j] = res.iterations
                F = res.objective_history
                ila_rise[d, j] = np.max(np.diff(F) / np.abs(F[1:]), initial=0.0)
    return {"em_error": em_err, "em_trapped": (em_err > 0.1).mean(1), "sdp_error": sdp_err,
            "ila_error": ila_err, "ila_iterations": ila_iters, "ila_F_max_rise": ila_rise}


MODELS = {  # table E of the note: centres (K, 2) and covariances (K, 2, 2)
    "elong": (np.array([[0.0, 0.0], [0.0, 3.0]]),
              np.array([np.diag([16.0, 0.25]), np.diag([16.0, 0.25])])),
    "mixed": (np.array([[0.0, 0.0], [0.0, 3.5], [6.0, 1.5]]),
              np.array([np.diag([9.0, 0.2]), np.diag([9.0, 0.2]), np.diag([0.2, 4.0])])),
}
METHODS = ("kmeans", "sdp", "em_mean", "em_best", "ila", "qda")


@dataclass(frozen=True)
class MethodsConfig(runner.SimConfig):
    scales: tuple[float, ...] = (0.75, 1.0)
    model: str = "elong"
    nk: int = 20
    datasets: int = 1
    em_starts: int = 20
    ila_init: str = "random"

    @classmethod
    def full(cls):
        return cls(scales=(0.5, 0.75, 1.0, 1.25, 1.5, 2.0), model="mixed", nk=30, datasets=5,
                   em_starts=100, ila_init="sdp")


@runner.register("clustering_methods", paper="clustering", config=MethodsConfig,
                 sweep="scales")
def run_methods(config: MethodsConfig) -> dict:
    """Mis-clustering error per method vs separation scale on the heterogeneous "mixed" model."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    from theory import clustering as C

    S, D = len(config.scales), config.datasets
    centres, covs = MODELS[config.model]
    K = len(centres)
    err = np.zeros((S, D, len(METHODS)))
    ila_rise = np.zeros((S, D))
    with threadpool_limits(1):
        for a, s in enumerate(config.scales):
            means = s * centres
            for d in range(D):
                rng = np.random.default_rng([config.seed, d, round(1000 * s)])
                X, lab = C.gaussian_mixture(means, covs, [config.nk] * K, rng)
                km = KMeans(K, n_init=10, random_state=int(rng.integers(2**31))).fit(X)
                labels, ll, *_ = C.em_gmm(X, K, n_init=config.em_starts, random_state=rng)
                em = [C.misclustering_error(lab, q) for q in labels]
                res = C.ila_sdp(X, K, init=config.ila_init, random_state=rng)
                F = res.objective_history
                ila_rise[a, d] = np.max(np.diff(F) / np.abs(F[1:]), initial=0.0)
                err[a, d] = [C.misclustering_error(lab, km.labels_),
                             C.misclustering_error(lab, C.kmeans_sdp_bm(X, K, random_state=rng)
                                                   .labels),
                             float(np.mean(em)), em[int(np.argmax(ll))],
                             C.misclustering_error(lab, res.labels),
                             C.misclustering_error(lab, C.qda_labels(X, means, covs))]
    return {"scale": np.array(config.scales), "error": err, "ila_F_max_rise": ila_rise}


if __name__ == "__main__":
    runner.main("clustering_methods")
