"""Extreme-value sampler at large d (50..800): convergence to the d -> inf predictions.

For ``n = e^{alpha d}`` points and ``|x|^2 = d`` the ``K`` smallest distances are sampled
exactly and the rest replaced by its conditional mean (:class:`sims.kde_core.
ExtremeValueSampler`, note section 8.1).  Bandwidths are given relative to the asymptotic
``h_G(alpha)`` (``h_ratios``) plus absolute values (``h_abs``).  All d share the same uniform
order statistics (common random numbers: one seed), so trends in d are measured with much
less noise than independent runs would give.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import kde_core, runner
from theory import kde as theory


@dataclass(frozen=True)
class Config(runner.SimConfig):
    ds: tuple[int, ...] = (50, 100, 200, 400, 800)
    alpha: float = 0.5
    h_ratios: tuple[float, ...] = (0.6, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2)
    h_abs: tuple[float, ...] = (1.0,)
    n_datasets: int = 4000
    K: int = 1000

    @classmethod
    def full(cls):
        return cls(ds=(50, 100, 200, 400, 800), n_datasets=10000, K=3000,
                   h_ratios=(0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 1.0, 1.03, 1.05, 1.1,
                             1.2, 1.3))


def bandwidths(config: Config) -> np.ndarray:
    return np.concatenate([np.asarray(config.h_ratios, float) * theory.h_G(config.alpha),
                           np.asarray(config.h_abs, float)])


@runner.register("kde_ev", paper="kde", config=Config, sweep="ds")
def run(config: Config) -> dict:
    """Extreme-value sampler (exact K smallest of e^{alpha d}) for d up to 800."""
    hs = bandwidths(config)
    out: dict[str, list] = {k: [] for k in ("d", "alpha", "h", "lnZ", "Y2", "pmax", "dmin")}
    for d in config.ds:
        sampler = kde_core.ExtremeValueSampler(d, config.alpha * d, float(d), hs,
                                               K=min(config.K, int(np.exp(config.alpha * d)
                                                                   / 20)))
        rng = np.random.default_rng(config.seed)  # common random numbers across d
        res = sampler.sample(rng, config.n_datasets)
        out["d"].append(d)
        out["alpha"].append(config.alpha)
        out["h"].append(hs)
        for key in ("lnZ", "Y2", "pmax", "dmin"):
            out[key].append(res[key])
    return {k: np.asarray(v) for k, v in out.items()}


def kl_per_dim_curves(res: dict) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-|x| forward KL per dimension from a ``kde_ev`` result.

    Returns ``(h, KL)`` with ``h`` sorted and ``KL`` of shape ``(len(d), len(h))``:
    ``KL/d = [ln rho(x) - E ln rho_hat(x)] / d = [-|x|^2/2 + d ln h + ln n - E ln Z] / d`` with
    ``|x|^2 = d`` and ``ln n = alpha d`` (the ``(d/2) ln 2 pi`` terms cancel).
    """
    ds = np.asarray(res["d"], float)[:, None]
    hs = np.asarray(res["h"][0], float)
    order = np.argsort(hs)
    lnz = np.asarray(res["lnZ"])[:, :, order].mean(axis=1)
    alpha = np.asarray(res["alpha"], float)[:, None]
    kl = (-0.5 * ds + ds * np.log(hs[order])[None, :] + alpha * ds - lnz) / ds
    return hs[order], kl


def kl_argmins(res: dict) -> np.ndarray:
    """Argmin over h of :func:`kl_per_dim_curves` for each d, by a parabola through the grid
    point of the minimum and its two neighbours."""
    hs, kl = kl_per_dim_curves(res)
    out = []
    for row in kl:
        j = int(np.clip(np.argmin(row), 1, hs.size - 2))
        c = np.polyfit(hs[j - 1:j + 2], row[j - 1:j + 2], 2)
        out.append(-c[1] / (2 * c[0]))
    return np.array(out)


if __name__ == "__main__":
    runner.main("kde_ev")
