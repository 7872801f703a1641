"""KDE on real data matrices, streamed in chunks (the cross-check of the distance sampler).

Each dataset of ``n = e^{alpha d}`` points ``N(0, I_d)`` is generated chunk by chunk and
reduced with a running log-sum-exp (:func:`sims.kde_core.streaming_kde`), at two kinds of test
points: ``q_fixed`` points with ``|x|^2 = d`` (regime statistics, comparable with the
``ncx2`` sampler and the exact oracle) and ``q_gauss`` points ``x ~ N(0, I_d)`` (forward KL
``E_x[ln rho(x) - ln rho_hat(x)]``, note R7 and R9 item 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sims import kde_core, runner
from theory import kde as theory


@dataclass(frozen=True)
class Config(runner.SimConfig):
    d: int = 20
    alpha: float = 0.5
    hs: tuple[float, ...] = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.92, 1.0, 1.2)
    n_datasets: int = 40
    q_fixed: int = 16
    q_gauss: int = 48
    chunk: int = 65_536

    @classmethod
    def full(cls):
        return cls(n_datasets=400, q_gauss=200)


@runner.register("kde_stream", paper="kde", config=Config)
def run(config: Config) -> dict:
    """Streaming log-sum-exp KDE on real Gaussian datasets: fixed-norm and random test points."""
    d = config.d
    n = theory.n_points(config.alpha, d)
    rng = np.random.default_rng([config.seed, d])
    R, Qf, Qg, H = config.n_datasets, config.q_fixed, config.q_gauss, len(config.hs)
    lnz_fixed = np.empty((R, Qf, H))
    y2_fixed = np.empty((R, Qf, H))
    logdens_gauss = np.empty((R, Qg, H))
    logrho_gauss = np.empty((R, Qg))
    for r in range(R):
        xf = kde_core.fixed_norm_queries(rng, Qf, d, float(d))
        xg = rng.standard_normal((Qg, d))
        res = kde_core.streaming_kde(np.vstack([xf, xg]), config.hs, n=n,
                                     seed=int(rng.integers(2**63)), chunk=config.chunk)
        lnz_fixed[r] = res["lnZ"][:Qf]
        y2_fixed[r] = res["Y2"][:Qf]
        logdens_gauss[r] = res["log_density"][Qf:]
        logrho_gauss[r] = -0.5 * d * math.log(2 * math.pi) - 0.5 * (xg * xg).sum(axis=1)
    return {"h": np.asarray(config.hs, float), "n": np.asarray(n), "d": np.asarray(d),
            "lnZ_fixed": lnz_fixed, "Y2_fixed": y2_fixed, "log_density_gauss": logdens_gauss,
            "log_rho_gauss": logrho_gauss}


if __name__ == "__main__":
    runner.main("kde_stream")
