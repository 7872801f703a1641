"""iLA-SDP: likelihood adjusted semidefinite programs for clustering (Zhuang, Chen, Yang 2023).

Reads like the reference note (papers/ila_sdp.md):

1. the data model and the error metric: :func:`gaussian_mixture`, :func:`simplex_centres`,
   :func:`misclustering_error` (Hungarian), :func:`membership_matrix`;
2. the Peng-Wei SDP relaxation of K-means (SDP-KM) and the Chen-Yang exact-recovery cutoff
   :func:`chen_yang_threshold`;
3. solvers for SDP-KM: a nonnegative low-rank Burer-Monteiro solver
   (:func:`kmeans_sdp_bm`) that never forms an n x n matrix and proves its answer with a dual
   certificate (:func:`kmeans_sdp_certificate`), a dense consensus ADMM
   (:func:`kmeans_sdp_admm`) that reports a feasible dual bound, and the cvxpy reference
   (:func:`kmeans_sdp_cvxpy`);
4. the likelihood adjusted SDP (LA-SDP) with group-specific membership matrices:
   :func:`la_sdp_costs`, :func:`la_sdp_admm`, :func:`la_sdp_cvxpy`,
   :func:`profile_neg2_loglik`;
5. iLA-SDP, the lifted alternating minimisation of one relaxed objective F(Z, Sigma, pi)
   (:func:`lifted_params`, :func:`lifted_objective`, :func:`ila_sdp`);
6. baselines: full-covariance EM with Forgy starts (:func:`em_gmm`), the oracle QDA rule
   (:func:`qda_labels`), and K-means (scikit-learn's ``KMeans``);
7. scikit-learn estimators :class:`SDPKMeans`, :class:`ILASDP`, :class:`GaussianMixtureEM`.

Provenance: only the abstract of the paper could be read (see the note's provenance section).
The method's shape is **read in the paper** (group-specific membership matrices, a
likelihood-adjusted centroid-free objective, alternating maximisation, reduction to the
K-means SDP in the homogeneous case; baselines K-means, SDP and EM).  The explicit LA-SDP
costs, the lifted update Sigma_k = W_k / m_k, the ADMM projection, the dual certificate and
every constant are **derived** in the note (sections 2.4-2.6, 8 and its Errata) and checked
here numerically.  The cutoff is Chen & Yang (2021), **read** from that paper by the note.

Conventions: rows of ``X`` are points (n x p); ``A = X X^T``; natural logarithms; ``labels``
are integers 0..K-1.  SDP-KM is the maximisation ``max <A, Z>`` over
``{Z psd, Z >= 0, Z 1 = 1, tr Z = K}``; its dual is
``min 1^T y + K z`` over ``S = (y 1^T + 1 y^T)/2 + z I - A - B psd, B >= 0``.

References
----------
Y. Zhuang, X. Chen, Y. Yang. Likelihood Adjusted Semidefinite Programs for Clustering
Heterogeneous Data. ICML 2023 (PMLR 202), arXiv:2209.15097.
J. Peng, Y. Wei. Approximating K-means-type clustering via semidefinite programming.
SIAM J. Optim. 18 (2007).
X. Chen, Y. Yang. Cutoff for exact recovery of Gaussian mixture models. IEEE Trans. Inf.
Theory 67 (2021), arXiv:2001.01194.
Y. Zhuang, X. Chen, Y. Yang, R. Zhang. Statistically optimal K-means clustering via
nonnegative low-rank semidefinite programming. ICLR 2024, arXiv:2305.18436.
"""

from __future__ import annotations

import dataclasses
import math
from numbers import Integral

import numpy as np
from scipy import linalg as sla
from scipy.optimize import linear_sum_assignment
from scipy.sparse.linalg import LinearOperator, eigsh
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.utils.validation import validate_data

# --------------------------------------------------------------------------- validation


def _check_X(X, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got shape "
                         f"{X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return X


def _check_K(K, n: int, name: str = "n_clusters") -> int:
    if not isinstance(K, Integral) or isinstance(K, bool):
        raise ValueError(f"{name} must be an integer in [1, n_samples = {n}], got {K!r}")
    K = int(K)
    if not 1 <= K <= n:
        raise ValueError(f"{name} must be in [1, n_samples = {n}], got {K}")
    return K


def _check_labels(labels, n: int | None = None, name: str = "labels") -> np.ndarray:
    lab = np.asarray(labels)
    if lab.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {lab.shape}")
    if n is not None and lab.shape[0] != n:
        raise ValueError(f"{name} must have length n_samples = {n}, got {lab.shape[0]}")
    if lab.size and not np.issubdtype(lab.dtype, np.integer):
        if not np.all(np.equal(np.mod(lab, 1), 0)):
            raise ValueError(f"{name} must be integer cluster labels")
        lab = lab.astype(int)
    return lab


def _relabel(labels) -> tuple[np.ndarray, int]:
    """Map arbitrary labels to 0..K-1 (order of first appearance irrelevant)."""
    uniq, inv = np.unique(labels, return_inverse=True)
    return inv.astype(int), len(uniq)


# --------------------------------------------------------------------------- data, metric


def simplex_centres(K: int, p: int, delta2: float) -> np.ndarray:
    """Centres mu_k = sqrt(delta2 / 2) e_k: every pair at squared distance exactly ``delta2``.

    Parameters
    ----------
    K, p : int
        Number of clusters and dimension, ``1 <= K <= p``.
    delta2 : float
        Squared minimum separation Delta^2 >= 0.

    Returns
    -------
    ndarray, shape (K, p)

    Notes
    -----
    The layout of the authors' simulation code (note, section 2.3); it needs p >= K.
    """
    if not (isinstance(K, Integral) and K >= 1):
        raise ValueError(f"K must be an integer >= 1, got {K!r}")
    if not (isinstance(p, Integral) and p >= K):
        raise ValueError(f"p must be an integer >= K = {K}, got {p!r}")
    if not delta2 >= 0:
        raise ValueError(f"delta2 must be >= 0, got {delta2}")
    mu = np.zeros((K, p))
    mu[np.arange(K), np.arange(K)] = math.sqrt(delta2 / 2.0)
    return mu


def gaussian_mixture(means, covs, sizes, rng) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``sizes[k]`` points from N(means[k], covs[k]) for each k (fixed design).

    Parameters
    ----------
    means : array, shape (K, p)
    covs : array, shape (K, p, p) or (p, p) (shared), symmetric positive definite
    sizes : sequence of K positive ints
    rng : numpy Generator or int seed

    Returns
    -------
    X : ndarray (n, p)
    labels : ndarray (n,) of ints in 0..K-1, sorted by cluster
    """
    rng = np.random.default_rng(rng)
    means = np.atleast_2d(np.asarray(means, float))
    K, p = means.shape
    covs = np.asarray(covs, float)
    if covs.shape == (p, p):
        covs = np.broadcast_to(covs, (K, p, p))
    if covs.shape != (K, p, p):
        raise ValueError(f"covs must have shape ({K}, {p}, {p}) or ({p}, {p}), got {covs.shape}")
    sizes = [int(s) for s in sizes]
    if len(sizes) != K or min(sizes) < 1:
        raise ValueError(f"sizes must be {K} positive integers, got {sizes}")
    chol = np.linalg.cholesky(covs)  # raises LinAlgError if not SPD
    X = np.concatenate([means[k] + rng.standard_normal((sizes[k], p)) @ chol[k].T
                        for k in range(K)])
    labels = np.repeat(np.arange(K), sizes)
    return X, labels


def misclustering_error(true, pred) -> float:
    """Fraction of points mis-clustered under the best matching of predicted to true labels.

    Parameters
    ----------
    true, pred : array-like of ints, shape (n,)
        Label vectors; the label sets may differ in size (extra clusters count as errors).

    Returns
    -------
    float in [0, 1]
        ``min_tau (1/n) #{i : tau(pred_i) != true_i}`` over injective relabellings tau,
        computed with the Hungarian algorithm on the contingency table.

    Notes
    -----
    Section 2.1 of the note (definition read in the paper's abstract: "mis-clustering error").
    """
    t = _check_labels(true, name="true")
    q = _check_labels(pred, t.shape[0], name="pred")
    if t.size == 0:
        raise ValueError("true must contain at least one label")
    t, kt = _relabel(t)
    q, kq = _relabel(q)
    table = np.zeros((kq, kt))
    np.add.at(table, (q, t), 1.0)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(1.0 - table[rows, cols].sum() / t.size)


def membership_matrix(labels, n_clusters: int | None = None) -> np.ndarray:
    """Z_G = sum_k n_k^{-1} 1_{G_k} 1_{G_k}^T, the projector onto span{1_{G_k}}.

    Parameters
    ----------
    labels : array of ints, shape (n,)
    n_clusters : int, optional
        K; empty clusters (a label in 0..K-1 that never occurs) contribute nothing.

    Returns
    -------
    ndarray (n, n): symmetric, psd, entrywise >= 0, Z 1 = 1, tr Z = #non-empty clusters,
    Z^2 = Z (note, section 2.2, derived).
    """
    lab = _check_labels(labels)
    K = int(lab.max()) + 1 if n_clusters is None else int(n_clusters)
    H = np.zeros((lab.size, K))
    H[np.arange(lab.size), lab] = 1.0
    sizes = H.sum(0)
    H = H[:, sizes > 0] / np.sqrt(sizes[sizes > 0])
    return H @ H.T


def group_membership_matrices(labels, n_clusters: int | None = None) -> np.ndarray:
    """Z_k = n_k^{-1} 1_{G_k} 1_{G_k}^T for k = 0..K-1, shape (K, n, n) (note, section 2.5)."""
    lab = _check_labels(labels)
    K = int(lab.max()) + 1 if n_clusters is None else int(n_clusters)
    Z = np.zeros((K, lab.size, lab.size))
    for k in range(K):
        idx = lab == k
        if idx.any():
            Z[k][np.ix_(idx, idx)] = 1.0 / idx.sum()
    return Z


# --------------------------------------------------------------------------- Chen-Yang cutoff


def chen_yang_threshold(n: int, p: int, K: int, sigma: float = 1.0) -> float:
    """Sharp exact-recovery cutoff of SDP-KM under the isotropic GMM with equal sizes.

    ``Delta_bar^2 = 4 sigma^2 (1 + sqrt(1 + K p / (n log n))) log n``.

    Parameters
    ----------
    n : int, n >= 2
    p, K : int >= 1
    sigma : float > 0, per-coordinate standard deviation

    Returns
    -------
    float: the squared separation Delta_bar^2 (natural log).

    Notes
    -----
    Chen & Yang (2021), Theorems on achievability (SDP) and the information-theoretic
    converse; the formula is **read** in that paper by the reference note (section 2.3), and
    matches the authors' simulation code.  For Delta^2 >= (1 + a) Delta_bar^2 the SDP returns
    Z* with probability -> 1; below (1 - a) Delta_bar^2 every method fails.
    """
    if not (isinstance(n, Integral) and n >= 2):
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not (isinstance(p, Integral) and p >= 1):
        raise ValueError(f"p must be an integer >= 1, got {p!r}")
    if not (isinstance(K, Integral) and K >= 1):
        raise ValueError(f"K must be an integer >= 1, got {K!r}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    ln = math.log(n)
    return 4.0 * sigma**2 * (1.0 + math.sqrt(1.0 + K * p / (n * ln))) * ln


# --------------------------------------------------------------------------- SDP-KM results


@dataclasses.dataclass
class SDPResult:
    """Outcome of an SDP-KM solve.

    Attributes
    ----------
    labels : (n,) ints, the rounded partition
    objective : <A, Z> of the returned primal point (A = X X^T of the centred data)
    dual_bound : an upper bound on the SDP optimum from a feasible dual point (or nan)
    gap : (dual_bound - objective) / max(1, |objective|), the relative primal-dual gap
    certified : True when a dual certificate proves that Z_G of ``labels`` is the unique
        optimum (then ``objective`` is the exact optimal value)
    Z : (n, n) primal matrix, or None when it was not formed (Burer-Monteiro at large n)
    U : (n, r) low-rank factor (Burer-Monteiro) or None
    iterations, solver, info : diagnostics (``info``: residuals, certificate details)
    """

    labels: np.ndarray
    objective: float
    dual_bound: float
    gap: float
    certified: bool
    Z: np.ndarray | None
    U: np.ndarray | None
    iterations: int
    solver: str
    info: dict


def _centre(X: np.ndarray) -> np.ndarray:
    return X - X.mean(0)


def _rel_gap(dual: float, primal: float) -> float:
    return float((dual - primal) / max(1.0, abs(primal)))


def _lambda_max(matvec, n: int, *, dense_below: int = 400, dense=None, tol: float = 1e-10):
    """Largest eigenvalue of a symmetric operator: dense eigvalsh for small n, else Lanczos."""
    if n <= dense_below:
        M = dense() if dense is not None else matvec(np.eye(n))
        return float(np.linalg.eigvalsh((M + M.T) / 2)[-1])
    op = LinearOperator((n, n), matvec=matvec, matmat=matvec, dtype=float)
    v0 = np.random.default_rng(0).standard_normal(n)
    val = eigsh(op, k=1, which="LA", tol=tol, v0=v0, maxiter=20 * n,
                return_eigenvectors=False)
    return float(val[0])


def kmeans_sdp_certificate(X, labels, *, margin: float = 1e-7, z: float | None = None) -> dict:
    """Dual certificate that Z_G of ``labels`` is the unique optimum of SDP-KM for data ``X``.

    Parameters
    ----------
    X : array (n, p)
    labels : array (n,) of ints (a partition into K non-empty clusters)
    margin : float
        Required relative margin of ``z - lambda_max(P (A + B) P)`` over the scale of A.
    z : float, optional
        The dual variable of tr Z = K (default and cap: the largest z with all row sums of B
        >= 0; along this family the eigenvalue margin was found to be largest there).

    Returns
    -------
    dict with ``certified`` (bool), ``primal`` (<A, Z_G>), ``dual`` (1^T y + K z, equal to
    ``primal`` whenever the construction is feasible), ``gap``, ``z``, ``min_B`` (smallest
    off-diagonal row sum forced by complementary slackness; must be >= 0), ``eig_margin``
    (``z - lambda_max`` of P(A+B)P on the complement of span{1_{G_k}}; must be > 0).

    Notes
    -----
    Derived in the note (Errata 6, section 8; Chen-Yang-style).  Complementary slackness with
    Z_G forces B = 0 on the diagonal blocks and S 1_{G_k} = 0, which fixes y in closed form
    given z; the off-diagonal blocks of B are taken rank one with the row sums
    ``c^{(lk)}`` that S 1_{G_k} = 0 forces (all decreasing in z).  On the complement of
    span{1_{G_k}} the y-terms vanish, so S = z P - P (A + B) P there and S is psd with kernel
    exactly span{1_{G_k}} iff z > lambda_max(P (A+B) P).  We take the largest z with all
    row sums c >= 0.  Sufficient only: a failed certificate does not prove non-exactness.
    The matrix-vector products cost O(n p + n K^2), so no n x n matrix is formed for large n.
    """
    X = _centre(_check_X(X))
    n = X.shape[0]
    lab, K = _relabel(_check_labels(labels, n))
    idx = [np.flatnonzero(lab == k) for k in range(K)]
    nk = np.array([len(i) for i in idx], float)
    H = np.zeros((n, K))
    H[np.arange(n), lab] = 1.0
    AH = X @ (X.T @ H)                       # (A 1_{G_k})_i, shape (n, K)
    T = H.T @ AH                             # 1_{G_l}^T A 1_{G_k}
    own = AH[np.arange(n), lab]              # (A 1_{G_{l(i)}})_i
    # y_i = (2/n_l)[(A 1_{G_l})_i - z/2 - T_ll/(2 n_l)],  s_k = T_kk/n_k - z
    y0 = (2.0 / nk[lab]) * (own - np.diag(T)[lab] / (2 * nk[lab]))
    y1 = -1.0 / nk[lab]                      # dy/dz
    s0, s1 = np.diag(T) / nk, -np.ones(K)
    # c^{(l k)}_i for i in G_l, k != l: (y_i n_k + s_k)/2 - (A 1_{G_k})_i  (affine in z)
    C0 = (y0[:, None] * nk[None, :] + s0[None, :]) / 2 - AH
    C1 = (y1[:, None] * nk[None, :] + s1[None, :]) / 2
    off = H == 0
    # largest z with C0 + z C1 >= 0 on off-diagonal entries (C1 < 0 there)
    if K == 1:   # the feasible set is the single point J/n
        primal = float(T[0, 0] / n)
        return {"certified": True, "primal": primal, "dual": primal, "gap": 0.0, "z": np.nan,
                "min_B": 0.0, "eig_margin": np.inf, "sym_err": 0.0}
    # largest z with C0 + z C1 >= 0 on off-diagonal entries (C1 < 0 there)
    z_max = float(np.min(C0[off] / -C1[off]))
    z = z_max if z is None else min(float(z), z_max)
    Cm = np.where(off, C0 + z * C1, 0.0)
    Cm = np.maximum(Cm, 0.0)                 # clears rounding below zero at the binding entry
    y = y0 + z * y1
    # block (l, k) of B: c^{(lk)} c^{(kl)T} / (1^T c^{(lk)}); totals tot[l, k] = 1^T c^{(lk)}
    tot = H.T @ Cm                           # tot[l, k] = sum_{i in G_l} c^{(lk)}_i
    sym_err = float(np.max(np.abs(tot - tot.T)) / max(1.0, np.max(np.abs(tot))))
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_tot = np.where(tot > 0, 1.0 / tot, 0.0)

    def B_mv(V):
        # (B v)_i for i in G_l = sum_{k != l} c^{(lk)}_i (c^{(kl)}^T v_{G_k}) / tot[l, k]
        V2 = V.reshape(n, -1)
        # w[k, l, :] = sum_{j in G_k} c^{(kl)}_j v_j
        W = np.einsum("jk,jl,jm->klm", H, Cm, V2)
        out = np.einsum("il,ik,klm,lk->im", H, Cm, W, inv_tot)
        return out.reshape(V.shape)

    Q, _ = np.linalg.qr(H / np.sqrt(nk))      # orthonormal basis of span{1_{G_k}}

    def P(V):
        V2 = V.reshape(n, -1)
        return (V2 - Q @ (Q.T @ V2)).reshape(V.shape)

    def M_mv(V):
        V2 = V.reshape(n, -1)
        PV = P(V2)
        return P(X @ (X.T @ PV) + B_mv(PV)).reshape(V.shape)

    lam = _lambda_max(M_mv, n)
    scale = max(1.0, float(np.max(np.abs(T)) / max(1.0, nk.min())))
    eig_margin = z - lam
    primal = float(np.sum(np.diag(T) / nk))
    dual = float(y.sum() + K * z)
    certified = bool(eig_margin > margin * scale and sym_err < 1e-8)
    return {"certified": certified, "primal": primal, "dual": dual,
            "gap": _rel_gap(dual, primal), "z": z, "min_B": float(np.min((C0 + z * C1)[off])),
            "eig_margin": float(eig_margin), "sym_err": sym_err}


def _dual_bound_B0(X: np.ndarray, y: np.ndarray, K: int, B=None) -> float:
    """1^T y + K lambda_max(A + B - (y 1^T + 1 y^T)/2): a valid upper bound for any y, B >= 0."""
    n = X.shape[0]

    def mv(V):
        V2 = V.reshape(n, -1)
        out = X @ (X.T @ V2) - (y[:, None] * V2.sum(0)[None, :]
                                + np.ones((n, 1)) * (y @ V2)[None, :]) / 2
        if B is not None:
            out = out + B @ V2
        return out.reshape(V.shape)

    if B is None and n > 400:
        z = _lambda_max(mv, n)
    else:
        def dense():
            M = X @ X.T - (y[:, None] + y[None, :]) / 2
            return M + B if B is not None else M
        z = _lambda_max(mv, n, dense_below=10**9, dense=dense)
    return float(y.sum() + K * z)


def _spectral_round(F: np.ndarray, K: int, seed: int = 0) -> np.ndarray:
    """Rows of a factor F (Z ~ F F^T) clustered by K-means with 10 restarts (note pitfall 10)."""
    if K == 1:
        return np.zeros(F.shape[0], int)
    km = KMeans(n_clusters=K, n_init=10, random_state=seed).fit(F)
    return km.labels_.astype(int)


def _round_Z(Z: np.ndarray, K: int, seed: int = 0) -> np.ndarray:
    w, V = np.linalg.eigh((Z + Z.T) / 2)
    F = V[:, -K:] * np.sqrt(np.maximum(w[-K:], 0.0))
    return _spectral_round(F, K, seed)


def _finish(X, K, labels, objective, dual, Z, U, iters, solver, info, certify) -> SDPResult:
    """Attach the partition certificate; when it holds, return Z_G's exact objective."""
    certified = False
    if certify and len(np.unique(labels)) == K:
        cert = kmeans_sdp_certificate(X, labels)
        info = {**info, "certificate": cert}
        if cert["certified"]:
            certified = True
            objective, dual = cert["primal"], cert["dual"]
            if Z is not None:
                Z = membership_matrix(_relabel(labels)[0], K)
    return SDPResult(labels=labels, objective=float(objective), dual_bound=float(dual),
                     gap=_rel_gap(dual, objective), certified=certified, Z=Z, U=U,
                     iterations=int(iters), solver=solver, info=info)


# --------------------------------------------------------------------------- Burer-Monteiro


def _proj_sphere_nonneg(U: np.ndarray, K: float) -> np.ndarray:
    U = np.maximum(U, 0.0)
    nrm = np.linalg.norm(U)
    if nrm == 0:
        U = np.zeros_like(U)
        U[:, 0] = 1.0
        nrm = np.linalg.norm(U)
    return U * (math.sqrt(K) / nrm)


def kmeans_sdp_bm(X, n_clusters: int, *, rank: int | None = None, beta: float = 10.0,
                  tol: float = 1e-5, max_iter: int = 20000, init="kmeans", random_state=0,
                  certify: bool = True) -> SDPResult:
    """SDP-KM by nonnegative low-rank Burer-Monteiro (NLR) with an augmented Lagrangian.

    Parameters
    ----------
    X : array (n, p)
    n_clusters : int, 1 <= K <= n
    rank : int, optional
        Factor rank r (default 2K, as in the authors' BM code).
    beta : float > 0
        Augmented-Lagrangian penalty on the row-sum constraint (data rescaled to unit mean
        squared norm).
    tol : float > 0
        Stop when max |U U^T 1 - 1| < tol and the relative projected step is < tol.
    max_iter : int
        Maximum number of projected-gradient steps.
    init : "kmeans" | "random" | array of labels
        Start: the membership factor of a K-means++ partition (3 restarts) plus 5 % random
        nonnegative noise (default), a random nonnegative U, or a given partition.
    random_state : int or Generator
        Seed of the start.
    certify : bool
        Check the dual certificate of the rounded partition (default True).

    Returns
    -------
    SDPResult
        ``certified`` True means the rounded partition's Z_G is the proven unique optimum and
        ``objective`` / ``dual_bound`` are its exact value (gap ~ 1e-15).  Otherwise
        ``objective`` is <A, U U^T> and ``dual_bound`` the bound from the multipliers with
        B = 0 (valid, usually loose below the threshold).

    Notes
    -----
    Z = U U^T with U in R^{n x r}_{>=0} and ||U||_F^2 = K (so Z >= 0, Z psd, tr Z = K are
    built in); the remaining constraint U U^T 1 = 1 goes into the augmented Lagrangian
    ``-<A, U U^T> + lam^T r + beta/2 ||r||^2``, r = U U^T 1 - 1, minimised by projected
    gradient with Barzilai-Borwein steps and Armijo backtracking; lam <- lam + beta r when
    the inner steps stall.  A U is computed as X (X^T U): O(n p r) per step and O(n (p + r))
    memory.  Note section 8 and Errata 6 (derived there; not in the paper, whose solver is
    believed to be SDPNAL+).  Nonconvex: it can stop at a wrong point, which is why the
    certificate is checked.
    """
    X0 = _check_X(X)
    n = X0.shape[0]
    K = _check_K(n_clusters, n)
    r = 2 * K if rank is None else int(rank)
    if r < 1:
        raise ValueError(f"rank must be >= 1, got {rank}")
    if not beta > 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    Xc = _centre(X0)
    scale = float(np.sum(Xc**2) / n) or 1.0
    Xs = Xc / math.sqrt(scale)
    rng = np.random.default_rng(random_state)
    if isinstance(init, str) and init == "random":
        U0 = rng.random((n, r))
    else:
        if isinstance(init, str):
            if init != "kmeans":
                raise ValueError(f"init must be 'kmeans', 'random' or labels, got {init!r}")
            lab0 = KMeans(K, n_init=3, random_state=int(rng.integers(2**31))).fit(Xs).labels_
        else:
            lab0 = _relabel(_check_labels(init, n, name="init"))[0]
        H0 = np.zeros((n, r))
        H0[np.arange(n), lab0 % r] = 1.0
        H0 /= np.sqrt(np.maximum(H0.sum(0), 1.0))
        U0 = H0 + 0.05 * rng.random((n, r)) / math.sqrt(n)
    U = _proj_sphere_nonneg(U0, K)
    lam = np.zeros(n)
    ones = np.ones(n)

    def phi_grad(U, lam):
        v = U.sum(0)                         # U^T 1
        XtU = Xs.T @ U
        res = U @ v - ones
        w = lam + beta * res
        f = -np.sum(XtU**2) + lam @ res + 0.5 * beta * res @ res
        g = -2.0 * (Xs @ XtU) + np.outer(w, v) + np.outer(ones, U.T @ w)
        return f, g, res

    f, g, res = phi_grad(U, lam)
    step = 1.0 / (2.0 * n + beta * n)
    it = 0
    inner = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - it is reported
        while True:
            Un = _proj_sphere_nonneg(U - step * g, K)
            fn, gn, resn = phi_grad(Un, lam)
            d = Un - U
            if fn <= f + 1e-4 * np.sum(g * d) or step < 1e-14:
                break
            step *= 0.5
        s_norm = np.linalg.norm(d)
        yv = gn - g
        sy = np.sum(d * yv)
        U, f, g, res = Un, fn, gn, resn
        step = float(np.sum(d * d) / sy) if sy > 0 else step * 2
        step = min(step, 10.0 * math.sqrt(K) / max(np.linalg.norm(g), 1e-300))
        inner += 1
        rel = s_norm / math.sqrt(K)
        if rel < max(tol, 1e-3 * np.max(np.abs(res))) or inner >= 200:
            if np.max(np.abs(res)) < tol and rel < tol:
                break
            lam = lam + beta * res
            f, g, res = phi_grad(U, lam)
            inner = 0
    labels = _spectral_round(U, K, 0)
    obj = float(np.sum((Xc.T @ U) ** 2))
    info = {"max_row_residual": float(np.max(np.abs(res))), "rank": r}
    dual = np.nan
    res_ok = len(np.unique(labels)) == K
    result = _finish(X0, K, labels, obj, dual, None, U, it, "burer-monteiro", info,
                     certify and res_ok)
    if not result.certified:
        # feasible dual from the multiplier (max form: y = lam, rescaled back), B = 0
        result.dual_bound = _dual_bound_B0(Xc, lam * scale, K)
        result.gap = _rel_gap(result.dual_bound, result.objective)
    return result


# --------------------------------------------------------------------------- consensus ADMM


def proj_affine(V: np.ndarray, traces) -> np.ndarray:
    """Project symmetric blocks V_k onto {tr Z_k = traces[k], sum_k Z_k 1 = 1} (Frobenius).

    Parameters
    ----------
    V : array (B, n, n) of symmetric matrices
    traces : sequence of B floats (their sum must make the set non-empty)

    Returns
    -------
    array (B, n, n)

    Notes
    -----
    Closed form derived from the Lagrangian Z_k = V_k - (lam 1^T + 1 lam^T) - mu_k I:
    s = 1^T lam = (1^T v - sum_k tr V_k + sum_k tau_k - n) / (2 B (n - 1)),
    mu_k = (tr V_k - 2 s - tau_k)/n, lam = (v - B s 1 - (sum mu) 1 - 1)/(B n), v = sum V_k 1.
    For tau_k = 1 this is the note's formula (section 8).
    """
    Bn, n, _ = V.shape
    tau = np.asarray(traces, float)
    trV = np.einsum("kii->k", V)
    v = V.sum(axis=(0, 2))
    s = (v.sum() - trV.sum() + tau.sum() - n) / (2 * Bn * (n - 1))
    mu = (trV - 2 * s - tau) / n
    lam = (v - Bn * s - mu.sum() - 1.0) / (Bn * n)
    Z = V - (lam[:, None] + lam[None, :])[None]
    Z[:, np.arange(n), np.arange(n)] -= mu[:, None]
    return Z


def _proj_psd(V: np.ndarray) -> np.ndarray:
    w, Q = np.linalg.eigh(V)
    return (Q * np.maximum(w, 0.0)[..., None, :]) @ np.swapaxes(Q, -1, -2)


def _consensus_admm(C: np.ndarray, traces, *, rho: float, tol: float, max_iter: int,
                    warm=None, adapt: bool = True):
    """min sum_k <C_k, Z_k> over {affine} n psd n nonneg by 3-copy consensus ADMM."""
    Bn, n, _ = C.shape
    if warm is None:
        Z = np.full(C.shape, 1.0 / (n * Bn))
        Us = np.zeros((3,) + C.shape)
    else:
        Z, Us = warm[0].copy(), warm[1].copy()
    it = 0
    r_p = r_d = np.inf
    for it in range(1, max_iter + 1):  # noqa: B007 - it is reported
        X1 = proj_affine(Z - Us[0] - C / rho, traces)
        X2 = _proj_psd(Z - Us[1])
        X3 = np.maximum(Z - Us[2], 0.0)
        Zold = Z
        Z = (X1 + X2 + X3 + Us.sum(0)) / 3.0
        Us[0] += X1 - Z
        Us[1] += X2 - Z
        Us[2] += X3 - Z
        if it % 10 == 0 or it == max_iter:
            nz = max(1.0, np.linalg.norm(Z))
            r_p = max(np.linalg.norm(X1 - Z), np.linalg.norm(X2 - Z),
                      np.linalg.norm(X3 - Z)) / nz
            r_d = rho * np.linalg.norm(Z - Zold) * math.sqrt(3) / max(1.0, rho * np.linalg.norm(
                Us))
            if r_p < tol and r_d < tol:
                break
            if adapt and it % 50 == 0:          # residual balancing (Boyd et al. 2011, 3.4.1)
                if r_p > 10 * r_d:
                    rho, Us = rho * 2.0, Us / 2.0
                elif r_d > 10 * r_p:
                    rho, Us = rho / 2.0, Us * 2.0
    # the feasible point: psd part of the consensus, cleaned to the affine set
    return Z, Us, it, r_p, r_d, X1, X2, X3, rho


def kmeans_sdp_admm(X, n_clusters: int, *, rho: float | None = None, tol: float = 1e-7,
                    max_iter: int = 20000, certify: bool = True) -> SDPResult:
    """SDP-KM by dense consensus ADMM (three projections: affine, psd, nonnegative).

    Parameters
    ----------
    X : array (n, p)
    n_clusters : int, 1 <= K <= n
    rho : float, optional
        ADMM penalty for A divided by the mean squared norm of the centred rows
        (default n / 2; adapted by residual balancing).
    tol : float
        Relative primal and dual residual tolerance.
    max_iter : int

    Returns
    -------
    SDPResult with ``Z`` and a dual bound built from the multipliers: B = max(rho U_3, 0)
    and y fitted from the affine-block multiplier, with z = lambda_max(A + B - (y 1^T +
    1 y^T)/2) recomputed so that the dual point is exactly feasible; the bound is valid for
    any such y and B >= 0.

    Notes
    -----
    O(n^3) per iteration (one eigendecomposition); the convex fallback of note section 8.
    """
    X0 = _check_X(X)
    n = X0.shape[0]
    K = _check_K(n_clusters, n)
    Xc = _centre(X0)
    A = Xc @ Xc.T
    scale = float(np.trace(A) / n) or 1.0     # ADMM runs on A / scale (entries O(1))
    rho = n / 2.0 if rho is None else float(rho)
    Z, Us, it, r_p, r_d, X1, X2, X3, rho = _consensus_admm(-A[None] / scale, [float(K)],
                                                           rho=rho, tol=tol, max_iter=max_iter)
    Zf = Z[0]
    obj = float(np.sum(A * Zf))
    B = np.maximum(rho * scale * Us[2, 0], 0.0)
    G = A - rho * scale * Us[0, 0]            # ~ (y 1^T + 1 y^T)/2 + z I at the optimum
    g = G.mean(1)
    m = g.mean()
    z0 = np.mean(np.diag(G) - (2 * g - m))
    y = 2 * g - (m + z0 / n)
    dual = _dual_bound_B0(Xc, y, K, B=B)
    labels = _round_Z(Zf, K)
    info = {"primal_residual": float(r_p), "dual_residual": float(r_d)}
    return _finish(X0, K, labels, obj, dual, Zf, None, it, "admm", info, certify)


def kmeans_sdp_cvxpy(X, n_clusters: int, *, solver: str = "SCS", eps: float = 1e-7,
                     max_iters: int = 200000) -> tuple[np.ndarray, float]:
    """Reference: SDP-KM through cvxpy (SCS or Clarabel).  Returns (Z, <A, Z>).

    The objective is written ``sum(multiply(A, Z))`` (note pitfall 2) on the centred data.
    """
    import cvxpy as cp

    X0 = _check_X(X)
    n = X0.shape[0]
    K = _check_K(n_clusters, n)
    Xc = _centre(X0)
    A = Xc @ Xc.T
    Z = cp.Variable((n, n), PSD=True)
    cons = [Z >= 0, Z @ np.ones(n) == np.ones(n), cp.trace(Z) == K]
    prob = cp.Problem(cp.Maximize(cp.sum(cp.multiply(A, Z))), cons)
    if solver.upper() == "SCS":
        prob.solve(solver="SCS", eps=eps, max_iters=max_iters)
    else:
        prob.solve(solver=solver)
    Zv = (Z.value + Z.value.T) / 2
    return Zv, float(np.sum(A * Zv))


# --------------------------------------------------------------------------- LA-SDP


def _check_params(covs, weights, K: int, p: int):
    covs = np.asarray(covs, float)
    if covs.shape == (p, p):
        covs = np.broadcast_to(covs, (K, p, p))
    if covs.shape != (K, p, p):
        raise ValueError(f"covs must have shape ({K}, {p}, {p}), got {covs.shape}")
    if weights is None:
        weights = np.full(K, 1.0 / K)
    weights = np.asarray(weights, float)
    if weights.shape != (K,) or np.any(weights <= 0):
        raise ValueError(f"weights must be {K} positive numbers, got {weights}")
    ev = np.linalg.eigvalsh(covs)
    if np.any(ev <= 0):
        raise ValueError("covs must be symmetric positive definite")
    return covs, weights


def la_sdp_costs(X, covs, weights=None) -> np.ndarray:
    """Cost matrices C_k = D^(k)/2 + (log|Sigma_k| - 2 log pi_k) J_n of LA-SDP, shape (K, n, n).

    D^(k)_ij = (X_i - X_j)^T Sigma_k^{-1} (X_i - X_j), the Mahalanobis distance of cluster k.

    Parameters
    ----------
    X : array (n, p)
    covs : array (K, p, p), SPD
    weights : array (K,), positive (default equal)

    Returns
    -------
    ndarray (K, n, n)

    Notes
    -----
    Note section 2.5 (derived; the shape "likelihood adjusted, centroid-free, group-specific
    membership matrices" is read in the paper's abstract).  At Z_k = Z_k* of a partition,
    sum_k <C_k, Z_k*> = -2 x (profile classification log-likelihood) up to n p log(2 pi).
    """
    X = _check_X(X)
    covs = np.asarray(covs, float)
    K = covs.shape[0] if covs.ndim == 3 else 1
    covs, weights = _check_params(covs, weights, K, X.shape[1])
    C = np.empty((K, X.shape[0], X.shape[0]))
    for k in range(K):
        L = np.linalg.cholesky(covs[k])
        Y = sla.solve_triangular(L, X.T, lower=True).T      # X Sigma^{-1/2}
        sq = np.sum(Y**2, 1)
        D = sq[:, None] + sq[None, :] - 2 * Y @ Y.T
        logdet = 2 * np.sum(np.log(np.diag(L)))
        C[k] = 0.5 * D + (logdet - 2 * math.log(weights[k]))
    return C


def profile_neg2_loglik(X, labels, covs, weights=None) -> float:
    """-2 x profile classification log-likelihood (means profiled out), constants dropped.

    ``sum_k [ sum_{i in G_k} (X_i - Xbar_k)^T Sigma_k^{-1} (X_i - Xbar_k)
    + n_k log|Sigma_k| - 2 n_k log pi_k ]`` (note section 2.4, derived).
    """
    X = _check_X(X)
    lab = _check_labels(labels, X.shape[0])
    covs = np.asarray(covs, float)
    K = covs.shape[0]
    covs, weights = _check_params(covs, weights, K, X.shape[1])
    total = 0.0
    for k in range(K):
        Xk = X[lab == k]
        if len(Xk) == 0:
            continue
        R = Xk - Xk.mean(0)
        total += float(np.sum(R * np.linalg.solve(covs[k], R.T).T))
        total += len(Xk) * (np.linalg.slogdet(covs[k])[1] - 2 * math.log(weights[k]))
    return total


def la_sdp_admm(C, *, rho: float | None = None, tol: float = 1e-6, max_iter: int = 20000,
                warm=None) -> tuple[np.ndarray, float, dict]:
    """Solve LA-SDP  min sum_k <C_k, Z_k>  s.t. Z_k psd, Z_k >= 0, tr Z_k = 1, sum_k Z_k 1 = 1.

    Parameters
    ----------
    C : array (K, n, n) of symmetric cost matrices (:func:`la_sdp_costs`)
    rho : float, optional, penalty for the standardised costs (default n / 2)
    tol : float, relative residual tolerance
    max_iter : int
    warm : the ``info["state"]`` of a previous call (warm start), optional

    Returns
    -------
    Z : array (K, n, n), the nonnegative psd part of the consensus iterate
    value : sum_k <C_k, Z_k>
    info : dict with ``iterations``, ``primal_residual``, ``dual_residual``, ``state``

    Notes
    -----
    Consensus ADMM with the coupled affine projection of :func:`proj_affine` (note section 8,
    derived).  Matches cvxpy to the solver tolerance (tests).
    """
    C = np.asarray(C, float)
    if C.ndim != 3 or C.shape[1] != C.shape[2]:
        raise ValueError(f"C must have shape (K, n, n), got {C.shape}")
    if not np.all(np.isfinite(C)):
        raise ValueError("C must be finite")
    K, n, _ = C.shape
    # a common shift c J changes the objective by the constant c n and a positive factor
    # rescales it: run on the standardised costs (entries O(1), Z entries O(1/n))
    Cn = C - C.mean()
    Cn = Cn / (float(np.mean(np.abs(Cn))) or 1.0)
    rho = n / 2.0 if rho is None else float(rho)
    if warm is not None:
        rho = warm[2]
    Z, Us, it, r_p, r_d, X1, X2, X3, rho = _consensus_admm(Cn, np.ones(K), rho=rho, tol=tol,
                                                           max_iter=max_iter, warm=warm)
    Zf = np.maximum(X2, 0.0)
    return Zf, float(np.sum(C * X1)), {"iterations": it, "primal_residual": float(r_p),
                                       "dual_residual": float(r_d), "state": (Z, Us, rho)}


def la_sdp_cvxpy(C, *, solver: str = "SCS", eps: float = 1e-7,
                 max_iters: int = 200000) -> tuple[np.ndarray, float]:
    """Reference: LA-SDP through cvxpy (K psd blocks).  Returns (Z (K, n, n), value)."""
    import cvxpy as cp

    C = np.asarray(C, float)
    K, n, _ = C.shape
    Zs = [cp.Variable((n, n), PSD=True) for _ in range(K)]
    cons = [z >= 0 for z in Zs] + [cp.trace(z) == 1 for z in Zs]
    cons.append(sum(z @ np.ones(n) for z in Zs) == np.ones(n))
    prob = cp.Problem(cp.Minimize(sum(cp.sum(cp.multiply(C[k], Zs[k])) for k in range(K))),
                      cons)
    if solver.upper() == "SCS":
        prob.solve(solver="SCS", eps=eps, max_iters=max_iters)
    else:
        prob.solve(solver=solver)
    Z = np.array([(z.value + z.value.T) / 2 for z in Zs])
    return Z, float(np.sum(C * Z))


def la_round(Z) -> np.ndarray:
    """Label i by argmax_k (Z_k 1)_i (note section 2.5)."""
    Z = np.asarray(Z, float)
    return np.argmax(Z.sum(axis=2), axis=0).astype(int)


# --------------------------------------------------------------------------- iLA-SDP


def _regularise(S: np.ndarray, reg: float, level: float) -> np.ndarray:
    """S + reg * level * I, with level the mean variance of the whole data set."""
    return S + reg * max(level, 1e-12) * np.eye(S.shape[-1])


def lifted_params(X, Z, *, reg: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The (Sigma, pi)-step of iLA-SDP: Sigma_k = W_k/m_k, pi_k = m_k/n.

    Parameters
    ----------
    X : array (n, p)
    Z : array (K, n, n), feasible for LA-SDP
    reg : float >= 0
        Ridge lambda: Sigma_k + lambda s I with s the mean variance of X (note section 2.6
        uses tr Sigma_k / p; a data-level floor also stops a collapsing cluster); 0 gives the
        exact minimiser.  Blocks with mass m_k <= p get the pooled covariance.

    Returns
    -------
    covs (K, p, p), weights (K,)

    Notes
    -----
    W_k = X^T (diag(Z_k 1) - Z_k) X is psd (a graph Laplacian quadratic form) and
    m_k = 1^T Z_k 1; the minimiser of F over (Sigma, pi) for fixed Z, derived in the note
    (section 2.6b, check 8).  At an integral Z it is the per-cluster MLE.
    """
    X = _check_X(X)
    Z = np.asarray(Z, float)
    m = Z.sum(axis=(1, 2))
    deg = Z.sum(axis=2)                                   # (K, n)
    W = np.einsum("ki,ip,iq->kpq", deg, X, X) - np.einsum("ip,kij,jq->kpq", X, Z, X)
    W = (W + np.transpose(W, (0, 2, 1))) / 2
    n, p = X.shape
    m = np.maximum(m, 1e-9 * n)
    covs = W / m[:, None, None]
    level = float(np.mean(np.var(X, 0)))
    small = m <= p                            # too little mass: pooled covariance (pitfall 7)
    if np.any(small):
        covs[small] = W.sum(0) / n
    if reg > 0:
        covs = np.array([_regularise(S, reg, level) for S in covs])
    return covs, m / n


def lifted_objective(X, Z, covs, weights) -> float:
    """F(Z, Sigma, pi) = sum_k [tr(Sigma_k^{-1} W_k) + m_k (log|Sigma_k| - 2 log pi_k)].

    Equal to sum_k <C_k, Z_k> for feasible Z (note section 2.6b, derived).
    """
    X = _check_X(X)
    Z = np.asarray(Z, float)
    K = Z.shape[0]
    covs, weights = _check_params(covs, weights, K, X.shape[1])
    m = Z.sum(axis=(1, 2))
    deg = Z.sum(axis=2)
    W = np.einsum("ki,ip,iq->kpq", deg, X, X) - np.einsum("ip,kij,jq->kpq", X, Z, X)
    F = 0.0
    for k in range(K):
        F += float(np.trace(np.linalg.solve(covs[k], W[k])))
        F += m[k] * (np.linalg.slogdet(covs[k])[1] - 2 * math.log(weights[k]))
    return F


def hard_params(X, labels, K: int, *, reg: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster MLE covariances (ridge ``reg``) and proportions of a hard partition.

    Clusters with n_k <= p fall back to the pooled within-cluster covariance (note pitfall 7).
    """
    X = _check_X(X)
    lab = _check_labels(labels, X.shape[0])
    n, p = X.shape
    pooled = np.zeros((p, p))
    for k in range(K):
        Xk = X[lab == k]
        if len(Xk):
            R = Xk - Xk.mean(0)
            pooled += R.T @ R
    pooled /= n
    level = float(np.mean(np.var(X, 0)))
    covs, w = np.empty((K, p, p)), np.empty(K)
    for k in range(K):
        Xk = X[lab == k]
        w[k] = max(len(Xk), 1) / n
        if len(Xk) > p:
            R = Xk - Xk.mean(0)
            covs[k] = _regularise(R.T @ R / len(Xk), reg, level)
        else:
            covs[k] = _regularise(pooled, reg, level)
    return covs, w / w.sum()


@dataclasses.dataclass
class ILAResult:
    """Outcome of :func:`ila_sdp`: labels, Z (K, n, n), covs, weights, the history of F,
    iteration count and whether the stopping rule was met."""

    labels: np.ndarray
    Z: np.ndarray
    covs: np.ndarray
    weights: np.ndarray
    objective_history: np.ndarray
    iterations: int
    converged: bool


def ila_sdp(X, n_clusters: int, *, init="sdp", reg: float = 1e-3, max_iter: int = 30,
            rtol: float = 1e-4, admm_tol: float = 1e-6, admm_max_iter: int = 20000,
            random_state=0) -> ILAResult:
    """iLA-SDP, the lifted version: alternate the LA-SDP Z-step and Sigma_k = W_k/m_k.

    Parameters
    ----------
    X : array (n, p)
    n_clusters : int, 1 <= K <= n
    init : "sdp" | "random" | array of labels
        Start from the rounded Peng-Wei solution (default; rounded to hard labels first,
        Errata 2), from random balanced labels, or from given labels.
    reg : float >= 0, ridge on each Sigma_k (note section 2.6)
    max_iter : int, maximum number of alternations
    rtol : float, stop when |F_t - F_{t-1}| <= rtol |F_t| (default 1e-4: the ADMM
        solutions at tolerance 1e-6 move F by ~1e-5 relative, Errata 3)
    admm_tol, admm_max_iter : the LA-SDP solver's accuracy
    random_state : seed for the random start

    Returns
    -------
    ILAResult

    Notes
    -----
    Note section 2.6(b), derived: F(Z, Sigma, pi) = sum_k <C_k(Sigma, pi), Z_k> is
    non-increasing along the alternation up to the SDP solver's accuracy (the ridge adds a
    small term).  The Z-step is warm-started from the previous ADMM state.  Labels are
    argmax_k (Z_k 1)_i.
    """
    X = _check_X(X)
    n, p = X.shape
    K = _check_K(n_clusters, n)
    rng = np.random.default_rng(random_state)
    if isinstance(init, str) and init == "sdp":
        labels = kmeans_sdp_bm(X, K, tol=1e-4, max_iter=3000, random_state=rng.integers(2**31),
                               certify=False).labels
    elif isinstance(init, str) and init == "random":
        labels = rng.permutation(np.arange(n) % K)
    elif isinstance(init, str):
        raise ValueError(f"init must be 'sdp', 'random' or an array of labels, got {init!r}")
    else:
        labels = _check_labels(init, n, name="init")
        if labels.min() < 0 or labels.max() >= K:
            raise ValueError(f"init labels must lie in 0..{K - 1}")
    covs, weights = hard_params(X, labels, K, reg=reg)
    Xc = X - X.mean(0)
    hist = []
    warm = None
    Z = group_membership_matrices(labels, K)
    converged = False
    t = 0
    for t in range(1, max_iter + 1):  # noqa: B007 - t is reported
        C = la_sdp_costs(Xc, covs, weights)
        Z, val, info = la_sdp_admm(C, tol=admm_tol, max_iter=admm_max_iter, warm=warm)
        warm = info["state"]
        covs, weights = lifted_params(Xc, Z, reg=reg)
        hist.append(lifted_objective(Xc, Z, covs, weights))
        if len(hist) > 1 and abs(hist[-1] - hist[-2]) <= rtol * abs(hist[-1]):
            converged = True
            break
    return ILAResult(labels=la_round(Z), Z=Z, covs=covs, weights=weights,
                     objective_history=np.array(hist), iterations=t, converged=converged)


# --------------------------------------------------------------------------- baselines


def qda_labels(X, means, covs, weights=None) -> np.ndarray:
    """Oracle QDA rule argmax_k [log pi_k + log N(X_i; mu_k, Sigma_k)] with true parameters."""
    X = _check_X(X)
    means = np.atleast_2d(np.asarray(means, float))
    K = means.shape[0]
    covs, weights = _check_params(covs, weights, K, X.shape[1])
    return np.argmax(_log_gauss(X[None], means[None], covs[None])[0]
                     + np.log(weights), axis=1).astype(int)


def _log_gauss(X, means, covs):
    """log N(x_i; mu_k, Sigma_k) batched: X (R, n, p), means (R, K, p), covs (R, K, p, p)."""
    p = X.shape[-1]
    L = np.linalg.cholesky(covs)                                    # (R, K, p, p)
    D = X[:, None, :, :] - means[:, :, None, :]                     # (R, K, n, p)
    sol = np.linalg.solve(L, np.swapaxes(D, -1, -2))                # (R, K, p, n)
    maha = np.sum(sol**2, axis=-2)                                  # (R, K, n)
    logdet = 2 * np.sum(np.log(np.diagonal(L, axis1=-2, axis2=-1)), -1)
    out = -0.5 * (maha + logdet[..., None] + p * math.log(2 * math.pi))
    return np.swapaxes(out, -1, -2)                                 # (R, n, K)


def em_gmm(X, n_clusters: int, *, n_init: int = 1, init="forgy", max_iter: int = 500,
           tol: float = 1e-8, reg: float = 1e-6, random_state=0, return_n_iter: bool = False):
    """Full-covariance EM for a Gaussian mixture, ``n_init`` independent starts in one batch.

    Parameters
    ----------
    X : array (n, p)
    n_clusters : int, 1 <= K <= n
    n_init : int >= 1, independent starts (all returned)
    init : "forgy" (means at K distinct random data points, Sigma_k = I, pi = 1/K; note
        section 2.7) or an array of initial means (K, p) / (n_init, K, p)
    max_iter, tol : stop when the mean log-likelihood improves by < tol for every start
    reg : ridge added to every covariance (times the mean variance)
    random_state : seed

    Returns
    -------
    labels (n_init, n), loglik (n_init,) mean log-likelihood per point, means, covs, weights

    Notes
    -----
    The baseline named in the paper's abstract (EM "suffers from bad local maxima even in the
    special case of the standard Gaussian mixture model", read there); Forgy starts as in the
    note's section 3.5.  Vectorised over starts (no Python loop over samples or starts).
    """
    X = _check_X(X)
    n, p = X.shape
    K = _check_K(n_clusters, n)
    if not (isinstance(n_init, Integral) and n_init >= 1):
        raise ValueError(f"n_init must be an integer >= 1, got {n_init!r}")
    rng = np.random.default_rng(random_state)
    if isinstance(init, str):
        if init != "forgy":
            raise ValueError(f"init must be 'forgy' or an array of means, got {init!r}")
        idx = np.array([rng.choice(n, K, replace=False) for _ in range(n_init)])
        means = X[idx]
    else:
        means = np.asarray(init, float)
        if means.shape == (K, p):
            means = np.broadcast_to(means, (n_init, K, p)).copy()
        if means.shape != (n_init, K, p):
            raise ValueError(f"init means must have shape ({K}, {p}) or ({n_init}, {K}, {p})")
    R = n_init
    covs = np.broadcast_to(np.eye(p), (R, K, p, p)).copy()
    w = np.full((R, K), 1.0 / K)
    ridge = reg * float(np.mean(np.var(X, 0))) * np.eye(p)
    Xb = np.broadcast_to(X, (R, n, p))
    prev = np.full(R, -np.inf)
    ll = prev
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - it is reported
        logp = _log_gauss(Xb, means, covs) + np.log(w)[:, None, :]   # (R, n, K)
        mx = logp.max(-1, keepdims=True)
        lse = mx[..., 0] + np.log(np.exp(logp - mx).sum(-1))
        resp = np.exp(logp - lse[..., None])
        ll = lse.mean(-1)
        nk = resp.sum(1) + 1e-12                                     # (R, K)
        w = nk / n
        means = np.einsum("rnk,np->rkp", resp, X) / nk[..., None]
        D = X[None, None] - means[:, :, None, :]                     # (R, K, n, p)
        covs = np.einsum("rnk,rknp,rknq->rkpq", resp, D, D) / nk[..., None, None] + ridge
        if np.all(np.abs(ll - prev) < tol):
            break
        prev = ll
    labels = np.argmax(logp, -1).astype(int)
    if return_n_iter:
        return labels, ll, means, covs, w, it
    return labels, ll, means, covs, w


# --------------------------------------------------------------------------- estimators


class _SDPBase(ClusterMixin, BaseEstimator):
    def _validate(self, X):
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        K = self.n_clusters
        if not isinstance(K, Integral) or isinstance(K, bool) or K < 1:
            raise ValueError(f"n_clusters must be an integer >= 1, got {K!r}")
        if K > X.shape[0]:
            raise ValueError(f"n_clusters = {K} must be <= n_samples = {X.shape[0]}")
        return X

    def fit_predict(self, X, y=None):
        return self.fit(X).labels_


class SDPKMeans(_SDPBase):
    """K-means through the Peng-Wei SDP relaxation (scikit-learn estimator).

    Parameters
    ----------
    n_clusters : int, default 2
    solver : {"bm", "admm", "cvxpy"}, default "bm"
        Burer-Monteiro with a dual certificate (fast, O(n p K) memory), dense consensus
        ADMM, or cvxpy+SCS (reference).
    tol : float, default 1e-6
    max_iter : int, default 20000
    random_state : int or None

    Attributes
    ----------
    labels_ : (n,) ints
    objective_ : <A, Z> at the returned point
    dual_bound_ : an upper bound on the SDP optimum (nan for cvxpy)
    certified_ : whether a dual certificate proves Z_G(labels_) is the unique optimum
    result_ : the full :class:`SDPResult` (None for cvxpy)
    n_features_in_ : int

    Notes
    -----
    Peng & Wei (2007); exact recovery above the Chen-Yang cutoff (note section 3.1).
    """

    def __init__(self, n_clusters=2, *, solver="bm", tol=1e-6, max_iter=20000,
                 random_state=None):
        self.n_clusters = n_clusters
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y=None):
        X = self._validate(X)
        K = int(self.n_clusters)
        seed = np.random.default_rng(self.random_state).integers(2**31)
        if self.solver == "bm":
            res = kmeans_sdp_bm(X, K, tol=self.tol, max_iter=self.max_iter, random_state=seed)
        elif self.solver == "admm":
            res = kmeans_sdp_admm(X, K, tol=min(self.tol, 1e-6), max_iter=self.max_iter)
        elif self.solver == "cvxpy":
            Z, obj = kmeans_sdp_cvxpy(X, K)
            res = SDPResult(_round_Z(Z, K), obj, np.nan, np.nan, False, Z, None, 0, "cvxpy",
                            {})
        else:
            raise ValueError(f"solver must be 'bm', 'admm' or 'cvxpy', got {self.solver!r}")
        self.labels_ = np.asarray(res.labels, dtype=int)
        self.objective_ = res.objective
        self.dual_bound_ = res.dual_bound
        self.certified_ = res.certified
        self.result_ = res
        self.n_iter_ = res.iterations
        return self


class ILASDP(_SDPBase):
    """Iterative likelihood adjusted SDP (lifted version) as a scikit-learn estimator.

    Parameters
    ----------
    n_clusters : int, default 2
    init : {"sdp", "random"}, default "sdp"
        Label-free start: the rounded Peng-Wei SDP, or random balanced labels.
    reg : float, default 1e-3, ridge on the covariances
    max_iter : int, default 30, alternations
    tol : float, default 1e-4, relative change of F that stops the iteration
    solver_tol : float, default 1e-6, ADMM residual tolerance of each LA-SDP solve
    solver_max_iter : int, default 20000, ADMM iterations per LA-SDP solve
    random_state : int or None

    Attributes
    ----------
    labels_ : (n,) ints
    covariances_ : (K, p, p)
    weights_ : (K,)
    objective_history_ : F along the iteration (non-increasing)
    n_iter_ : int
    n_features_in_ : int

    Notes
    -----
    Zhuang, Chen, Yang (2023): alternate the LA-SDP (group-specific membership matrices) and
    the covariance/proportion update (note section 2.6b, derived).  Cost O(K n^3) per ADMM
    iteration: meant for n up to a few hundred.
    """

    def __init__(self, n_clusters=2, *, init="sdp", reg=1e-3, max_iter=30, tol=1e-4,
                 solver_tol=1e-6, solver_max_iter=20000, random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.reg = reg
        self.max_iter = max_iter
        self.tol = tol
        self.solver_tol = solver_tol
        self.solver_max_iter = solver_max_iter
        self.random_state = random_state

    def fit(self, X, y=None):
        X = self._validate(X)
        seed = np.random.default_rng(self.random_state).integers(2**31)
        res = ila_sdp(X, int(self.n_clusters), init=self.init, reg=self.reg,
                      max_iter=self.max_iter, rtol=self.tol, admm_tol=self.solver_tol,
                      admm_max_iter=self.solver_max_iter, random_state=seed)
        self.labels_ = res.labels
        self.covariances_ = res.covs
        self.weights_ = res.weights
        self.objective_history_ = res.objective_history
        self.n_iter_ = res.iterations
        return self


class GaussianMixtureEM(_SDPBase):
    """EM baseline: full-covariance Gaussian mixture, Forgy starts, best of ``n_init`` by
    likelihood.

    Parameters
    ----------
    n_clusters : int, default 2
    n_init : int, default 1
    max_iter : int, default 500
    tol : float, default 1e-8
    random_state : int or None

    Attributes
    ----------
    labels_, means_, covariances_, weights_, log_likelihood_ (mean per point),
    n_features_in_
    """

    def __init__(self, n_clusters=2, *, n_init=1, max_iter=500, tol=1e-8, random_state=None):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y=None):
        X = self._validate(X)
        seed = np.random.default_rng(self.random_state).integers(2**31)
        labels, ll, means, covs, w, n_iter = em_gmm(
            X, int(self.n_clusters), n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
            random_state=seed, return_n_iter=True)
        b = int(np.argmax(np.where(np.isfinite(ll), ll, -np.inf)))
        self.labels_ = labels[b]
        self.means_, self.covariances_, self.weights_ = means[b], covs[b], w[b]
        self.log_likelihood_ = float(ll[b])
        self.n_iter_ = int(n_iter)
        return self
