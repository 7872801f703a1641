"""Shared pieces of the DKM sims: the TOY8 data set and a vectorised HMC sampler.

HMC (identity mass matrix, a fixed number of leapfrog steps, the step size jittered by
+-20 % per iteration) runs all chains at once with ``jax.vmap`` inside one ``lax.scan``.
During warm-up each chain's log step size follows a Robbins-Monro recursion towards an
acceptance rate of ``target``; the sampling step is the mean of the log step sizes over the
second half of the warm-up.  Statistics of the draws are accumulated inside the scan by a
user ``stats`` function, so memory does not grow with the number of draws.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SE, ARC = "squared_exponential", "relu_arccos"


def toy8() -> tuple[np.ndarray, np.ndarray]:
    """TOY8 of the note (Sec. 3): x = linspace(-2, 2, 8), X = [x, 1], y = sin 2x + 0.1 eps."""
    x = np.linspace(-2, 2, 8)
    y = np.sin(2 * x)[:, None] + 0.1 * np.random.default_rng(0).standard_normal((8, 1))
    return np.stack([x, np.ones(8)], 1), y


def hmc(logp: Callable, z0, aux, key, *, n_warmup: int, n_draws: int, n_leapfrog: int = 10,
        step0: float = 0.1, target: float = 0.8, stats: Callable | None = None,
        thin: int = 1):
    """Run HMC on every chain of ``z0`` (shape (chains, ...)) at once.

    Parameters
    ----------
    logp : (z, aux) -> scalar log density of one chain's state; ``aux`` holds per-chain
        constants (e.g. the width), so chains of different targets share one compilation.
    z0 : array (chains, ...), starting states.
    aux : pytree with a leading axis over chains.
    key : jax PRNG key.
    n_warmup, n_draws : iterations of adaptation and of sampling.
    stats : (z, aux) -> pytree, evaluated on one chain's state after each kept draw; the
        returned arrays are stacked as (kept draws, chains, ...).  Default: the state.
    thin : keep every ``thin``-th draw for ``stats``.

    Returns
    -------
    (stacked stats, acceptance rate per chain, step size per chain)
    """
    from theory._blas import one_blas_thread

    stats = stats or (lambda z, a: z)
    with one_blas_thread():
            return _hmc_jit(logp, stats, z0, aux, key, n_warmup, n_draws, n_leapfrog,
                        float(step0), float(target), thin)


def _hmc_impl(logp, stats, z0, aux, key, n_warmup, n_draws, n_leapfrog, step0, target, thin):
    """One scan over warm-up and sampling; the state carries log p and its gradient so the
    compiled graph holds a single value_and_grad (compilation dominates these small runs)."""
    import jax
    import jax.numpy as jnp

    vg = jax.value_and_grad(logp)

    def step(state, a, key, eps):
        z, lp, g = state
        k1, k2, k3 = jax.random.split(key, 3)
        p = jax.random.normal(k1, z.shape, z.dtype)
        e = eps * jax.random.uniform(k3, (), z.dtype, 0.8, 1.2)

        def body(i, c):
            zz, pp, _, gg = c
            pp = pp + 0.5 * e * gg
            zz = zz + e * pp
            ll, gg = vg(zz, a)
            return zz, pp + 0.5 * e * gg, ll, gg

        zn, pn, lpn, gn = jax.lax.fori_loop(0, n_leapfrog, body, (z, p, lp, g))
        h0 = -lp + 0.5 * jnp.sum(p**2)
        h1 = -lpn + 0.5 * jnp.sum(pn**2)
        acc = jnp.minimum(1.0, jnp.exp(jnp.where(jnp.isfinite(h1), h0 - h1, -jnp.inf)))
        take = jax.random.uniform(k2, (), z.dtype) < acc
        new = tuple(jnp.where(take, u, v) for u, v in ((zn, z), (lpn, lp), (gn, g)))
        return new, acc

    vstep = jax.vmap(step)
    chains = z0.shape[0]
    half = n_warmup // 2

    def body(carry, t):
        state, log_eps, key, log_sum = carry
        key, sub = jax.random.split(key)
        warm = t < n_warmup
        eps = jnp.where(warm, jnp.exp(log_eps), jnp.exp(log_sum / max(n_warmup - half, 1)))
        state, acc = vstep(state, aux, jax.random.split(sub, chains), eps)
        log_eps = jnp.where(warm, log_eps + (acc - target) / (t + 10.0) ** 0.6, log_eps)
        log_sum = log_sum + jnp.where(warm & (t >= half), log_eps, 0.0)
        return (state, log_eps, key, log_sum), (jax.vmap(stats)(state[0], aux), acc)

    lp0, g0 = jax.vmap(vg)(z0, aux)
    init = ((z0, lp0, g0), jnp.full(chains, jnp.log(step0), z0.dtype), key,
            jnp.zeros(chains, z0.dtype))
    (_, _, _, log_sum), (out, acc) = jax.lax.scan(
        body, init, jnp.arange(n_warmup + n_draws))
    keep = np.arange(n_warmup, n_warmup + n_draws)[thin - 1::thin]
    out = jax.tree_util.tree_map(lambda a: a[keep], out)
    return out, acc[n_warmup:].mean(0), jnp.exp(log_sum / max(n_warmup - half, 1))


_JIT: dict = {}


def _hmc_jit(logp, stats, z0, aux, key, *args):
    """One compiled sampler per (logp, stats) pair, shapes and settings (cached)."""
    import jax

    fn = _JIT.get((logp, stats))
    if fn is None:
        fn = jax.jit(lambda *a: _hmc_impl(logp, stats, *a),
                     static_argnums=(3, 4, 5, 6, 7, 8))
        _JIT[(logp, stats)] = fn
    out, acc, eps = fn(z0, aux, key, *args)
    return out, np.asarray(acc), np.asarray(eps)
