"""Largest stable learning rate against width, SP vs muP (TP4 Fig. 2, CPU analogue).

Reference note Sec. 3.15: a 2-hidden-layer relu MLP (d = 8 inputs scaled by 1/sqrt(d), no
biases) trained by full-batch gradient descent on ``1/2 (f - y)^2`` over 16 Gaussian inputs
with labels ``sign(x_1)``, for a fixed number of steps.  A learning rate "diverges" when some
loss along the way exceeds ``10 max(loss_0, 1)`` or is not finite.  The largest stable rate
is located by bisection on ``log2(eta)``.

Theorem 4.1 of the paper: SP (here the PyTorch default, one learning rate for all effective
weights, c = 0) tolerates only ``eta = O(1/n)``; muP's largest rate is width-independent.
The note measured an SP slope of about -1.3 at widths 128..2048 (finite-size bias; -1
asymptotically) and a muP slope of about 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import runner
from theory import mup as M
from theorylab.stats import loglog_slope


@dataclass(frozen=True)
class Config(runner.SimConfig):
    widths: tuple[int, ...] = (128, 512, 1024)
    cases: tuple[str, ...] = ("sp", "mup")
    L: int = 2
    activation: str = "relu"
    d: int = 8
    n_data: int = 16
    steps: int = 15
    bisections: int = 7
    log2_lo: float = -12.0
    log2_hi: float = 4.0
    seeds: int = 1
    blowup: float = 10.0

    @classmethod
    def full(cls):
        return cls(widths=(128, 256, 512, 1024, 2048, 4096), bisections=12, seeds=2)


def _param(case: str, L: int) -> M.Parametrization:
    if case == "sp":
        return M.standard(L, c=0)
    if case == "mup":
        return M.mup(L)
    raise ValueError(f"case must be 'sp' or 'mup', got {case!r}")


def divergence_test(n: int, config: Config):
    """A compiled ``diverged(log2_eta) -> bool array`` for width-n nets of every case/seed.

    ``log2_eta`` and the result have shape (cases, seeds).  float32 networks; all cases and
    seeds are vectorised and share one compiled function.  The inits are drawn once (cases
    share the standard-normal draws, as they differ only in their scalings) and reused at
    every call.
    """
    import jax
    import jax.numpy as jnp
    import optax

    from sims import nets, train

    protos = [nets.abc_mlp(config.d, n, _param(c, config.L), activation=config.activation,
                           input_scale=1.0 / np.sqrt(config.d)) for c in config.cases]
    mult = jnp.array([p.multipliers for p in protos], jnp.float32)
    stds = jnp.array([p.init_stds for p in protos], jnp.float32)
    lrs = jnp.array([p.lr_scales for p in protos], jnp.float32)
    depth = config.L + 1
    rng = np.random.default_rng(config.seed)
    x = rng.normal(size=(config.n_data, config.d)).astype(np.float32)
    y = np.sign(x[:, :1]).astype(np.float32)
    data = (jnp.asarray(x), jnp.asarray(y))
    unit = nets.MLP(protos[0].widths, config.activation, (1.0,) * depth, (1.0,) * depth,
                    (1.0,) * depth)
    keys = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(config.seed), n),
                            config.seeds)
    bases = jax.jit(jax.vmap(unit.init))(keys)

    def one(base, mult_c, std_c, lr_c, log2_eta):
        net = nets.MLP(protos[0].widths, config.activation, tuple(mult_c), tuple(std_c),
                       tuple(lr_c))
        params = [{"w": layer["w"] * std_c[l]} for l, layer in enumerate(base)]
        loss = train.mse(net.apply)
        # train.gd validates lr on the host, so a traced lr goes through train.train
        opt = optax.chain(optax.sgd(2.0 ** log2_eta), train.scale_by_tree(net.lr_tree(params)))
        res = train.train(loss, params, opt, steps=config.steps, data=data)
        losses = jnp.concatenate([res.losses, loss(res.params, data)[None]])
        bound = config.blowup * jnp.maximum(res.losses[0], 1.0)
        return jnp.any(~jnp.isfinite(losses)) | jnp.any(losses > bound)

    per_case = jax.vmap(one, in_axes=(None, 0, 0, 0, 0))  # over cases
    compiled = jax.jit(jax.vmap(per_case, in_axes=(0, None, None, None, 1), out_axes=1))
    return lambda log2_eta: np.asarray(compiled(bases, mult, stds, lrs,
                                                jnp.asarray(log2_eta, jnp.float32)))


def max_lr(n: int, config: Config) -> np.ndarray:
    """Bisected largest stable learning rate of width-n nets, shape (cases, seeds)."""
    diverged = divergence_test(n, config)
    shape = (len(config.cases), config.seeds)
    lo, hi = np.full(shape, config.log2_lo), np.full(shape, config.log2_hi)
    for _ in range(config.bisections):  # sequential by nature; cases and seeds vectorised
        mid = 0.5 * (lo + hi)
        div = diverged(mid)
        hi = np.where(div, mid, hi)
        lo = np.where(div, lo, mid)
    return 2.0 ** lo


@runner.register("mup_maxlr", paper="mup", config=Config, sweep="widths")
def run(config: Config) -> dict:
    """Largest stable learning rate vs width for SP and muP (TP4 Fig. 2 analogue)."""
    if not config.widths or any(int(n) != n or n < 2 for n in config.widths):
        raise ValueError(f"widths must be integers >= 2, got {config.widths}")
    if config.bisections < 1 or config.seeds < 1 or config.steps < 1:
        raise ValueError("bisections, seeds and steps must be >= 1")
    if not config.log2_lo < config.log2_hi:
        raise ValueError(f"need log2_lo < log2_hi, got {config.log2_lo}, {config.log2_hi}")
    for c in config.cases:
        _param(c, config.L)
    out = np.stack([max_lr(n, config) for n in config.widths])
    return {"width": np.array(config.widths), "max_lr": out,
            "cases": np.array([list(config.cases)] * len(config.widths))}


def width_slope(res: dict) -> np.ndarray:
    """Slope of log(max LR) against log(width), per case (geometric mean over seeds)."""
    geo = np.exp(np.mean(np.log(res["max_lr"]), axis=-1))  # (W, cases)
    return np.array([loglog_slope(res["width"], geo[:, c]) for c in range(geo.shape[1])])


if __name__ == "__main__":
    runner.main("mup_maxlr")
