"""Remark 1 of Jacot et al. (2018): NTK-parametrized GD is standard-parametrized GD with
per-layer learning rates.

Two hand-built float64 networks with the same initial function: the NTK parametrization
(``W / sqrt(n_l)``, ``beta b``, all N(0, 1), one learning rate eta) and the standard one
(``W_std ~ N(0, 1/n_l)``, ``b_std ~ N(0, beta^2)``) trained with the rates of
``theory.ntk.standard_learning_rates`` (eta/n_l on weights, eta beta^2 on biases).  Their
training-set outputs are recorded after every step of full-batch GD.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from sims import nets, runner, train
from theory import ntk as T


@dataclass(frozen=True)
class Config(runner.SimConfig):
    width: int = 100
    depth: int = 3
    steps: int = 50
    lr: float = 1.0
    beta: float = 0.1
    n_train: int = 20


@runner.register("ntk_remark1", paper="ntk", config=Config)
def run(config: Config) -> dict:
    """NTK-param GD vs standard-param GD with lr eta/n_l, eta beta^2 (Remark 1), float64."""
    from jax.experimental import enable_x64

    widths = (3,) + (config.width,) * (config.depth - 1) + (1,)
    rates = T.standard_learning_rates(widths, config.lr, config.beta)
    rng = np.random.default_rng(config.seed)
    x = rng.standard_normal((config.n_train, widths[0]))
    y = np.sin(x.sum(axis=1, keepdims=True))
    with enable_x64():
        ntk_net = nets.ntk_mlp(widths, beta=config.beta)
        std_net = nets.MLP(widths, "relu", (1.0,) * config.depth, (1.0,) * config.depth,
                           (1.0,) * config.depth, beta=1.0)
        p_ntk = ntk_net.init(jax.random.PRNGKey(config.seed), dtype=np.float64)
        p_std = [{"w": p["w"] / np.sqrt(n), "b": config.beta * p["b"]}
                 for p, n in zip(p_ntk, widths[:-1], strict=True)]
        lr_tree = [{"w": rw, "b": rb} for rw, rb in rates]
        data = (x, y)
        a = train.gd(train.mse(ntk_net.apply), p_ntk, lr=config.lr, steps=config.steps,
                     data=data, record=lambda p: ntk_net.apply(p, x)[:, 0])
        b = train.gd(train.mse(std_net.apply), p_std, lr=1.0, steps=config.steps, data=data,
                     lr_tree=lr_tree, record=lambda p: std_net.apply(p, x)[:, 0])
        f_ntk, f_std = np.asarray(a.records), np.asarray(b.records)
        loss_ntk, loss_std = np.asarray(a.losses), np.asarray(b.losses)
    return {"f_ntk": f_ntk, "f_std": f_std, "loss_ntk": loss_ntk, "loss_std": loss_std,
            "rates": np.array(rates)}


if __name__ == "__main__":
    runner.main("ntk_remark1")
