"""Binary Gaussian classification through fixed linear layers (papers/sdpi.md R3).

Monte Carlo over M independent training sets of size n: Y ~ Unif{+-1}, X | Y ~ N(Y mu, s^2 I_d),
learned parameter W-hat = (1/n) sum_j Y_j X_j, prediction sign <A_L W-hat, A_L x>.  For every
layer k the per-layer divergence D_k = I(W-hat; T_k^(1), Y_1) is estimated by the Gaussian
plug-in mutual information of (W-hat, V_k^T Y_1 X_1), V_k spanning the row space of A_k
(errata 4: pair W-hat with Y_1 A_k X_1; (W-hat, Y_1 X_1) is jointly Gaussian and independent
of Y_1, and I(W-hat; Y_1) = 0).  The 0-1 generalisation gap uses the exact population risk
Phi(-<v, A_L mu> / (s ||A_L^T v||)), v = A_L W-hat, and the empirical risk on the n samples.
Each repetition draws fresh data from (seed, rep); the network is fixed by ``net_seed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    reps: tuple[int, ...] = (0, 1, 2)
    n: int = 10
    widths: tuple[int, ...] = (8, 6, 6, 4, 2)
    truncate_layer: int = 2  # W_2 is truncated to rank ``truncate_rank`` (note R3)
    truncate_rank: int = 3
    mu_norm: float = 1.0
    s: float = 1.0
    datasets: int = 40_000
    batches: int = 10
    net_seed: int = 0

    @classmethod
    def full(cls):
        return cls(reps=tuple(range(10)), datasets=600_000, batches=20)


def note_network(widths=(8, 6, 6, 4, 2), truncate_layer: int = 2, truncate_rank: int = 3,
                 seed: int = 0) -> list[np.ndarray]:
    """W_k ~ N(0, 1/d_{k-1}) with layer ``truncate_layer`` (1-based) cut to a lower rank."""
    rng = np.random.default_rng(seed)
    ws = [rng.normal(size=(o, i)) / math.sqrt(i) for i, o in zip(widths[:-1], widths[1:])]
    u, sv, vt = np.linalg.svd(ws[truncate_layer - 1])
    sv[truncate_rank:] = 0.0
    ws[truncate_layer - 1] = (u * sv) @ vt
    return ws


def _gaussian_mi(cov: np.ndarray, d: int) -> float:
    """I(first d coordinates; the rest) of a Gaussian with covariance ``cov``."""
    ld = [np.linalg.slogdet(c)[1] for c in (cov[:d, :d], cov[d:, d:], cov)]
    return 0.5 * (ld[0] + ld[1] - ld[2])


@runner.register("sdpi_gaussian", paper="sdpi", config=Config, sweep="reps")
def run(config: Config) -> dict:
    """Per-layer KL terms (plug-in MI) and the 0-1 gap of the binary Gaussian model."""
    from theory import sdpi as S

    ws = note_network(config.widths, config.truncate_layer, config.truncate_rank,
                      config.net_seed)
    a = S.layer_products(ws)
    d, n, s = config.widths[0], config.n, config.s
    mu = np.zeros(d)
    mu[0] = config.mu_norm
    ranks = np.array([np.linalg.matrix_rank(x) for x in a])
    row_spaces = [np.linalg.svd(x)[2][:r].T for x, r in zip(a, ranks)]  # (d, r_k)
    a_l = a[-1]
    out = {k: [] for k in ("d_mc", "d_se", "gap", "gap_se", "risk_pop", "risk_emp")}
    per_batch = config.datasets // config.batches
    for rep in config.reps:
        rng = np.random.default_rng([config.seed, rep])
        covs, gaps, pops, emps = [], [], [], []
        for _ in range(config.batches):
            y = rng.choice([-1.0, 1.0], size=(per_batch, n))
            x = y[..., None] * mu + s * rng.normal(size=(per_batch, n, d))
            g1 = y[:, 0, None] * x[:, 0]  # Y_1 X_1
            w = np.einsum("mn,mnd->md", y, x) / n
            covs.append([np.cov(np.concatenate([w, g1 @ v], 1).T) for v in row_spaces])
            v = w @ a_l.T
            score = np.einsum("mj,mnj->mn", v, x @ a_l.T)
            emp = (y * score <= 0).mean(1)  # score 0 counts as an error
            pop = stats.norm.cdf(-(v @ (a_l @ mu)) / (s * np.linalg.norm(v @ a_l, axis=1)))
            gaps.append(pop - emp)
            pops.append(pop.mean())
            emps.append(emp.mean())
        mi_batch = np.array([[_gaussian_mi(c, d) for c in cb] for cb in covs])  # (B, L+1)
        mi_full = np.array([_gaussian_mi(np.mean([cb[k] for cb in covs], 0), d)
                            for k in range(len(a))])
        gaps = np.concatenate(gaps)
        out["d_mc"].append(mi_full)
        out["d_se"].append(mi_batch.std(0, ddof=1) / math.sqrt(config.batches))
        out["gap"].append(gaps.mean())
        out["gap_se"].append(gaps.std(ddof=1) / math.sqrt(gaps.size))
        out["risk_pop"].append(np.mean(pops))
        out["risk_emp"].append(np.mean(emps))
    res = {k: np.array(v) for k, v in out.items()}
    res["ranks"] = np.tile(ranks, (len(config.reps), 1))
    res["d_closed"] = np.tile(S.rank_law_kl(ranks, n), (len(config.reps), 1))
    res["rep"] = np.array(config.reps)
    return res


if __name__ == "__main__":
    runner.main("sdpi_gaussian")
