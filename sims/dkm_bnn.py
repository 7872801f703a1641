"""A wide one-layer ReLU network stays non-Gaussian in the representation learning limit (R8).

P = 1, x = 1: hidden units ``f ~ N(0, 1)``, output kernel ``k = c_w mean_lambda relu(f)^2``,
and the likelihood ``N log N(y; 0, k + s2)`` (N copies of y).  HMC on the N hidden units;
pooled over units, chains and draws the marginal of f approaches the two-piece Gaussian of
:func:`theory.dkm.relu_network_limit` (sd 1 on f < 0, sd s on f > 0), not a Gaussian.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from sims import runner
from sims.dkm_common import hmc

BINS = np.linspace(-4.0, 7.0, 56)


@dataclass(frozen=True)
class Config(runner.SimConfig):
    widths: tuple[int, ...] = (128,)
    y: float = 3.0
    noise_var: float = 0.01
    c_w: float = 2.0
    chains: int = 4
    warmup: int = 300
    draws: int = 600
    leapfrog: int = 10

    @classmethod
    def full(cls):
        return cls(widths=(64, 128, 256, 512), warmup=1500, draws=3000)


@functools.lru_cache(maxsize=4)
def _model(y: float, noise_var: float, c_w: float):
    import jax.numpy as jnp

    def logp(f, aux):
        n, mask = aux
        k = c_w * jnp.sum(jnp.maximum(f, 0) ** 2 * mask) / n
        v = k + noise_var
        return -0.5 * jnp.sum(f**2) - n * 0.5 * (jnp.log(2 * jnp.pi * v) + y**2 / v)

    def stats(f, aux):
        n, mask = aux
        pos = (f > 0) * mask
        return (jnp.sum(pos) / n, jnp.sum(f**2 * pos) / n, jnp.sum(f**2 * (mask - pos)) / n,
                jnp.sum(f * mask) / n, jnp.sum(f**2 * mask) / n, jnp.sum(f**3 * mask) / n,
                jnp.sum(f**4 * mask) / n, f[:32])

    return logp, stats


@runner.register("dkm_bnn", paper="dkm", config=Config)
def run(config: Config) -> dict:
    """HMC on a wide one-layer ReLU network (P = 1): the two-piece Gaussian posterior."""
    import jax
    import jax.numpy as jnp

    from sims import nets

    widths, c = np.asarray(config.widths), config.chains
    nmax = int(widths.max())
    with nets.float64():
        n = jnp.asarray(np.repeat(widths, c), jnp.float64)
        mask = (jnp.arange(nmax)[None, :] < n[:, None]).astype(jnp.float64)
        k0, k1 = jax.random.split(jax.random.PRNGKey(config.seed))
        f0 = jax.random.normal(k0, (len(n), nmax), jnp.float64)
        logp, stats = _model(config.y, config.noise_var, config.c_w)
        out, acc, eps = hmc(logp, f0, (n, mask), k1, n_warmup=config.warmup,
                            n_draws=config.draws, n_leapfrog=config.leapfrog, step0=0.2,
                            stats=stats)
    w = len(widths)
    ppos, m2pos, m2neg, m1, m2, m3, m4, fs = (
        np.asarray(a).reshape(a.shape[0], w, c, *a.shape[2:]).swapaxes(0, 1) for a in out)
    ppos_m = ppos.mean((1, 2))
    mean, e2, e3, e4 = (a.mean((1, 2)) for a in (m1, m2, m3, m4))
    var = e2 - mean**2
    skew = (e3 - 3 * mean * e2 + 2 * mean**3) / var**1.5
    kurt = (e4 - 4 * mean * e3 + 6 * mean**2 * e2 - 3 * mean**4) / var**2 - 3
    # standard error of P(f > 0) from the spread of the per-chain averages
    chain_p = ppos.mean(1)                                                    # (W, chains)
    hist = np.stack([np.histogram(fs[i].ravel(), BINS, density=True)[0] for i in range(w)])
    return {"width": widths, "p_positive": ppos_m,
            "p_positive_se": chain_p.std(1, ddof=1) / np.sqrt(c),
            "sd_positive": np.sqrt(m2pos.mean((1, 2)) / ppos_m),
            "sd_negative": np.sqrt(m2neg.mean((1, 2)) / (1 - ppos_m)),
            "mean": mean, "skew": skew, "excess_kurtosis": kurt,
            "accept": acc.reshape(w, c).mean(1), "step": eps.reshape(w, c).mean(1),
            "hist": hist, "bins": np.stack([BINS] * w)}


if __name__ == "__main__":
    runner.main("dkm_bnn")
