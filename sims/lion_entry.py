"""Phase 1 of Lion-K: exponential entry into the box (papers/lion.md R2, R3; checks 6, 9).

* continuous time: (|x_i(t)| - 1/lambda)_+ <= e^{-lambda t} (|x_i(0)| - 1/lambda)_+ on the
  toy (iv) from x0 = (4, -3), and the tight case f = ||x - x*||^2/2 with x* far outside;
* discrete time: explicit Lion with eps lambda = 0.02 on an outward-pushed coordinate follows
  D_t = (1 - eps lambda)^t D_0 exactly, and enters the tau-neighbourhood at ``entry_time``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import lion_problems as P
from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    lam: float = 1.0
    delta: float = 0.05
    t_max: float = 8.0
    n_t: int = 801
    lr: float = 0.02
    d0: float = 2.5
    tau: float = 1e-3
    steps: int = 600


@runner.register("lion_entry", paper="lion", config=Config)
def run(config: Config) -> dict:
    """Continuous and discrete box entry: distances vs e^{-lambda t} and (1 - eps lambda)^t."""
    from theory import lion as L

    lam = config.lam
    k = L.get_kernel("smooth_sign", delta=config.delta)
    t = np.linspace(0.0, config.t_max, config.n_t)
    decay = np.exp(-lam * t)[:, None]
    # (a) nonconvex toy from outside the box
    _, x, _ = L.solve_ode(P.toy2d_grad, (4.0, -3.0), kernel=k, lam=lam, eps=0.5, t_max=t[-1],
                          t_eval=t)
    d = L.box_excess(x, lam)
    bound = decay * d[0]
    ratio_toy = np.where(bound > 1e-9, d / np.where(bound > 1e-9, bound, 1.0), 0.0)
    # (b) tight case: x* far outside on the side of x0, so the sign step pushes outwards
    x_star = np.array([50.0, -50.0])
    _, xt, _ = L.solve_ode(lambda z: z - x_star, (3.0, -2.0), m0=(10.0, -10.0),
                           kernel=L.get_kernel("sign"), lam=lam, eps=0.0, t_max=t[-1], t_eval=t)
    dt = L.box_excess(xt, lam)
    ratio_tight = dt / (decay * dt[0])
    # (c) discrete, explicit Lion, outward-pushed coordinate with initial distance d0
    x0 = 1.0 / lam + config.d0
    path = L.lion_k_iterates(lambda z: z - 100.0, np.array([x0]), lr=config.lr,
                             steps=config.steps, weight_decay=lam)
    dist = L.box_excess(path.x[:, 0], lam)
    bound_disc = L.entry_bound(config.d0, np.full(config.steps, config.lr), lam)
    first = int(np.argmax(dist <= config.tau)) if np.any(dist <= config.tau) else -1
    return {"t": t, "dist_toy": d, "ratio_toy": ratio_toy, "dist_tight": dt,
            "ratio_tight": ratio_tight, "dist_discrete": dist, "bound_discrete": bound_disc,
            "first_entry": first,
            "predicted_entry": L.entry_time(config.d0, config.tau, config.lr * lam)}


if __name__ == "__main__":
    runner.main("lion_entry")
