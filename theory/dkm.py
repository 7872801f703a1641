"""Deep kernel machines (Yang et al. 2023): the DKM objective, its optimum, the NNGP limit,
the deep-linear closed form, the sparse (inducing-point) DKM and a regression model.

Reads like the paper (``../shared/papers/dkm.md``, "the note"):

* kernels acting on width-normalised Gram matrices, ``K(G)`` (Sec. 2.2);
* the Gaussian KL and the Wishart identity that makes the DKM the limit of a deep GP (R1);
* the DKM objective ``L(G_1..G_L) = log P(Y|G_L) - sum_l nu_l KL(N(0,G_l) || N(0,K(G_{l-1})))``
  (Sec. 2.4) and its maximiser, found by float64 L-BFGS on log-diagonal Cholesky factors
  started at the NNGP (Sec. 5.2);
* the NNGP chain and log marginal likelihood (the nu -> infinity limit, R4);
* the deep-linear closed form, a geodesic between G_0 and YY^T/nu_{L+1} (R5);
* the two-piece Gaussian limit posterior of a one-layer ReLU network (R8);
* the sparse DKM with inducing points, whose cost is linear in the number of data points
  (Sec. 2.7, R7), prediction at test inputs (Sec. 2.6), and :class:`DKMRegressor`.

Provenance: the objective's form (KL(N(0,G)||N(0,K)) weighted by nu_l) is derived from the
Wishart identity R1 (note, errata 11), not read in the paper; the kernels' conventions, the
closed forms and the sparse identities are derived in the note.  Gradients come from JAX in
float64 (``jax.experimental.enable_x64``); everything returned is float64 numpy.

Jitter: every kernel matrix on a set of points is ``K(G) + jitter * I`` (default 1e-6), the
output kernel included (note, errata 5); the note's anchors assume this.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import partial

import numpy as np
import scipy.optimize
from scipy.special import multigammaln
from sklearn.base import BaseEstimator, RegressorMixin

from theory._blas import one_blas_thread
from theory._jax import float64

KERNELS = ("relu_arccos", "squared_exponential", "linear")
DEFAULT_JITTER = 1e-6
_CLIP = 1.0 - 1e-12


# ----------------------------------------------------------------------- validation helpers


def _check_kernel(kernel: str) -> str:
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    return kernel


def _check_xy(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"x must be a 2-D array (P, N_0), got shape {x.shape}")
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have shape (P,) or (P, nu_out) with P = {x.shape[0]} rows "
                         f"like x, got shape {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite")
    return x, y


def _check_depth(depth) -> int:
    if not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth must be an integer >= 1, got {depth!r}")
    return int(depth)


def _check_nu(nu, depth: int) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(nu, dtype=float))
    if arr.size == 1:
        arr = np.full(depth, float(arr[0]))
    if arr.shape != (depth,):
        raise ValueError(f"nu must be a positive scalar or a sequence of length depth={depth}, "
                         f"got {nu!r}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"nu must be > 0 and finite (nu -> inf is the NNGP: use "
                         f"nngp_log_marginal_likelihood), got {nu!r}")
    return arr


def _check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    v = float(value)
    ok = v >= 0 if allow_zero else v > 0
    if not np.isfinite(v) or not ok:
        rng = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {rng}, got {value!r}")
    return v


def _check_gram(name: str, g, p: int) -> np.ndarray:
    g = np.asarray(g, dtype=float)
    if g.shape != (p, p):
        raise ValueError(f"{name} must have shape ({p}, {p}), got {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError(f"{name} must be finite")
    scale = max(1.0, float(np.max(np.abs(g))))
    if np.max(np.abs(g - g.T)) > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric")
    g = (g + g.T) / 2
    if np.linalg.eigvalsh(g)[0] <= 0:
        raise ValueError(f"{name} must be positive definite (the KL needs log|G|); its smallest "
                         f"eigenvalue is {np.linalg.eigvalsh(g)[0]:.3g}")
    return g


def input_gram(x) -> np.ndarray:
    """Width-normalised input Gram matrix ``G_0 = X X^T / N_0`` (note Sec. 2.1)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-D array (P, N_0), got shape {x.shape}")
    return x @ x.T / x.shape[1]


# ------------------------------------------------------------------- kernels on Gram matrices
# jnp implementations; every public entry point wraps them in float64.


def _kcross(gti, gt, gi, kernel: str, length_scale: float):
    """Kernel between two point sets from their cross Gram block and their diagonals."""
    import jax.numpy as jnp

    if kernel == "linear":
        return gti
    if kernel == "squared_exponential":
        r = (gt[:, None] + gi[None, :]) / 2 - gti
        return jnp.exp(-r / length_scale**2)
    norm = jnp.sqrt(gt[:, None] * gi[None, :])
    c = jnp.clip(gti / norm, -_CLIP, _CLIP)
    theta = jnp.arccos(c)
    return (norm * jnp.sqrt(1 - c**2) + (jnp.pi - theta) * gti) / jnp.pi


def _kdiag(gt, kernel: str):
    """Diagonal k_t = K(G)_tt from diag(G): SE gives 1, arccos and linear keep G_tt."""
    import jax.numpy as jnp

    return jnp.ones_like(gt) if kernel == "squared_exponential" else gt


def _kfull(g, kernel: str, length_scale: float, jitter: float):
    """K(G) + jitter I on one point set (the diagonal set exactly, no arccos at c = 1)."""
    import jax.numpy as jnp

    p = g.shape[0]
    eye = jnp.eye(p, dtype=g.dtype)
    d = jnp.diagonal(g)
    if kernel == "relu_arccos":
        # mask the diagonal before arccos: d arccos(c)/dc = -inf at c = 1 (note Sec. 7)
        norm = jnp.sqrt(d[:, None] * d[None, :])
        c = jnp.where(eye > 0, 0.0, g / norm)
        c = jnp.clip(c, -_CLIP, _CLIP)
        theta = jnp.arccos(c)
        k = (norm * jnp.sqrt(1 - c**2) + (jnp.pi - theta) * g) / jnp.pi
        k = jnp.where(eye > 0, g, k)
    else:
        k = _kcross(g, d, d, kernel, length_scale)
        k = (k + k.T) / 2
    return k + jitter * eye


def kernel_matrix(gram, *, kernel: str, length_scale: float = 1.0,
                  jitter: float = 0.0) -> np.ndarray:
    """The kernel as a function of the Gram matrix, ``K(G) + jitter I``.

    Parameters
    ----------
    gram : array (P, P)
        Width-normalised Gram matrix ``G = F F^T / N`` (symmetric, PSD).
    kernel : {"relu_arccos", "squared_exponential", "linear"}
        * ``relu_arccos``: ``K_ij = (sqrt(G_ii G_jj - G_ij^2) + (pi - theta_ij) G_ij) / pi``,
          ``theta_ij = arccos(G_ij / sqrt(G_ii G_jj))``; ``K = 2 E[relu(u) relu(v)]``,
          ``(u, v) ~ N(0, G)`` (Cho and Saul order 1); ``K_ii = G_ii``.
        * ``squared_exponential``: ``exp(-(G_ii + G_jj - 2 G_ij) / (2 l^2))``.
        * ``linear``: ``K(G) = G``.
    length_scale : float, > 0
        ``l`` of the SE kernel, on the width-normalised squared distance.
    jitter : float, >= 0
        Added to the diagonal.

    Returns
    -------
    ndarray (P, P), float64.

    Notes
    -----
    Note Sec. 2.2: the kernel depends on the features only through G (read in the paper);
    the explicit conventions are derived in the note (SE with l = 1, arccos without weight and
    bias variances, as in the authors' later library).

    References
    ----------
    Cho, Saul (2009), Kernel methods for deep learning.  Yang et al. (2023), Sec. 2.
    """
    _check_kernel(kernel)
    _check_positive("length_scale", length_scale)
    _check_positive("jitter", jitter, allow_zero=True)
    g = np.asarray(gram, dtype=float)
    if g.ndim != 2 or g.shape[0] != g.shape[1]:
        raise ValueError(f"gram must be a square matrix, got shape {g.shape}")
    if np.any(np.diagonal(g) < 0):
        raise ValueError("gram must be positive semi-definite (negative diagonal entry)")
    with float64():
        import jax.numpy as jnp

        return np.asarray(_kfull(jnp.asarray(g), kernel, float(length_scale), float(jitter)))


# --------------------------------------------------------------------------- KL and Wishart


def _chol_logdet(a):
    import jax.numpy as jnp

    lc = jnp.linalg.cholesky(a)
    return lc, 2 * jnp.sum(jnp.log(jnp.diagonal(lc)))


def _kl_chol(lg, k):
    """KL(N(0, L L^T) || N(0, K)) from the Cholesky factor L of G."""
    import jax.numpy as jnp
    from jax.scipy.linalg import solve_triangular

    lk, logdet_k = _chol_logdet(k)
    m = solve_triangular(lk, lg, lower=True)
    logdet_g = 2 * jnp.sum(jnp.log(jnp.abs(jnp.diagonal(lg))))
    return 0.5 * (jnp.sum(m**2) - logdet_g + logdet_k - k.shape[0])


def gaussian_kl(g, k) -> float:
    """``KL(N(0, G) || N(0, K)) = (tr(K^-1 G) - log|K^-1 G| - P) / 2``.

    Parameters
    ----------
    g, k : arrays (P, P), symmetric positive definite.

    Returns
    -------
    float

    Notes
    -----
    The direction is posterior || prior, G first (note Sec. 2.4).
    """
    k = np.asarray(k, dtype=float)
    if k.ndim != 2 or k.shape[0] != k.shape[1]:
        raise ValueError(f"k must be a square matrix, got shape {k.shape}")
    p = k.shape[0]
    g = _check_gram("g", g, p)
    k = _check_gram("k", k, p)
    lg, lk = np.linalg.cholesky(g), np.linalg.cholesky(k)
    m = np.linalg.solve(lk, lg)
    return float(0.5 * (np.sum(m**2) - 2 * np.sum(np.log(np.diag(lg)))
                        + 2 * np.sum(np.log(np.diag(lk))) - p))


def wishart_log_density_from_kl(g, k, n: float) -> float:
    """Log-density of ``G ~ Wishart(K/N, N)`` written as ``-N KL + G-only term`` (R1).

    ``log W(G; K/N, N) = -N KL(N(0,G) || N(0,K)) - ((P+1)/2) log|G| + c(N, P)``, with
    ``c(N, P) = (N P / 2)(log(N/2) - 1) - log Gamma_P(N/2)``.

    Parameters
    ----------
    g, k : arrays (P, P), symmetric positive definite.
    n : float, > P - 1
        Degrees of freedom (the layer width).

    Returns
    -------
    float

    Notes
    -----
    Derived in the note (R1; errata 11): it is why the posterior over Gram matrices of a wide
    deep GP concentrates on the maximiser of the DKM objective when the likelihood is scaled
    by N (the Bayesian representation learning limit).  Compare with
    ``scipy.stats.wishart(df=N, scale=K/N).logpdf(G)``.
    """
    k = np.asarray(k, dtype=float)
    p = k.shape[0] if k.ndim == 2 else -1
    if p < 1 or k.shape != (p, p):
        raise ValueError(f"k must be a square matrix, got shape {k.shape}")
    n = float(n)
    if not np.isfinite(n) or n <= p - 1:
        raise ValueError(f"n must be finite and > P - 1 = {p - 1}, got {n!r}")
    g = _check_gram("g", g, p)
    logdet_g = np.linalg.slogdet(g)[1]
    c = n * p / 2 * (np.log(n / 2) - 1) - multigammaln(n / 2, p)
    return float(-n * gaussian_kl(g, k) - (p + 1) / 2 * logdet_g + c)


# --------------------------------------------------------------------------- the objective


def _gauss_loglik(kmat, y):
    """sum over columns of log N(y_lambda; 0, kmat)."""
    import jax.numpy as jnp
    from jax.scipy.linalg import solve_triangular

    lc, logdet = _chol_logdet(kmat)
    a = solve_triangular(lc, y, lower=True)
    p, nout = y.shape
    return -0.5 * (jnp.sum(a**2) + nout * (logdet + p * jnp.log(2 * jnp.pi)))


def _objective_chol(chols, g0, y, nu, noise_var, kernel, length_scale, jitter):
    """DKM objective from the Cholesky factors of G_1..G_L; also returns the KL terms."""
    import jax.numpy as jnp

    g_prev = g0
    kls = []
    for lam, lg in zip(nu, chols):
        k = _kfull(g_prev, kernel, length_scale, jitter)
        kls.append(lam * _kl_chol(lg, k))
        g_prev = lg @ lg.T
    p = g0.shape[0]
    kout = _kfull(g_prev, kernel, length_scale, jitter) + noise_var * jnp.eye(p, dtype=g0.dtype)
    ll = _gauss_loglik(kout, y)
    return ll - sum(kls), ll, jnp.stack(kls)


@dataclasses.dataclass(frozen=True)
class DKMFit:
    """The maximiser of the DKM objective.

    Attributes
    ----------
    grams : list of (P, P) arrays, G*_1 .. G*_L.
    objective : float, L* (the maximum).
    log_likelihood : float, log P(Y | G*_L).
    kl : (L,) array, nu_l KL_l at the optimum (weighted by nu).
    n_iter : int, L-BFGS iterations.
    converged : bool, scipy's success flag.
    grad_norm : float, max |gradient| at the end (in the Cholesky parameters).
    """

    grams: list
    objective: float
    log_likelihood: float
    kl: np.ndarray
    n_iter: int
    converged: bool
    grad_norm: float


def _pack_chol(chols: Sequence[np.ndarray]) -> np.ndarray:
    """Lower triangles with a log-diagonal, flattened (the PD parametrisation)."""
    out = []
    for lc in chols:
        p = lc.shape[0]
        m = np.array(lc, dtype=float)
        m[np.diag_indices(p)] = np.log(np.diag(m))
        out.append(m[np.tril_indices(p)])
    return np.concatenate(out)


def _unpack_chol(theta, p: int, depth: int):
    import jax.numpy as jnp

    rows, cols = np.tril_indices(p)
    n = rows.size
    diag = rows == cols
    out = []
    for ell in range(depth):
        v = theta[ell * n:(ell + 1) * n]
        v = jnp.where(diag, jnp.exp(v), v)
        out.append(jnp.zeros((p, p), dtype=theta.dtype).at[rows, cols].set(v))
    return out


def _white_kl(a):
    """KL(N(0, A A^T) || N(0, I)) for a lower-triangular A (the whitened layer)."""
    import jax.numpy as jnp

    return 0.5 * (jnp.sum(a**2) - 2 * jnp.sum(jnp.log(jnp.abs(jnp.diagonal(a)))) - a.shape[0])


def _white_forward(whites, g0, kernel, length_scale, jitter):
    """Whitened layers: ``G_l = C_l A_l A_l^T C_l^T`` with ``C_l = chol(K(G_{l-1}))``.

    Then ``KL(N(0, G_l) || N(0, K(G_{l-1}))) = KL(N(0, A_l A_l^T) || N(0, I))`` and the NNGP
    is ``A_l = I``.  Returns the Gram matrices and the (unweighted) KL terms.
    """
    g = g0
    grams, kls = [], []
    import jax.numpy as jnp

    for a in whites:
        c = jnp.linalg.cholesky(_kfull(g, kernel, length_scale, jitter))
        lg = c @ a
        g = lg @ lg.T
        grams.append(g)
        kls.append(_white_kl(a))
    return grams, kls


def _white_objective(theta, g0, y, nu, noise_var, kernel, length_scale, jitter, p, depth):
    import jax.numpy as jnp

    grams, kls = _white_forward(_unpack_chol(theta, p, depth), g0, kernel, length_scale, jitter)
    kout = _kfull(grams[-1], kernel, length_scale, jitter) + noise_var * jnp.eye(p,
                                                                                 dtype=g0.dtype)
    return _gauss_loglik(kout, y) - sum(n * kl for n, kl in zip(nu, kls))


@partial(__import__("jax").jit, static_argnames=("p", "depth", "kernel"))
def _neg_obj_and_grad(theta, g0, y, nu, noise_var, length_scale, jitter, *, p, depth, kernel):
    import jax

    def f(t):
        return -_white_objective(t, g0, y, nu, noise_var, kernel, length_scale, jitter, p,
                                 depth)

    return jax.value_and_grad(f)(theta)


@one_blas_thread()
def nngp_grams(x, *, depth: int, kernel: str, length_scale: float = 1.0,
               jitter: float = DEFAULT_JITTER) -> list[np.ndarray]:
    """The NNGP chain ``G_l = K(G_{l-1}) + jitter I``, l = 1..depth, from ``G_0 = XX^T/N_0``.

    Notes
    -----
    The deterministic standard infinite-width limit (note Sec. 2.3, read in the paper) and the
    nu -> infinity limit of the DKM optimum (R4).
    """
    _check_kernel(kernel)
    depth = _check_depth(depth)
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-D array (P, N_0), got shape {x.shape}")
    g = input_gram(x)
    out = []
    for _ in range(depth):
        g = kernel_matrix(g, kernel=kernel, length_scale=length_scale, jitter=jitter)
        out.append(g)
    return out


def nngp_log_marginal_likelihood(x, y, *, depth: int, kernel: str, noise_var: float,
                                 length_scale: float = 1.0,
                                 jitter: float = DEFAULT_JITTER) -> float:
    """Log marginal likelihood of the NNGP: ``sum_lambda log N(y_lambda; 0, K(G^NNGP_L) + s2 I)``.

    Parameters
    ----------
    x : array (P, N_0)
    y : array (P,) or (P, nu_out)
    depth : int >= 1
        Number of hidden layers L.
    kernel : {"relu_arccos", "squared_exponential", "linear"}
    noise_var : float, > 0
    length_scale, jitter : see :func:`kernel_matrix`.

    Returns
    -------
    float

    Notes
    -----
    The nu -> infinity limit of the DKM optimum (note R4, read in the paper as a claim; the
    TOY8 values -9.306280 (SE) and -14.321353 (arccos) are derived in the note).
    """
    x, y = _check_xy(x, y)
    noise_var = _check_positive("noise_var", noise_var)
    gl = nngp_grams(x, depth=depth, kernel=kernel, length_scale=length_scale, jitter=jitter)[-1]
    k = kernel_matrix(gl, kernel=kernel, length_scale=length_scale, jitter=jitter)
    k = k + noise_var * np.eye(len(k))
    lc = np.linalg.cholesky(k)
    a = np.linalg.solve(lc, y)
    p, nout = y.shape
    return float(-0.5 * (np.sum(a**2) + nout * (2 * np.sum(np.log(np.diag(lc)))
                                                + p * np.log(2 * np.pi))))


@one_blas_thread()
def dkm_objective(grams, x, y, *, kernel: str, nu, noise_var: float, length_scale: float = 1.0,
                  jitter: float = DEFAULT_JITTER, return_terms: bool = False):
    """The DKM objective ``L(G_1..G_L)``.

    ``L = sum_lambda log N(y_lambda; 0, K(G_L) + s2 I)
    - sum_l nu_l KL(N(0, G_l) || N(0, K(G_{l-1})))``, with ``G_0 = X X^T / N_0``.

    Parameters
    ----------
    grams : sequence of L arrays (P, P)
        G_1 .. G_L, symmetric positive definite.
    x : array (P, N_0)
    y : array (P,) or (P, nu_out); the log-likelihood sums over the nu_out columns.
    kernel : {"relu_arccos", "squared_exponential", "linear"}
    nu : float or sequence of L floats, > 0
        The KL weights nu_l (the "degrees of freedom", N_l = N nu_l).
    noise_var : float, >= 0
        Gaussian observation noise sigma^2 (0 only where K(G_L) is full rank).
    length_scale : float, > 0 (SE kernel only)
    jitter : float, >= 0
    return_terms : bool
        Also return ``(log_likelihood, nu_l * KL_l)``.

    Returns
    -------
    float, or (float, float, ndarray (L,))

    Notes
    -----
    Note Sec. 2.4. The form (KL posterior || prior, weights nu_l multiplying it) is read in the
    paper's abstract-level description and derived from the Wishart identity R1 (errata 11);
    the ELBO of an infinite-width DGP in the Bayesian representation learning limit.

    References
    ----------
    Yang et al. (2023), ICML, arXiv:2108.13097, Sec. 4.
    """
    _check_kernel(kernel)
    x, y = _check_xy(x, y)
    if isinstance(grams, np.ndarray) and grams.ndim == 2:
        grams = [grams]
    grams = list(grams)
    depth = _check_depth(len(grams)) if grams else _check_depth(0)
    nu = _check_nu(nu, depth)
    noise_var = _check_positive("noise_var", noise_var, allow_zero=True)
    _check_positive("length_scale", length_scale)
    _check_positive("jitter", jitter, allow_zero=True)
    p = x.shape[0]
    chols = [np.linalg.cholesky(_check_gram(f"grams[{i}]", g, p)) for i, g in enumerate(grams)]
    with float64():
        import jax.numpy as jnp

        val, ll, kls = _objective_chol([jnp.asarray(c) for c in chols], jnp.asarray(input_gram(x)),
                                       jnp.asarray(y), tuple(nu), noise_var, kernel,
                                       float(length_scale), float(jitter))
        val, ll, kls = float(val), float(ll), np.asarray(kls)
    if not np.isfinite(val):
        raise ValueError("the objective is not finite: K(G_L) + noise_var I is singular "
                         "(increase noise_var or jitter)")
    return (val, ll, kls) if return_terms else val


@one_blas_thread()
def dkm_optimum(x, y, *, depth: int, kernel: str, nu, noise_var: float,
                length_scale: float = 1.0, jitter: float = DEFAULT_JITTER,
                init="nngp", seed: int = 0, gtol: float = 1e-9,
                maxiter: int = 20000) -> DKMFit:
    """Maximise the DKM objective (full DKM, all P training points).

    Parameters
    ----------
    x, y, depth, kernel, nu, noise_var, length_scale, jitter
        As in :func:`dkm_objective`.
    init : {"nngp", "random"}
        Start at the NNGP chain (``G_l = K(G_{l-1})``, zero KL; default), or at random SPD
        matrices ``A A^T / P + 0.1 I`` scaled to the NNGP's trace (seeded by ``seed``), to probe
        uniqueness of the optimum.
    seed : int
    gtol : float
        L-BFGS projected-gradient tolerance.
    maxiter : int

    Returns
    -------
    DKMFit

    Notes
    -----
    Whitened parametrisation ``G_l = C_l A_l A_l^T C_l^T``, ``C_l = chol(K(G_{l-1}))``, with A_l
    lower triangular and a log-diagonal, so every iterate is positive definite and the KL
    terms are ``KL(N(0, A A^T) || N(0, I))``; float64 L-BFGS (scipy) on JAX gradients, started
    at the NNGP (A_l = I) as in the authors' code (note Sec. 5.2).  On TOY8 this takes ~40
    iterations where plain Cholesky factors of G_l took ~4500 (the SE kernel is badly
    conditioned).  The naive fixed point
    ``G_l <- (K^-1 - 2 Lambda_l / nu_l)^-1`` (errata 1) diverges on TOY8, so it is not used.
    """
    _check_kernel(kernel)
    depth = _check_depth(depth)
    x, y = _check_xy(x, y)
    nu = _check_nu(nu, depth)
    noise_var = _check_positive("noise_var", noise_var, allow_zero=True)
    _check_positive("length_scale", length_scale)
    _check_positive("jitter", jitter, allow_zero=True)
    if init not in ("nngp", "random"):
        raise ValueError(f"init must be 'nngp' or 'random', got {init!r}")
    p = x.shape[0]
    g0 = input_gram(x)
    if np.any(np.linalg.eigvalsh(kernel_matrix(g0, kernel=kernel, length_scale=length_scale,
                                                jitter=jitter))[0] <= 0):
        raise ValueError("K(G_0) is singular: the linear kernel needs N_0 >= P, or add jitter")
    if init == "nngp":
        whites = [np.eye(p)] * depth
    else:
        rng = np.random.default_rng(seed)
        whites = []
        for _ in range(depth):
            a = rng.standard_normal((p, p))
            whites.append(np.linalg.cholesky(a @ a.T / p + 0.1 * np.eye(p)))
    theta0 = _pack_chol(whites)
    with float64():
        import jax.numpy as jnp

        args = (jnp.asarray(g0), jnp.asarray(y), jnp.asarray(nu), noise_var,
                float(length_scale), float(jitter))

        def fg(t):
            v, g = _neg_obj_and_grad(jnp.asarray(t), *args, p=p, depth=depth, kernel=kernel)
            v, g = float(v), np.asarray(g, dtype=float)
            if not np.isfinite(v):
                return np.inf, np.zeros_like(g)
            return v, g

        res = scipy.optimize.minimize(fg, theta0, jac=True, method="L-BFGS-B",
                                      options={"maxiter": maxiter, "gtol": gtol, "ftol": 0.0,
                                               "maxcor": 30, "maxls": 50})
        grams, _ = _white_forward(_unpack_chol(jnp.asarray(res.x), p, depth), args[0], kernel,
                                  float(length_scale), float(jitter))
        grams = [np.asarray(g) for g in grams]
        grad = np.asarray(fg(res.x)[1])
    val, ll, kls = dkm_objective(grams, x, y, kernel=kernel, nu=nu, noise_var=noise_var,
                                 length_scale=length_scale, jitter=jitter, return_terms=True)
    return DKMFit(grams, val, ll, kls, int(res.nit), bool(res.success),
                  float(np.max(np.abs(grad))))


def fit_dkm(x, y, *, depth: int, kernel: str, nu, noise_var: float, length_scale: float = 1.0,
            jitter: float = DEFAULT_JITTER) -> list[np.ndarray]:
    """The Gram matrices ``G*_1 .. G*_L`` maximising the DKM objective.

    Parameters
    ----------
    x : array (P, N_0)
    y : array (P,) or (P, nu_out)
    depth : int >= 1
    kernel : {"relu_arccos", "squared_exponential", "linear"}
    nu : float or sequence of depth floats, > 0
    noise_var : float, >= 0
    length_scale, jitter : see :func:`kernel_matrix`.

    Returns
    -------
    list of depth arrays (P, P)

    Notes
    -----
    In the Bayesian representation learning limit the deep GP posterior over features is
    exactly ``prod_lambda N(f_lambda; 0, G*_l)`` (note Sec. 2.5, read in the paper).  See
    :func:`dkm_optimum` for the optimiser and its diagnostics.
    """
    return dkm_optimum(x, y, depth=depth, kernel=kernel, nu=nu, noise_var=noise_var,
                       length_scale=length_scale, jitter=jitter).grams


# ------------------------------------------------------------------ deep-linear closed form


def _sym_power(a, t: float) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * w**t) @ v.T


def deep_linear_optimum(x, y, *, depth: int) -> list[np.ndarray]:
    """Closed-form DKM optimum for the linear kernel, no noise and nu_l = nu_out.

    ``G*_l = G_0^{1/2} (G_0^{-1/2} S_Y G_0^{-1/2})^{l/(L+1)} G_0^{1/2}``, ``S_Y = Y Y^T / nu_out``:
    the affine-invariant geodesic from ``G_0`` to ``S_Y``; each layer is the matrix geometric
    mean of its neighbours.

    Parameters
    ----------
    x : array (P, N_0) with N_0 >= P and G_0 full rank.
    y : array (P, nu_out) with nu_out >= P and S_Y full rank.
    depth : int >= 1

    Returns
    -------
    list of depth arrays (P, P)

    Notes
    -----
    Derived in the note (R5; errata 10: nu_l must equal the number of output columns).
    Unimodality for linear kernels is read in the paper's v1-v3.
    """
    depth = _check_depth(depth)
    x, y = _check_xy(x, y)
    p = x.shape[0]
    g0 = input_gram(x)
    sy = y @ y.T / y.shape[1]
    if np.linalg.matrix_rank(g0) < p:
        raise ValueError(f"x must give a full-rank G_0 (needs N_0 >= P = {p})")
    if np.linalg.matrix_rank(sy) < p:
        raise ValueError(f"y must give a full-rank Y Y^T (needs nu_out >= P = {p})")
    h = _sym_power(g0, 0.5)
    hi = _sym_power(g0, -0.5)
    m = hi @ sy @ hi
    return [h @ _sym_power(m, ell / (depth + 1)) @ h for ell in range(1, depth + 1)]


# ---------------------------------------------------- ReLU network: a non-Gaussian limit (R8)


@dataclasses.dataclass(frozen=True)
class TwoPieceLimit:
    """Limit posterior of the one-layer ReLU network of note R8 (a two-piece Gaussian)."""

    s: float            # sd on f > 0 (sd 1 on f < 0)
    p_positive: float   # P(f > 0) = s / (1 + s)
    mean: float
    skew: float
    excess_kurtosis: float
    objective: float    # the exact limit objective at the two-piece optimum


def _two_piece_moments(s: float) -> tuple[float, float, float, float]:
    c = np.sqrt(2 / np.pi) / (1 + s)
    m1 = c * (s**2 - 1)
    m2 = (s**3 + 1) / (1 + s)
    m3 = 2 * c * (s**4 - 1)
    m4 = 3 * (s**5 + 1) / (1 + s)
    var = m2 - m1**2
    skew = (m3 - 3 * m1 * m2 + 2 * m1**3) / var**1.5
    kurt = (m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4) / var**2 - 3
    return m1, var, skew, kurt


def relu_network_limit(y: float, *, noise_var: float, c_w: float = 2.0,
                       nu: float = 1.0) -> TwoPieceLimit:
    """Exact limit posterior of a one-layer ReLU network with one data point (x = 1, P = 1).

    Prior ``f ~ N(0, 1)`` per hidden unit; the output kernel is ``k = c_w E_q[relu(f)^2]``;
    ``L[q] = log N(y; 0, k + s2) - nu KL(q || N(0, 1))``.  The optimal q tilts the prior by
    ``exp(lambda relu(f)^2 / 2)``: a two-piece Gaussian with sd 1 on f < 0 and sd s on f > 0,
    where ``1 - 2 (c_w / nu) d/dk log N(y; 0, k + s2) |_{k = c_w s^3/(1+s)} = s^-2``.

    Parameters
    ----------
    y : float
    noise_var : float, > 0
    c_w : float, > 0
    nu : float, > 0

    Returns
    -------
    TwoPieceLimit

    Notes
    -----
    Derived in the note (R8); that neural-network posteriors are non-Gaussian in the limit is
    read in the paper (appendix).  The best zero-mean Gaussian q gives the arccos DKM, a lower
    bound on this objective.
    """
    noise_var = _check_positive("noise_var", noise_var)
    c_w = _check_positive("c_w", c_w)
    nu = _check_positive("nu", nu)
    y = float(y)

    def dll(k):
        v = k + noise_var
        return -0.5 / v + 0.5 * y**2 / v**2

    def eq(s):
        return 1 - 2 * (c_w / nu) * dll(c_w * s**3 / (1 + s)) - s**-2

    grid = np.exp(np.linspace(np.log(0.05), np.log(50), 4000))
    vals = np.array([eq(s) for s in grid])
    roots = []
    for i in np.nonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]:
        roots.append(scipy.optimize.brentq(eq, grid[i], grid[i + 1], xtol=1e-14))
    if not roots:
        raise ValueError("no stationary two-piece posterior found in s in [0.05, 50]")

    def objective(s):
        k = c_w * s**3 / (1 + s)
        ll = -0.5 * (np.log(2 * np.pi * (k + noise_var)) + y**2 / (k + noise_var))
        # q = N(f; 0, 1) on f < 0 and s N(f; 0, s^2) on f > 0, divided by (1 + s)/2, so
        # log q/p = log(2/(1+s)) + 1{f>0} f^2 (1 - s^-2)/2 and E_q[f^2 1{f>0}] = s^3/(1+s)
        kl = np.log(2 / (1 + s)) + s / (1 + s) * (s**2 - 1) / 2
        return ll - nu * kl

    best = max(roots, key=objective)
    m1, var, skew, kurt = _two_piece_moments(best)
    return TwoPieceLimit(float(best), float(best / (1 + best)), float(m1), float(skew),
                         float(kurt), float(objective(best)))


# --------------------------------------------------------------- sparse (inducing-point) DKM


def _propagate(factors, g0ii, g0ti, g0t, kernel, length_scale, jitter, whitened=False):
    """Inducing Gram matrices -> kernel blocks at the last layer (note Sec. 2.6).

    ``factors`` are the Cholesky factors of G_ii^l, or the whitened A_l with
    ``G_ii^l = C_l A_l A_l^T C_l^T`` (``C_l = chol(K_ii)``) when ``whitened``.
    Returns (K_ii, K_ti, k_t, kls_unweighted, grams) for the output layer.
    """
    import jax.numpy as jnp
    from jax.scipy.linalg import cho_solve

    gii, gti, gt = g0ii, g0ti, g0t
    kls, grams = [], []
    for f in factors:
        kii = _kfull(gii, kernel, length_scale, jitter)
        kti = _kcross(gti, gt, jnp.diagonal(gii), kernel, length_scale)
        kt = _kdiag(gt, kernel) + jitter
        lk = jnp.linalg.cholesky(kii)
        if whitened:
            lg = lk @ f
            kls.append(_white_kl(f))
        else:
            lg = f
            kls.append(_kl_chol(lg, kii))
        a = cho_solve((lk, True), kti.T).T           # K_ti K_ii^-1
        g_new = lg @ lg.T
        grams.append(g_new)
        gti = a @ g_new
        gt = kt - jnp.sum(a * kti, axis=1) + jnp.sum(gti * a, axis=1)
        gii = g_new
    kii = _kfull(gii, kernel, length_scale, jitter)
    kti = _kcross(gti, gt, jnp.diagonal(gii), kernel, length_scale)
    kt = _kdiag(gt, kernel) + jitter
    return kii, kti, kt, kls, grams


def _titsias(kii, kti, kt, y, noise_var):
    """Collapsed bound: sum_lambda log N(y; 0, Q + s2 I) - nu_out tr(K - Q) / (2 s2).

    O(P P_i^2) via the Woodbury identity.
    """
    import jax.numpy as jnp
    from jax.scipy.linalg import solve_triangular

    p, nout = y.shape
    lk = jnp.linalg.cholesky(kii)
    v = solve_triangular(lk, kti.T, lower=True) / jnp.sqrt(noise_var)   # (P_i, P)
    b = jnp.eye(kii.shape[0], dtype=kii.dtype) + v @ v.T
    lb = jnp.linalg.cholesky(b)
    c = solve_triangular(lb, v @ y, lower=True) / jnp.sqrt(noise_var)
    logdet = p * jnp.log(noise_var) + 2 * jnp.sum(jnp.log(jnp.diagonal(lb)))
    quad = jnp.sum(y**2) / noise_var - jnp.sum(c**2)
    trace = jnp.sum(kt) - noise_var * jnp.sum(v**2)
    return (-0.5 * (quad + nout * (logdet + p * jnp.log(2 * jnp.pi)))
            - nout * trace / (2 * noise_var))


def _sparse_objective(factors, g0ii, g0ti, g0t, y, nu, noise_var, kernel, length_scale, jitter,
                      whitened=False):
    kii, kti, kt, kls, _ = _propagate(factors, g0ii, g0ti, g0t, kernel, length_scale, jitter,
                                      whitened)
    bound = _titsias(kii, kti, kt, y, noise_var)
    reg = sum(n * kl for n, kl in zip(nu, kls)) if kls else 0.0
    return bound - reg


@one_blas_thread()
def sparse_propagate(inducing_grams, x_inducing, x, *, kernel: str, length_scale: float = 1.0,
                     jitter: float = DEFAULT_JITTER):
    """Propagate inducing Gram matrices to other points: ``G_ti`` and ``diag G_tt`` per layer.

    ``G_ti^l = K_ti K_ii^-1 G_ii^l`` and
    ``g_t^l = k_t - diag(K_ti K_ii^-1 K_it) + diag(K_ti K_ii^-1 G_ii^l K_ii^-1 K_it)``,
    where the K blocks are the kernel of layer l-1 (the Gaussian conditional).

    Parameters
    ----------
    inducing_grams : sequence of L arrays (P_i, P_i), SPD
    x_inducing : array (P_i, N_0)
    x : array (P_t, N_0)
    kernel, length_scale, jitter : see :func:`kernel_matrix`.

    Returns
    -------
    list of (G_ti (P_t, P_i), g_t (P_t,)) per layer l = 1..L.

    Notes
    -----
    Note Sec. 2.6 (derived in the note and read in the authors' later code).  Only the
    diagonal of G_tt is formed, so the cost is linear in P_t.  Exact reductions (R7): with
    ``x_inducing = x`` it returns ``G_ti = G_ii``, ``g_t = diag G_ii``; at
    ``G_ii^l = K(G_ii^{l-1})`` it returns the NNGP values at every point.
    """
    _check_kernel(kernel)
    xi = np.asarray(x_inducing, dtype=float)
    xt = np.asarray(x, dtype=float)
    if xi.ndim != 2 or xt.ndim != 2 or xi.shape[1] != xt.shape[1]:
        raise ValueError(f"x_inducing and x must be 2-D with the same number of columns, got "
                         f"{xi.shape} and {xt.shape}")
    grams = [_check_gram(f"inducing_grams[{i}]", g, xi.shape[0])
             for i, g in enumerate(inducing_grams)]
    n0 = xi.shape[1]
    out = []
    with float64():
        import jax.numpy as jnp
        from jax.scipy.linalg import cho_solve

        gii = jnp.asarray(xi @ xi.T / n0)
        gti = jnp.asarray(xt @ xi.T / n0)
        gt = jnp.asarray(np.sum(xt**2, axis=1) / n0)
        for g in grams:
            kii = _kfull(gii, kernel, length_scale, jitter)
            kti = _kcross(gti, gt, jnp.diagonal(gii), kernel, length_scale)
            kt = _kdiag(gt, kernel) + jitter
            a = cho_solve((jnp.linalg.cholesky(kii), True), kti.T).T
            gnew = jnp.asarray(g)
            gti = a @ gnew
            gt = kt - jnp.sum(a * kti, axis=1) + jnp.sum(gti * a, axis=1)
            gii = gnew
            out.append((np.asarray(gti), np.asarray(gt)))
    return out


@partial(__import__("jax").jit, static_argnames=("p", "depth", "kernel", "learn_noise",
                                                "learn_ls"))
def _sparse_neg_and_grad(theta, g0ii, g0ti, g0t, y, nu, noise_var, length_scale, jitter, *,
                         p, depth, kernel, learn_noise, learn_ls):
    """theta = [whitened Cholesky parameters, log s2?, log l?]."""
    import jax
    import jax.numpy as jnp

    n_white = depth * p * (p + 1) // 2

    def f(t):
        whites = _unpack_chol(t[:n_white], p, depth)
        k = n_white
        s2 = jnp.exp(t[k]) if learn_noise else noise_var
        ls = jnp.exp(t[k + int(learn_noise)]) if learn_ls else length_scale
        return -_sparse_objective(whites, g0ii, g0ti, g0t, y, nu, s2, kernel, ls, jitter,
                                  whitened=True)

    return jax.value_and_grad(f)(theta)


@one_blas_thread()
def sparse_dkm_objective(inducing_grams, x_inducing, x, y, *, kernel: str, nu, noise_var: float,
                         length_scale: float = 1.0, jitter: float = DEFAULT_JITTER) -> float:
    """Sparse DKM objective with the optimal Gaussian output q(u) (collapsed bound).

    ``L_sparse = sum_lambda [log N(y_lambda; 0, Q + s2 I) - tr(K_tt - Q_tt) / (2 s2)]
    - sum_l nu_l KL(N(0, G_ii^l) || N(0, K(G_ii^{l-1})))``, with ``Q = K_ti K_ii^-1 K_it``
    from the propagated last-layer blocks.

    Parameters
    ----------
    inducing_grams : sequence of L arrays (P_i, P_i), SPD
    x_inducing : array (P_i, N_0)
    x : array (P, N_0), y : array (P,) or (P, nu_out)
    kernel, nu, noise_var (> 0), length_scale, jitter : as in :func:`dkm_objective`.

    Returns
    -------
    float

    Notes
    -----
    The paper's sparse objective (note Sec. 2.7) has an SVGP output layer
    ``E_q[log p(y|f)] - KL(q(u) || p(u))``; for a Gaussian likelihood its maximum over
    ``q(u) = N(mu, Sigma)`` is this collapsed bound (Titsias 2009; derived, not in the note).
    It equals the full DKM objective when ``x_inducing = x`` (R7a).  Cost
    ``O(L (P_i^3 + P P_i^2))``: linear in the number of points P.
    """
    _check_kernel(kernel)
    x, y = _check_xy(x, y)
    xi = np.asarray(x_inducing, dtype=float)
    if xi.ndim != 2 or xi.shape[1] != x.shape[1]:
        raise ValueError(f"x_inducing must be 2-D with {x.shape[1]} columns like x, got "
                         f"shape {xi.shape}")
    grams = list(inducing_grams)
    depth = _check_depth(len(grams)) if grams else _check_depth(0)
    nu = _check_nu(nu, depth)
    noise_var = _check_positive("noise_var", noise_var)
    pi = xi.shape[0]
    chols = [np.linalg.cholesky(_check_gram(f"inducing_grams[{i}]", g, pi))
             for i, g in enumerate(grams)]
    n0 = x.shape[1]
    with float64():
        import jax.numpy as jnp

        return float(_sparse_objective([jnp.asarray(c) for c in chols],
                                       jnp.asarray(xi @ xi.T / n0), jnp.asarray(x @ xi.T / n0),
                                       jnp.asarray(np.sum(x**2, 1) / n0), jnp.asarray(y),
                                       tuple(nu), noise_var, kernel, float(length_scale),
                                       float(jitter)))


@dataclasses.dataclass(frozen=True)
class SparseDKMFit:
    """The maximiser of the sparse DKM objective (see :func:`fit_sparse_dkm`).

    Attributes
    ----------
    inducing_grams : list of (P_i, P_i) arrays, G_ii^1 .. G_ii^L.
    x_inducing : (P_i, N_0) array, the inducing inputs.
    noise_var : float, the (learned or fixed) observation noise.
    objective : float, the collapsed sparse objective at the optimum.
    n_iter : int, L-BFGS iterations.
    converged : bool, scipy's success flag.
    length_scale : float, the (learned or fixed) SE length scale.
    """

    inducing_grams: list
    x_inducing: np.ndarray
    noise_var: float
    objective: float
    n_iter: int
    converged: bool
    length_scale: float = 1.0


@one_blas_thread()
def fit_sparse_dkm(x, y, x_inducing, *, depth: int, kernel: str, nu, noise_var: float,
                   learn_noise: bool = False, length_scale: float = 1.0,
                   learn_length_scale: bool = False, jitter: float = DEFAULT_JITTER,
                   maxiter: int = 3000, gtol: float = 1e-7) -> SparseDKMFit:
    """Maximise the sparse DKM objective over the inducing Gram matrices (and hyperparameters).

    Parameters
    ----------
    x : array (P, N_0), y : array (P,) or (P, nu_out)
    x_inducing : array (P_i, N_0), fixed inducing inputs
    depth, kernel, jitter : as in :func:`dkm_objective`
    nu : float or sequence, > 0; ``np.inf`` keeps G_ii at the NNGP (the sparse NNGP / SGPR
        baseline with the same inducing points)
    noise_var : float, > 0; the start value when ``learn_noise``
    learn_noise : bool, optimise log noise_var jointly
    length_scale : float, > 0 (SE only); the start value when ``learn_length_scale``
    learn_length_scale : bool, optimise the SE log length scale jointly
    maxiter, gtol : L-BFGS settings

    Returns
    -------
    SparseDKMFit

    Notes
    -----
    Whitened Cholesky parameters with a log-diagonal (as in :func:`dkm_optimum`), started at
    the NNGP (note Sec. 5.2; derived).  Each objective evaluation is one full pass over the
    data at cost O(P P_i^2).
    """
    _check_kernel(kernel)
    depth = _check_depth(depth)
    x, y = _check_xy(x, y)
    xi = np.asarray(x_inducing, dtype=float)
    if xi.ndim != 2 or xi.shape[1] != x.shape[1]:
        raise ValueError(f"x_inducing must be 2-D with {x.shape[1]} columns like x, got "
                         f"shape {xi.shape}")
    nngp = bool(np.all(np.isinf(np.atleast_1d(np.asarray(nu, dtype=float)))))
    nu_arr = np.zeros(depth) if nngp else _check_nu(nu, depth)
    noise_var = _check_positive("noise_var", noise_var)
    length_scale = _check_positive("length_scale", length_scale)
    _check_positive("jitter", jitter, allow_zero=True)
    learn_ls = bool(learn_length_scale) and kernel == "squared_exponential"
    pi, n0 = xi.shape[0], x.shape[1]
    theta0 = [_pack_chol([np.eye(pi)] * depth)]
    n_white = theta0[0].size
    if learn_noise:
        theta0.append([np.log(noise_var)])
    if learn_ls:
        theta0.append([np.log(length_scale)])
    theta0 = np.concatenate(theta0)
    # the NNGP keeps the whitened factors at the identity (fixed by equal bounds), so it
    # shares one compiled objective with the DKM
    bounds = [(v, v) if (nngp and i < n_white) else (None, None) for i, v in enumerate(theta0)]
    with float64():
        import jax.numpy as jnp

        g0ii = jnp.asarray(xi @ xi.T / n0)
        g0ti = jnp.asarray(x @ xi.T / n0)
        g0t = jnp.asarray(np.sum(x**2, 1) / n0)
        args = (g0ii, g0ti, g0t, jnp.asarray(y), jnp.asarray(nu_arr), noise_var, length_scale,
                float(jitter))
        static = dict(p=pi, depth=depth, kernel=kernel, learn_noise=bool(learn_noise),
                      learn_ls=learn_ls)

        def fg(t):
            v, g = _sparse_neg_and_grad(jnp.asarray(t), *args, **static)
            v, g = float(v), np.asarray(g, dtype=float)
            if not np.isfinite(v) or not np.all(np.isfinite(g)):
                return np.inf, np.zeros_like(g)
            return v, g

        if nngp and theta0.size == n_white:
            res = scipy.optimize.OptimizeResult(x=theta0, nit=0, success=True,
                                                fun=fg(theta0)[0])
        else:
            res = scipy.optimize.minimize(fg, theta0, jac=True, method="L-BFGS-B",
                                          bounds=bounds,
                                          options={"maxiter": maxiter, "gtol": gtol,
                                                   "maxcor": 30, "maxls": 50})
        k = n_white
        s2 = float(np.exp(res.x[k])) if learn_noise else noise_var
        ls = float(np.exp(res.x[k + int(learn_noise)])) if learn_ls else length_scale
        whites = _unpack_chol(jnp.asarray(res.x[:k]), pi, depth)
        grams = [np.asarray(g) for g in _propagate(whites, g0ii, g0ti, g0t, kernel, ls,
                                                   float(jitter), whitened=True)[4]]
    return SparseDKMFit(grams, xi, s2, float(-res.fun), int(res.nit), bool(res.success), ls)


@partial(__import__("jax").jit, static_argnames=("kernel",))
def _last_blocks(chols, g0ii, g0ti, g0t, length_scale, jitter, *, kernel):
    return _propagate(chols, g0ii, g0ti, g0t, kernel, length_scale, jitter)[:3]


@one_blas_thread()
def sparse_predict(fit: SparseDKMFit, x_test, x_train, y_train, *, kernel: str,
                   jitter: float = DEFAULT_JITTER):
    """Predictive mean and variance (noise included) at test inputs of a sparse DKM.

    Parameters
    ----------
    fit : SparseDKMFit
    x_test : array (P_t, N_0)
    x_train, y_train : the training data the fit used
    kernel, jitter : as used in the fit (the length scale is the fit's)

    Returns
    -------
    mean : array (P_t, nu_out)
    var : array (P_t,), predictive variance ``k_t - q_t + K_ti K_ii^-1 Sigma K_ii^-1 K_it + s2``

    Notes
    -----
    Test points are propagated with :func:`sparse_propagate` (diagonals only, note Sec. 2.6);
    the output is the optimal q(u) = N(mu, Sigma) of the collapsed bound (SGPR prediction).
    With ``x_inducing = x_train`` this is exact GP regression with kernel ``K(G_L)``.
    """
    _check_kernel(kernel)
    x_train, y_train = _check_xy(x_train, y_train)
    x_test = np.asarray(x_test, dtype=float)
    if x_test.ndim != 2 or x_test.shape[1] != x_train.shape[1]:
        raise ValueError(f"x_test must be 2-D with {x_train.shape[1]} columns, got "
                         f"{x_test.shape}")
    xi = fit.x_inducing
    n0 = xi.shape[1]
    s2 = fit.noise_var

    def last_blocks(xs):
        with float64():
            import jax.numpy as jnp

            chols = [jnp.asarray(np.linalg.cholesky(g)) for g in fit.inducing_grams]
            kii, kti, kt = _last_blocks(chols, jnp.asarray(xi @ xi.T / n0),
                                        jnp.asarray(xs @ xi.T / n0),
                                        jnp.asarray(np.sum(xs**2, 1) / n0),
                                        float(fit.length_scale), float(jitter), kernel=kernel)
            return np.asarray(kii), np.asarray(kti), np.asarray(kt)

    kii, ktr, _ = last_blocks(x_train)
    _, kte, kt = last_blocks(x_test)
    lk = np.linalg.cholesky(kii)
    a = np.linalg.solve(lk, ktr.T) / np.sqrt(s2)
    lb = np.linalg.cholesky(np.eye(len(kii)) + a @ a.T)
    c = np.linalg.solve(lb, a @ y_train) / np.sqrt(s2)
    t1 = np.linalg.solve(lk, kte.T)
    t2 = np.linalg.solve(lb, t1)
    mean = t2.T @ c
    var = kt - np.sum(t1**2, 0) + np.sum(t2**2, 0) + s2
    return mean, var


# ------------------------------------------------------------------------ the model class


class DKMRegressor(RegressorMixin, BaseEstimator):
    """Deep kernel machine regression (scikit-learn estimator contract).

    Parameters
    ----------
    depth : int, default 2
        Number of hidden Gram layers L.
    kernel : {"squared_exponential", "relu_arccos", "linear"}
    nu : float, default 10.0
        KL weight per layer; ``np.inf`` gives the (sparse) NNGP with the same inducing points.
    noise_var : float, default 0.1
        Observation noise (start value if ``learn_noise``).
    learn_noise : bool, default True
    learn_length_scale : bool, default True (SE kernel only)
    n_inducing : int or None, default 50
        Inducing points drawn from the training rows (``None``: all rows, the full DKM).
    length_scale : float, default 1.0
    jitter : float, default 1e-6
    maxiter : int, default 2000
    random_state : int, default 0
        Seeds the choice of inducing rows.

    Attributes
    ----------
    fit_ : SparseDKMFit
    x_inducing_ : (P_i, N_0) array
    noise_var_, length_scale_ : float, the learned hyperparameters
    x_train_, y_train_ : standardised training data (needed for prediction)
    x_mean_, x_std_, y_mean_, y_std_ : standardisation from the training data
    n_features_in_ : int

    Notes
    -----
    Inputs and targets are standardised with the training statistics; predictions are returned
    in the original units.  Fitting maximises the sparse DKM objective (note Sec. 2.7).
    """

    def __init__(self, depth=2, kernel="squared_exponential", nu=10.0, noise_var=0.1,
                 learn_noise=True, learn_length_scale=True, n_inducing=50, length_scale=1.0,
                 jitter=DEFAULT_JITTER, maxiter=2000, random_state=0):
        self.depth = depth
        self.kernel = kernel
        self.nu = nu
        self.noise_var = noise_var
        self.learn_noise = learn_noise
        self.learn_length_scale = learn_length_scale
        self.n_inducing = n_inducing
        self.length_scale = length_scale
        self.jitter = jitter
        self.maxiter = maxiter
        self.random_state = random_state

    def _validate(self, x, y="no_validation", *, reset: bool):
        """scikit-learn's validation (messages, sparse and complex input, n_features_in_)."""
        from sklearn.utils.validation import validate_data

        if isinstance(y, str) and y == "no_validation":
            return validate_data(self, x, reset=reset, dtype=np.float64, ensure_min_samples=1)
        return validate_data(self, x, y, reset=reset, dtype=np.float64, y_numeric=True,
                             ensure_min_samples=2)

    def fit(self, X, y):
        """Standardise, choose inducing rows, maximise the sparse DKM objective."""
        _check_kernel(self.kernel)
        x, y = self._validate(X, y, reset=True)
        self.x_mean_ = x.mean(0)
        self.x_std_ = np.where(x.std(0) > 0, x.std(0), 1.0)
        self.y_mean_ = float(y.mean())
        self.y_std_ = float(y.std()) if y.std() > 0 else 1.0
        xs = (x - self.x_mean_) / self.x_std_
        ys = (y - self.y_mean_) / self.y_std_
        if self.kernel == "relu_arccos":
            xs = np.hstack([xs, np.ones((len(xs), 1))])  # a bias column keeps G_0 positive
        n = xs.shape[0]
        rng = np.random.default_rng(self.random_state)
        if self.n_inducing is None or self.n_inducing >= n:
            idx = np.arange(n)
        else:
            if int(self.n_inducing) < 1:
                raise ValueError(f"n_inducing must be >= 1 or None, got {self.n_inducing!r}")
            idx = np.sort(rng.choice(n, int(self.n_inducing), replace=False))
        self.x_inducing_ = xs[idx]
        self.fit_ = fit_sparse_dkm(xs, ys, self.x_inducing_, depth=self.depth,
                                   kernel=self.kernel, nu=self.nu, noise_var=self.noise_var,
                                   learn_noise=self.learn_noise,
                                   length_scale=self.length_scale,
                                   learn_length_scale=self.learn_length_scale,
                                   jitter=self.jitter, maxiter=self.maxiter)
        self.noise_var_ = self.fit_.noise_var
        self.length_scale_ = self.fit_.length_scale
        self.x_train_, self.y_train_ = xs, ys
        return self

    def _check_fitted(self):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "fit_")

    def _transform(self, X):
        x = self._validate(X, reset=False)
        xs = (x - self.x_mean_) / self.x_std_
        if self.kernel == "relu_arccos":
            xs = np.hstack([xs, np.ones((len(xs), 1))])
        return xs

    def predict(self, X, return_std=False):
        """Predictive mean (and standard deviation, noise included) in original units."""
        self._check_fitted()
        xs = self._transform(X)
        mean, var = sparse_predict(self.fit_, xs, self.x_train_, self.y_train_,
                                   kernel=self.kernel, jitter=self.jitter)
        mu = mean[:, 0] * self.y_std_ + self.y_mean_
        if return_std:
            return mu, np.sqrt(np.maximum(var, 0)) * self.y_std_
        return mu

    def log_predictive_density(self, X, y) -> np.ndarray:
        """Per-point Gaussian predictive log density in original units."""
        self._check_fitted()
        x, y = self._validate(X, y, reset=False)
        mu, sd = self.predict(x, return_std=True)
        return -0.5 * np.log(2 * np.pi * sd**2) - 0.5 * (y - mu) ** 2 / sd**2
