"""Continuous-time Lion-K (papers/lion.md R1, R2, Sec. 2.3; checks 3, 4, 5, 6, 10).

* ``lion_ode``: one ODE trajectory on the nonconvex toy (iv) with the smoothed sign kernel:
  f(x_t) is not monotone while the Lyapunov function H(x_t, m_t) is.
* ``lion_ode_discretization``: discrete Lion-K with b1 = 1 - eps gamma, b2 = 1 - eta gamma
  tracks the ODE with sup-error O(eta) (sweep over eta).
* ``lion_lyapunov_identity``: dH/dt (chain rule) = -Delta at random states, for smooth K.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import lion_problems as P
from sims import runner


@dataclass(frozen=True)
class OdeConfig(runner.SimConfig):
    delta: float = 0.05  # smoothing of the sign kernel, K = delta sum log cosh(x/delta)
    alpha: float = 1.0
    gamma: float = 0.1
    lam: float = 0.4
    eps: float = 0.5
    x0: tuple[float, ...] = (0.5, 0.5)
    t_max: float = 60.0
    n_t: int = 6001

    @classmethod
    def full(cls):
        return cls(n_t=60001)


@runner.register("lion_ode", paper="lion", config=OdeConfig)
def run_ode(config: OdeConfig) -> dict:
    """Lion-K ODE on the 2-D toy: f, H and dist(lambda x, box) along the trajectory."""
    from theory import lion as L

    k = L.get_kernel("smooth_sign", delta=config.delta)
    t = np.linspace(0.0, config.t_max, config.n_t)
    kw = dict(alpha=config.alpha, gamma=config.gamma, lam=config.lam, eps=config.eps)
    t, x, m = L.solve_ode(P.toy2d_grad, config.x0, kernel=k, t_max=config.t_max, t_eval=t, **kw)
    H = np.array([L.lyapunov(xi, mi, f=P.toy2d_f, kernel=k, **kw) for xi, mi in zip(x, m)])
    D = np.array([L.dissipation(xi, mi, P.toy2d_grad(xi), kernel=k, **kw)
                  for xi, mi in zip(x, m)])
    return {"t": t, "x": x, "m": m, "f": P.toy2d_f(x), "H": H, "Delta": D,
            "linf": np.max(np.abs(x), axis=1)}


@dataclass(frozen=True)
class DiscretizationConfig(runner.SimConfig):
    lrs: tuple[float, ...] = (1e-2, 3e-3, 1e-3, 3e-4)
    gamma: float = 1.0
    eps: float = 0.1
    lam: float = 0.5
    delta: float = 0.2
    x0: tuple[float, ...] = (0.3, -0.2)
    t_max: float = 5.0

    @classmethod
    def full(cls):
        return cls(lrs=(1e-2, 3e-3, 1e-3, 3e-4, 1e-4))


@runner.register("lion_ode_discretization", paper="lion", config=DiscretizationConfig,
                 sweep="lrs")
def run_discretization(config: DiscretizationConfig) -> dict:
    """Sup-distance between discrete Lion-K (step eta) and the ODE on [0, t_max], per eta."""
    from theory import lion as L

    k = L.get_kernel("smooth_sign", delta=config.delta)
    errs = []
    for lr in config.lrs:
        steps = int(round(config.t_max / lr))
        b1, b2 = 1 - config.eps * config.gamma, 1 - lr * config.gamma
        path = L.lion_k_iterates(P.toy2d_grad, config.x0, lr=lr, steps=steps, b1=b1, b2=b2,
                                 weight_decay=config.lam, kernel=k)
        t = lr * np.arange(steps + 1)
        _, x, _ = L.solve_ode(P.toy2d_grad, config.x0, kernel=k, alpha=config.gamma,
                              gamma=config.gamma, lam=config.lam, eps=config.eps,
                              t_max=t[-1], t_eval=t)
        errs.append(np.max(np.abs(path.x - x)))
    return {"lr": np.array(config.lrs), "sup_err": np.array(errs)}


@dataclass(frozen=True)
class IdentityConfig(runner.SimConfig):
    kernels: tuple[str, ...] = ("smooth_sign", "quadratic", "relativistic", "lp_power")
    n_states: int = 200
    d: int = 4

    @classmethod
    def full(cls):
        return cls(n_states=2000, d=10)


def _lp_power_kernel(p: float = 1.5):
    """K = ||x||_p^p / p (smooth for p > 1); K* = ||z||_q^q / q."""
    from theory.lion import Kernel

    q = p / (p - 1)
    return Kernel("lp_power", lambda m: np.sum(np.abs(m) ** p) / p,
                  lambda m: np.sign(m) * np.abs(m) ** (p - 1),
                  lambda z: np.sum(np.abs(z) ** q) / q,
                  lambda z: np.sign(z) * np.abs(z) ** (q - 1), None, "power regulariser")


def _identity_kernel(name: str):
    """The smooth kernels of the identity check (smoothed sign at delta = 0.3, ||.||_p^p/p)."""
    from theory import lion as L

    if name == "smooth_sign":
        return L.smooth_sign_kernel(0.3)
    if name == "lp_power":
        return _lp_power_kernel()
    return L.get_kernel(name)


@runner.register("lion_lyapunov_identity", paper="lion", config=IdentityConfig,
                 sweep="kernels")
def run_identity(config: IdentityConfig) -> dict:
    """Per kernel, over random states: max |dH/dt + Delta|/(1 + |Delta|), min Delta, and the
    minimisation property min_m H(x, m) = alpha F(x) (max over states of the relative gap at
    m = grad K*(lambda x), and min over random m of H - alpha F, which must be >= 0)."""
    from theory import lion as L

    rng = np.random.default_rng(config.seed)
    out = {"rel_err": [], "min_delta": [], "max_gap": [], "min_excess": []}
    for name in config.kernels:
        k = _identity_kernel(name)
        worst, min_d, max_gap, min_excess = 0.0, np.inf, 0.0, np.inf
        for _ in range(config.n_states):
            alpha, gamma, lam = rng.uniform(0.1, 3.0, 3)
            eps = rng.uniform(0.0, 1.0 / gamma)
            A = rng.normal(size=(config.d, config.d))
            Q = A @ A.T / config.d
            g_fn = lambda x, Q=Q: Q @ x + np.sin(x)
            z = rng.normal(size=config.d)
            z *= rng.uniform(0, 0.95) / np.linalg.norm(z)  # lambda x inside dom K* (all K)
            x, m = z / lam, rng.normal(size=config.d)
            kw = dict(kernel=k, lam=lam, alpha=alpha, gamma=gamma, eps=eps)
            dh = L.lyapunov_time_derivative(x, m, g_fn(x), **kw)
            delta = L.dissipation(x, m, g_fn(x), **kw)
            worst = max(worst, abs(dh + delta) / (1 + abs(delta)))
            min_d = min(min_d, delta)
            # min_m H(x, m) = alpha F(x): the gap at a random m is the Fenchel-Young gap >= 0
            f_q = lambda x, Q=Q: 0.5 * x @ Q @ x - np.sum(np.cos(x))
            y = k.conj_grad(lam * x)
            h_min = L.lyapunov(x, y, f=f_q, **kw)
            F = alpha * f_q(x) + gamma / lam * k.conj(lam * x)
            max_gap = max(max_gap, abs(h_min - F) / (1 + abs(F)))
            # ... and every other m gives a larger value (H - alpha F = c * FY gap >= 0)
            h_rand = L.lyapunov(x, m, f=f_q, **kw)
            min_excess = min(min_excess, h_rand - F)
        out["rel_err"].append(worst)
        out["min_delta"].append(min_d)
        out["max_gap"].append(max_gap)
        out["min_excess"].append(min_excess)
    return {k_: np.array(v) for k_, v in out.items()}


if __name__ == "__main__":
    runner.main("lion_ode")
