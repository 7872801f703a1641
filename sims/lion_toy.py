"""Discrete Lion on the 2-D toy (iv) from several starts (papers/lion.md Fig. 1 recipe).

Records the iterates, f, the discrete Lyapunov function H (explicit scheme, eps'), the
distance ||x_t||_inf and the entry bound, and the box-constrained optimum from cvxpy-free
projected gradient (the toy is nonconvex, so the reference is a local solution from the
same basin: projected gradient descent started at Lion's endpoint).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import lion_problems as P
from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    starts: tuple[tuple[float, float], ...] = ((4.0, -3.0), (0.3, -0.2), (-3.0, 3.0),
                                               (-1.0, -3.5))
    lam: float = 1.0
    lr: float = 0.01
    steps: int = 2000
    b1: float = 0.9
    b2: float = 0.99


@runner.register("lion_toy", paper="lion", config=Config)
def run(config: Config) -> dict:
    """Lion trajectories on the nonconvex 2-D toy: x_t, f, H, ||x||_inf and the entry bound."""
    from theory import lion as L

    xs, fs, hs, excess, bounds, ends = [], [], [], [], [], []
    eps = L.effective_lr(config.lr, config.lam, implicit=False)
    for x0 in config.starts:
        path = L.lion_k_iterates(P.toy2d_grad, x0, lr=config.lr, steps=config.steps,
                                 b1=config.b1, b2=config.b2, weight_decay=config.lam)
        xs.append(path.x)
        fs.append(P.toy2d_f(path.x))
        hs.append([L.discrete_lyapunov(x, m, f=P.toy2d_f, kernel="sign", lr=eps, lam=config.lam,
                                       b1=config.b1, b2=config.b2)
                   for x, m in zip(path.x, path.m)])
        excess.append(np.max(L.box_excess(path.x, config.lam), axis=1))
        bounds.append(L.entry_bound(np.max(L.box_excess(np.array(x0), config.lam)),
                                    np.full(config.steps, config.lr), config.lam))
        # local box optimum: projected gradient from Lion's endpoint (same basin)
        z = np.clip(path.x[-1], -1 / config.lam, 1 / config.lam)
        for _ in range(5000):
            z = np.clip(z - 0.1 * P.toy2d_grad(z), -1 / config.lam, 1 / config.lam)
        ends.append(z)
    return {"x": np.array(xs), "f": np.array(fs), "H": np.array(hs),
            "excess": np.array(excess), "bound": np.array(bounds), "x_box_opt": np.array(ends),
            "starts": np.array(config.starts), "lr": config.lr, "lam": config.lam}


if __name__ == "__main__":
    runner.main("lion_toy")
