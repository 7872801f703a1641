"""NTK drift during gradient descent vs width (Jacot et al. 2018, Theorem 2 and Fig. 1).

Fig. 1 protocol: depth-4 nets (ReLU as in the paper; ``activation="erf"`` for the smooth
activation that Theorem 2 assumes) (beta = 0.1, n_0 = 2, one output), 200 full-batch GD steps
with learning rate 1.0 on the cost ``(1/2N) sum (f(x_i) - x_i1 x_i2)^2`` over N = 100 fixed
training inputs drawn N(0, I_2) (the paper does not give the count; reference note 3.3).
``Theta(x0, x(gamma))`` with x0 = (1, 0) and x = (cos gamma, sin gamma) is taken on 64 circle
points before and after training, with the layerwise empirical NTK.  Seeds are vmapped; one
XLA program per width.
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
    widths: tuple[int, ...] = (125, 250, 500)
    seeds: int = 8  # seeds are vmapped: compiling per width costs more than 4 extra seeds
    steps: int = 200
    lr: float = 1.0
    n_train: int = 100
    points: int = 64
    depth: int = 4
    beta: float = 0.1
    activation: str = "relu"  # any name with a closed-form limit: relu, erf, identity, ...

    @classmethod
    def full(cls):
        return cls(widths=(125, 250, 500, 1000, 2000), seeds=8)


@partial(jax.jit, static_argnums=(0, 5, 6))
def _train_and_measure(mlp: nets.MLP, params, x_train, y_train, x_eval, steps: int, lr: float):
    x0 = x_eval[:1]
    loss = train.mse(mlp.apply)

    def one(p0):
        k0 = ntk_of(mlp, p0, x0, x_eval)[0]
        p1 = gd_steps(loss, p0, (x_train, y_train), lr=lr, steps=steps)
        k1 = ntk_of(mlp, p1, x0, x_eval)[0]
        return k0, k1, loss(p0, (x_train, y_train)), loss(p1, (x_train, y_train))

    return jax.vmap(one)(params)


def run_training(config) -> dict:
    """Shared body of ``ntk_drift`` and ``ntk_fig1`` (sweep over ``config.widths``)."""
    if config.seeds < 1 or config.steps < 1:
        raise ValueError(f"seeds and steps must be >= 1, got {config.seeds}, {config.steps}")
    rng = np.random.default_rng([config.seed, 7919])
    x_train = rng.standard_normal((config.n_train, 2))
    y_train = (x_train[:, 0] * x_train[:, 1])[:, None]
    if config.points < 2 or config.points % 2:
        raise ValueError(f"points must be an even integer >= 2 (so gamma = 0 is on the grid), "
                         f"got {config.points}")
    gammas = -np.pi + 2 * np.pi * np.arange(config.points) / config.points
    x_eval = circle(np.concatenate([[0.0], gammas]))  # row 0 is x0 = (1, 0)
    _, limit = T.limiting_kernels(x_eval[:1], x_eval[1:], depth=config.depth,
                                  beta=config.beta, activation=config.activation)
    as32 = lambda a: jnp.asarray(a, jnp.float32)
    th0, th1, l0, l1 = [], [], [], []
    for n in config.widths:
        mlp = ntk_net(2, n, config.depth, 1, activation=config.activation,
                      beta=config.beta)
        params = seed_params(mlp, config.seed, n, config.seeds)
        out = _train_and_measure(mlp, params, as32(x_train), as32(y_train), as32(x_eval),
                                 int(config.steps), float(config.lr))
        k0, k1, a, b = (np.asarray(o, np.float64) for o in out)
        th0.append(k0[:, 1:])
        th1.append(k1[:, 1:])
        l0.append(a)
        l1.append(b)
    th0, th1 = np.array(th0), np.array(th1)
    i0 = config.points // 2  # gamma = 0
    drift = np.linalg.norm(th1 - th0, axis=-1) / np.linalg.norm(th0, axis=-1)
    k = len(config.widths)
    return {"width": np.array(config.widths), "gamma": np.tile(gammas, (k, 1)),
            "theta_init": th0, "theta_trained": th1, "limit": np.tile(limit[0], (k, 1)),
            "drift": drift, "inflation": th1[..., i0] / th0[..., i0],
            "loss_init": np.array(l0), "loss_final": np.array(l1)}


@runner.register("ntk_drift", paper="ntk", config=Config, sweep="widths")
def run(config: Config) -> dict:
    """Relative NTK change after 200 GD steps vs width (Thm 2): drift ~ 1/n."""
    return run_training(config)


if __name__ == "__main__":
    runner.main("ntk_drift")
