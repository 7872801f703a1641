"""The "generalization funnel": per-layer 1-Wasserstein bounds of the designed network (R3).

mu = e_1, s = 1, W_1 = diag(1, .1, .1, .1) (a bottleneck), W_2 = diag(1, 10, 10, 10), so that
A_2 = I; learned W-hat = (1/n) sum_j Y_j X_j; 1-Lipschitz ramp loss
l(w, x, y) = clip(1 - y <u_w, A_2 x>, 0, 2), u_w = A_2 w / ||A_2 w||.  Through layer k the
loss is rho_k(w) = ||B_k^T u_w||-Lipschitz in t = A_k x.  For each sample size n and M draws
of the training set the sim returns, per layer k:

* the sample-path bound E_W[rho_k(W) W_2(train_k, test_k | W)] (W_2 >= W_1, closed form),
  with its Monte Carlo standard error, and the lower envelope E[rho_k ||A_k (W - mu)||]
  (W_1 >= ||mean difference||);
* the uniform versions with rho_k = ||B_k||_op (tail) and prod_{j>k} ||W_j||_op (product);
* the Monte Carlo ramp-loss gap E[L_P(W) - L_S(W)] with its standard error, computed by the
  ghost-sample identity gen = E[l(W', Z_1) - l(W, Z_1)], W' trained with Z_1 replaced by an
  independent Z' (same other samples, entered through their mean): the two terms differ by
  O(1/n), so the standard error is ~1/n instead of ~1 (exact population risks give the same
  mean with a 100x larger spread at n = 10^4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    ns: tuple[int, ...] = (100, 1000, 10000)
    draws: int = 20_000
    bottleneck: float = 0.1
    expand: float = 10.0

    @classmethod
    def full(cls):
        return cls(ns=(10, 30, 100, 300, 1000, 3000, 10000), draws=400_000)


def designed_network(bottleneck: float = 0.1, expand: float = 10.0) -> list[np.ndarray]:
    return [np.diag([1.0, bottleneck, bottleneck, bottleneck]),
            np.diag([1.0, expand, expand, expand])]


def ramp_risk(margin_mean, s: float = 1.0):
    """E clip(1 - m, 0, 2) for m ~ N(margin_mean, s^2) (population ramp risk, closed form)."""
    z_mean = 1.0 - np.asarray(margin_mean, float)  # Z = 1 - m ~ N(z_mean, s^2)
    a, b = (0.0 - z_mean) / s, (2.0 - z_mean) / s
    inside = z_mean * (stats.norm.cdf(b) - stats.norm.cdf(a)) + s * (stats.norm.pdf(a)
                                                                      - stats.norm.pdf(b))
    return inside + 2.0 * stats.norm.sf(b)


@runner.register("sdpi_funnel", paper="sdpi", config=Config, sweep="ns")
def run(config: Config) -> dict:
    """Per-layer W bounds (sample-path, tail, product) and the ramp-loss gap vs n."""
    from theory import sdpi as S

    ws = designed_network(config.bottleneck, config.expand)
    a, b = S.layer_products(ws), S.tail_products(ws)
    d, s = 4, 1.0
    mu = np.eye(d)[0]
    out = {k: [] for k in ("path", "path_se", "path_lower", "tail", "product", "gap", "gap_se",
                                                                   "gap_pop")}
    for n in config.ns:
        rng = np.random.default_rng([config.seed, n])
        m = config.draws
        y1 = rng.choice([-1.0, 1.0], size=m)
        x1 = y1[:, None] * mu + s * rng.normal(size=(m, d))
        rest = mu + s / math.sqrt(n - 1) * rng.normal(size=(m, d))  # mean of Y_j X_j, j >= 2
        w = (y1[:, None] * x1 + (n - 1) * rest) / n
        v = w @ a[-1].T
        u = v / np.linalg.norm(v, axis=1, keepdims=True)
        yg = rng.choice([-1.0, 1.0], size=m)  # ghost sample Z' replacing Z_1
        xg = yg[:, None] * mu + s * rng.normal(size=(m, d))
        vg = ((yg[:, None] * xg + (n - 1) * rest) / n) @ a[-1].T
        ug = vg / np.linalg.norm(vg, axis=1, keepdims=True)
        t1 = x1 @ a[-1].T

        def loss(unit, y1=y1, t1=t1):
            return np.clip(1.0 - y1 * np.einsum("md,md->m", unit, t1), 0.0, 2.0)

        gap = loss(ug) - loss(u)
        # second estimator: exact population risk (A_2 = I: y <u, x> ~ N(<u, mu>, s^2))
        out["gap_pop"].append(np.mean(ramp_risk(u @ (a[-1] @ mu), s) - loss(u)))
        path, path_se, lower = [], [], []
        for ak, bk in zip(a, b):
            rho = np.linalg.norm(u @ bk, axis=1)  # ||B_k^T u_w||
            vals = rho * S.gaussian_train_test_w2(ak, w, mu, s, n)
            path.append(vals.mean())
            path_se.append(vals.std(ddof=1) / math.sqrt(m))
            lower.append(np.mean(rho * np.linalg.norm((w - mu) @ ak.T, axis=1)))
        out["path"].append(path)
        out["path_se"].append(path_se)
        out["path_lower"].append(lower)
        out["tail"].append(S.uniform_w_bounds(ws, n, s, lipschitz="tail"))
        out["product"].append(S.uniform_w_bounds(ws, n, s, lipschitz="product"))
        out["gap"].append(gap.mean())
        out["gap_se"].append(gap.std(ddof=1) / math.sqrt(m))
    res = {k: np.array(v) for k, v in out.items()}
    res["n"] = np.array(config.ns)
    return res


if __name__ == "__main__":
    runner.main("sdpi_funnel")
