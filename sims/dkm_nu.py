"""The DKM optimum against nu on TOY8, approaching the NNGP (note R4, R6; check 5).

For each kernel and nu (nu_1 = nu_2 = nu): the optimum L*(nu), the log-likelihood and KL
terms, and the relative deviation ``||G*_2 - G^NNGP_2||_F / ||G^NNGP_2||_F`` (predicted
~ 1/nu), next to the NNGP log marginal likelihood (the nu -> infinity limit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import runner
from sims.dkm_common import ARC, SE, toy8


@dataclass(frozen=True)
class Config(runner.SimConfig):
    kernels: tuple[str, ...] = (SE, ARC)
    nus: tuple[float, ...] = (1.0, 10.0, 100.0, 300.0, 1000.0)
    noise_var: float = 0.1

    @classmethod
    def full(cls):
        return cls(nus=(0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0))


@runner.register("dkm_nu", paper="dkm", config=Config)
def run(config: Config) -> dict:
    """DKM optimum L*(nu) and Gram deviation from the NNGP on TOY8, two kernels."""
    from theory import dkm as D

    x, y = toy8()
    shape = (len(config.kernels), len(config.nus))
    obj, ll, kl, dev, conv = (np.zeros(shape) for _ in range(5))
    lml = np.zeros(len(config.kernels))
    for i, k in enumerate(config.kernels):
        lml[i] = D.nngp_log_marginal_likelihood(x, y, depth=2, kernel=k,
                                                noise_var=config.noise_var)
        nngp = D.nngp_grams(x, depth=2, kernel=k)[-1]
        for j, nu in enumerate(config.nus):
            fit = D.dkm_optimum(x, y, depth=2, kernel=k, nu=nu, noise_var=config.noise_var)
            obj[i, j], ll[i, j], kl[i, j] = fit.objective, fit.log_likelihood, fit.kl.sum()
            dev[i, j] = np.linalg.norm(fit.grams[-1] - nngp) / np.linalg.norm(nngp)
            conv[i, j] = fit.converged
    return {"nu": np.array(config.nus), "objective": obj, "log_likelihood": ll,
            "weighted_kl": kl, "rel_dev": dev, "nngp_lml": lml, "converged": conv}


if __name__ == "__main__":
    runner.main("dkm_nu")
