"""Poisson-Dirichlet PD(mu, 0) weights by simulation of normalised Poisson points.

``p_k = Gamma_k^{-1/mu} / S`` with ``Gamma_k`` the arrival times of a unit Poisson process;
the first ``K`` points are kept and the rest of ``S`` is its exact mean
``sum_{k > K} E[Gamma_k^{-1/mu}] = Gamma(K + 1 - 1/mu) / ((1/mu - 1) Gamma(K))`` (telescoping
identity), whose relative fluctuation is ``O(K^{1/2 - 1/mu})``.  Gives ``Y_2`` and ``p_max``
samples to test the closed forms of note R6 (E[Y_2] = 1 - mu and the p_max integral).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    mus: tuple[float, ...] = (0.5, 0.8)
    n_samples: int = 200_000
    K: int = 200
    batch: int = 20_000

    @classmethod
    def full(cls):
        return cls(mus=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), n_samples=1_000_000,
                   K=1000)


@runner.register("kde_pd", paper="kde", config=Config)
def run(config: Config) -> dict:
    """Normalised Poisson points Gamma_k^(-1/mu): samples of Y2 and p_max under PD(mu, 0)."""
    mus = np.asarray(config.mus, float)
    if np.any((mus <= 0) | (mus >= 1)):
        raise ValueError(f"mus must lie in (0, 1), got {config.mus}")
    if config.K < 2:
        raise ValueError(f"K must be >= 2, got {config.K}")
    rng = np.random.default_rng(config.seed)
    M, K = config.n_samples, config.K
    y2 = np.empty((mus.size, M))
    pmax = np.empty((mus.size, M))
    a = 1.0 / mus
    log_tail = special.gammaln(K + 1 - a) - np.log(a - 1) - special.gammaln(K)
    for start in range(0, M, config.batch):
        b = min(config.batch, M - start)
        lg = np.log(np.cumsum(rng.exponential(size=(b, K)), axis=1))
        for i, ai in enumerate(a):
            # scale by the first (largest) term to stay in range
            rel = np.exp(-ai * (lg - lg[:, :1]))  # Gamma_k^{-a} / Gamma_1^{-a}
            tail = np.exp(log_tail[i] + ai * lg[:, 0])
            s = rel.sum(axis=1) + tail
            pmax[i, start:start + b] = 1.0 / s
            # tail contributes (sum of squares) O(K^{1-2a}) relative: negligible but included
            tail2 = np.exp(special.gammaln(K + 1 - 2 * ai) - np.log(2 * ai - 1)
                           - special.gammaln(K) + 2 * ai * lg[:, 0])
            y2[i, start:start + b] = (np.einsum("ij,ij->i", rel, rel) + tail2) / (s * s)
    return {"mu": mus, "Y2": y2, "pmax": pmax}


if __name__ == "__main__":
    runner.main("kde_pd")
