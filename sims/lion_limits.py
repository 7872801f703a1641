"""Lion-K limit points vs the composite optimum (papers/lion.md R5-R7, checks 1, 2, 8, 11, 12).

Each case runs the optax optimizer :func:`theory.lion.lion_k` (float64, cosine-decayed step,
explicit decoupled weight decay, start x0 = 3 outside the constraint set) through
:func:`sims.train.train` and compares the endpoint with the reference solution of
``min f(x) + (1/lambda) K*(lambda x)``: cvxpy for least squares / logistic / matrix problems,
the closed form for the separable quadratic (iii).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import lion_problems as P
from sims import runner

# case -> (problem, kernel name, kernel params, reference)
CASES = {
    "sign_lsq": ("lsq", "sign", {}, "cvxpy"),
    "sign_logistic": ("logistic", "sign", {}, "cvxpy"),
    "l2_lsq": ("lsq", "l2", {}, "cvxpy"),
    "lp_lsq": ("lsq", "lp", {"p": 1.5}, "cvxpy"),
    "huber_lsq": ("lsq", "huber", {"delta": 1.0}, "cvxpy"),
    "dead_zone_lsq": ("lsq", "dead_zone", {"e": 0.1}, "cvxpy"),
    "quadratic_lsq": ("lsq", "quadratic", {}, "cvxpy"),
    "nuclear_lsq": ("matrix_lsq", "nuclear", {}, "cvxpy"),
    "sign_quad": ("quad", "sign", {}, "closed_form"),
    "huber_quad": ("quad", "huber", {"delta": 1.0}, "closed_form"),
    "dead_zone_quad": ("quad", "dead_zone", {"e": 0.3}, "closed_form"),
    "l2_ball": ("ball", "l2", {}, "closed_form"),
}


@dataclass(frozen=True)
class Config(runner.SimConfig):
    cases: tuple[str, ...] = tuple(CASES)
    steps: int = 20000
    steps_quad: int = 40000  # the closed-form cases use a longer, smaller-step schedule
    lr0: float = 0.02
    lr0_quad: float = 0.01
    lr0_quadratic_kernel: float = 0.5
    weight_decay: float = 1.0
    b1: float = 0.9
    b2: float = 0.99
    n_record: int = 200

    @classmethod
    def full(cls):
        return cls(steps=100000, steps_quad=100000, n_record=500)


def _problem(name: str, seed: int) -> P.Problem:
    if name == "lsq":
        return P.least_squares(seed)
    if name == "logistic":
        return P.logistic(seed)
    if name == "matrix_lsq":
        return P.matrix_least_squares(seed)
    if name == "quad":
        return P.separable_quadratic()
    if name == "ball":  # f = ||x - c||^2 / 2: the l2-ball solution is c / ||c|| (lambda = 1)
        return P.separable_quadratic(np.ones(4), P.QUAD_C)
    raise ValueError(name)


def reference_solution(case: str, config: Config) -> np.ndarray:
    from theory import lion as L

    prob_name, kname, kparams, ref = CASES[case]
    prob = _problem(prob_name, config.seed)
    kernel = L.get_kernel(kname, **kparams)
    lam = config.weight_decay
    if ref == "cvxpy":
        return L.composite_cvxpy(prob.cvx, prob.x0.shape, kernel, lam)
    if prob_name == "ball":
        c = P.QUAD_C
        return c / max(np.linalg.norm(c) * lam, 1.0)
    return L.separable_quadratic_solution(P.QUAD_H, P.QUAD_C, lam, kernel)


def run_case(case: str, config: Config) -> dict:
    import jax
    import jax.numpy as jnp
    import optax

    from sims import nets
    from sims.train import train
    from theory import lion as L

    if case not in CASES:
        raise ValueError(f"unknown case {case!r}; cases are {sorted(CASES)}")
    prob_name, kname, kparams, _ = CASES[case]
    prob = _problem(prob_name, config.seed)
    kernel = L.get_kernel(kname, **kparams)
    quad = prob_name in ("quad", "ball")
    steps = config.steps_quad if quad else config.steps
    lr0 = config.lr0_quadratic_kernel if kname == "quadratic" else (
        config.lr0_quad if quad else config.lr0)
    x_ref = reference_solution(case, config)
    every = max(steps // config.n_record, 1)
    with nets.float64():
        opt = L.lion_k(optax.cosine_decay_schedule(lr0, steps), b1=config.b1, b2=config.b2,
                       weight_decay=config.weight_decay, kernel=kernel)
        x0 = jnp.asarray(3.0 * np.ones_like(prob.x0) if not quad else prob.x0, jnp.float64)
        ref = jnp.asarray(x_ref)
        res = jax.jit(lambda x: train(prob.loss_jax, x, opt, steps=steps,
                                      record=lambda p: jnp.max(jnp.abs(p - ref))))(x0)
        x_end = np.asarray(res.params)
        err_path = np.asarray(res.records)[every - 1::every][: config.n_record]
    gauge = kernel.dual_gauge
    excess = float(gauge(config.weight_decay * x_end) - 1.0) if gauge else 0.0
    sv = np.linalg.svd(x_end, compute_uv=False) if x_end.ndim == 2 else np.zeros(1)
    return {
        "err_inf": float(np.max(np.abs(x_end - x_ref))),
        "err_path": err_path,
        "steps_path": (np.arange(len(err_path)) + 1) * every,
        "constraint_excess": excess,
        "max_singular_value": float(sv.max()),
        "x_end": np.resize(x_end.ravel(), 20),  # first entries, padded to a common length
        "x_ref": np.resize(np.ravel(x_ref), 20),
        "n_entries": x_end.size,
    }


@runner.register("lion_limits", paper="lion", config=Config, sweep="cases")
def run(config: Config) -> dict:
    """Lion-K endpoints vs the composite optimum (cvxpy / closed form), one row per case."""
    rows = [run_case(case, config) for case in config.cases]
    out = {k: np.stack([np.asarray(r[k]) for r in rows]) for k in rows[0]}
    out["case"] = np.array(config.cases)
    return out


if __name__ == "__main__":
    runner.main("lion_limits")
