"""Coordinate checks and kernel-regime dynamics of abc-parametrized MLPs (Tensor Programs IV).

Every network is built by :func:`sims.nets.abc_mlp` from a :class:`theory.mup.Parametrization`
and trained by SGD on a single input ``xi = (1, 1, 1)/sqrt(3)`` (``||xi|| = 1``, so
``h^1 ~ N(0, 1)``) with target y and loss ``1/2 (f - y)^2``, using the optimizer of
:mod:`sims.train` (``optax.sgd`` chained with the per-layer learning rates ``n^{-c_l}``).
After each step the network is evaluated at the same input (reference note Sec. 3.7:
measuring at the training input avoids a tiny leading term).

Recorded per (width, case, seed, step): ``rms(h^l_t - h^l_0)`` for l = 1..L, the output
``f_t`` (t = 0..T) and the feature kernel ``F_t = |x^L_t|^2 / n``.  Two sims use this:

* ``mup_coord``: the coordinate check (reference note Sec. 3.7, paper checks 4-6, 13): the
  log-log slopes of these sizes against width, per layer and parametrization.
* ``mup_kernel``: repeated steps in the kernel regime (NTP, SP with c = 1), where
  ``(f_t - y)/(f_0 - y) = (1 - eta K)^t`` (Thm 3.8, paper check 7).

All computations are float64.  The parametrizations differ only in scalar multipliers, so
each width compiles once; the seeds and cases run inside one ``lax.map``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from sims import runner
from theory import mup as M
from theorylab.stats import loglog_slopes

HALF = M.HALF


def float64_context():
    """A context manager enabling float64 in JAX (see :func:`sims.nets.float64`)."""
    from sims import nets

    return nets.float64()


def case_parametrization(case: str, L: int) -> M.Parametrization:
    """The abc-parametrization of a coordinate-check case.

    ``sp_c1`` (SP, LR eta/n, Table 1's "SP"), ``ntk`` (NTP), ``mup``, ``mup_sp_input`` (muP
    without the first-layer fix), ``sp_sqrt`` (SP, LR eta/sqrt(n)), ``sp_c0`` (SP, LR eta:
    PyTorch default, unstable), ``mup_slow`` (muP with c = 1/2, i.e. LR eta/sqrt(n): stable
    but trivial, Thm 3.4, every update and the output change vanish like n^-1/2).
    """
    table = {
        "sp_c1": lambda: M.standard(L, c=1),
        "ntk": lambda: M.ntk(L),
        "mup": lambda: M.mup(L),
        "mup_sp_input": lambda: M.mup_sp_input(L),
        "sp_sqrt": lambda: M.standard(L, c=HALF),
        "sp_c0": lambda: M.standard(L, c=0),
        "mup_slow": lambda: M.Parametrization(M.mup(L).a, M.mup(L).b, HALF, "mup_slow"),
    }
    if case not in table:
        raise ValueError(f"case must be one of {sorted(table)}, got {case!r}")
    return table[case]()


CASES = ("sp_c1", "ntk", "mup", "mup_sp_input", "sp_sqrt", "sp_c0", "mup_slow")


def _check_common(widths, seeds, steps, L, eta):
    if not widths or any(int(n) != n or n < 2 for n in widths):
        raise ValueError(f"widths must be a non-empty tuple of integers >= 2, got {widths}")
    if int(seeds) != seeds or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds}")
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps}")
    if int(L) != L or L < 1:
        raise ValueError(f"L must be an integer >= 1, got {L}")
    if not all(np.isfinite(e) and e >= 0 for e in eta):
        raise ValueError(f"eta must be finite and >= 0, got {eta}")


def train_on_one_input(n: int, cases, etas, *, L: int, activation: str, steps: int,
                       seeds: int, seed: int, d: int = 3, y: float = 1.0) -> dict:
    """Train width-n nets of every case for ``steps`` SGD steps on one input; all seeds.

    ``cases`` holds case names (see :func:`case_parametrization`) or
    :class:`theory.mup.Parametrization` objects with L hidden layers.

    Returns arrays ``dh`` (cases, seeds, steps, L), ``f`` (cases, seeds, steps + 1) and
    ``F`` (cases, seeds, steps + 1).  Seed s of every case starts from the same standard
    normal draws (the cases differ only in their scalings), keyed by ``(seed, n, s)``.
    """
    import jax
    import jax.numpy as jnp

    from sims import nets

    with float64_context():
        ps = [c if isinstance(c, M.Parametrization) else case_parametrization(c, L)
              for c in cases]
        proto = [nets.abc_mlp(d, n, p, activation=activation) for p in ps]
        mult = jnp.array([net.multipliers for net in proto])
        stds = jnp.array([net.init_stds for net in proto])
        lrs = jnp.array([net.lr_scales for net in proto])
        eta_arr = jnp.asarray(etas, dtype=jnp.float64)
        run_all = _compiled(proto[0].widths, activation, steps)
        root = jax.random.fold_in(jax.random.PRNGKey(seed), n)
        keys = jax.random.split(root, seeds)
        dh, f, F = run_all(keys, mult, stds, lrs, eta_arr, jnp.float64(y))  # (seeds, cases, .)
        swap = lambda a: np.swapaxes(np.asarray(a), 0, 1)
        return {"dh": swap(dh), "f": swap(f), "F": swap(F)}


@functools.lru_cache(maxsize=16)
def _compiled(widths: tuple, activation: str, steps: int):
    """The jitted ``run_all(keys, mult, stds, lrs, etas, y)`` for one network shape.

    The scalings, learning rates and target are traced arguments, so every case and every
    call at the same width reuses one compilation.
    """
    import jax
    import jax.numpy as jnp
    import optax

    from sims import nets, train

    depth = len(widths) - 1
    L = depth - 1
    d = widths[0]
    unit = nets.MLP(widths, activation, (1.0,) * depth, (1.0,) * depth, (1.0,) * depth)

    def one_case(base, y, mult_c, std_c, lr_c, eta_c):
        x = jnp.ones((1, d), jnp.float64) / np.sqrt(d)
        data = (x, jnp.reshape(y, (1, 1)))
        net = nets.MLP(widths, activation, tuple(mult_c), tuple(std_c), tuple(lr_c))
        params = [{"w": layer["w"] * std_c[l]} for l, layer in enumerate(base)]
        pre0, acts0 = net.forward(params, x)

        def record(p):
            pre, acts = net.forward(p, x)
            dh = jnp.stack([jnp.sqrt(jnp.mean((pre[l] - pre0[l]) ** 2)) for l in range(L)])
            return dh, pre[-1][0, 0], jnp.mean(acts[-1] ** 2)

        opt = optax.chain(optax.sgd(eta_c), train.scale_by_tree(net.lr_tree(params)))
        res = train.train(train.mse(net.apply), params, opt, steps=steps, data=data,
                          record=record)
        dh, f, F = res.records
        f = jnp.concatenate([pre0[-1][0], f])
        F = jnp.concatenate([jnp.mean(acts0[-1] ** 2)[None], F])
        return dh, f, F

    @jax.jit
    def run_all(keys, mult, stds, lrs, etas, y):
        def per_seed(key):
            # float32 standard normals cast to float64: half the cost of float64 draws
            base = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64),
                                          unit.init(key, jnp.float32))
            return jax.lax.map(lambda a: one_case(base, y, *a), (mult, stds, lrs, etas))

        return jax.lax.map(per_seed, keys)

    return run_all


# --------------------------------------------------------------------------- coordinate check


@dataclass(frozen=True)
class CoordConfig(runner.SimConfig):
    widths: tuple[int, ...] = (128, 256, 512, 1024, 2048)
    cases: tuple[str, ...] = CASES
    L: int = 2
    activation: str = "tanh"
    eta: float = 1.0
    steps: int = 3
    seeds: int = 8
    y: float = 1.0

    @classmethod
    def full(cls):
        return cls(widths=(128, 256, 512, 1024, 2048, 4096, 8192, 16384), seeds=16)


@runner.register("mup_coord", paper="mup", config=CoordConfig, sweep="widths")
def run_coord(config: CoordConfig) -> dict:
    """Coordinate check: update sizes vs width for SP/NTP/muP (TP4 Sec. 3-5, note Sec. 3.7)."""
    _check_common(config.widths, config.seeds, config.steps, config.L, (config.eta,))
    for c in config.cases:
        case_parametrization(c, config.L)
    parts = [train_on_one_input(n, config.cases, (config.eta,) * len(config.cases),
                                L=config.L, activation=config.activation, steps=config.steps,
                                seeds=config.seeds, seed=config.seed, y=config.y)
             for n in config.widths]
    out = {k: np.stack([p[k] for p in parts]) for k in parts[0]}
    out["width"] = np.array(config.widths)
    out["cases"] = np.array([list(config.cases)] * len(config.widths))
    out["y"] = np.full(len(config.widths), float(config.y))  # the target, one per width
    return out


def fitted_slopes(width, values) -> np.ndarray:
    """Least-squares slope of log(mean over the seed axis) against log(width).

    ``values`` has shape (widths, ..., seeds); returns shape (...): the shared
    :func:`theorylab.stats.loglog_slopes`, vectorised over the trailing axes (the bootstrap of
    :func:`coord_slopes` fits 400 resampled curves in one call).
    """
    return loglog_slopes(width, np.mean(np.abs(values), axis=-1))


def coord_slopes(res: dict, t: int = 1, normalize: bool = True) -> dict:
    """Slopes of ``rms(Delta h^l_t)`` (per layer) and ``|Delta f_t|`` against width.

    With ``normalize`` the sizes are divided by ``|chi_0| = |f_0 - y|`` seed by seed, which
    removes the random Theta(1) f_0 of SP/NTP (note Sec. 7).  Returns ``dh`` (cases, L) and
    ``df`` (cases,), with standard errors from a bootstrap over seeds (``dh_se``, ``df_se``).
    """
    f, dh = res["f"], res["dh"]  # (W, P, S, T+1), (W, P, S, T, L)
    if "y" not in res:
        raise ValueError("res must hold the training target 'y' (one per width), as "
                         "run_coord and run_kernel store it")
    y = np.asarray(res["y"], float).reshape(-1, 1, 1)
    chi0 = np.abs(f[..., 0] - y) if normalize else np.ones(f.shape[:-1])
    sizes_h = np.moveaxis(dh[..., t - 1, :] / chi0[..., None], 2, -1)  # (W, P, L, S)
    sizes_f = np.abs(f[..., t] - f[..., 0]) / chi0  # (W, P, S)
    out = {"dh": fitted_slopes(res["width"], sizes_h), "df": fitted_slopes(res["width"], sizes_f)}
    rng = np.random.default_rng(0)
    S = f.shape[2]
    boots_h, boots_f = [], []
    for _ in range(200):  # bootstrap over seeds (resampling the seed axis)
        idx = rng.integers(0, S, S)
        boots_h.append(fitted_slopes(res["width"], sizes_h[..., idx]))
        boots_f.append(fitted_slopes(res["width"], sizes_f[..., idx]))
    out["dh_se"] = np.std(boots_h, axis=0)
    out["df_se"] = np.std(boots_f, axis=0)
    return out


# --------------------------------------------------------------------------- kernel regime


@dataclass(frozen=True)
class KernelConfig(runner.SimConfig):
    widths: tuple[int, ...] = (2048,)
    cases: tuple[str, ...] = ("ntk", "sp_c1")
    etas: tuple[float, ...] = (0.5, 1.0)
    L: int = 2
    activation: str = "tanh"
    steps: int = 3
    seeds: int = 8
    y: float = 1.0

    @classmethod
    def full(cls):
        return cls(widths=(2048, 8192), seeds=16, steps=5)


@runner.register("mup_kernel", paper="mup", config=KernelConfig, sweep="widths")
def run_kernel(config: KernelConfig) -> dict:
    """Kernel regime: repeated SGD on one input, (f_t - y)/(f_0 - y) (TP4 Thm 3.8)."""
    _check_common(config.widths, config.seeds, config.steps, config.L, config.etas)
    if len(config.etas) != len(config.cases):
        raise ValueError(f"etas must have one entry per case ({len(config.cases)}), got "
                         f"{len(config.etas)}")
    parts = [train_on_one_input(n, config.cases, config.etas, L=config.L,
                                activation=config.activation, steps=config.steps,
                                seeds=config.seeds, seed=config.seed, y=config.y)
             for n in config.widths]
    f = np.stack([p["f"] for p in parts])  # (W, P, S, T+1)
    return {"width": np.array(config.widths), "f": f,
            "ratio": (f - config.y) / (f[..., :1] - config.y),
            "y": np.full(len(config.widths), float(config.y))}


if __name__ == "__main__":
    runner.main("mup_coord")
