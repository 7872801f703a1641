"""Finite-width deep GPs sampled by HMC converge to the DKM optimum (note R2, R3; checks 3, 4).

TOY8, two hidden layers of width N (nu_1 = nu_2 = 1), the likelihood multiplied by N (N
copies of y: the Bayesian representation learning limit).  Non-centred coordinates
``F_l = chol(K(G_{l-1})) Z_l`` with ``Z ~ N(0, I)``; log density
``-|Z|^2/2 + N log N(y; 0, K(G_2) + s2 I)`` (note R2 protocol).  Per width:

* ``mean_err``: ||mean_s G_l - G*_l||_F / ||G*_l||_F (predicted ~ 1/N; layer 1, errata 2);
* ``samp_err``: the same for single draws, averaged (predicted ~ N^-1/2);
* ``mc_floor``: the Monte Carlo standard error of ``mean_err`` (batch means), so a figure
  can show where the sampling noise takes over;
* ``kurtosis``: per-point excess kurtosis of the features pooled over units and draws
  (predicted -> 0; errata 3: meaningful at layer 2);
* ``feat_sample``: standardised features at one data point, for the marginal histograms.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from sims import runner
from sims.dkm_common import SE, hmc, toy8


@dataclass(frozen=True)
class Config(runner.SimConfig):
    widths: tuple[int, ...] = (32, 64, 128)
    kernel: str = SE
    noise_var: float = 0.1
    chains: int = 4
    warmup: int = 200
    draws: int = 400
    leapfrog: int = 10
    batches: int = 10
    point: int = 3
    pad_widths: bool = True   # one compiled sampler for all widths (quick); False: per width

    @classmethod
    def full(cls):
        return cls(widths=(16, 32, 64, 128, 256, 512, 1024), warmup=1500, draws=3000,
                   pad_widths=False)


@functools.lru_cache(maxsize=8)
def dkm_target(kernel: str, noise_var: float):
    """G*_1, G*_2 of TOY8 (nu = 1) from theory.dkm."""
    from theory import dkm as D

    x, y = toy8()
    return tuple(D.fit_dkm(x, y, depth=2, kernel=kernel, nu=1.0, noise_var=noise_var))


def _mc_floor(g, gstar, batches: int) -> float:
    """Standard error of the Frobenius error of the mean, from batch means of each chain."""
    d, c = g.shape[:2]
    b = max(2, min(batches, d))
    gb = g[: (d // b) * b].reshape(b, d // b, c, *g.shape[2:]).mean(1)      # (b, chains, P, P)
    gb = gb.reshape(b * c, *g.shape[2:])
    se2 = gb.var(0, ddof=1) / gb.shape[0]
    return float(np.sqrt(se2.sum()) / np.linalg.norm(gstar))


@functools.lru_cache(maxsize=8)
def _model(kernel: str, noise_var: float, point: int):
    """(logp, stats) of the non-centred two-layer DGP; aux = (width n, unit mask, c0, y).

    Every chain is padded to the largest width; the units beyond its width are masked out of
    the Gram matrices (so they are independent N(0, 1) coordinates), which lets all widths
    share one compiled sampler.
    """
    import jax.numpy as jnp

    from theory import dkm as D

    def grams(z, aux):
        n, mask, c0, _ = aux
        f1 = c0 @ z[0]
        g1 = (f1 * mask) @ f1.T / n
        c1 = jnp.linalg.cholesky(D._kfull(g1, kernel, 1.0, D.DEFAULT_JITTER))
        f2 = c1 @ z[1]
        return f1, g1, f2, (f2 * mask) @ f2.T / n

    def logp(z, aux):
        n, _, _, y = aux
        g2 = grams(z, aux)[3]
        k = D._kfull(g2, kernel, 1.0, D.DEFAULT_JITTER) + noise_var * jnp.eye(y.shape[0])
        return -0.5 * jnp.sum(z**2) + n * D._gauss_loglik(k, y)

    def stats(z, aux):
        n, mask = aux[0], aux[1]
        f1, g1, f2, g2 = grams(z, aux)
        f = jnp.stack([f1, f2])                                              # (2, P, Nmax)
        return (jnp.stack([g1, g2]), jnp.sum(f**2 * mask, -1) / n,
                jnp.sum(f**4 * mask, -1) / n, f[:, point, :8])

    return logp, stats


@runner.register("dkm_dgp", paper="dkm", config=Config)
def run(config: Config) -> dict:
    """HMC on wide finite deep GPs (TOY8): posterior Gram matrices vs the DKM optimum."""
    if not config.pad_widths and len(config.widths) > 1:
        import dataclasses

        parts = [_run(dataclasses.replace(config, widths=(w,))) for w in config.widths]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return _run(config)


def _run(config: Config) -> dict:
    import jax
    import jax.numpy as jnp

    from sims import nets
    from theory import dkm as D

    x, y = toy8()
    gstar = np.stack(dkm_target(config.kernel, config.noise_var))
    norms = np.linalg.norm(gstar, axis=(-2, -1))
    p, widths, c = x.shape[0], np.asarray(config.widths), config.chains
    nmax = int(widths.max())
    with nets.float64():
        g0 = jnp.asarray(D.input_gram(x))
        c0 = jnp.linalg.cholesky(D._kfull(g0, config.kernel, 1.0, D.DEFAULT_JITTER))
        n = jnp.asarray(np.repeat(widths, c), jnp.float64)                     # (W * chains,)
        mask = (jnp.arange(nmax)[None, :] < n[:, None]).astype(jnp.float64)
        aux = (n, mask, jnp.broadcast_to(c0, (len(n), p, p)),
               jnp.broadcast_to(jnp.asarray(y), (len(n), *y.shape)))
        key = jax.random.PRNGKey(config.seed)
        k0, k1 = jax.random.split(key)
        z0 = jax.random.normal(k0, (len(n), 2, p, nmax), jnp.float64)
        logp, stats = _model(config.kernel, config.noise_var, config.point)
        (g, m2, m4, fs), acc, eps = hmc(logp, z0, aux, k1, n_warmup=config.warmup,
                                       n_draws=config.draws, n_leapfrog=config.leapfrog,
                                       step0=0.15, stats=stats)
    w = len(widths)
    # (draws, W * chains, ...) -> (W, draws, chains, ...)
    g, m2, m4, fs = (np.asarray(a).reshape(a.shape[0], w, c, *a.shape[2:]).swapaxes(0, 1)
                     for a in (g, m2, m4, fs))
    mean_err = np.linalg.norm(g.mean((1, 2)) - gstar, axis=(-2, -1)) / norms      # (W, 2)
    samp_err = (np.linalg.norm(g - gstar, axis=(-2, -1)) / norms).mean((1, 2))
    floor = np.array([[_mc_floor(g[i, :, :, ell], gstar[ell], config.batches)
                       for ell in range(2)] for i in range(w)])
    e2, e4 = m2.mean((1, 2)), m4.mean((1, 2))                                     # (W, 2, P)
    kurt = e4 / e2**2 - 3
    sd = np.sqrt(e2[:, :, config.point])                                          # (W, 2)
    feat = fs.transpose(0, 3, 1, 2, 4).reshape(w, 2, -1) / sd[:, :, None]
    return {"width": widths, "mean_err": mean_err, "samp_err": samp_err, "mc_floor": floor,
            "kurtosis": kurt.mean(-1), "kurtosis_max": np.abs(kurt).max(-1),
            "accept": acc.reshape(w, c).mean(1), "step": eps.reshape(w, c).mean(1),
            "feat_sample": feat, "gram_mean": g.mean((1, 2)), "gram_star": np.stack([gstar] * w)}


if __name__ == "__main__":
    runner.main("dkm_dgp")
