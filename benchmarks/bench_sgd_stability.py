"""Hutchinson (HVP) trace of the Hessian vs the full Hessian's trace, in the same run.

A bias-free two-layer ReLU net (d = 29, m = 100: p = 3000 parameters) on n = 100 sphere
points at a random (non-minimum) theta, loss ``1/2 mean (f - y)^2``.  Contenders, each jitted
and timed with interleaved repeats:

* ``jax.hessian`` (the anchor): the full p x p Hessian (72 MB in float64), then its trace;
* Hutchinson: ``probes`` Rademacher vectors, one forward-over-reverse HVP each;
* per-sample gradients: ``(1/n) sum_i |grad f(x_i)|^2``, which equals the trace exactly for
  this model at every theta (note Sec. 3.4; ``theory.sgd_stability.relu_trace``).

Reported: the time ratios, Hutchinson's relative error against the full trace and that error
in units of its own standard error (should be O(1)).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.common import BLAS_THREADS, blas_description, interleaved
from sims import nets
from theory import sgd_stability as S


def main(n: int = 100, d: int = 29, m: int = 100, probes: int = 100, repeats: int = 3) -> dict:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    X *= np.sqrt(d) / np.linalg.norm(X, axis=1, keepdims=True)
    y = rng.normal(size=n)
    a, W = rng.normal(size=m), rng.normal(size=(m, d)) * d ** -0.25
    with nets.float64():
        Xj, yj = jnp.asarray(X), jnp.asarray(y)
        theta = jnp.concatenate([jnp.asarray(a), jnp.asarray(W).ravel()])
        p = theta.size

        def loss(t):
            return 0.5 * jnp.mean((jax.nn.relu(Xj @ t[m:].reshape(m, d).T) @ t[:m] - yj) ** 2)

        def f_single(t, x):
            return jax.nn.relu(t[m:].reshape(m, d) @ x) @ t[:m]

        full = jax.jit(lambda t: jnp.trace(jax.hessian(loss)(t)))
        grad = jax.grad(loss)

        @jax.jit
        def hutch(t, key):
            v = jax.random.rademacher(key, (probes, p), dtype=t.dtype)
            vals = jax.lax.map(lambda u: u @ jax.jvp(grad, (t,), (u,))[1], v)
            return vals.mean(), vals.std(ddof=1) / jnp.sqrt(probes)

        per_sample = jax.jit(lambda t: jnp.mean(jnp.sum(
            jax.vmap(jax.grad(f_single), in_axes=(None, 0))(t, Xj) ** 2, axis=1)))

        key = jax.random.PRNGKey(1)
        med = interleaved({
            "jax.hessian (full)": lambda: full(theta).block_until_ready(),
            "Hutchinson (HVPs)": lambda: hutch(theta, key)[0].block_until_ready(),
            "per-sample grads": lambda: per_sample(theta).block_until_ready(),
        }, repeats=repeats)
        exact = float(full(theta))
        est, se = (float(v) for v in hutch(theta, key))
        cheap = float(per_sample(theta))
    closed = S.relu_trace(a, W, X)
    ratio = med["jax.hessian (full)"] / med["Hutchinson (HVPs)"]
    rel_err = abs(est - exact) / exact
    print(f"ReLU net d={d}, m={m}: p={p} params, n={n}; {probes} probes; BLAS threads pinned "
          f"to {BLAS_THREADS} ({blas_description()}); JAX devices {jax.devices()}")
    for k, v in med.items():
        print(f"  {k:<22} {1e3 * v:10.1f} ms (median of {repeats})")
    print(f"  time ratio full / Hutchinson = {ratio:.1f}; full / per-sample = "
          f"{med['jax.hessian (full)'] / med['per-sample grads']:.1f}")
    print(f"  trace: full {exact:.6f}, Hutchinson {est:.3f} +- {se:.3f} (rel. error "
          f"{rel_err:.4f}, {abs(est - exact) / se:.2f} SE), per-sample {cheap:.6f}, "
          f"closed form {closed:.6f}")
    return {"ms": {k: 1e3 * v for k, v in med.items()}, "ratio_full_over_hutchinson": ratio,
            "ratio_full_over_per_sample": med["jax.hessian (full)"] / med["per-sample grads"],
            "trace_full": exact, "trace_hutchinson": est, "hutchinson_se": se,
            "hutchinson_rel_error": rel_err, "hutchinson_z": abs(est - exact) / se,
            "per_sample_rel_error": abs(cheap - exact) / exact, "params": p}


if __name__ == "__main__":
    main()
