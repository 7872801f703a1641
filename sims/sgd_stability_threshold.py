"""Validation of the exact mean-square threshold with SGD runs of ``sims.train`` on least squares.

A linear model ``f(x) = x . theta`` with ``y = 0`` (minimum ``theta* = 0``) has
``grad f = x``, so its SGD is *exactly* the linearised SGD of the theory with per-sample
gradients ``g_i = x_i``.  Two instances (papers/sgd_stability.md Sec. 3.2, 6):

* ``orthonormal``: n orthonormal gradients of squared norm s (eta*_MS = 2/s, GD: 2n/s; here
  the almost-sure and mean-square thresholds coincide, so divergence switches on at 1);
* ``gaussian``: n Gaussian gradients with heterogeneous norms (the almost-sure threshold lies
  above the mean-square one: pitfall 6).

Records (1) the fraction of runs with ``|delta_T| > |delta_0|`` over a grid of ``eta / eta*``
for SGD (B = 1) and GD, and (2) the Monte Carlo mean of ``|delta_T|^2`` at
``eta = ms_factor * eta*`` for B = 2 without replacement (where q = (n-B)/(B(n-1)) differs
most from the with-replacement 1/B), with its standard error, beside the deterministic
second-moment recursion started at ``S_0 = I``.  GD's divergence is deterministic and
computed in numpy.  Every SGD call uses the same number of lanes, so each sampling scheme
compiles once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

from sims import nets, runner, train

SCHEMES = ((2, False),)  # the Monte Carlo check: the scheme whose q differs most


@dataclass(frozen=True)
class Config(runner.SimConfig):
    n: int = 8
    s: float = 3.0
    factors: tuple[float, ...] = (0.5, 0.9, 0.98, 1.02, 1.1, 1.5, 2.0, 4.0, 7.9, 8.1)
    steps: int = 200
    runs: int = 4_000  # lanes per call (divergence: runs // len(factors) per factor)
    ms_factor: float = 0.9
    ms_steps: int = 40

    @classmethod
    def full(cls):
        return cls(runs=40_000, steps=1_000,
                   factors=(0.5, 0.8, 0.9, 0.95, 0.98, 1.02, 1.05, 1.1, 1.2, 1.35, 1.5, 2.0,
                            3.0, 4.0, 6.0, 7.9, 8.1))


def instances(config: Config) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([config.seed, 3])
    n = config.n
    Q = np.linalg.qr(rng.normal(size=(n, n)))[0]
    gauss = rng.normal(size=(n, n)) * rng.uniform(0.5, 1.5, size=(n, 1))
    return {"orthonormal": np.sqrt(config.s) * Q.T, "gaussian": gauss}


def _loss(theta, batch):
    x, y = batch
    return 0.5 * jnp.mean((x @ theta - y) ** 2)


@functools.cache
def _runner(steps: int, batch_size: int, replacement: bool):
    """Jitted ``(g, etas (L,), keys (L, 2)) -> (|delta_T|^2, |delta_0|^2)`` over L lanes,
    compiled once per sampling scheme (every call below uses the same lane count)."""

    def one(g, eta, k):
        k0, kb = jax.random.split(k)
        theta0 = jax.random.normal(k0, (g.shape[1],), g.dtype)
        res = train.train(_loss, theta0, optax.sgd(eta), steps=steps,
                          data=(g, jnp.zeros(g.shape[0], g.dtype)), batch_size=batch_size,
                          replacement=replacement, key=kb)
        return jnp.sum(res.params ** 2), jnp.sum(theta0 ** 2)

    return jax.jit(jax.vmap(one, in_axes=(None, 0, 0)))


def final_sq_norms(g, etas, *, steps, batch_size, replacement, key):
    """|delta_T|^2 and |delta_0|^2 of one SGD run per entry of ``etas`` (independent runs,
    ``delta_0 ~ N(0, I)``) through ``sims.train.train``."""
    etas = jnp.asarray(etas, jnp.float64)
    fin, ini = _runner(steps, batch_size, replacement)(
        jnp.asarray(g), etas, jax.random.split(key, etas.size))
    return np.asarray(fin), np.asarray(ini)


def gd_diverges(g, eta, steps):
    """Whether GD ``delta <- (I - eta H) delta`` grows over ``steps`` steps from a generic
    start (deterministic; numpy)."""
    H = g.T @ g / g.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        M = np.linalg.matrix_power(np.eye(H.shape[0]) - eta * H, steps)
        d0 = np.ones(H.shape[0])
        return float(not np.linalg.norm(M @ d0) <= np.linalg.norm(d0))


@runner.register("sgd_stability_threshold", paper="sgd_stability", config=Config)
def run(config: Config) -> dict:
    """Least squares: divergence frequency vs eta/eta*_MS, and MC second moment vs recursion."""
    from theory import sgd_stability as S

    out: dict[str, list] = {}
    key = jax.random.PRNGKey(config.seed)
    lanes = config.runs
    f = np.array(config.factors)
    per = lanes // f.size
    with nets.float64():
        for j, g in enumerate(instances(config).values()):
            eta_ms = S.sgd_ms_threshold(g)
            etas = np.full(lanes, f[-1] * eta_ms)
            etas[:per * f.size] = np.repeat(f * eta_ms, per)
            fin, ini = final_sq_norms(g, etas, steps=config.steps, batch_size=1,
                                      replacement=True, key=jax.random.fold_in(key, j))
            grew = ~(fin <= ini)  # grew, or overflowed to inf / nan
            out.setdefault("div_freq_sgd", []).append(
                grew[:per * f.size].reshape(f.size, per).mean(axis=1))
            out.setdefault("div_freq_gd", []).append(
                [gd_diverges(g, x * eta_ms, config.steps) for x in f])
            out.setdefault("eta_ms", []).append(eta_ms)
            out.setdefault("eta_gd", []).append(S.gd_threshold(g.T @ g / g.shape[0]))
            out.setdefault("eta_trace", []).append(2.0 / S.sharpness(g)["trace"])

            mc, se, pred = [], [], []
            for i, (B, rep) in enumerate(SCHEMES):
                eta = config.ms_factor * S.sgd_ms_threshold(g, batch_size=B, replacement=rep)
                fin, _ = final_sq_norms(g, np.full(lanes, eta), steps=config.ms_steps,
                                        batch_size=B, replacement=rep,
                                        key=jax.random.fold_in(key, 1000 + 10 * j + i))
                mc.append(float(fin.mean()))
                se.append(float(fin.std(ddof=1) / np.sqrt(fin.size)))
                Sm = np.eye(g.shape[1])
                for _ in range(config.ms_steps):
                    Sm = S.second_moment_step(Sm, g, eta, batch_size=B, replacement=rep)
                pred.append(float(np.trace(Sm)))
            out.setdefault("ms_mc", []).append(mc)
            out.setdefault("ms_se", []).append(se)
            out.setdefault("ms_pred", []).append(pred)
    res = {k: np.array(v) for k, v in out.items()}
    res["factors"] = f
    res["schemes_batch"] = np.array([b for b, _ in SCHEMES])
    res["schemes_replacement"] = np.array([r for _, r in SCHEMES])
    return res


if __name__ == "__main__":
    runner.main("sgd_stability_threshold")
