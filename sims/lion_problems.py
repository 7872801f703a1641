"""Test problems of the Lion-K checks (papers/lion.md, Sec. 3 instances i-iv).

Each problem carries f and grad f in numpy (float64) and in JAX, and a builder of the cvxpy
expression of f for the reference solution of the composite problem.  No registrations here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

# Instance (iii): separable quadratic with closed-form answers.
QUAD_H = np.array([1.0, 2.0, 0.5, 4.0])
QUAD_C = np.array([3.0, -0.2, 0.7, -5.0])


@dataclasses.dataclass(frozen=True)
class Problem:
    name: str
    f: Callable  # numpy, float64
    grad: Callable  # numpy, float64
    loss_jax: Callable  # params -> scalar (JAX)
    cvx: Callable | None  # x (cvxpy Variable) -> convex expression
    x0: np.ndarray


def least_squares(seed: int, n: int = 40, d: int = 8, scale: float = 3.0) -> Problem:
    """Instance (i): f = ||A x - b||^2 / (2 n), A Gaussian, x_true ~ scale N(0, I)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, d))
    b = A @ (scale * rng.normal(size=d)) + 0.1 * rng.normal(size=n)
    Aj, bj = jnp.asarray(A), jnp.asarray(b)

    def cvx(x):
        import cvxpy as cp

        return cp.sum_squares(A @ x - b) / (2 * n)

    return Problem("lsq", lambda x: float(np.sum((A @ x - b) ** 2) / (2 * n)),
                   lambda x: A.T @ (A @ x - b) / n,
                   lambda x: jnp.sum((Aj @ x - bj) ** 2) / (2 * n), cvx, 3.0 * np.ones(d))


def logistic(seed: int, n: int = 200, d: int = 8, scale: float = 4.0) -> Problem:
    """Instance (ii): mean logistic loss, labels drawn from a logistic model with w ~ 4 N(0,I)."""
    rng = np.random.default_rng(seed + 1)
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ (scale * rng.normal(size=d))))).astype(float)
    s = 2 * y - 1
    Xj, sj = jnp.asarray(X), jnp.asarray(s)

    def cvx(w):
        import cvxpy as cp

        return cp.sum(cp.logistic(-cp.multiply(s, X @ w))) / n

    return Problem("logistic", lambda w: float(np.mean(np.logaddexp(0, -s * (X @ w)))),
                   lambda w: -X.T @ (s / (1 + np.exp(s * (X @ w)))) / n,
                   lambda w: jnp.mean(jnp.logaddexp(0.0, -sj * (Xj @ w))), cvx,
                   3.0 * np.ones(d))


def matrix_least_squares(seed: int, n: int = 30, p: int = 5, q: int = 4,
                         scale: float = 3.0) -> Problem:
    """Matrix LSQ for Muon: f = ||A X - B||_F^2 / (2 n), X in R^{p x q}."""
    rng = np.random.default_rng(seed + 2)
    A = rng.normal(size=(n, p))
    B = A @ (scale * rng.normal(size=(p, q))) + 0.1 * rng.normal(size=(n, q))
    Aj, Bj = jnp.asarray(A), jnp.asarray(B)

    def cvx(X):
        import cvxpy as cp

        return cp.sum_squares(A @ X - B) / (2 * n)

    return Problem("matrix_lsq", lambda X: float(np.sum((A @ X - B) ** 2) / (2 * n)),
                   lambda X: A.T @ (A @ X - B) / n,
                   lambda X: jnp.sum((Aj @ X - Bj) ** 2) / (2 * n), cvx, 3.0 * np.ones((p, q)))


def separable_quadratic(h=QUAD_H, c=QUAD_C) -> Problem:
    """Instance (iii): f = sum h_i (x_i - c_i)^2 / 2."""
    h, c = np.asarray(h, float), np.asarray(c, float)
    hj, cj = jnp.asarray(h), jnp.asarray(c)
    return Problem("quad", lambda x: float(0.5 * np.sum(h * (x - c) ** 2)),
                   lambda x: h * (x - c), lambda x: 0.5 * jnp.sum(hj * (x - cj) ** 2), None,
                   np.zeros_like(h))


def toy2d_f(x):
    """Instance (iv): f(x) = (x1-2)^2/2 + (x2+1.5)^2 + 0.3 sin(3 x1) cos(2 x2) (nonconvex)."""
    x = np.asarray(x, float)
    x1, x2 = x[..., 0], x[..., 1]
    return 0.5 * (x1 - 2) ** 2 + (x2 + 1.5) ** 2 + 0.3 * np.sin(3 * x1) * np.cos(2 * x2)


def toy2d_grad(x):
    x = np.asarray(x, float)
    x1, x2 = x[..., 0], x[..., 1]
    return np.stack([(x1 - 2) + 0.9 * np.cos(3 * x1) * np.cos(2 * x2),
                     2 * (x2 + 1.5) - 0.6 * np.sin(3 * x1) * np.sin(2 * x2)], axis=-1)
