"""Finite-width muP networks against their computed infinite-width limits (TP4 Sec. 6).

Two sims (float64, networks from :func:`sims.nets.abc_mlp` with :func:`theory.mup.mup`,
trained with ``optax.sgd`` + the per-layer rates of :func:`sims.train.scale_by_tree`):

* ``mup_one_hidden``: a 1-hidden-layer muP net with scalar input trained by SGD (batch 1) on
  the sequence ``(xs[t % m], ys[t % m])``; records ``f_t(x_test)``.  Compared with
  :func:`theory.mup.one_hidden_layer_limit` (Thm 6.1), :func:`theory.mup.linear_limit`
  (Cor. 6.2) and :func:`theory.mup.relu_one_step_limit`.
* ``mup_deep``: an L-hidden-layer muP net after one SGD step on a unit input ``xi``, once
  with true backpropagation and once with *decoupled* backpropagation (the backward pass of
  each hidden layer uses an independent copy of ``W``, via a ``custom_vjp``).  Compared with
  :func:`theory.mup.deep_one_step_limit` with and without the correction term.

The finite output is a mean over n iid "particles" plus an ``O(n^{-1/2})`` fluctuation, so the
RMS error over seeds should scale like ``n^{-1/2}``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from sims import runner
from sims.mup_coord import float64_context
from theory import mup as M
from theorylab.stats import loglog_slope


@jax.custom_vjp
def decoupled_matmul(x, w, w_back):
    """``x @ w`` whose backward pass sends ``g @ w_back.T`` to x (w_back gets no gradient).

    With ``w_back`` an independent copy of ``w`` this is the "decoupled backprop" (gradient
    independence) network of the reference note Sec. 3.12; with ``w_back = w`` it is the
    ordinary matmul.
    """
    return x @ w


def _dm_fwd(x, w, w_back):
    return x @ w, (x, w_back)


def _dm_bwd(res, g):
    x, w_back = res
    return g @ w_back.T, x.T @ g, jnp.zeros_like(w_back)


decoupled_matmul.defvjp(_dm_fwd, _dm_bwd)


def _check(widths, seeds, eta):
    if not widths or any(int(n) != n or n < 2 for n in widths):
        raise ValueError(f"widths must be a non-empty tuple of integers >= 2, got {widths}")
    if int(seeds) != seeds or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds}")
    if not (np.isfinite(eta) and eta >= 0):
        raise ValueError(f"eta must be finite and >= 0, got {eta}")


# --------------------------------------------------------------------------- one hidden layer


@dataclass(frozen=True)
class OneHiddenConfig(runner.SimConfig):
    widths: tuple[int, ...] = (256, 2048, 16384)
    seeds: int = 20
    activation: str = "tanh"
    eta: float = 1.0
    steps: int = 5
    xs: tuple[float, ...] = (1.0, -0.7, 1.5, 0.4, -1.2)
    ys: tuple[float, ...] = (1.0, -0.5, 0.8, 0.3, -1.0)
    x_test: float = 0.9

    @classmethod
    def full(cls):
        return cls(widths=(256, 1024, 4096, 16384, 65536, 262144), seeds=50)


def one_hidden_trajectories(n: int, config: OneHiddenConfig) -> np.ndarray:
    """``f_t(x_test)``, t = 0..steps, of width-n muP nets; shape (seeds, steps + 1)."""
    import optax

    from sims import nets, train

    with float64_context():
        net = nets.abc_mlp(1, n, M.mup(1), activation=config.activation)
        m = len(config.xs)
        idx = np.arange(config.steps) % m
        xs = jnp.asarray(np.asarray(config.xs)[idx], jnp.float64).reshape(-1, 1, 1)
        ys = jnp.asarray(np.asarray(config.ys)[idx], jnp.float64).reshape(-1, 1, 1)
        xt = jnp.full((1, 1), config.x_test, jnp.float64)
        loss = train.mse(net.apply)

        def one_seed(key):
            params = net.init(key, jnp.float64)
            opt = optax.chain(optax.sgd(config.eta), train.scale_by_tree(net.lr_tree(params)))

            def step(carry, batch):
                p, state = carry
                grads = jax.grad(loss)(p, batch)
                updates, state = opt.update(grads, state, p)
                p = optax.apply_updates(p, updates)
                return (p, state), net.apply(p, xt)[0, 0]

            _, f = jax.lax.scan(step, (params, opt.init(params)), (xs, ys))
            return jnp.concatenate([net.apply(params, xt)[0], f])

        keys = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(config.seed), n),
                                config.seeds)
        return np.asarray(jax.jit(jax.vmap(one_seed))(keys))


@runner.register("mup_one_hidden", paper="mup", config=OneHiddenConfig, sweep="widths")
def run_one_hidden(config: OneHiddenConfig) -> dict:
    """1-hidden-layer muP nets trained on a sequence, vs width (TP4 Thm 6.1 / Cor 6.2)."""
    _check(config.widths, config.seeds, config.eta)
    M.nonlinearity(config.activation)
    if len(config.xs) != len(config.ys) or not config.xs:
        raise ValueError("xs and ys must be non-empty and of the same length")
    if int(config.steps) != config.steps or config.steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {config.steps}")
    f = np.stack([one_hidden_trajectories(n, config) for n in config.widths])
    limit = M.one_hidden_layer_limit(config.activation, eta=config.eta, steps=config.steps,
                                     xs=config.xs, ys=config.ys, x_test=config.x_test)
    return {"width": np.array(config.widths), "f": f,
            "limit": np.tile(limit, (len(config.widths), 1))}


# --------------------------------------------------------------------------- deep, one step


@dataclass(frozen=True)
class DeepConfig(runner.SimConfig):
    widths: tuple[int, ...] = (128, 256, 512, 1024, 2048)
    seeds: int = 32
    L: int = 2
    activation: str = "tanh"
    eta: float = 1.0
    y: float = 1.0
    d: int = 3
    backprop: str = "true"  # "true", "decoupled" or "both"

    @classmethod
    def full(cls):
        return cls(widths=(256, 512, 1024, 2048, 4096, 8192), seeds=32)


def deep_one_step(n: int, config: DeepConfig) -> dict:
    """``f_0`` and ``f_1`` at xi for width-n muP nets (true and/or decoupled backprop).

    Returns ``f0``, ``f1`` (true backprop), ``f1_decoupled`` and the feature kernel
    ``F0``, ``F1`` = ``|x^L_t(xi)|^2 / n`` before and after the (true) step, each of shape
    (seeds,); the variant not asked for by ``config.backprop`` is NaN.  Initial weights are
    drawn as float32 standard normals and cast to float64 (half the cost of float64 draws;
    the network itself is float64).  The learning rate and target are traced, so runs that
    differ only in eta or y share one compilation.
    """
    with float64_context():
        run = _deep_compiled(n, config.L, config.d, config.activation, config.backprop)
        keys = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(config.seed), n),
                                config.seeds)
        out = run(keys, jnp.float64(config.eta), jnp.float64(config.y))
        shape = (config.seeds,)
        names = ("f0", "f1", "f1_decoupled", "F0", "F1")
        return {k: np.broadcast_to(np.asarray(v), shape).copy()
                for k, v in zip(names, out, strict=True)}


@functools.lru_cache(maxsize=16)
def _deep_compiled(n: int, L: int, d: int, activation: str, backprop: str):
    """The jitted ``run(keys, eta, y)`` of :func:`deep_one_step` for one network shape."""
    import optax

    from sims import nets, train

    net = nets.abc_mlp(d, n, M.mup(L), activation=activation)
    phi = nets.activation_fn(activation)
    x = jnp.ones((1, d), jnp.float64) / np.sqrt(d)

    def apply_decoupled(params, w_back, inp):
        """Same forward pass as ``net.apply``; hidden layers backprop through w_back."""
        h = inp
        for l, layer in enumerate(params):
            if 0 < l < L:
                z = net.multipliers[l] * decoupled_matmul(h, layer["w"], w_back[l - 1])
            else:
                z = net.multipliers[l] * (h @ layer["w"])
            h = phi(z) if l < L else z
        return h

    def one_seed(key, eta, y):
        data = (x, jnp.reshape(y, (1, 1)))
        k_init, k_back = jax.random.split(key)
        params = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64),
                                        net.init(k_init, jnp.float32))
        opt = optax.chain(optax.sgd(eta), train.scale_by_tree(net.lr_tree(params)))
        pre0, acts0 = net.forward(params, x)
        f0 = pre0[-1][0, 0]
        F0 = jnp.mean(acts0[-1] ** 2)
        f1 = F1 = jnp.nan
        if backprop in ("true", "both"):
            true = train.train(train.mse(net.apply), params, opt, steps=1, data=data)
            pre1, acts1 = net.forward(true.params, x)
            f1, F1 = pre1[-1][0, 0], jnp.mean(acts1[-1] ** 2)
        if backprop == "true":
            return f0, f1, jnp.nan, F0, F1
        bk = jax.random.split(k_back, L - 1)
        w_back = [net.init_stds[l + 1]
                  * jax.random.normal(bk[l], (n, n), jnp.float32).astype(jnp.float64)
                  for l in range(L - 1)]
        loss_dec = lambda p, batch: 0.5 * jnp.mean(  # noqa: E731
            (apply_decoupled(p, w_back, batch[0]) - batch[1]) ** 2)
        dec = train.train(loss_dec, params, opt, steps=1, data=data)
        return f0, f1, net.apply(dec.params, x)[0, 0], F0, F1

    return jax.jit(lambda keys, eta, y: jax.lax.map(lambda k: one_seed(k, eta, y), keys))


@runner.register("mup_deep", paper="mup", config=DeepConfig, sweep="widths")
def run_deep(config: DeepConfig) -> dict:
    """L-hidden-layer muP nets after one step, true vs decoupled backprop (TP4 Sec. 6.2-7)."""
    _check(config.widths, config.seeds, config.eta)
    M.nonlinearity(config.activation)
    if int(config.L) != config.L or config.L < 1:
        raise ValueError(f"L must be an integer >= 1, got {config.L}")
    if config.backprop not in ("true", "decoupled", "both"):
        raise ValueError(f"backprop must be 'true', 'decoupled' or 'both', got "
                         f"{config.backprop!r}")
    parts = [deep_one_step(n, config) for n in config.widths]
    out = {k: np.stack([p[k] for p in parts]) for k in parts[0]}
    out["width"] = np.array(config.widths)
    # the limit is computed for a unit input, which is what the sim trains on
    kw = dict(eta=config.eta, y=config.y)
    lim = M.deep_one_step_limit(config.activation, config.L, **kw).f1
    dec = M.deep_one_step_limit(config.activation, config.L, decoupled=True, **kw).f1
    out["limit_f1"] = np.full(len(config.widths), lim)
    out["limit_f1_decoupled"] = np.full(len(config.widths), dec)
    return out


def approach(width, values, target) -> dict:
    """Do finite-width values approach ``target`` at the n^-1/2 rate?  Two widths.

    Parameters
    ----------
    width : array_like, shape (W,)
        Widths; the first and the last are compared (n1 < n2).
    values : array_like, shape (W, seeds, ...)
        Per-seed finite-width values (trailing axes: several quantities at once).
    target : float or array_like
        The claimed infinite-width limit (broadcast against the trailing axes).

    Returns
    -------
    dict
        ``rms`` (2, ...): RMS deviation from target at n1, n2; ``ratio``:
        ``sqrt(n2/n1) rms2/rms1``, which is 1 when the deviation is an O(n^-1/2) fluctuation
        around the true limit and grows when the limit is wrong (then rms2 stalls at the
        error); ``z_ratio``: ``log(ratio)`` over its Monte Carlo standard error (delta
        method: the relative SE of an RMS over S seeds is ``sd(e^2) / (2 sqrt(S) mean(e^2))``);
        ``z_mean``: the seed mean of the deviation at n2 over its standard error;
        ``mean``, ``se`` (at n2).  A finite-size bias at n1 (O(1/n)) only lowers the ratio,
        so ``z_ratio`` is read one-sided.
    """
    width = np.asarray(width)
    v = np.asarray(values, float)
    if v.ndim < 2 or v.shape[0] != width.size or width.size < 2 or v.shape[1] < 3:
        raise ValueError(f"values must have shape (widths, seeds >= 3, ...) with {width.size} "
                         f">= 2 widths, got {v.shape}")
    e = v[[0, -1]] - np.asarray(target, float)  # (2, S, ...)
    S = e.shape[1]
    e2 = e ** 2
    ms = e2.mean(axis=1)
    rel = e2.std(axis=1, ddof=1) / (2 * np.sqrt(S) * ms)
    n1, n2 = float(width[0]), float(width[-1])
    ratio = np.sqrt(n2 / n1) * np.sqrt(ms[1] / ms[0])
    mean = e[1].mean(axis=0)
    se = e[1].std(axis=0, ddof=1) / np.sqrt(S)
    return {"rms": np.sqrt(ms), "ratio": ratio,
            "z_ratio": np.log(ratio) / np.sqrt(rel[0] ** 2 + rel[1] ** 2),
            "z_mean": mean / se, "mean": mean, "se": se, "widths": (int(n1), int(n2))}


def rms_error_slope(width, values, target) -> tuple[float, np.ndarray]:
    """RMS error over seeds at each width and the slope of log RMS against log width."""
    rms = np.sqrt(np.mean((np.asarray(values) - target) ** 2, axis=-1))
    return loglog_slope(width, rms), rms


if __name__ == "__main__":
    runner.main("mup_deep")
