"""Dynamical stability of SGD vs GD at interpolating minima (Wu & Su, ICML 2023).

Setup (papers/sgd_stability.md Sec. 2).  Training set ``{(x_i, y_i)}_{i=1..n}``, model
``f(x; theta)`` with ``theta in R^p`` and the **square loss with a one half**::

    l_i(theta) = 1/2 (f(x_i; theta) - y_i)^2,       L = (1/n) sum_i l_i.

At an interpolating minimum every per-sample Hessian is rank one, ``H_i = g_i g_i^T`` with
``g_i = grad_theta f(x_i; theta*)``, and ``H = (1/n) sum_i g_i g_i^T``.  Every function below
takes the per-sample **model** gradients ``g_i`` (rows of an ``(n, p)`` array) under this
convention.  Without the 1/2 (PyTorch ``MSELoss``) the Hessian doubles and every learning-rate
threshold halves: pass ``sqrt(2) * g`` for that loss (``sqrt(2 c) * g`` for ``c (f - y)^2``).

SGD with batch size B, ``theta <- theta - (eta/B) sum_{i in batch} grad l_i``, linearised at
the minimum, has second moment ``S_t = E[delta_t delta_t^T]`` evolving as::

    S <- S - eta (H S + S H) + eta^2 [ (1 - q) H S H + q (1/n) sum_i H_i S H_i ],

with the batch-noise fraction ``q = 1/B`` (i.i.d. indices, with replacement) or
``q = (n - B) / (B (n - 1))`` (a uniform B-subset, without replacement).  The paper's
headline results, as implemented here:

* GD is linearly stable iff ``eta <= 2 / lambda_max(H)`` (:func:`gd_threshold`).
* SGD is mean-square stable iff ``eta <= 2 / lambda_max(C^+ D)`` with
  ``C = (H (x) I + I (x) H)/2`` and ``D = (1-q) H (x) H + q (1/n) sum_i H_i (x) H_i``
  (:func:`sgd_ms_threshold`, exact; Mulayoff & Michaeli 2023, Thm 3).
* Necessary condition (the trace theorem): ``tr H <= 2 / (eta q)``, i.e. ``tr H <= 2/eta`` at
  B = 1 (:func:`trace_bound`); the Frobenius bound ``||H||_F^2 <= 2 lambda_max / (eta q)``
  (:func:`frobenius_bound`).
* Two-layer ReLU nets and diagonal linear nets: ``tr H`` equals closed forms that are
  equivalent to the path norm / the l1 norm of beta (:func:`relu_trace`, :func:`diag_trace`).

The paper's full text could not be read for the reference note: only the abstract's statements
(tr H <= 2/eta for SGD, lambda_max <= 2/eta for GD, the norm equivalences) are read in the
paper; every formula with a B, the exact threshold, the closed forms and the bounds are
derived in the note (and re-derived and checked here).

References
----------
.. [1] L. Wu, W. J. Su, "The Implicit Regularization of Dynamical Stability in Stochastic
   Gradient Descent", ICML 2023, arXiv:2305.17490.
.. [2] R. Mulayoff, T. Michaeli, "Exact mean square linear stability analysis for SGD",
   arXiv:2306.07850.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

__all__ = [
    "batch_noise_fraction", "gd_threshold", "sgd_ms_threshold", "generalized_sharpness",
    "second_moment_step", "sharpness", "trace_bound", "frobenius_bound",
    "ms_threshold_upper_bound", "ms_threshold_lower_bound", "orthonormal_threshold",
    "online_gaussian_threshold", "online_gaussian_factor", "relu_per_sample_grads",
    "relu_trace", "relu_orbit_min_trace", "relu_amgm_trace_bound", "path_norm",
    "diag_per_sample_grads", "diag_trace", "unbalancedness", "balanced_factorization",
]

DENSE_MAX_RANK = 12  # dense r^2 x r^2 eigensolver up to this rank, matrix-free eigsh above
RANK_RTOL = 1e-10  # eigenvalues of H below RANK_RTOL * lambda_max count as zero (null space)


# ----------------------------------------------------------------------------- validation


def _grads(per_sample_grads) -> np.ndarray:
    g = np.asarray(per_sample_grads, dtype=np.float64)
    if g.ndim != 2 or g.shape[0] < 1 or g.shape[1] < 1:
        raise ValueError("per_sample_grads must be a 2-D array (n_samples, n_params) with "
                         f"n_samples, n_params >= 1, got shape {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError("per_sample_grads must be finite")
    if not np.any(g):
        raise ValueError("per_sample_grads must not be all zero (H = 0 is stable for every "
                         "learning rate)")
    return g


def _positive(value, name: str) -> float:
    if not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _sym_psd(H, name: str = "H") -> np.ndarray:
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] < 1:
        raise ValueError(f"{name} must be a square 2-D array, got shape {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError(f"{name} must be finite")
    scale = max(np.abs(H).max(), np.finfo(float).tiny)
    if np.abs(H - H.T).max() > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric")
    lam = np.linalg.eigvalsh(0.5 * (H + H.T))
    if lam[0] < -1e-10 * scale * H.shape[0]:
        raise ValueError(f"{name} must be positive semidefinite (min eigenvalue {lam[0]:.3g})")
    if lam[-1] <= 0:
        raise ValueError(f"{name} must be nonzero")
    return 0.5 * (H + H.T)


def batch_noise_fraction(n: int, batch_size: int = 1, replacement: bool = True) -> float:
    """The weight q of the per-sample term in the second-moment recursion.

    Parameters
    ----------
    n : int
        Number of training samples, >= 1.
    batch_size : int
        B >= 1; without replacement also B <= n.
    replacement : bool
        True: B i.i.d. uniform indices (q = 1/B).  False: a uniform B-subset
        (q = (n - B) / (B (n - 1)); q = 1 when n = 1).

    Returns
    -------
    float
        q in [0, 1]; q = 1 at B = 1 in both schemes and q = 0 (GD) at B = n without
        replacement.

    Notes
    -----
    ``E[H_b S H_b] = (1 - q) H S H + q (1/n) sum_i H_i S H_i`` for the batch Hessian
    ``H_b = (1/B) sum_{i in b} H_i`` (Sec. 2 of the note; derived, not read in the paper).
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
            or batch_size < 1):
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    if not isinstance(replacement, bool | np.bool_):
        raise ValueError(f"replacement must be True or False, got {replacement!r}")
    if replacement:
        return 1.0 / batch_size
    if batch_size > n:
        raise ValueError(f"batch_size must be in [1, n={n}] without replacement, "
                         f"got {batch_size}")
    if n == 1:
        return 1.0
    return (n - batch_size) / (batch_size * (n - 1))


# ----------------------------------------------------------------------------- GD


def gd_threshold(H) -> float:
    """Largest learning rate at which linearised GD is stable at a minimum with Hessian H.

    Parameters
    ----------
    H : (p, p) array
        Symmetric positive semidefinite, nonzero Hessian at the minimum.

    Returns
    -------
    float
        ``2 / lambda_max(H)``: ``delta <- (I - eta H) delta`` stays bounded iff
        ``eta <= 2 / lambda_max(H)``.

    Notes
    -----
    Classical (the abstract of [1]: GD's stability only constrains lambda_max(H) <= 2/eta;
    Thm 1 of [2]).  It is also necessary for SGD, because the mean of linearised SGD follows
    GD for every batch size (note Sec. 3.1).

    References
    ----------
    .. [1] Wu & Su (2023), abstract.  .. [2] Mulayoff & Michaeli (2023), Thm 1.
    """
    H = _sym_psd(H)
    return 2.0 / float(np.linalg.eigvalsh(H)[-1])


# ----------------------------------------------------------------------------- SGD, exact


def _range_basis(g: np.ndarray):
    """Eigenvalues lam (r,) of H = g^T g / n on its range and the per-sample gradients in that
    eigenbasis, b (n, r), so that H = diag(lam) = b^T b / n there."""
    n, p = g.shape
    if p <= n:
        lam, V = np.linalg.eigh(g.T @ g / n)
        keep = lam > RANK_RTOL * lam[-1]
        return lam[keep], g @ V[:, keep]
    lam, U = np.linalg.eigh(g @ g.T / n)  # kernel K = J J^T / n: same nonzero spectrum
    keep = lam > RANK_RTOL * lam[-1]
    lam, U = lam[keep], U[:, keep]
    return lam, U * np.sqrt(n * lam)  # b_i = V^T g_i with V = g^T U / sqrt(n lam)


def _top_eig_dense(lam, b, q):
    n, r = b.shape
    c = 0.5 * (lam[:, None] + lam[None, :]).ravel()
    w = np.einsum("ik,il->ikl", b, b).reshape(n, r * r) / np.sqrt(c)
    M = (q / n) * (w.T @ w)
    M[np.diag_indices_from(M)] += (1 - q) * np.outer(lam, lam).ravel() / c
    return float(scipy.linalg.eigvalsh(M, subset_by_index=[r * r - 1, r * r - 1])[0])


def _top_eig_matrix_free(lam, b, q):
    n, r = b.shape
    inv_sqrt_c = 1.0 / np.sqrt(0.5 * (lam[:, None] + lam[None, :]))
    ll = np.outer(lam, lam)

    def matvec(x):
        S = x.reshape(r, r) * inv_sqrt_c
        s = np.einsum("ij,jk,ik->i", b, S, b)
        out = (1 - q) * ll * S + (q / n) * (b.T * s) @ b
        return (out * inv_sqrt_c).ravel()

    op = scipy.sparse.linalg.LinearOperator((r * r, r * r), matvec=matvec, dtype=np.float64)
    v0 = np.eye(r).ravel()  # a PSD start: the top eigenvector is PSD (T is a positive map)
    val = scipy.sparse.linalg.eigsh(op, k=1, which="LA", v0=v0, tol=1e-13,
                                    return_eigenvectors=False)
    return float(val[0])


def generalized_sharpness(per_sample_grads, *, batch_size: int = 1, replacement: bool = True,
                          method: str = "auto") -> float:
    """``lambda_max(C^+ D)``: SGD is mean-square stable iff it is ``<= 2 / eta``.

    Parameters
    ----------
    per_sample_grads : (n, p) array
        Rows ``g_i = grad_theta f(x_i; theta*)`` at an interpolating minimum (loss
        ``1/2 (f - y)^2``, so ``H_i = g_i g_i^T``).
    batch_size, replacement :
        Sampling scheme, see :func:`batch_noise_fraction`.
    method : {"auto", "dense", "matrix_free"}
        "dense" builds the ``r^2 x r^2`` matrix on the range of H (r = rank H); "matrix_free"
        runs ``scipy.sparse.linalg.eigsh`` on the operator (cost ``O(r^2 n)`` per product);
        "auto" uses dense for ``r <= 12``.

    Returns
    -------
    float
        ``lambda_max(C^{-1/2} D C^{-1/2})`` on the range of H, in the eigenbasis of H, with
        ``C(S) = (H S + S H)/2`` and ``D(S) = (1-q) H S H + q (1/n) sum_i (g_i^T S g_i) g_i g_i^T``.
        Equals ``lambda_max(H)`` at q = 0.

    Notes
    -----
    Derived in the note (Sec. 3.2; = Thm 3 of Mulayoff & Michaeli).  The second-moment map
    ``T = I - 2 eta C + eta^2 D`` is self-adjoint for ``<A, B> = tr(AB)`` and maps PSD
    matrices to PSD matrices, so its spectral radius is its largest eigenvalue, and
    ``lambda_max(T) <= 1`` iff ``eta <S, D S> <= 2 <S, C S>`` for all S.  Directions in the
    null space of H never move (``rho(T) = 1`` there, pitfall 7), so the problem is solved on
    the range of H.
    """
    g = _grads(per_sample_grads)
    q = batch_noise_fraction(g.shape[0], batch_size, replacement)
    if method not in ("auto", "dense", "matrix_free"):
        raise ValueError(f"method must be 'auto', 'dense' or 'matrix_free', got {method!r}")
    lam, b = _range_basis(g)
    if q == 0.0:
        return float(lam[-1])
    if method == "dense" or (method == "auto" and lam.size <= DENSE_MAX_RANK):
        return _top_eig_dense(lam, b, q)
    return _top_eig_matrix_free(lam, b, q)


def sgd_ms_threshold(per_sample_grads, *, batch_size: int = 1, replacement: bool = True,
                     method: str = "auto") -> float:
    """Exact mean-square stability threshold ``eta*_MS`` of linearised SGD.

    Parameters
    ----------
    per_sample_grads : (n, p) array
        Rows ``g_i = grad_theta f(x_i; theta*)`` of the model output at an interpolating
        minimum of the loss ``1/2 (f(x_i) - y_i)^2`` (so ``H_i = g_i g_i^T``).  For the loss
        ``c (f - y)^2`` pass ``sqrt(2 c) * g``.
    batch_size : int
        B >= 1 (B <= n without replacement).
    replacement : bool
        True: B i.i.d. uniform indices per step; False: a uniform B-subset per step.
    method : {"auto", "dense", "matrix_free"}
        See :func:`generalized_sharpness`.

    Returns
    -------
    float
        ``eta*_MS = 2 / lambda_max(C^+ D)``: for ``eta <= eta*_MS`` the second moment
        ``E ||theta_t - theta*||^2`` of linearised SGD stays bounded from every start, for
        ``eta > eta*_MS`` it grows geometrically from some start.

    Notes
    -----
    Derived in the note, Sec. 3.2 (= Mulayoff & Michaeli 2023, Thm 3).  Sandwich at B = 1:
    ``2 / max_i ||g_i||^2 <= eta*_MS <= 2 / tr H``.  For n orthonormal g_i of equal squared
    norm s, ``eta*_MS = 2 / (s (q + (1 - q)/n))`` (:func:`orthonormal_threshold`).

    References
    ----------
    .. [1] Wu & Su (2023).  .. [2] Mulayoff & Michaeli (2023), Thm 3.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.sqrt(3.0) * np.eye(8)                      # 8 orthonormal gradients, s = 3
    >>> round(sgd_ms_threshold(g), 10), round(gd_threshold(g.T @ g / 8), 10)
    (0.6666666667, 5.3333333333)
    """
    return 2.0 / generalized_sharpness(per_sample_grads, batch_size=batch_size,
                                       replacement=replacement, method=method)


def second_moment_step(S, per_sample_grads, eta: float, *, batch_size: int = 1,
                       replacement: bool = True) -> np.ndarray:
    """One step ``S <- E[(I - eta H_b) S (I - eta H_b)]`` of the second-moment recursion.

    Parameters
    ----------
    S : (p, p) array
        Second moment ``E[delta delta^T]`` of the deviation from the minimum.
    per_sample_grads : (n, p) array
        As in :func:`sgd_ms_threshold`.
    eta : float
        Learning rate > 0.

    Returns
    -------
    (p, p) array
        ``S - eta (H S + S H) + eta^2 [(1-q) H S H + q (1/n) sum_i H_i S H_i]`` (note Sec. 2,
        derived).
    """
    g = _grads(per_sample_grads)
    eta = _positive(eta, "eta")
    q = batch_noise_fraction(g.shape[0], batch_size, replacement)
    S = np.asarray(S, dtype=np.float64)
    if S.shape != (g.shape[1], g.shape[1]):
        raise ValueError(f"S must have shape {(g.shape[1], g.shape[1])}, got {S.shape}")
    n = g.shape[0]
    H = g.T @ g / n
    HS = H @ S
    s = np.einsum("ij,jk,ik->i", g, S, g)
    return (S - eta * (HS + HS.T)
            + eta ** 2 * ((1 - q) * HS @ H + (q / n) * (g.T * s) @ g))


# ----------------------------------------------------------------------------- bounds


def sharpness(per_sample_grads) -> dict:
    """``tr H``, ``lambda_max(H)`` and ``||H||_F`` of ``H = (1/n) sum_i g_i g_i^T``.

    Computed from the spectrum of the smaller of ``H`` and the kernel ``K = J J^T / n`` (same
    nonzero eigenvalues), so it is cheap for ``p >> n`` (note Sec. 2).

    Returns
    -------
    dict
        ``{"trace", "lambda_max", "frobenius"}`` (floats).
    """
    g = _grads(per_sample_grads)
    n, p = g.shape
    lam = np.linalg.eigvalsh(g.T @ g / n if p <= n else g @ g.T / n)
    return {"trace": float(np.sum(g * g) / n), "lambda_max": float(lam[-1]),
            "frobenius": float(np.sqrt(np.sum(lam ** 2)))}


def trace_bound(eta: float, *, batch_size: int = 1, replacement: bool = True,
                n: int | None = None, rank: int | None = None) -> float:
    """Largest ``tr H`` compatible with mean-square stability of SGD at learning rate eta.

    Parameters
    ----------
    eta : float
        Learning rate > 0.
    batch_size, replacement :
        Sampling scheme; ``n`` is needed without replacement.
    n : int, optional
        Number of samples (only used without replacement; default: infinite, q = 1/B).
    rank : int, optional
        ``r = rank H``.  Given, the sharper bound ``2 / (eta (q + (1 - q)/r))`` is returned
        (note Errata 7); otherwise ``2 / (eta q)``.

    Returns
    -------
    float
        ``2 / (eta q)``: **2/eta at B = 1** (the paper's headline, abstract of [1]),
        ``2 B / eta`` with replacement.

    Notes
    -----
    The B = 1 statement ``tr H <= 2/eta`` is read in the abstract; the batch form and its
    proof are derived in the note (Sec. 3.2): the Rayleigh quotient of the second-moment map
    at the identity on the range of H is ``r - 2 eta tr H + eta^2 [(1-q) ||H||_F^2 +
    q (1/n) sum ||g_i||^4]`` and Jensen gives ``(1/n) sum ||g_i||^4 >= (tr H)^2``,
    ``||H||_F^2 >= (tr H)^2 / r``.  It is *not* ``2/eta`` for B >= 2.
    """
    eta = _positive(eta, "eta")
    q = _q(batch_size, replacement, n)
    if rank is not None:
        if isinstance(rank, bool) or not isinstance(rank, numbers.Integral) or rank < 1:
            raise ValueError(f"rank must be an integer >= 1, got {rank!r}")
        return 2.0 / (eta * (q + (1 - q) / rank))
    if q == 0:
        return np.inf
    return 2.0 / (eta * q)


def frobenius_bound(eta: float, lambda_max: float, *, batch_size: int = 1,
                    replacement: bool = True, n: int | None = None) -> float:
    """Largest ``||H||_F`` compatible with mean-square stability: ``sqrt(2 lambda_max/(eta q))``.

    Notes
    -----
    Derived in the note (Sec. 3.2): the Rayleigh quotient at ``S = H`` with
    ``(1/n) sum (g_i^T H g_i)^2 >= ||H||_F^4`` and ``tr H^3 <= lambda_max ||H||_F^2`` gives
    ``||H||_F^2 <= 2 lambda_max / (eta q)``; with ``lambda_max <= 2/eta`` this is
    ``||H||_F <= 2 sqrt(B) / eta`` (with replacement), the form of Wu, Wang & Su (2022)
    without their alignment assumption.
    """
    eta = _positive(eta, "eta")
    lambda_max = _positive(lambda_max, "lambda_max")
    q = _q(batch_size, replacement, n)
    if q == 0:
        return np.inf
    return float(np.sqrt(2.0 * lambda_max / (eta * q)))


def ms_threshold_upper_bound(per_sample_grads, *, batch_size: int = 1,
                             replacement: bool = True) -> float:
    """``2 tr H / [(1-q) ||H||_F^2 + q (1/n) sum_i ||g_i||^4] >= eta*_MS``.

    Notes
    -----
    Mulayoff & Michaeli (2023), Prop. 3, eq. (16); the Rayleigh quotient of the second-moment
    map at the identity (note Sec. 3.2, derived).  At B = 1 it is
    ``2 tr H / mean ||g_i||^4 <= 2 / tr H``.
    """
    g = _grads(per_sample_grads)
    n = g.shape[0]
    q = batch_noise_fraction(n, batch_size, replacement)
    sq = np.sum(g * g, axis=1)
    sh = sharpness(g)
    return 2.0 * sh["trace"] / ((1 - q) * sh["frobenius"] ** 2 + q * np.mean(sq ** 2))


def ms_threshold_lower_bound(per_sample_grads) -> float:
    """``2 / max_i ||g_i||^2 <= eta*_MS`` at B = 1 (every factor ``I - eta g g^T`` contracts).

    Notes
    -----
    Derived in the note (Sec. 3.2, "Sandwich for B = 1").
    """
    g = _grads(per_sample_grads)
    return 2.0 / float(np.max(np.sum(g * g, axis=1)))


# ----------------------------------------------------------------------------- closed forms


def orthonormal_threshold(n: int, s: float, *, batch_size: int = 1,
                          replacement: bool = True) -> float:
    """``eta*_MS`` for n mutually orthogonal gradients of equal squared norm s.

    Returns
    -------
    float
        ``2 / (s (q + (1 - q)/n))``: ``2/s`` at B = 1, ``2B / (s (1 + (B-1)/n))`` with
        replacement, ``2n/s`` (= GD) at B = n without replacement.

    Notes
    -----
    Derived in the note (Sec. 3.2 table; Errata 1 gives 2/eta* = 3, 1.69, 1.03, 0.70 for
    n = 8, s = 3, B = 1, 2, 4, 8 with replacement).  In the basis of the g_i,
    ``H = (s/n) I``, ``C(I) = (s/n) I`` and ``D(I) = (s^2/n)((1-q)/n + q) I``, so the identity
    is the top eigenvector of ``C^+ D`` with eigenvalue ``s (q + (1-q)/n)``.
    """
    s = _positive(s, "s")
    q = batch_noise_fraction(n, batch_size, replacement)
    return 2.0 / (s * (q + (1 - q) / n))


def online_gaussian_factor(eta: float, d: int, *, batch_size: int = 1) -> float:
    """Per-step factor of ``S = I`` in online least squares: ``1 - 2 eta + eta^2 (1 + (d+1)/B)``.

    Notes
    -----
    Derived in the note (Sec. 6 check 5): ``x ~ N(0, I_d)``, noiseless labels, fresh i.i.d.
    samples, ``E[x x^T S x x^T] = 2 S + tr(S) I`` (the per-step map on traceless S has the
    smaller factor ``1 - 2 eta + eta^2 (1 + 1/B)``).
    """
    eta = _positive(eta, "eta")
    d, B = _posint(d, "d"), _posint(batch_size, "batch_size")
    return 1.0 - 2.0 * eta + eta ** 2 * (1.0 + (d + 1.0) / B)


def online_gaussian_threshold(d: int, *, batch_size: int = 1) -> float:
    """``eta*_MS = 2 / (1 + (d + 1)/B)`` of online Gaussian least squares (2/(d+2) at B = 1).

    Notes
    -----
    Derived in the note (Sec. 3.2 table and Sec. 6 check 5).  Compare ``2/tr H = 2/d`` and GD's
    ``2/lambda_max = 2``.
    """
    d, B = _posint(d, "d"), _posint(batch_size, "batch_size")
    return 2.0 / (1.0 + (d + 1.0) / B)


def _q(batch_size, replacement, n):
    if replacement is True or replacement is np.True_:
        return batch_noise_fraction(_posint(batch_size, "batch_size"), batch_size, True)
    if n is None:
        raise ValueError("n is required without replacement")
    return batch_noise_fraction(n, batch_size, replacement)


def _posint(v, name):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    return int(v)


# ----------------------------------------------------------------------------- two-layer ReLU


def _relu_inputs(a, W, X):
    a, W, X = (np.asarray(v, dtype=np.float64) for v in (a, W, X))
    if a.ndim != 1 or W.ndim != 2 or X.ndim != 2:
        raise ValueError("a must be (m,), W (m, d) and X (n, d); got shapes "
                         f"{a.shape}, {W.shape}, {X.shape}")
    if W.shape[0] != a.shape[0] or W.shape[1] != X.shape[1]:
        raise ValueError(f"shapes do not match: a {a.shape}, W {W.shape}, X {X.shape}")
    return a, W, X


def relu_per_sample_grads(a, W, X) -> np.ndarray:
    """Per-sample gradients of ``f(x) = sum_j a_j relu(w_j . x)`` (no bias, no 1/m).

    Returns
    -------
    (n, m + m d) array
        Row i is ``(relu(W x_i), vec(a_j 1{w_j . x_i > 0} x_i))`` (parameters ordered a, then W
        row-major), with ``relu'(0) = 0`` (pitfall 14).
    """
    a, W, X = _relu_inputs(a, W, X)
    Z = X @ W.T
    act = (Z > 0).astype(np.float64)
    gW = (act * a)[:, :, None] * X[:, None, :]
    return np.concatenate([np.maximum(Z, 0.0), gW.reshape(X.shape[0], -1)], axis=1)


def relu_trace(a, W, X) -> float:
    """``tr G = (1/n) sum_i sum_j [relu(z_ij)^2 + a_j^2 1{z_ij > 0} ||x_i||^2]``, z = X W^T.

    Notes
    -----
    Derived in the note (Sec. 3.4).  It equals ``tr(nabla^2 L)`` for the loss
    ``1/2 mean (f - y)^2`` at **every** theta, not only at minima: the residual term's diagonal
    second derivatives vanish almost everywhere for ReLU (note Sec. 6 check 7).
    """
    a, W, X = _relu_inputs(a, W, X)
    Z = X @ W.T
    x2 = np.sum(X * X, axis=1)
    return float(np.mean(np.sum(np.maximum(Z, 0) ** 2 + (Z > 0) * (a ** 2) * x2[:, None],
                                axis=1)))


def relu_orbit_min_trace(a, W, X) -> float:
    """Minimum of :func:`relu_trace` over the rescalings ``a_j / c_j, c_j w_j``, c_j > 0.

    ``2 sum_j |a_j| sqrt(mean_i relu(z_ij)^2) sqrt(mean_i 1{z_ij>0} ||x_i||^2)`` (note Sec. 3.4,
    derived; AM-GM per neuron).
    """
    a, W, X = _relu_inputs(a, W, X)
    Z = X @ W.T
    x2 = np.sum(X * X, axis=1)
    A = np.mean(np.maximum(Z, 0) ** 2, axis=0)
    Bn = np.mean((Z > 0) * x2[:, None], axis=0)
    return float(2.0 * np.sum(np.abs(a) * np.sqrt(A * Bn)))


def relu_amgm_trace_bound(a, W, X) -> float:
    """``(2/n) sum_i ||x_i|| sum_j |a_j| relu(z_ij) <= relu_orbit_min_trace <= relu_trace``.

    Notes
    -----
    Derived in the note (Sec. 3.4, bound 2).  With ``||x_i|| = R`` it is ``>= 2 R gamma_n
    ||theta||_P`` where ``gamma_n = inf_u mean_i relu(u . x_i)``, whence the path-norm bound
    ``||theta||_P <= 1 / (eta R gamma_n)`` at SGD-stable minima (B = 1).
    """
    a, W, X = _relu_inputs(a, W, X)
    Z = X @ W.T
    return float(2.0 * np.mean(np.linalg.norm(X, axis=1) * (np.maximum(Z, 0) @ np.abs(a))))


def path_norm(a, W) -> float:
    """``||theta||_P = sum_j |a_j| ||w_j||_2`` (invariant under the rescaling symmetry)."""
    a, W = np.asarray(a, dtype=np.float64), np.asarray(W, dtype=np.float64)
    if a.ndim != 1 or W.ndim != 2 or W.shape[0] != a.shape[0]:
        raise ValueError(f"a must be (m,) and W (m, d), got {a.shape} and {W.shape}")
    return float(np.sum(np.abs(a) * np.linalg.norm(W, axis=1)))


# ----------------------------------------------------------------------------- diagonal net


def _diag_inputs(a, b, X):
    a, b, X = (np.asarray(v, dtype=np.float64) for v in (a, b, X))
    if a.ndim != 1 or a.shape != b.shape or X.ndim != 2 or X.shape[1] != a.shape[0]:
        raise ValueError("a and b must be (d,) and X (n, d); got shapes "
                         f"{a.shape}, {b.shape}, {X.shape}")
    return a, b, X


def diag_per_sample_grads(a, b, X) -> np.ndarray:
    """Per-sample gradients of ``f(x) = <a * b, x>``: row i is ``(b * x_i, a * x_i)``."""
    a, b, X = _diag_inputs(a, b, X)
    return np.concatenate([X * b, X * a], axis=1)


def diag_trace(a, b, X) -> float:
    """``tr G = sum_j (a_j^2 + b_j^2) C_jj >= 2 sum_j |a_j b_j| C_jj``, ``C_jj = mean_i x_ij^2``.

    Notes
    -----
    Derived in the note (Sec. 3.3).  Equals ``tr(nabla^2 L)`` at every theta; with standardised
    features (C_jj = 1) it is ``2 r(theta) ||beta||_1`` (:func:`unbalancedness`), so at a
    B = 1 SGD-stable minimum ``||beta||_1 <= 1 / (eta r) <= 1/eta``.
    """
    a, b, X = _diag_inputs(a, b, X)
    return float(np.sum((a ** 2 + b ** 2) * np.mean(X ** 2, axis=0)))


def unbalancedness(a, b) -> float:
    """``r(theta) = (||a||^2 + ||b||^2) / (2 ||a * b||_1) >= 1`` (1 iff |a_j| = |b_j|)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be 1-D of equal shape, got {a.shape} and {b.shape}")
    l1 = np.sum(np.abs(a * b))
    if l1 == 0:
        raise ValueError("a * b must be nonzero (r is undefined at beta = 0)")
    return float((np.sum(a ** 2) + np.sum(b ** 2)) / (2 * l1))


def balanced_factorization(beta) -> tuple[np.ndarray, np.ndarray]:
    """``a = sqrt|beta|``, ``b = sign(beta) sqrt|beta|``: the minimum-trace factorisation."""
    beta = np.asarray(beta, dtype=np.float64)
    if beta.ndim != 1:
        raise ValueError(f"beta must be 1-D, got shape {beta.shape}")
    root = np.sqrt(np.abs(beta))
    return root, np.sign(beta) * root
