"""SGD (B = 1) vs GD on a bias-free two-layer ReLU net over a learning-rate sweep.

Protocol of papers/sgd_stability.md Sec. 3.7 (a small analogue of the paper's Fig. ReLU-LR):
inputs on the sphere of radius sqrt(d), teacher ``f*(x) = sum_{i<=k} relu(v_i . x)``, student
``f(x) = sum_j a_j relu(w_j . x)`` (``sims.nets.MLP``, no bias, no 1/m), "large" init
``a ~ N(0, 1)``, ``w ~ N(0, I / sqrt(d))``, loss ``1/2 mean (f - y)^2`` (``sims.train.mse``),
linear learning-rate warm-up, then a fixed number of steps (``sims.train.train``: one
``lax.scan``, vmapped over learning rates), then the endpoint is perturbed and trained on at
the final learning rate, so that a run stuck at an unstable minimum leaves it (note
Errata 3).  At the end: the training loss (and its maximum over the last fifth of the run-on),
exact
``tr H``, ``lambda_max(H)``, ``||H||_F`` from the per-sample gradients, a Hutchinson estimate of
``tr H`` from Hessian-vector products of the loss, the generalised sharpness
``lambda_max(C^+ D)`` (B = 1), the path norm and the test MSE on fresh points.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from sims import nets, runner, train


@dataclass(frozen=True)
class Config(runner.SimConfig):
    n: int = 40
    d: int = 10
    m: int = 40
    k: int = 3
    sgd_lrs: tuple[float, ...] = (0.01, 0.02, 0.03)
    gd_lrs: tuple[float, ...] = (0.01, 0.2)
    steps: int = 15_000
    warmup: int = 5_000
    confirm_steps: int = 5_000
    confirm_noise: float = 1e-4
    init_seeds: tuple[int, ...] = (1,)
    n_test: int = 2_000
    probes: int = 100  # Rademacher probes of the Hutchinson trace estimate

    @classmethod
    def full(cls):
        """The note's CPU analogue (n = 100, d = 20, m = 100), 3 init seeds, 100k steps."""
        return cls(n=100, d=20, m=100, steps=100_000, confirm_steps=20_000,
                   init_seeds=(1, 10, 11), sgd_lrs=(0.002, 0.005, 0.01, 0.02, 0.03),
                   gd_lrs=(0.01, 0.05, 0.08, 0.12, 0.2), probes=200)


def make_data(config: Config):
    """Training set, test set and teacher directions, all from ``config.seed``."""
    rng = np.random.default_rng([config.seed, 7])
    V = rng.normal(size=(config.k, config.d))
    V /= np.linalg.norm(V, axis=1, keepdims=True)

    def sphere(count):
        z = rng.normal(size=(count, config.d))
        return np.sqrt(config.d) * z / np.linalg.norm(z, axis=1, keepdims=True)

    X, Xt = sphere(config.n), sphere(config.n_test)
    return X, np.maximum(X @ V.T, 0).sum(1), Xt, np.maximum(Xt @ V.T, 0).sum(1)


def network(config: Config) -> nets.MLP:
    return nets.MLP((config.d, config.m, 1), "relu", multipliers=(1.0, 1.0),
                    init_stds=(config.d ** -0.25, 1.0), lr_scales=(1.0, 1.0), beta=None)


def warmup_sgd(lr, warmup: int) -> optax.GradientTransformation:
    """``optax.sgd`` with a linear warm-up ``lr * min(1, (t + 1) / warmup)`` (lr may be traced)."""
    return optax.sgd(lambda t: lr * jnp.minimum(1.0, (t + 1.0) / warmup))


def hutchinson_traces(loss, P, key, probes: int):
    """Hutchinson estimates of ``tr(nabla^2 loss)`` for a batch of parameter pytrees ``P``
    (leading axis: lanes): mean and standard error of ``v^T (nabla^2 loss) v`` over
    ``probes`` Rademacher vectors v, from Hessian-vector products (forward over reverse)."""

    def one(p, k):
        flat, unravel = ravel_pytree(p)
        grad = jax.grad(lambda f: loss(unravel(f)))
        v = jax.random.rademacher(k, (probes, flat.size), dtype=flat.dtype)
        vals = jax.vmap(lambda u: u @ jax.jvp(grad, (flat,), (u,))[1])(v)
        return vals.mean(), vals.std(ddof=1) / jnp.sqrt(probes)

    lanes = jax.tree_util.tree_leaves(P)[0].shape[0]
    mean, se = jax.jit(jax.vmap(one))(P, jax.random.split(key, lanes))
    return np.asarray(mean), np.asarray(se)


def train_many(loss, P0, data, lrs, *, steps, warmup, batch_size, key, confirm_steps,
               confirm_noise):
    """Train one net per lane (vmapped over the leading axis of ``P0`` and ``lrs``) with a
    linear warm-up, then perturb the endpoint by ``confirm_noise`` (absolute, per coordinate)
    and train ``confirm_steps`` more steps at the final learning rate (note Errata 3: a run
    sitting at an unstable minimum leaves it).  Returns the final params and the loss curve of
    the second run, both with a leading lane axis."""

    def one(p0, lr, k):
        k_batch, k_noise, k_batch2 = jax.random.split(k, 3)
        res = train.train(loss, p0, warmup_sgd(lr, warmup), steps=steps, data=data,
                          batch_size=batch_size, key=k_batch)
        flat, unravel = ravel_pytree(res.params)
        noisy = unravel(flat + confirm_noise * jax.random.normal(k_noise, flat.shape,
                                                                 flat.dtype))
        res = train.train(loss, noisy, optax.sgd(lr), steps=confirm_steps, data=data,
                          batch_size=batch_size, key=k_batch2)
        return res.params, res.losses

    lrs = jnp.asarray(lrs, jnp.float64)
    P, losses = jax.jit(jax.vmap(one))(P0, lrs, jax.random.split(key, lrs.size))
    return P, np.asarray(losses)


def tile(p, lanes: int):
    """The pytree ``p`` repeated along a new leading axis of length ``lanes``."""
    return jax.tree_util.tree_map(lambda a: jnp.broadcast_to(a, (lanes, *a.shape)), p)


def lane(P, i: int):
    return jax.tree_util.tree_map(lambda a: a[i], P)


def concat(*Ps):
    return jax.tree_util.tree_map(lambda *a: jnp.concatenate(a), *Ps)


def summarise(G, S):
    """Sharpness measures and the B = 1 generalised sharpness of per-sample gradients G."""
    if not (np.all(np.isfinite(G)) and np.any(G)):
        return {"trace": np.nan, "lambda_max": np.nan, "frobenius": np.nan,
                "gen_sharpness": np.nan}
    return {**S.sharpness(G), "gen_sharpness": S.generalized_sharpness(G)}


@runner.register("sgd_stability_relu", paper="sgd_stability", config=Config, sweep="init_seeds")
def run(config: Config) -> dict:
    """Two-layer ReLU net: SGD (B = 1) and GD over a LR sweep; trace, lambda_max, gen. sharpness."""
    from theory import sgd_stability as S

    X, y, Xt, yt = make_data(config)
    net = network(config)
    loss = train.mse(net.apply)
    out: dict[str, list] = {}
    with nets.float64():
        data = (jnp.asarray(X), jnp.asarray(y[:, None]))

        def loss_full(p):
            return loss(p, data)

        for seed in config.init_seeds:
            key = jax.random.PRNGKey(seed)
            p0 = net.init(key, jnp.float64)  # same init for every learning rate and both algs
            runs = {}
            for alg, lrs, bs in (("sgd", config.sgd_lrs, 1), ("gd", config.gd_lrs, None)):
                runs[alg] = train_many(loss, tile(p0, len(lrs)), data, lrs,
                                       steps=config.steps, warmup=config.warmup,
                                       batch_size=bs, key=jax.random.fold_in(key, 1),
                                       confirm_steps=config.confirm_steps,
                                       confirm_noise=config.confirm_noise)
            hm, hse = hutchinson_traces(loss_full, concat(runs["sgd"][0], runs["gd"][0]),
                                        jax.random.fold_in(key, 2), config.probes)
            n_sgd = len(config.sgd_lrs)
            for alg, lrs in (("sgd", config.sgd_lrs), ("gd", config.gd_lrs)):
                P, losses = runs[alg]
                tail = max(1, losses.shape[1] // 5)
                rows: dict[str, list] = {}
                for i in range(len(lrs)):
                    p = lane(P, i)
                    a, W = np.asarray(p[1]["w"])[:, 0], np.asarray(p[0]["w"]).T
                    vals = summarise(S.relu_per_sample_grads(a, W, X), S)
                    vals.update(loss=float(loss_full(p)),
                                loss_tail_max=float(np.max(losses[i, -tail:])),
                                path_norm=S.path_norm(a, W),
                                test_mse=float(np.mean((np.maximum(Xt @ W.T, 0) @ a - yt) ** 2)))
                    j = i if alg == "sgd" else n_sgd + i
                    vals.update(trace_hutch=float(hm[j]), trace_hutch_se=float(hse[j]))
                    for k, v in vals.items():
                        rows.setdefault(k, []).append(v)
                for k, v in rows.items():
                    out.setdefault(f"{alg}_{k}", []).append(np.array(v))
                out.setdefault(f"{alg}_lr", []).append(np.array(lrs))
            a0, W0 = np.asarray(p0[1]["w"])[:, 0], np.asarray(p0[0]["w"]).T
            out.setdefault("init_trace", []).append(S.relu_trace(a0, W0, X))
            out.setdefault("init_path_norm", []).append(S.path_norm(a0, W0))
    res = {k: np.array(v) for k, v in out.items()}
    res["null_test_mse"] = np.full(len(config.init_seeds), float(np.var(yt)))
    return res


if __name__ == "__main__":
    runner.main("sgd_stability_relu")
