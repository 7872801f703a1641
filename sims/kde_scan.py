"""Real-data KDE across dimensions at a fixed number of points (d = 10..60, n up to 1e7).

For each d, ``n = n_points`` (so ``alpha = ln n / d`` falls as d grows) Gaussian points are
generated and reduced chunk by chunk (:func:`sims.kde_core.streaming_kde`, memory O(chunk)) at
``q`` fixed-norm test points (``|x|^2 = d``) and at bandwidths ``h = r h_G,eff(d, alpha)`` for
the ratios ``r`` in ``h_ratios``, i.e. in the same finite-d regime at every d.  Compared with
the exact oracle (note R8), this confirms the distance-sampling reduction on real data matrices
(note section 4, the GPU cross-check, here on CPU).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sims import kde_core, runner
from theory import kde as theory


@dataclass(frozen=True)
class Config(runner.SimConfig):
    ds: tuple[int, ...] = (10, 20, 30)
    n_points: int = 20_000
    h_ratios: tuple[float, ...] = (0.7, 1.0, 1.4)
    n_datasets: int = 24
    q: int = 8
    chunk: int = 65_536

    @classmethod
    def full(cls):
        return cls(ds=(10, 20, 30, 40, 60), n_points=10_000_000, n_datasets=8, q=16)


@runner.register("kde_scan", paper="kde", config=Config, sweep="ds")
def run(config: Config) -> dict:
    """Streamed real-data KDE at fixed n across d = 10..60, h in units of h_G,eff(d)."""
    if config.n_points < 100:
        raise ValueError(f"n_points must be >= 100, got {config.n_points}")
    out: dict[str, list] = {k: [] for k in ("d", "alpha", "n", "h", "Y2", "pmax", "lnZ")}
    for d in config.ds:
        n = int(config.n_points)
        alpha = math.log(n) / d
        hs = np.asarray(config.h_ratios, float) * theory.h_G_eff(d, alpha)
        rng = np.random.default_rng([config.seed, int(d)])
        y2 = np.empty((config.n_datasets, config.q, hs.size))
        pm = np.empty_like(y2)
        lz = np.empty_like(y2)
        for r in range(config.n_datasets):
            X = kde_core.fixed_norm_queries(rng, config.q, d, float(d))
            res = kde_core.streaming_kde(X, hs, n=n, seed=int(rng.integers(2**63)),
                                         chunk=config.chunk)
            y2[r], pm[r], lz[r] = res["Y2"], res["pmax"], res["lnZ"]
        out["d"].append(d)
        out["alpha"].append(alpha)
        out["n"].append(n)
        out["h"].append(hs)
        out["Y2"].append(y2)
        out["pmax"].append(pm)
        out["lnZ"].append(lz)
    return {k: np.asarray(v) for k, v in out.items()}


if __name__ == "__main__":
    runner.main("kde_scan")
