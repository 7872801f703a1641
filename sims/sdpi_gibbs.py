"""The Gibbs algorithm on the dropout toy of papers/sdpi.md R8, computed exactly.

Two hidden layers T_k = M_k * sgn(W_k T_{k-1}) with dropout (drop probability p), a sign
read-out, |W| = 64 and the Gibbs posterior P_{W|S} ∝ exp(-gamma L_S) (uniform prior).  For each
training-set size n the sim enumerates the type classes of S and returns the exact
generalisation gap, I(W; Z_1), I(W; Y_1), I(W; X_1 | Y_1), the per-layer divergences D_k and
the refined caps with the numerically computed layer coefficients (eta_1 = 0.5 on layer 1's
actual inputs, errata 1).  No randomness: ``seed`` is unused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    ns: tuple[int, ...] = (2, 3, 4, 8, 12)
    gamma: float = 4.0
    p: float = 0.5
    symmetric: bool = False

    @classmethod
    def full(cls):
        return cls(ns=(2, 3, 4, 6, 8, 12, 16))


@runner.register("sdpi_gibbs", paper="sdpi", config=Config, sweep="ns")
def run(config: Config) -> dict:
    """Exact gap, MI terms, per-layer KL divergences and refined caps of the Gibbs toy vs n."""
    from theory import sdpi as S

    toy = S.enumeration_toy(config.p, symmetric=config.symmetric)
    etas = S.toy_layer_etas(toy)
    out = {k: [] for k in ("gen", "i_wz", "i_wy", "i_wx_given_y", "d", "caps", "etas")}
    for n in config.ns:
        g = S.gibbs_exact(toy, n, config.gamma)
        for k in ("gen", "i_wz", "i_wy", "i_wx_given_y"):
            out[k].append(g[k])
        out["d"].append(S.toy_layer_divergences(toy, g["p_wz"]))
        out["caps"].append(S.refined_kl_caps(g["i_wy"], g["i_wx_given_y"], etas))
        out["etas"].append(etas)
    res = {k: np.array(v) for k, v in out.items()}
    res["n"] = np.array(config.ns)
    return res


if __name__ == "__main__":
    runner.main("sdpi_gibbs")
