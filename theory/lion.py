"""Lion-K: Lion secretly solves constrained optimization (Chen, Liu, Liang, Liu 2024).

Reads like the paper:

1. the convex functions K (``Kernel``: K, its gradient, its conjugate K* and the domain of K*);
2. Lion-K as an optax ``GradientTransformation`` (:func:`lion_k`) and as a plain float64
   reference loop (:func:`lion_k_iterates`);
3. the problem it solves, ``min_x f(x) + (1/lambda) K*(lambda x)`` (:func:`composite_objective`,
   :func:`composite_cvxpy`) and closed forms for separable quadratics;
4. the continuous-time dynamics (:func:`ode_rhs`, :func:`solve_ode`) and its Lyapunov function
   H with the dissipation identity dH/dt = -Delta (:func:`lyapunov`, :func:`dissipation`);
5. the discrete-time Lyapunov certificate (:func:`discrete_lyapunov`,
   :func:`discrete_dissipation`, :func:`discrete_certificate_gap`);
6. phase 1: exponential entry into the constraint set (:func:`entry_bound`, :func:`entry_time`).

Conventions
-----------
*Implementation convention* (optax, the official Lion code): the stored momentum ``mu`` is an
EMA of **+g** and the step is ``x <- x - lr (grad K(b1 mu + (1-b1) g) + wd x)``.
*Paper convention*: ``m`` is an EMA of **-grad f** and the step is ``x <- x + eps (grad K(m~) -
lambda x)``; so ``m_paper = -mu`` and the two agree for odd grad K (all kernels here).
All Lyapunov functions take the paper's ``m``.

Provenance: the problem min f + (1/lambda) K*(lambda x), the existence of the continuous and
discrete Lyapunov functions and the two-phase picture are **read in the paper** (abstract,
Sec. 3-4, per the reference note). The exact coefficients c = (1 - eps gamma)/(1 + eps lambda)
and a = eps b1 / (eps lambda (1 - b1) + 1 - b2), the dissipation formulas and the closed forms
for separable quadratics are **derived** in the reference note (papers/lion.md, R1, R3, R7)
and checked here numerically.

References
----------
L. Chen, B. Liu, K. Liang, Q. Liu. Lion Secretly Solves Constrained Optimization: As Lyapunov
Predicts. ICLR 2024, arXiv:2310.05898.
X. Chen et al. Symbolic Discovery of Optimization Algorithms. NeurIPS 2023, arXiv:2302.06675.
"""

import dataclasses
import inspect
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

# --------------------------------------------------------------------------- 1. kernels K


def _xp(x):
    return jnp if isinstance(x, jax.Array) else np


def _concrete(value) -> float | None:
    """``float(value)`` for a concrete number; None for a traced value, an array or a schedule.

    Hyperparameters arrive as tracers under ``jax.jit`` + ``optax.inject_hyperparams``:
    they are validated only when they are concrete (as optax does).
    """
    if value is None or callable(value) or isinstance(value, jax.core.Tracer):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclasses.dataclass(frozen=True)
class Kernel:
    """A closed convex function K with what Lion-K and its analysis need.

    Attributes
    ----------
    name : str
    K : callable
        K(m), summed over all coordinates (or the matrix norm for ``nuclear``).
    grad : callable
        A (sub)gradient of K; works on numpy and JAX arrays (the Lion-K update direction).
    conj : callable
        The convex conjugate K*(z) (float64 numpy; ``inf`` outside dom K*).
    conj_grad : callable
        A subgradient of K* at z in dom K*.
    dual_gauge : callable or None
        For indicator-type conjugates, the gauge of dom K* (dom K* = {gauge <= 1}); None when
        dom K* is the whole space.
    constraint : str
        The problem Lion-K solves, in words.
    params : tuple of (name, value)
        The kernel's parameters (``p``, ``delta``, ``e``).
    """

    name: str
    K: Callable
    grad: Callable
    conj: Callable
    conj_grad: Callable
    dual_gauge: Callable | None
    constraint: str
    params: tuple = ()

    def in_domain(self, z, tol: float = 1e-12) -> bool:
        return self.dual_gauge is None or float(self.dual_gauge(np.asarray(z))) <= 1 + tol


def _indicator(gauge):
    def conj(z):
        return 0.0 if gauge(np.asarray(z, float)) <= 1 + 1e-12 else np.inf

    return conj


def _zero_subgrad(z):
    return np.zeros_like(np.asarray(z, float))


def sign_kernel() -> Kernel:
    """K = ||x||_1, grad K = sign: Lion itself; K* = indicator of the l_inf unit ball."""
    gauge = lambda z: np.max(np.abs(z))
    return Kernel("sign", lambda m: np.sum(np.abs(m)), lambda m: _xp(m).sign(m),
                  _indicator(gauge), _zero_subgrad, gauge, "||x||_inf <= 1/lambda")


def l2_kernel() -> Kernel:
    """K = ||x||_2 (normalised momentum); K* = indicator of the l2 unit ball."""

    def grad(m):
        xp = _xp(m)
        norm = xp.sqrt(xp.sum(m * m))
        return xp.where(norm > 0, m / xp.where(norm > 0, norm, 1.0), 0.0 * m)

    gauge = lambda z: np.linalg.norm(np.ravel(z))
    return Kernel("l2", lambda m: np.linalg.norm(np.ravel(m)), grad, _indicator(gauge),
                  _zero_subgrad, gauge, "||x||_2 <= 1/lambda")


def lp_kernel(p=1.5) -> Kernel:
    """K = ||x||_p, 1 < p <= 2 (Lion-l_p); K* = indicator of the l_q unit ball, 1/p + 1/q = 1.

    ``p`` may be a traced JAX scalar (``optax.inject_hyperparams``); it is validated when
    concrete.
    """
    pc = _concrete(p)
    if pc is not None and not 1 < pc <= 2:
        raise ValueError(f"p must lie in (1, 2], got {p}")

    def grad(m):
        xp = _xp(m)
        a = xp.abs(m)
        norm = xp.sum(a**p) ** (1 / p)
        safe = xp.where(norm > 0, norm, 1.0)
        return xp.where(norm > 0, xp.sign(m) * (a / safe) ** (p - 1), 0.0 * m)

    q = None if pc is None else pc / (pc - 1)
    gauge = lambda z: np.sum(np.abs(z) ** q) ** (1 / q)
    return Kernel("lp", lambda m: np.sum(np.abs(m) ** p) ** (1 / p), grad, _indicator(gauge),
                  _zero_subgrad, gauge,
                  "||x||_q <= 1/lambda" if q is None else f"||x||_{q:g} <= 1/lambda",
                  (("p", p),))


def quadratic_kernel() -> Kernel:
    """K = ||x||^2 / 2: heavy-ball / Nesterov momentum with weight decay; K* = ||z||^2 / 2."""
    return Kernel("quadratic", lambda m: 0.5 * np.sum(np.square(m)), lambda m: m,
                  lambda z: 0.5 * np.sum(np.square(z)), lambda z: np.asarray(z, float), None,
                  "ridge: + (lambda/2)||x||^2")


def _check_positive(value, name: str) -> None:
    v = _concrete(value)
    if v is not None and not v > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


def huber_kernel(delta=1.0) -> Kernel:
    """K = delta sum huber(x/delta), grad K = clip(x/delta, -1, 1) (optax mode='refined').

    K*(z) = (delta/2)||z||^2 on the l_inf unit ball: ridge (delta lambda/2)||x||^2 plus the box.
    """
    _check_positive(delta, "delta")

    def K(m):
        u = np.abs(np.asarray(m, float)) / delta
        return delta * np.sum(np.where(u <= 1, 0.5 * u**2, u - 0.5))

    gauge = lambda z: np.max(np.abs(z))

    def conj(z):
        z = np.asarray(z, float)
        return 0.5 * delta * np.sum(z**2) if gauge(z) <= 1 + 1e-12 else np.inf

    return Kernel("huber", K, lambda m: _xp(m).clip(m / delta, -1.0, 1.0), conj,
                  lambda z: delta * np.asarray(z, float), gauge,
                  "box ||x||_inf <= 1/lambda + ridge (delta lambda/2)||x||^2",
                  (("delta", delta),))


def dead_zone_kernel(e=0.1) -> Kernel:
    """K = sum max(|x_i| - e, 0), grad K = sign(x) 1{|x| > e}: sparse Lion.

    K*(z) = e ||z||_1 on the l_inf unit ball: lasso e||x||_1 plus the box.
    """
    ec = _concrete(e)
    if ec is not None and not ec >= 0:
        raise ValueError(f"e must be >= 0, got {e}")
    gauge = lambda z: np.max(np.abs(z))

    def grad(m):
        xp = _xp(m)
        return xp.sign(m) * (xp.abs(m) > e)

    def conj(z):
        z = np.asarray(z, float)
        return e * np.sum(np.abs(z)) if gauge(z) <= 1 + 1e-12 else np.inf

    return Kernel("dead_zone", lambda m: np.sum(np.maximum(np.abs(m) - e, 0.0)), grad, conj,
                  lambda z: e * np.sign(z), gauge,
                  "box ||x||_inf <= 1/lambda + lasso e||x||_1", (("e", e),))


def smooth_sign_kernel(delta=0.05) -> Kernel:
    """K = delta sum log cosh(x/delta), grad K = tanh(x/delta) (optax mode='smooth').

    K*(z) = (delta/2) sum[(1+z) log(1+z) + (1-z) log(1-z)] on |z_i| < 1 (a barrier for the box).
    """
    _check_positive(delta, "delta")

    def K(m):
        u = np.abs(np.asarray(m, float)) / delta
        return delta * np.sum(u + np.log1p(np.exp(-2 * u)) - np.log(2.0))

    def conj(z):
        from scipy.special import xlogy

        z = np.asarray(z, float)
        if np.max(np.abs(z), initial=0.0) > 1 + 1e-12:
            return np.inf
        z = np.clip(z, -1.0, 1.0)  # 0 log 0 = 0 on the boundary
        return 0.5 * delta * np.sum(xlogy(1 + z, 1 + z) + xlogy(1 - z, 1 - z))

    return Kernel("smooth_sign", K, lambda m: _xp(m).tanh(m / delta), conj,
                  lambda z: delta * np.arctanh(np.asarray(z, float)),
                  lambda z: np.max(np.abs(z)), "box with an entropy barrier",
                  (("delta", delta),))


def relativistic_kernel() -> Kernel:
    """K = sqrt(1 + ||x||^2); K*(z) = -sqrt(1 - ||z||^2) on the l2 unit ball."""

    def grad(m):
        xp = _xp(m)
        return m / xp.sqrt(1.0 + xp.sum(m * m))

    def conj(z):
        s = float(np.sum(np.square(z)))
        return -np.sqrt(1.0 - s) if s <= 1 else np.inf

    return Kernel("relativistic", lambda m: np.sqrt(1.0 + np.sum(np.square(m))), grad, conj,
                  lambda z: np.asarray(z, float) / np.sqrt(1.0 - np.sum(np.square(z))),
                  lambda z: np.linalg.norm(np.ravel(z)),
                  "ball barrier - (1/lambda) sqrt(1 - lambda^2 ||x||^2)")


def as_matrices(m):
    """The matrices the nuclear kernel acts on: the rule for tensors of any rank.

    * ndim 0 or 1: one column vector (so msign(x) = x/||x||_2, K = ||x||_2);
    * ndim 2: the matrix itself;
    * ndim > 2: a stack of matrices over the last two axes; the leading axes are batch axes
      (stacked / scanned layers, per-tap conv kernels ``(kh, kw, in, out)``), as with
      ``optax.contrib.muon`` with ``MuonDimensionNumbers(reduction_axis=-2, output_axis=-1)``.
      K is the sum of the nuclear norms and dom K* asks every matrix of the stack for
      ``||X||_op <= 1``.
    """
    return m.reshape(-1, 1) if m.ndim < 2 else m


def nuclear_kernel() -> Kernel:
    """K = ||X||_* (nuclear norm), grad K = msign(X) = U V^T: Muon.

    K* = indicator of the spectral-norm unit ball, so Lion-K solves min f s.t.
    ||X||_op <= 1/lambda.  Tensors that are not matrices follow :func:`as_matrices`
    (vectors as columns, ndim > 2 as a stack over the last two axes).
    """

    def grad(m):
        xp = _xp(m)
        mat = as_matrices(m)
        u, s, vt = xp.linalg.svd(mat, full_matrices=False)
        tol = s[..., :1] * max(mat.shape[-2:]) * (1e-6 if xp is jnp else 1e-13)
        keep = (s > tol).astype(mat.dtype)
        return ((u * keep[..., None, :]) @ vt).reshape(m.shape)

    def K(m):
        return float(np.sum(np.linalg.svd(as_matrices(np.asarray(m, float)),
                                          compute_uv=False)))

    def gauge(z):
        return float(np.max(np.linalg.norm(as_matrices(np.asarray(z, float)), 2,
                                           axis=(-2, -1))))

    return Kernel("nuclear", K, grad, _indicator(gauge), _zero_subgrad, gauge,
                  "||X||_op <= 1/lambda")


KERNELS: dict[str, Callable[..., Kernel]] = {
    "sign": sign_kernel, "l2": l2_kernel, "lp": lp_kernel, "quadratic": quadratic_kernel,
    "huber": huber_kernel, "dead_zone": dead_zone_kernel, "smooth_sign": smooth_sign_kernel,
    "relativistic": relativistic_kernel, "nuclear": nuclear_kernel,
}


def get_kernel(kernel: str | Kernel, **params) -> Kernel:
    """The kernel named ``kernel`` with its parameters by name (``p``, ``delta``, ``e``).

    ``get_kernel("lp", p=1.2)``; parameters given as None take the kernel's default. A
    parameter the kernel does not have raises ValueError naming it.
    """
    params = {k: v for k, v in params.items() if v is not None}
    if isinstance(kernel, Kernel):
        if params:
            raise ValueError(f"kernel parameters {sorted(params)} are only accepted with a "
                             f"kernel name, not with a Kernel instance")
        return kernel
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {sorted(KERNELS)} or a Kernel, got {kernel!r}")
    factory = KERNELS[kernel]
    accepted = set(inspect.signature(factory).parameters)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ValueError(f"kernel {kernel!r} takes parameters {sorted(accepted) or 'none'}, "
                         f"got {unknown}")
    return factory(**params)


# --------------------------------------------------------------------------- 2. the optimizer


class ScaleByLionKState(NamedTuple):
    """State of :func:`scale_by_lion_k`: the same leaves, in the same order, as
    ``optax.ScaleByLionState`` (so an ``optax.lion`` checkpoint restores leaf by leaf)."""

    count: jax.Array
    mu: optax.Updates  # EMA of +g (implementation convention)


def _check_unit(value, name: str, *, closed: bool = True) -> None:
    v = _concrete(value)
    if v is None:
        return
    if closed and not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    if not closed and not 0.0 <= v < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {value} (with {name} = 1 the "
                         f"momentum never sees a gradient)")


def scale_by_lion_k(kernel: str | Kernel = "sign", b1: jax.typing.ArrayLike = 0.9,
                    b2: jax.typing.ArrayLike = 0.99, mu_dtype: Any | None = None, *,
                    p: jax.typing.ArrayLike | None = None,
                    delta: jax.typing.ArrayLike | None = None,
                    e: jax.typing.ArrayLike | None = None) -> optax.GradientTransformation:
    """The direction of Lion-K: ``grad K(b1 mu + (1 - b1) g)``, then ``mu <- b2 mu + (1-b2) g``.

    For ``kernel="sign"`` this is ``optax.scale_by_lion`` (bit for bit).  The kernel is applied
    to each leaf (tensor) separately, so for non-separable K (l2, lp, nuclear) the constraint
    set is the product over tensors of the per-tensor sets; the nuclear kernel acts on tensors
    of rank != 2 as :func:`as_matrices` says.  ``p``, ``delta``, ``e`` are the kernel's
    parameters by name (``kernel="lp", p=1.2``).

    Every numeric argument may be a traced JAX scalar (``jax.jit``,
    ``optax.inject_hyperparams``); it is validated when concrete.  16-bit parameters get their
    direction computed in float32 (``jnp.linalg.svd`` has no 16-bit CPU kernel) and returned
    in the gradient's dtype.
    """
    _check_unit(b1, "b1")
    _check_unit(b2, "b2", closed=False)
    grad_k = get_kernel(kernel, p=p, delta=delta, e=e).grad
    mu_dtype = None if mu_dtype is None else jax.dtypes.canonicalize_dtype(mu_dtype)

    def direction(g, m):
        c = (1.0 - b1) * g + b1 * m
        work = jnp.promote_types(c.dtype, jnp.float32)
        return grad_k(c.astype(work)).astype(g.dtype)

    def init_fn(params):
        return ScaleByLionKState(count=jnp.zeros([], jnp.int32),
                                 mu=optax.tree.zeros_like(params, dtype=mu_dtype))

    def update_fn(updates, state, params=None):
        del params
        out = jax.tree.map(direction, updates, state.mu)
        mu = jax.tree.map(lambda g, m: ((1.0 - b2) * g + b2 * m).astype(m.dtype), updates,
                          state.mu)
        return out, ScaleByLionKState(count=optax.safe_int32_increment(state.count), mu=mu)

    return optax.GradientTransformation(init_fn, update_fn)


def lion_k(learning_rate: optax.ScalarOrSchedule, b1: jax.typing.ArrayLike = 0.9,
           b2: jax.typing.ArrayLike = 0.99, mu_dtype: Any | None = None,
           weight_decay: optax.ScalarOrSchedule = 0.0,
           mask: Any | Callable[[optax.Params], Any] | None = None, *,
           kernel: str | Kernel = "sign", p: jax.typing.ArrayLike | None = None,
           delta: jax.typing.ArrayLike | None = None, e: jax.typing.ArrayLike | None = None
           ) -> optax.GradientTransformation:
    """Lion-K as a drop-in optax optimizer (positional order of ``optax.lion``).

    Parameters
    ----------
    learning_rate : float, JAX scalar or optax schedule
        The step size eta (>= 0).
    b1 : float in [0, 1]
        Weight of the stored momentum in the step (``1 - b1`` is the current gradient's).
    b2 : float in [0, 1)
        Decay of the stored momentum. The discrete Lyapunov certificate needs ``b1 <= b2``
        (Lion's defaults satisfy it).
    mu_dtype : dtype, optional
        Dtype of the momentum (default: the parameters').
    weight_decay : float >= 0, JAX scalar or optax schedule
        Decoupled weight decay lambda; the decay per step is ``learning_rate * weight_decay``,
        which must stay below 1 (checked when both are concrete numbers).  Default 0 (optax.lion
        defaults to 1e-3).
    mask : optional
        As in ``optax.add_decayed_weights``: which leaves are decayed.
    kernel : str or Kernel, keyword-only
        "sign" (Lion), "l2", "lp", "nuclear" (Muon), "huber", "dead_zone", "smooth_sign",
        "quadratic", "relativistic", or a :class:`Kernel`.
    p, delta, e : keyword-only, optional
        Kernel parameters by name: ``p`` of "lp" (in (1, 2]), ``delta`` of "huber" and
        "smooth_sign" (> 0), ``e`` of "dead_zone" (>= 0).

    Returns
    -------
    optax.GradientTransformation
        ``chain(scale_by_lion_k, add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate))``, i.e.
        ``x <- x - eta (grad K(b1 mu + (1-b1) g) + lambda x)``; its state has the leaves of
        ``optax.lion``'s state in the same order.

    Notes
    -----
    Lion-K (Chen et al. 2024, Sec. 2) with K = ||.||_1 is Lion (Chen et al. 2023). With
    decoupled weight decay it solves ``min f(x) + (1/lambda) K*(lambda x)``: for Lion,
    ``min f(x)`` subject to ``||x||_inf <= 1/lambda`` (the paper's headline claim, read in the
    abstract). With a constant step the iterates chatter at amplitude O(eta) around the
    solution; decay the step (e.g. a cosine schedule) to converge.

    Every numeric hyperparameter may be traced (``optax.inject_hyperparams`` under
    ``jax.jit``) and is validated only when concrete.

    References
    ----------
    L. Chen, B. Liu, K. Liang, Q. Liu, arXiv:2310.05898 (2024); X. Chen et al.,
    arXiv:2302.06675 (2023).
    """
    lr, wd = _concrete(learning_rate), _concrete(weight_decay)
    if lr is not None and not lr >= 0:
        raise ValueError(f"learning_rate must be >= 0, got {learning_rate}")
    if wd is not None and not wd >= 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    if lr is not None and wd is not None and lr * wd >= 1:
        raise ValueError(f"learning_rate * weight_decay must be < 1 (the step multiplies the "
                         f"parameters by 1 - learning_rate * weight_decay), got "
                         f"{learning_rate} * {weight_decay} = {lr * wd:g}")
    return optax.chain(
        scale_by_lion_k(kernel, b1, b2, mu_dtype, p=p, delta=delta, e=e),
        optax.add_decayed_weights(weight_decay, mask),
        optax.scale_by_learning_rate(learning_rate),
    )


def cosine_schedule(lr0: float, steps: int) -> np.ndarray:
    """Step sizes ``lr0 (1 + cos(pi t / T)) / 2`` for t = 0..T-1 (as optax.cosine_decay)."""
    t = np.arange(steps)
    return lr0 * 0.5 * (1.0 + np.cos(np.pi * t / steps))


class LionPath(NamedTuple):
    x: np.ndarray  # iterates x_0..x_T, shape (T+1, *x0.shape)
    m: np.ndarray  # paper-convention momentum m_0..m_T (EMA of -grad f)
    mt: np.ndarray  # look-ahead m~_1..m~_T (first entry repeats m_0)


def lion_k_iterates(grad_f: Callable, x0, *, lr, steps: int, b1: float = 0.9, b2: float = 0.99,
                    weight_decay: float = 0.0, kernel: str | Kernel = "sign",
                    implicit: bool = False, m0=None, noise: Callable | None = None) -> LionPath:
    """Float64 reference implementation of Lion-K in the paper's convention (Sec. 2.2).

    ``m_{t+1} = b2 m_t - (1-b2) g_t``, ``m~_{t+1} = b1 m_t - (1-b1) g_t``, and
    ``x_{t+1} = x_t + eps_t (grad K(m~_{t+1}) - lambda x_t)`` (explicit decay, as implemented
    in practice) or ``x_{t+1} = (x_t + eps_t grad K(m~_{t+1})) / (1 + eps_t lambda)``
    (``implicit=True``, the scheme of the paper's discrete analysis).  ``lr`` is a float or a
    length-``steps`` array; ``noise(t, x)`` adds a gradient perturbation (stochastic version).
    """
    k = get_kernel(kernel)
    _check_unit(b1, "b1")
    _check_unit(b2, "b2", closed=False)
    lrs = np.broadcast_to(np.asarray(lr, float), (steps,))
    if np.any(lrs < 0):
        raise ValueError("learning rates must be >= 0")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    if not implicit and np.any(lrs * weight_decay >= 1):
        raise ValueError(f"explicit weight decay needs lr * weight_decay < 1, got "
                         f"{float(np.max(lrs)) * weight_decay:g}")
    x = np.array(x0, float)
    m = np.zeros_like(x) if m0 is None else np.array(m0, float)
    xs, ms, mts = [x.copy()], [m.copy()], [m.copy()]
    for t in range(steps):
        g = np.asarray(grad_f(x), float)
        if noise is not None:
            g = g + noise(t, x)
        mt = b1 * m - (1 - b1) * g
        m = b2 * m - (1 - b2) * g
        eps = lrs[t]
        if implicit:
            x = (x + eps * k.grad(mt)) / (1 + eps * weight_decay)
        else:
            x = x + eps * (k.grad(mt) - weight_decay * x)
        xs.append(x.copy())
        ms.append(m.copy())
        mts.append(mt.copy())
    return LionPath(np.array(xs), np.array(ms), np.array(mts))


# --------------------------------------------------------------------------- 3. the problem


def composite_objective(x, f: Callable, kernel: str | Kernel, weight_decay: float) -> float:
    """F(x) = f(x) + (1/lambda) K*(lambda x): what Lion-K minimises (paper, Sec. 3)."""
    _check_lambda(weight_decay)
    k = get_kernel(kernel)
    return float(f(x)) + k.conj(weight_decay * np.asarray(x, float)) / weight_decay


def _check_lambda(lam: float) -> None:
    if not lam > 0:
        raise ValueError(f"weight_decay (lambda) must be > 0 for the constrained problem, "
                         f"got {lam}")


def composite_cvxpy(f_expr: Callable, shape, kernel: str | Kernel, weight_decay: float,
                    solver: str = "CLARABEL", tol: float = 1e-12) -> np.ndarray:
    """Solve ``min f(x) + (1/lambda) K*(lambda x)`` with cvxpy (imported lazily).

    ``f_expr(x)`` must build a convex cvxpy expression of the variable ``x`` of ``shape``.
    Supported kernels: sign, l2, lp, quadratic, huber, dead_zone, smooth_sign, relativistic,
    nuclear.  With cvxpy's default tolerances the solution is accurate to about 1e-6 to 1e-5;
    ``tol`` tightens Clarabel's gap and feasibility tolerances (the spectral-norm SDP needs it:
    at a solution with repeated singular values the error in X scales like sqrt(gap)).
    """
    import cvxpy as cp

    _check_lambda(weight_decay)
    k = get_kernel(kernel)
    lam = float(weight_decay)
    x = cp.Variable(shape)
    flat = cp.vec(x, order="C") if len(shape) > 1 else x
    params = dict(k.params)
    reg, cons = 0, []
    if k.name in ("sign", "huber", "dead_zone"):
        cons.append(cp.norm(flat, "inf") <= 1 / lam)
    if k.name == "l2":
        cons.append(cp.norm(flat, 2) <= 1 / lam)
    elif k.name == "lp":
        p = params["p"]
        cons.append(cp.norm(flat, p / (p - 1)) <= 1 / lam)
    elif k.name == "quadratic":
        reg = lam / 2 * cp.sum_squares(flat)
    elif k.name == "huber":
        reg = params["delta"] * lam / 2 * cp.sum_squares(flat)
    elif k.name == "dead_zone":
        reg = params["e"] * cp.norm(flat, 1)
    elif k.name == "smooth_sign":
        z = lam * flat
        reg = -params["delta"] / (2 * lam) * cp.sum(cp.entr(1 + z) + cp.entr(1 - z))
    elif k.name == "relativistic":
        reg = -cp.sqrt(1 - cp.sum_squares(lam * flat)) / lam
    elif k.name == "nuclear":  # the rule of as_matrices: column vector, matrix, or a stack
        if len(shape) < 2:
            cons.append(cp.norm(flat, 2) <= 1 / lam)
        else:
            for idx in np.ndindex(*shape[:-2]):
                cons.append(cp.sigma_max(x[idx] if idx else x) <= 1 / lam)
    problem = cp.Problem(cp.Minimize(f_expr(x) + reg), cons)
    opts = ({"tol_gap_abs": tol, "tol_gap_rel": tol, "tol_feas": tol, "max_iter": 500}
            if solver == "CLARABEL" and tol else {})
    with warnings.catch_warnings():
        # Clarabel flags "optimal_inaccurate" when it stops short of a very tight tol; the
        # iterate is still more accurate than an "optimal" one at a looser tol.
        warnings.simplefilter("ignore", UserWarning)
        problem.solve(solver=solver, **opts)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise RuntimeError(f"cvxpy failed: {problem.status}")
    if x.value is None:
        raise RuntimeError(f"cvxpy failed: {problem.status}")
    return np.asarray(x.value, float)


def separable_quadratic_solution(h, c, weight_decay: float, kernel: str | Kernel):
    """Closed-form minimiser of ``sum h_i (x_i - c_i)^2 / 2 + (1/lambda) K*(lambda x)``.

    Derived (papers/lion.md, R7) for the separable kernels: sign -> clip(c, +-1/lambda);
    huber(delta) -> clip(h c / (h + delta lambda), +-1/lambda); dead_zone(e) ->
    clip(soft_threshold(c, e/h), +-1/lambda); quadratic -> h c / (h + lambda).
    """
    h, c = np.asarray(h, float), np.asarray(c, float)
    _check_lambda(weight_decay)
    k = get_kernel(kernel)
    r = 1.0 / weight_decay
    p = dict(k.params)
    if k.name == "sign":
        return np.clip(c, -r, r)
    if k.name == "huber":
        return np.clip(h * c / (h + p["delta"] * weight_decay), -r, r)
    if k.name == "dead_zone":
        return np.clip(np.sign(c) * np.maximum(np.abs(c) - p["e"] / h, 0.0), -r, r)
    if k.name == "quadratic":
        return h * c / (h + weight_decay)
    raise ValueError(f"no separable closed form for kernel {k.name!r}")


def kkt_score(x, grad, weight_decay: float) -> float:
    """Frank-Wolfe gap of the box problem, ``S(x) = ||grad f||_1 + lambda x . grad f``.

    S >= 0 on the box ``||x||_inf <= 1/lambda`` and S = 0 exactly at its KKT points (derived,
    papers/lion.md R3: the quantity the discrete certificate controls for Lion).
    """
    grad = np.asarray(grad, float)
    return float(np.sum(np.abs(grad)) + weight_decay * np.sum(np.asarray(x, float) * grad))


# --------------------------------------------------------------------------- 4. continuous time


def ode_rhs(x, m, grad_fx, kernel: Kernel, *, alpha: float, gamma: float, lam: float,
            eps: float):
    """Lion-K ODE (paper Sec. 3): returns (xdot, mdot, m~).

    ``xdot = grad K(m~) - lambda x``, ``mdot = -alpha grad f(x) - gamma m``,
    ``m~ = m - eps (alpha grad f(x) + gamma m)`` (gradient enhancement).
    """
    mt = m - eps * (alpha * grad_fx + gamma * m)
    return kernel.grad(mt) - lam * x, -alpha * grad_fx - gamma * m, mt


def _check_ode(alpha, gamma, lam, eps):
    for name, v in (("alpha", alpha), ("gamma", gamma), ("lam", lam), ("eps", eps)):
        if not v >= 0:
            raise ValueError(f"{name} must be >= 0, got {v}")
    if eps * gamma > 1:
        raise ValueError(f"the theory needs eps * gamma <= 1, got {eps * gamma}")


def solve_ode(grad_f: Callable, x0, m0=None, *, kernel: str | Kernel, alpha: float = 1.0,
              gamma: float = 1.0, lam: float = 1.0, eps: float = 0.0, t_max: float = 10.0,
              t_eval=None, rtol: float = 1e-10, atol: float = 1e-12, method: str = "DOP853"):
    """Integrate the Lion-K ODE with ``scipy.integrate.solve_ivp``; returns (t, x, m)."""
    from scipy.integrate import solve_ivp

    _check_ode(alpha, gamma, lam, eps)
    k = get_kernel(kernel)
    x0 = np.asarray(x0, float)
    d = x0.size
    m0 = np.zeros(d) if m0 is None else np.asarray(m0, float)

    def rhs(_, s):
        x, m = s[:d], s[d:]
        xd, md, _ = ode_rhs(x, m, np.asarray(grad_f(x), float), k, alpha=alpha, gamma=gamma,
                            lam=lam, eps=eps)
        return np.concatenate([xd, md])

    sol = solve_ivp(rhs, (0.0, t_max), np.concatenate([x0, m0]), method=method, rtol=rtol,
                    atol=atol, t_eval=t_eval)
    if not sol.success:
        raise RuntimeError(sol.message)
    return sol.t, sol.y[:d].T, sol.y[d:].T


def lyapunov_c(*, gamma: float, lam: float, eps: float) -> float:
    """c = (1 - eps gamma) / (1 + eps lambda): the coefficient that cancels the cross terms."""
    return (1 - eps * gamma) / (1 + eps * lam)


def lyapunov(x, m, *, f: Callable, kernel: str | Kernel, lam: float, alpha: float = 1.0,
             gamma: float = 1.0, eps: float = 0.0) -> float:
    """Continuous-time Lyapunov function of Lion-K.

    ``H(x, m) = alpha f(x) + (gamma/lambda) K*(lambda x) + c (K*(lambda x) + K(m) -
    lambda m.x)``, ``c = (1 - eps gamma)/(1 + eps lambda)``; the bracket is the Fenchel-Young
    gap (>= 0) and ``min_m H(x, m) = alpha F(x)``.  Existence: paper (Sec. 3); the exact c is
    derived (papers/lion.md R1). Returns ``inf`` when lambda x is outside dom K*.

    ``lam = 0`` (no weight decay) is accepted: the term (gamma/lambda) K*(lambda x) is replaced
    by its limit less the constant gamma K*(0)/lambda, which gives the note's R1 special case
    ``H = alpha f(x) + (1 - eps gamma)(K(m) + K*(0))`` (K*(0) = -min K = 0 for every kernel
    but "relativistic"); :func:`dissipation` needs no change at lambda = 0.
    """
    _check_ode(alpha, gamma, lam, eps)
    k = get_kernel(kernel)
    x, m = np.asarray(x, float), np.asarray(m, float)
    ks = k.conj(lam * x)
    if not np.isfinite(ks):
        return np.inf
    c = lyapunov_c(gamma=gamma, lam=lam, eps=eps)
    return float(alpha * f(x) + gamma * _scaled_conj(k, x, lam, ks)
                 + c * (ks + k.K(m) - lam * np.sum(m * x)))


def _scaled_conj(k: Kernel, x, lam: float, ks: float) -> float:
    """(1/lambda) K*(lambda x), and at lambda = 0 its limit less the constant K*(0)/lambda.

    K*(lambda x) = K*(0) + lambda <grad K*(0), x> + o(lambda) and grad K*(0) = argmin K = 0
    for every kernel here (all are even and convex), so the x-dependent part vanishes.
    """
    if lam > 0:
        return ks / lam
    return 0.0


def dissipation(x, m, grad_fx, *, kernel: str | Kernel, lam: float, alpha: float = 1.0,
                gamma: float = 1.0, eps: float = 0.0) -> float:
    """Delta(x, m) >= 0 with dH/dt = -Delta along the ODE (derived, papers/lion.md R1).

    ``Delta = (gamma+lambda)/(1+eps lambda) <m~ - grad K*(lambda x), grad K(m~) - lambda x>
    + (1-eps gamma)/(1+eps lambda) <alpha grad f + gamma m, grad K(m) - grad K(m~)>``,
    both monotonicity pairings (needs differentiable K and lambda x inside dom K*).
    """
    k = get_kernel(kernel)
    x, m, g = (np.asarray(v, float) for v in (x, m, grad_fx))
    mt = m - eps * (alpha * g + gamma * m)
    y = k.conj_grad(lam * x)
    gk_mt = k.grad(mt)
    first = (gamma + lam) / (1 + eps * lam) * np.sum((mt - y) * (gk_mt - lam * x))
    second = lyapunov_c(gamma=gamma, lam=lam, eps=eps) * np.sum(
        (alpha * g + gamma * m) * (k.grad(m) - gk_mt))
    return float(first + second)


def lyapunov_time_derivative(x, m, grad_fx, *, kernel: str | Kernel, lam: float,
                             alpha: float = 1.0, gamma: float = 1.0, eps: float = 0.0) -> float:
    """dH/dt by the chain rule: grad_x H . xdot + grad_m H . mdot (to compare with -Delta)."""
    k = get_kernel(kernel)
    x, m, g = (np.asarray(v, float) for v in (x, m, grad_fx))
    c = lyapunov_c(gamma=gamma, lam=lam, eps=eps)
    y = k.conj_grad(lam * x)
    gx = alpha * g + gamma * y + c * lam * (y - m)
    gm = c * (k.grad(m) - lam * x)
    xd, md, _ = ode_rhs(x, m, g, k, alpha=alpha, gamma=gamma, lam=lam, eps=eps)
    return float(np.sum(gx * xd) + np.sum(gm * md))


# --------------------------------------------------------------------------- 5. discrete time


def discrete_a(lr: float, lam: float, b1: float, b2: float) -> float:
    """a = eps b1 / (eps lambda (1 - b1) + 1 - b2) of the discrete Lyapunov function (derived).

    Needs eps > 0, lambda >= 0, 0 <= b1 <= 1 and 0 <= b2 < 1 (ValueError otherwise).
    """
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if not lam >= 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    _check_unit(b1, "b1")
    _check_unit(b2, "b2", closed=False)
    return lr * b1 / (lr * lam * (1 - b1) + (1 - b2))


def effective_lr(lr: float, lam: float, implicit: bool) -> float:
    """Learning rate of the implicit scheme equivalent to a step (eps' = eps/(1 - eps lam)).

    The explicit step with (eps, lambda) equals the implicit step with eps/(1 - eps lambda)
    (derived, papers/lion.md Sec. 2.2); requires eps lambda < 1.
    """
    if implicit:
        return lr
    if lr * lam >= 1:
        raise ValueError(f"explicit weight decay needs lr * lambda < 1, got {lr * lam}")
    return lr / (1 - lr * lam)


def discrete_lyapunov(x, m, *, f: Callable, kernel: str | Kernel, lr: float, lam: float,
                      b1: float = 0.9, b2: float = 0.99) -> float:
    """Discrete Lyapunov function (paper Thm 4.1 shape; constants derived, papers/lion.md R3).

    ``H = f(x) + (1/lambda) K*(lambda x) + a (K*(lambda x) + K(m) - lambda m.x)`` with
    ``a = discrete_a(lr, lam, b1, b2)`` for the implicit scheme (use :func:`effective_lr` for
    the explicit one). ``m`` in the paper's convention.  ``lam = 0`` is accepted, with
    (1/lambda) K*(lambda x) replaced by its limit less the constant K*(0)/lambda (as in
    :func:`lyapunov`): ``H = f(x) + a (K(m) + K*(0))``, ``a = eps b1/(1 - b2)``.
    """
    k = get_kernel(kernel)
    x, m = np.asarray(x, float), np.asarray(m, float)
    a = discrete_a(lr, lam, b1, b2)
    ks = k.conj(lam * x)
    if not np.isfinite(ks):
        return np.inf
    return float(f(x) + _scaled_conj(k, x, lam, ks) + a * (ks + k.K(m) - lam * np.sum(m * x)))


def discrete_dissipation(x_next, m_next, mt_next, *, kernel: str | Kernel, lr: float,
                         lam: float, b1: float, b2: float, y=None) -> float:
    """Delta_t >= 0 of the discrete certificate (derived, papers/lion.md R3).

    ``Delta_t = (1 + a lambda) <m~ - y', grad K(m~) - lambda x'> + a theta/(eps (1-theta))
    <m~ - m', grad K(m~) - grad K(m')>`` with ``theta = (1-b2)/(1-b1)`` and y' a subgradient of
    K* at lambda x' (default: ``kernel.conj_grad``, valid for indicator conjugates as 0).
    """
    k = get_kernel(kernel)
    x1, m1, mt = (np.asarray(v, float) for v in (x_next, m_next, mt_next))
    a = discrete_a(lr, lam, b1, b2)
    y = k.conj_grad(lam * x1) if y is None else np.asarray(y, float)
    gk = k.grad(mt)
    out = (1 + a * lam) * np.sum((mt - y) * (gk - lam * x1))
    if b1 != b2:
        theta = (1 - b2) / (1 - b1)
        out += a * theta / (lr * (1 - theta)) * np.sum((mt - m1) * (gk - k.grad(m1)))
    return float(out)


class Certificate(NamedTuple):
    gap: np.ndarray  # per-step violation of the one-step inequality (<= 0 up to rounding)
    delta: np.ndarray  # Delta_t (>= 0 when b1 <= b2)
    H: np.ndarray  # H(x_t, m_t), t = 0..T


def discrete_certificate(path: LionPath, *, f: Callable, grad_f: Callable,
                         kernel: str | Kernel, lr: float, lam: float, b1: float, b2: float,
                         implicit: bool = True) -> Certificate:
    """Evaluate the discrete Lyapunov certificate along a constant-step Lion-K path.

    ``gap_t = H_{t+1} - H_t - [-eps Delta_t + f(x_{t+1}) - f(x_t) - grad f(x_t).(x_{t+1} -
    x_t)]`` must be <= 0 (up to rounding) and ``Delta_t >= 0`` when 0 <= b1 <= b2 < 1
    (derived constants, papers/lion.md R3). Explicit paths (``implicit=False``) use
    eps' = eps/(1 - eps lambda).  ``path`` comes from :func:`lion_k_iterates`.
    """
    eps = effective_lr(lr, lam, implicit)
    hs = np.array([discrete_lyapunov(x, m, f=f, kernel=kernel, lr=eps, lam=lam, b1=b1, b2=b2)
                   for x, m in zip(path.x, path.m, strict=True)])
    gaps = np.empty(len(path.x) - 1)
    deltas = np.empty(len(path.x) - 1)
    for t in range(len(gaps)):
        x0, x1 = path.x[t], path.x[t + 1]
        remainder = f(x1) - f(x0) - np.sum(np.asarray(grad_f(x0)) * (x1 - x0))
        deltas[t] = discrete_dissipation(x1, path.m[t + 1], path.mt[t + 1], kernel=kernel,
                                         lr=eps, lam=lam, b1=b1, b2=b2)
        gaps[t] = hs[t + 1] - hs[t] - (-eps * deltas[t] + remainder)
    return Certificate(gaps, deltas, hs)


# --------------------------------------------------------------------------- 6. phase 1


def box_excess(x, lam: float):
    """(|x_i| - 1/lambda)_+ : per-coordinate distance to the Lion box."""
    return np.maximum(np.abs(np.asarray(x, float)) - 1.0 / lam, 0.0)


def entry_bound(d0, lr, lam: float):
    """Discrete phase-1 bound for explicit Lion: ``d_t <= prod_{s<t} (1 - eps_s lambda) d_0``.

    Holds for any gradients (stochastic, nonconvex) when eps_s lambda <= 1 (paper, appendix
    Thm B.9 per the reviews; derived constant). ``lr`` is an array of step sizes; returns the
    bound for t = 0..len(lr).
    """
    lr = np.atleast_1d(np.asarray(lr, float))
    if np.any(lr * lam > 1):
        raise ValueError("the entry bound needs lr * lambda <= 1")
    factors = np.concatenate([[1.0], np.cumprod(1.0 - lr * lam)])
    return np.multiply.outer(factors, np.asarray(d0, float))


def entry_time(d0: float, tau: float, lr_lam: float) -> int:
    """First t with (1 - eps lambda)^t d_0 <= tau: ceil(log(d_0/tau) / -log(1 - eps lambda))."""
    if not 0 < lr_lam < 1:
        raise ValueError(f"lr * lambda must lie in (0, 1), got {lr_lam}")
    if d0 <= tau:
        return 0
    return int(np.ceil(np.log(d0 / tau) / -np.log1p(-lr_lam) - 1e-12))


def ode_parameters(lr: float, b1: float, b2: float) -> dict[str, float]:
    """Map discrete Lion-K (lr, b1, b2) to the ODE (derived, papers/lion.md Sec. 2.3).

    With alpha = gamma: ``gamma = (1 - b2)/lr`` and ``eps = lr (1 - b1)/(1 - b2)``
    (so eps gamma = 1 - b1); time t corresponds to step t/lr.
    """
    gamma = (1 - b2) / lr
    return {"alpha": gamma, "gamma": gamma, "eps": lr * (1 - b1) / (1 - b2)}
