"""Function-space dynamics of finite nets vs kernel gradient descent (Jacot et al. 2018,
Sections 3 and 5; reference note 3.3 "function trajectories").

Depth-4 ReLU nets (beta = 0.1) trained by full-batch GD (lr 1.0, T steps) on 16 equispaced
points of the unit circle with target 0.5 sin(2 gamma).  The change of the network function
on 16 test points (the circle shifted by half a grid step), ``f_T - f_0``, is compared with
two kernel predictions from the same f_0 (``theory.ntk.gradient_flow_mse``): the linearized
network (empirical NTK at init) and the infinite-width limit (Theta_inf).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from sims import nets, runner, train
from sims.ntk_common import circle, gd_steps, ntk_net, ntk_of, seed_params
from theory import ntk as T


@dataclass(frozen=True)
class Config(runner.SimConfig):
    widths: tuple[int, ...] = (64, 256)
    seeds: int = 4
    steps: int = 200
    lr: float = 1.0
    points: int = 16
    depth: int = 4
    beta: float = 0.1

    @classmethod
    def full(cls):
        return cls(widths=(64, 128, 512, 2048, 8192), seeds=5)


@partial(jax.jit, static_argnums=(0, 5, 6))
def _run(mlp: nets.MLP, params, x, y, x_test, steps: int, lr: float):
    loss = train.mse(mlp.apply)
    both = jnp.concatenate([x, x_test])

    def one(p0):
        k0 = ntk_of(mlp, p0, both)
        p1 = gd_steps(loss, p0, (x, y), lr=lr, steps=steps)
        return mlp.apply(p0, both)[:, 0], mlp.apply(p1, both)[:, 0], k0

    return jax.vmap(one)(params)


@runner.register("ntk_dynamics", paper="ntk", config=Config, sweep="widths")
def run(config: Config) -> dict:
    """Trained f_T - f_0 vs linearized (empirical NTK) and Theta_inf kernel flows."""
    if config.seeds < 1 or config.steps < 1 or config.points < 2:
        raise ValueError("seeds, steps must be >= 1 and points >= 2")
    m = config.points
    g = 2 * np.pi * np.arange(m) / m
    x, x_test = circle(g), circle(g + np.pi / m)
    y = 0.5 * np.sin(2 * g)
    _, lim = T.limiting_kernels(np.concatenate([x, x_test]), depth=config.depth,
                                beta=config.beta)
    t = config.lr * config.steps
    as32 = lambda a: jnp.asarray(a, jnp.float32)
    err_lin, err_inf = [], []
    for n in config.widths:
        mlp = ntk_net(2, n, config.depth, 1, beta=config.beta)
        params = seed_params(mlp, config.seed, n, config.seeds)
        f0, f1, k0 = (np.asarray(a, np.float64) for a in _run(
            mlp, params, as32(x), as32(y[:, None]), as32(x_test), int(config.steps),
            float(config.lr)))
        e_lin, e_inf = [], []
        for s in range(config.seeds):
            change = f1[s, m:] - f0[s, m:]
            for kern, out in ((k0[s], e_lin), (lim, e_inf)):
                kk = 0.5 * (kern + kern.T)
                _, pred = T.gradient_flow_mse(kk[:m, :m], y, f0[s, :m], t,
                                              k_test_train=kk[m:, :m], f0_test=f0[s, m:])
                out.append(np.linalg.norm(pred - f0[s, m:] - change) / np.linalg.norm(change))
        err_lin.append(e_lin)
        err_inf.append(e_inf)
    return {"width": np.array(config.widths), "err_linearized": np.array(err_lin),
            "err_limit": np.array(err_inf)}


if __name__ == "__main__":
    runner.main("ntk_dynamics")
