"""Discrete Lion on the 2-D toy (iv) from several starts (papers/lion.md Fig. 1 recipe).

Records the iterates, f, the discrete Lyapunov function H (explicit scheme, eps'), the
violation of the one-step certificate of Thm 4.1 with the exact smoothness remainder (the toy
is nonconvex: the certificate needs only convex K), the distance ||x_t||_inf and the entry
bound, and the box-constrained minimisers of f found independently of Lion: L-BFGS-B (scipy)
from every point of a grid of starts over the box (brute force, the toy is 2-D).
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
    grid: int = 11  # starts per axis of the brute-force search for the box minimisers


def box_minimisers(lam: float, grid: int) -> np.ndarray:
    """Distinct local minimisers of the toy on the box, by L-BFGS-B from a grid of starts."""
    from scipy import optimize

    r = 1.0 / lam
    found = []
    for a in np.linspace(-r, r, grid):
        for b in np.linspace(-r, r, grid):
            res = optimize.minimize(P.toy2d_f, [a, b], jac=P.toy2d_grad, method="L-BFGS-B",
                                    bounds=[(-r, r)] * 2,
                                    options={"ftol": 1e-15, "gtol": 1e-12})
            if not any(np.max(np.abs(res.x - z)) < 1e-6 for z in found):
                found.append(res.x)
    return np.array(found)


@runner.register("lion_toy", paper="lion", config=Config)
def run(config: Config) -> dict:
    """Lion trajectories on the nonconvex 2-D toy: x_t, f, H, ||x||_inf and the entry bound."""
    from theory import lion as L

    xs, fs, hs, excess, bounds, gaps = [], [], [], [], [], []
    eps = L.effective_lr(config.lr, config.lam, implicit=False)
    minimisers = box_minimisers(config.lam, config.grid)
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
        with np.errstate(invalid="ignore"):  # H = +inf until the start enters the box
            cert = L.discrete_certificate(path, f=P.toy2d_f, grad_f=P.toy2d_grad,
                                          kernel="sign", lr=config.lr, lam=config.lam,
                                          b1=config.b1, b2=config.b2, implicit=False)
        gaps.append(np.where(np.isfinite(cert.H[:-1]), cert.gap, np.nan))
    # nearest independent box minimiser to each Lion endpoint
    ends = np.array([minimisers[np.argmin(np.max(np.abs(minimisers - x[-1]), axis=1))]
                     for x in xs])
    return {"x": np.array(xs), "f": np.array(fs), "H": np.array(hs),
            "excess": np.array(excess), "bound": np.array(bounds), "x_box_opt": ends,
            "cert_gap": np.array(gaps), "n_box_minimisers": len(minimisers),
            "starts": np.array(config.starts), "lr": config.lr, "lam": config.lam}


if __name__ == "__main__":
    runner.main("lion_toy")
