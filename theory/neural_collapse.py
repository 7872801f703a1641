"""Perturbation analysis of neural collapse (Tirer, Huang, Niles-Weed 2023).

Reads like the paper:

1. collapse metrics NC1 (pinv), NC1~ (Eq. 3), NC2 and NC3, normalised as in the paper
   (Sigma_W divided by Kn, Sigma_B by K; NC1 has the extra 1/K);
2. the bias-free MSE unconstrained features model (UFM, Eq. 1) and its closed-form minimiser
   (Thm 2.1, from Tirer & Bruna 2022), with the ridge last layer W*(H) and the reduced
   ("central path") loss L(H);
3. the model with a proximity term beta/(2Kn) ||H - H0||^2 (Eq. 2) and its numerical
   minimiser (L-BFGS warm-started at H0, then exact Newton steps);
4. the gradient flow on the central path (Eq. 4, Thm 3.1) and the exact time derivatives of
   Tr Sigma_W, Tr Sigma_B and NC1~;
5. the first-order perturbation map of Thm 4.1 (Schur complement of the joint Hessian) and its
   large-beta form Eq. 5;
6. the exact spectrum of F at a collapsed input (Thm 4.2 and the full step spectrum) and the
   NC1/NC2 attenuation factors near collapse.

Conventions
-----------
Features are the columns of ``H`` (shape ``(d, N)``, N = K n); ``labels`` (length N, integers
0..K-1, every class exactly n times) give the one-hot targets Y. The theorems' block structure
(Eq. 6) assumes class-major order (labels = repeat(arange(K), n)); every function accepts any
order. ``vec`` stacks columns: vec(H) = H.T.ravel(), vec(W) = W.T.ravel() for W of shape (K, d).
The loss is (paper Eq. 1, note section 2; the W penalty is divided by K, not Kn)::

    f(W, H; H0) = ||W H - Y||^2/(2Kn) + lam_W ||W||^2/(2K) + lam_H ||H||^2/(2Kn)
                  + beta ||H - H0||^2/(2Kn).

Provenance: Eqs. 1-5, Thms 2.1, 3.1, 4.1, 4.2 and the metric definitions are **read in the
paper**; the full spectrum at a collapsed point (exact in beta), the identity
F_exact - F_eq5 = (A/beta)^2 (I + A/beta)^-1, the exact derivatives of Tr Sigma_W and
Tr Sigma_B along the flow and the attenuation factors are **derived** in the reference note
(papers/neural_collapse.md, R3, R5, R6, R7) and checked numerically in tests/.

References
----------
T. Tirer, H. Huang, J. Niles-Weed. Perturbation Analysis of Neural Collapse. ICML 2023,
arXiv:2210.16658.
T. Tirer, J. Bruna. Extended unconstrained features model for exploring deep neural collapse.
ICML 2022.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.optimize
from scipy.integrate import solve_ivp

from theory._blas import one_blas_thread

# --------------------------------------------------------------------------- validation


def _features(H, name: str = "H") -> np.ndarray:
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (d, N), got shape {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError(f"{name} must be finite")
    return H


def _labels(labels, N: int) -> tuple[np.ndarray, int, int]:
    """Check balanced integer labels 0..K-1 of length N; return (labels, K, n)."""
    lab = np.asarray(labels)
    if lab.ndim != 1 or lab.shape[0] != N:
        raise ValueError(f"labels must be a 1-D array of length N = {N}, got shape {lab.shape}")
    if not np.issubdtype(lab.dtype, np.integer):
        if not np.all(np.equal(np.mod(lab, 1), 0)):
            raise ValueError("labels must be integers 0..K-1")
        lab = lab.astype(np.int64)
    K = int(lab.max()) + 1 if lab.size else 0
    if lab.min() < 0 or K < 2:
        raise ValueError(f"labels must take values 0..K-1 with K >= 2, got range "
                         f"[{lab.min()}, {lab.max()}]")
    counts = np.bincount(lab, minlength=K)
    if np.any(counts != counts[0]):
        raise ValueError(f"labels must be balanced (n samples in every class), got counts "
                         f"{counts.tolist()}")
    return lab, K, int(counts[0])


def _positive(value, name: str, *, allow_zero: bool = False) -> float:
    v = float(value)
    ok = v >= 0 if allow_zero else v > 0
    if not (np.isfinite(v) and ok):
        rng = "[0, inf)" if allow_zero else "(0, inf)"
        raise ValueError(f"{name} must be in {rng}, got {value!r}")
    return v


def _size(value, name: str, low: int) -> int:
    if int(value) != value or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def class_major_labels(K: int, n: int) -> np.ndarray:
    """Labels 0..K-1, each repeated n times (the paper's class-major order)."""
    return np.repeat(np.arange(_size(K, "K", 2)), _size(n, "n", 1))


def one_hot(labels, K: int | None = None) -> np.ndarray:
    """Y = one-hot columns (K, N) of ``labels`` (Y = I_K kron 1_n^T in class-major order)."""
    lab = np.asarray(labels, dtype=np.int64)
    K = int(lab.max()) + 1 if K is None else K
    return np.eye(K)[:, lab]


def vec(X) -> np.ndarray:
    """Column-stacking vec: ``X.T.ravel()``."""
    return np.asarray(X).T.ravel()


def unvec(v, rows: int) -> np.ndarray:
    """Inverse of :func:`vec` for a matrix with ``rows`` rows."""
    return np.asarray(v).reshape(-1, rows).T


# --------------------------------------------------------------------------- 1. metrics


def class_means(H, labels) -> np.ndarray:
    """Class means H_bar = [h_1, ..., h_K] of shape (d, K)."""
    H = _features(H)
    lab, K, n = _labels(labels, H.shape[1])
    return _means(H, lab, K, n)


def _means(H, lab, K, n):
    return (H @ np.eye(K)[lab]) / n


def covariances(H, labels) -> tuple[np.ndarray, np.ndarray]:
    """Within- and between-class covariances (Sigma_W, Sigma_B), each (d, d).

    Sigma_W = (1/Kn) sum_{k,i} (h_ki - h_k)(h_ki - h_k)^T and
    Sigma_B = (1/K) sum_k (h_k - h_G)(h_k - h_G)^T, as in the paper (Sec. 3).
    """
    H = _features(H)
    lab, K, n = _labels(labels, H.shape[1])
    return _covs(H, lab, K, n)


def _covs(H, lab, K, n):
    M = _means(H, lab, K, n)
    D = H - M[:, lab]
    Mc = M - M.mean(axis=1, keepdims=True)
    return D @ D.T / (K * n), Mc @ Mc.T / K


def nc1(H, labels) -> float:
    """NC1 = (1/K) Tr(Sigma_W Sigma_B^+), the metric of the paper's experiments.

    Parameters
    ----------
    H : array (d, N)
        Features as columns.
    labels : array (N,)
        Integer labels 0..K-1, balanced.

    Returns
    -------
    float

    Notes
    -----
    Read in the paper (Sec. 5; same normalisation as Papyan et al. 2020 and Zhu et al. 2021:
    Sigma_W over Kn, Sigma_B over K). The pseudo-inverse is formed in float64 from the
    eigenpairs of Sigma_B of rank at most K-1 (eigenvalues below 1e-12 of the largest are
    dropped), which avoids the negative/exploding values of a generic ``pinv`` on
    ill-conditioned Sigma_B (tding1/Neural-Collapse issue 3). NC1 only sees the within-class
    spread inside the span of the centred means; it need not decrease along the central path
    (note, Sec. 7), unlike :func:`nc1_tilde`.

    References
    ----------
    Papyan, Han, Donoho (2020), PNAS; Tirer, Huang, Niles-Weed (2023), Sec. 5.
    """
    H = _features(H)
    lab, K, n = _labels(labels, H.shape[1])
    Sw, Sb = _covs(H, lab, K, n)
    vals, vecs = np.linalg.eigh(Sb)
    order = np.argsort(vals)[::-1][: min(K - 1, H.shape[0])]
    vals, vecs = vals[order], vecs[:, order]
    if vals.size == 0 or vals[0] <= 0:
        raise ValueError("H: the class means coincide (Sigma_B = 0), NC1 is undefined")
    keep = vals > 1e-12 * vals[0]
    U, v = vecs[:, keep], vals[keep]
    return float(np.trace((U.T @ Sw @ U) / v) / K)


def nc1_tilde(H, labels) -> float:
    """NC1~ = Tr(Sigma_W) / Tr(Sigma_B), the paper's theory metric (Eq. 3).

    Notes
    -----
    Read in the paper (Eq. 3). Scale-invariant: NC1~(a H) = NC1~(H). Theorem 3.1 says it
    strictly decreases along the central-path flow.
    """
    H = _features(H)
    lab, K, n = _labels(labels, H.shape[1])
    Sw, Sb = _covs(H, lab, K, n)
    tb = np.trace(Sb)
    if tb <= 0:
        raise ValueError("H: the class means coincide (Tr Sigma_B = 0), NC1~ is undefined")
    return float(np.trace(Sw) / tb)


def simplex_etf_gram(K: int) -> np.ndarray:
    """(I_K - 1 1^T / K) / sqrt(K - 1): the simplex-ETF Gram with unit Frobenius norm."""
    K = _size(K, "K", 2)
    return (np.eye(K) - np.ones((K, K)) / K) / np.sqrt(K - 1)


def nc2(means) -> float:
    """NC2 = || G/||G||_F - (I_K - 11^T/K)/sqrt(K-1) ||_F, G the Gram of the centred means.

    Parameters
    ----------
    means : array (d, K)
        Class means as columns (e.g. :func:`class_means`).

    Notes
    -----
    Read in the paper (Sec. 5). The means are centred by their global mean, so NC2 = 0 for a
    simplex ETF (and for the orthogonal frame of Thm 2.1, whose centred version is an ETF).
    """
    M = _features(means, "means")
    K = _size(M.shape[1], "means.shape[1] (K)", 2)
    Mc = M - M.mean(axis=1, keepdims=True)
    G = Mc.T @ Mc
    g = np.linalg.norm(G)
    if g <= 0:
        raise ValueError("means: all class means coincide, NC2 is undefined")
    return float(np.linalg.norm(G / g - simplex_etf_gram(K)))


def nc3(W, H, labels, *, centred: bool = False) -> float:
    """NC3: distance between the normalised last layer and the normalised class means.

    ``centred=False`` (default): || W/||W||_F - H_bar^T/||H_bar||_F ||_F with **uncentred**
    means, which is exactly 0 at the bias-free MSE minimiser (w_k = sqrt(lam_H/lam_W) h_k,
    Thm 2.1). ``centred=True``: Papyan et al.'s form with centred means M = H_bar - h_G 1^T,
    which is *not* 0 at that minimiser.

    Notes
    -----
    The paper names NC3 but gives no formula in the text read; both forms are the note's
    choices (Sec. 2), not the paper's.
    """
    H = _features(H)
    W = _features(W, "W")
    lab, K, n = _labels(labels, H.shape[1])
    if W.shape != (K, H.shape[0]):
        raise ValueError(f"W must have shape (K, d) = {(K, H.shape[0])}, got {W.shape}")
    M = _means(H, lab, K, n)
    if centred:
        M = M - M.mean(axis=1, keepdims=True)
    nw, nm = np.linalg.norm(W), np.linalg.norm(M)
    if nw <= 0 or nm <= 0:
        raise ValueError("W and the class means must be non-zero for NC3")
    return float(np.linalg.norm(W / nw - M.T / nm))


# --------------------------------------------------------------------------- 2. the UFM


class UFMConstants(NamedTuple):
    c: float  # sqrt(lam_H lam_W)
    rho: float  # (1 - c) sqrt(lam_W / lam_H): squared class-mean norm at the minimiser
    s: float  # sqrt(lam_H / lam_W): w_k = s h_k


def ufm_constants(*, lam_W: float, lam_H: float) -> UFMConstants:
    """c = sqrt(lam_H lam_W), rho = (1 - c) sqrt(lam_W/lam_H) (0 if c >= 1), s = sqrt(lam_H/lam_W).

    Notes
    -----
    c and rho are read in the paper (Thm 2.1); s is the note's shorthand (lam_H = s c).
    """
    lw = _positive(lam_W, "lam_W")
    lh = _positive(lam_H, "lam_H")
    c = float(np.sqrt(lh * lw))
    return UFMConstants(c, max(1.0 - c, 0.0) * float(np.sqrt(lw / lh)), float(np.sqrt(lh / lw)))


def ufm_minimizer(K: int, n: int, d: int, *, lam_W: float, lam_H: float,
                  R=None) -> tuple[np.ndarray, np.ndarray]:
    """A global minimiser (W*, H*) of the bias-free MSE UFM (Eq. 1), in closed form.

    Parameters
    ----------
    K, n, d : int
        Classes (K >= 2), samples per class (n >= 1), feature dimension (d >= K).
    lam_W, lam_H : float
        Regularisation strengths, both > 0.
    R : array (d, K), optional
        Orthonormal columns (R^T R = I_K) choosing the minimiser in the continuum; default the
        first K standard basis vectors.

    Returns
    -------
    W : array (K, d)
        W* = s sqrt(rho) R^T with s = sqrt(lam_H / lam_W).
    H : array (d, K n)
        H* = sqrt(rho) R kron 1_n^T (class-major): collapsed, uncentred means an orthogonal
        frame with H_bar^T H_bar = rho I_K. Zero when c = sqrt(lam_H lam_W) >= 1.

    Notes
    -----
    Theorem 2.1 of the paper (Tirer & Bruna 2022, Thm 3.1), read in the paper. The residual
    at the minimiser is W* H* - Y = -c Y (derived in the note).
    """
    K, n = _size(K, "K", 2), _size(n, "n", 1)
    d = _size(d, "d", K)
    const = ufm_constants(lam_W=lam_W, lam_H=lam_H)
    if R is None:
        R = np.eye(d)[:, :K]
    R = np.asarray(R, dtype=np.float64)
    if R.shape != (d, K) or not np.allclose(R.T @ R, np.eye(K), atol=1e-10):
        raise ValueError(f"R must be a ({d}, {K}) matrix with orthonormal columns")
    H = np.sqrt(const.rho) * np.repeat(R, n, axis=1)
    W = const.s * np.sqrt(const.rho) * R.T
    return W, H


def ridge_classifier(H, labels, *, lam_W: float) -> np.ndarray:
    """W*(H) = Y H^T (H H^T + n lam_W I_d)^-1, the optimal last layer for fixed H (K, d).

    Notes
    -----
    Read in the paper (Sec. 3); the n (not Kn, not 1) comes from the lam_W/(2K) penalty.
    """
    H = _features(H)
    lab, K, n = _labels(labels, H.shape[1])
    return _ridge(H, one_hot(lab, K), n, _positive(lam_W, "lam_W"))


def _ridge(H, Y, n, lam_W):
    d = H.shape[0]
    G = H @ H.T + n * lam_W * np.eye(d)
    return np.linalg.solve(G, H @ Y.T).T


def ufm_objective(W, H, labels, *, lam_W: float, lam_H: float, beta: float = 0.0,
                  H0=None) -> float:
    """f(W, H; H0) of Eq. 2 (Eq. 1 when beta = 0)."""
    H = _features(H)
    lab, K, n = _labels(labels, H.shape[1])
    W = _features(W, "W")
    if W.shape != (K, H.shape[0]):
        raise ValueError(f"W must have shape {(K, H.shape[0])}, got {W.shape}")
    lw, lh = _positive(lam_W, "lam_W"), _positive(lam_H, "lam_H", allow_zero=True)
    beta = _positive(beta, "beta", allow_zero=True)
    N = K * n
    val = (np.sum((W @ H - one_hot(lab, K)) ** 2) / (2 * N) + lw * np.sum(W**2) / (2 * K)
           + lh * np.sum(H**2) / (2 * N))
    if beta > 0:
        H0 = _features(H0, "H0")
        val += beta * np.sum((H - H0) ** 2) / (2 * N)
    return float(val)


def reduced_loss(H, labels, *, lam_W: float, lam_H: float) -> float:
    """The central-path objective L(H) = f0(W*(H), H) (Sec. 3)."""
    W = ridge_classifier(H, labels, lam_W=lam_W)
    return ufm_objective(W, H, labels, lam_W=lam_W, lam_H=lam_H)


def central_path_velocity(H, labels, *, lam_W: float, lam_H: float) -> np.ndarray:
    """-Kn grad L(H) = -W*(H)^T (W*(H) H - Y) - lam_H H, the flow field of Eq. 4 (d, N).

    Notes
    -----
    Read in the paper (Eq. 4; the envelope theorem gives the gradient of L).
    """
    H = _features(H)
    lab, K, n = _labels(labels, H.shape[1])
    lw, lh = _positive(lam_W, "lam_W"), _positive(lam_H, "lam_H", allow_zero=True)
    Y = one_hot(lab, K)
    W = _ridge(H, Y, n, lw)
    return -W.T @ (W @ H - Y) - lh * H


# ------------------------------------------------- 3. Hessians, first-order map (Thm 4.1, Eq. 5)


class JointHessian(NamedTuple):
    """Kn times the second derivatives of f at (W, H), in vec coordinates."""

    WW: np.ndarray  # (dK, dK):  H H^T kron I_K + n lam_W I
    HH: np.ndarray  # (dN, dN):  I_N kron W^T W + (lam_H + beta) I
    HW: np.ndarray  # (dN, dK):  E + H^T kron W^T  (mixed derivative)


def _residual_matrix(R: np.ndarray, d: int) -> np.ndarray:
    """E of Eq. 5: column (j, k) (j outer, k inner) is vec(e_j e_k^T R), shape (dN, dK);
    i.e. E = R^T kron I_d with rows (i, j) and columns (j, k): E[(i,j), (j,k)] = R[k, i]."""
    K, N = R.shape
    return (R.T[:, None, None, :] * np.eye(d)[None, :, :, None]).reshape(N * d, d * K)


def _joint_hessian(W, H, Y, n, lam_W, lam_H, beta) -> JointHessian:
    K, d = W.shape
    N = H.shape[1]
    R = W @ H - Y
    WW = np.kron(H @ H.T, np.eye(K)) + n * lam_W * np.eye(d * K)
    HH = np.kron(np.eye(N), W.T @ W) + (lam_H + beta) * np.eye(d * N)
    HW = _residual_matrix(R, d) + np.kron(H.T, W.T)
    return JointHessian(WW, HH, HW)


def joint_hessian(W, H, labels, *, lam_W: float, lam_H: float, beta: float = 0.0) -> JointHessian:
    """Kn times the blocks of the Hessian of f(W, H; H0) in (vec W, vec H) (note R5).

    Notes
    -----
    Read in the paper (Thm 4.1 and the E* matrix of Eq. 5): the mixed block
    Kn grad_H grad_W^T f = E + H^T kron W^T, where E carries the residual R = W H - Y.
    """
    H = _features(H)
    lab, K, n = _labels(labels, H.shape[1])
    W = _features(W, "W")
    if W.shape != (K, H.shape[0]):
        raise ValueError(f"W must have shape {(K, H.shape[0])}, got {W.shape}")
    return _joint_hessian(W, H, one_hot(lab, K), n, _positive(lam_W, "lam_W"),
                          _positive(lam_H, "lam_H", allow_zero=True),
                          _positive(beta, "beta", allow_zero=True))


def _reduced_hessian(W, H, Y, n, lam_W, lam_H) -> np.ndarray:
    J = _joint_hessian(W, H, Y, n, lam_W, lam_H, 0.0)
    X = scipy.linalg.solve(J.WW, J.HW.T, assume_a="pos")
    A = J.HH - J.HW @ X
    return 0.5 * (A + A.T)


def reduced_hessian(W, H, labels, *, lam_W: float, lam_H: float) -> np.ndarray:
    """A = Kn S - beta I: the Schur complement of Thm 4.1 without the proximity term (dN, dN).

    A = (I_N kron W^T W + lam_H I) - M (WW)^-1 M^T with M the mixed block. When W = W*(H) it is
    Kn times the Hessian of the reduced loss L at H (symmetric).

    Notes
    -----
    The Schur complement is read in the paper (Thm 4.1); the name A and its reading as the
    reduced-loss Hessian are derived in the note (R5).
    """
    H = _features(H)
    lab, K, n = _labels(labels, H.shape[1])
    W = _features(W, "W")
    if W.shape != (K, H.shape[0]):
        raise ValueError(f"W must have shape {(K, H.shape[0])}, got {W.shape}")
    return _reduced_hessian(W, H, one_hot(lab, K), n, _positive(lam_W, "lam_W"),
                            _positive(lam_H, "lam_H", allow_zero=True))


FORMS = ("schur", "eq5")


@one_blas_thread()
def first_order_map(W, H, labels, *, lam_W: float, lam_H: float, beta: float,
                    form: str = "schur") -> np.ndarray:
    """The linear map F with vec(delta H) ~ F vec(delta H0) at a minimiser of Eq. 2 (Thm 4.1).

    Parameters
    ----------
    W, H : arrays (K, d), (d, N)
        The minimiser (W_hat*, H_hat*) of f(.; H0) (e.g. from :func:`perturbed_ufm_minimizer`).
    labels : array (N,)
    lam_W, lam_H, beta : float
        lam_W > 0, lam_H >= 0, beta > 0.
    form : {"schur", "eq5"}
        ``"schur"``: F = (beta/Kn) S^-1 with S the Schur complement of the joint Hessian,
        i.e. F = (I + A/beta)^-1 (exact to first order in delta H0). ``"eq5"``: the large-beta
        form of Eq. 5, F = I - A/beta = (1 - lam_H/beta) I - (1/beta) I_N kron W^T W + Z/beta,
        Z = (E + H^T kron W^T)(H H^T kron I_K + n lam_W I)^-1 (E + H^T kron W^T)^T
        (extra error O(beta^-2)).

    Returns
    -------
    F : array (dN, dN)
        In column-stacked vec order; with class-major labels, block (k, k~) of size dn x dn
        (:func:`blocks`) maps class k~ of delta H0 to class k of delta H (Eq. 6).

    Notes
    -----
    Thm 4.1 and Eq. 5 are read in the paper (the text's "delta H := H^* - H^*" is a typo for
    H~* - H^*). The identity F_schur - F_eq5 = (A/beta)^2 (I + A/beta)^-1 is derived in the
    note (R5).
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    beta = _positive(beta, "beta")
    A = reduced_hessian(W, H, labels, lam_W=lam_W, lam_H=lam_H)
    eye = np.eye(A.shape[0])
    if form == "eq5":
        return eye - A / beta
    return scipy.linalg.solve(eye + A / beta, eye, assume_a="sym")


def blocks(F, K: int, n: int, d: int) -> np.ndarray:
    """Split F (dN, dN) into the K x K blocks of Eq. 6, shape (K, K, dn, dn)."""
    F = np.asarray(F)
    m = _size(d, "d", 1) * _size(n, "n", 1)
    K = _size(K, "K", 2)
    if F.shape != (K * m, K * m):
        raise ValueError(f"F must have shape {(K * m, K * m)}, got {F.shape}")
    return F.reshape(K, m, K, m).transpose(0, 2, 1, 3)


# --------------------------------------------------------------------------- 4. Eq. 2 minimiser


class Minimizer(NamedTuple):
    W: np.ndarray
    H: np.ndarray
    grad_norm: float  # ||Kn grad f|| at the returned point (in H, with W = W*(H))


def _kn_objective(h, H0, Y, n, lw, lh, beta, d):
    H = unvec(h, d)
    W = _ridge(H, Y, n, lw)
    R = W @ H - Y
    val = 0.5 * np.sum(R**2) + 0.5 * n * lw * np.sum(W**2) + 0.5 * lh * np.sum(H**2)
    grad = W.T @ R + lh * H
    if beta > 0:
        val += 0.5 * beta * np.sum((H - H0) ** 2)
        grad = grad + beta * (H - H0)
    return val, vec(grad)


def _minimize(H_init, H0, Y, n, lw, lh, beta, *, gtol, newton_steps, max_newton_dim):
    d = H_init.shape[0]
    args = (H0, Y, n, lw, lh, beta, d)
    res = scipy.optimize.minimize(_kn_objective, vec(H_init), args=args, jac=True,
                                  method="L-BFGS-B",
                                  options={"maxiter": 20000, "maxcor": 30, "gtol": gtol,
                                           "ftol": 0.0})
    h = res.x
    val, g = _kn_objective(h, *args)
    if h.size <= max_newton_dim:
        for _ in range(newton_steps):
            if np.linalg.norm(g) <= 1e-15 * max(1.0, np.linalg.norm(h)):
                break
            H = unvec(h, d)
            A = _reduced_hessian(_ridge(H, Y, n, lw), H, Y, n, lw, lh) + beta * np.eye(h.size)
            step = None
            if beta > 0:  # positive definite near a strict minimum: Cholesky
                try:
                    step = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A), -g)
                except np.linalg.LinAlgError:
                    step = None
            if step is None:  # beta = 0: singular along the UFM's continuum of minimisers
                step = np.linalg.lstsq(A, -g, rcond=1e-12)[0]
            v2, g2 = _kn_objective(h + step, *args)
            if not (v2 <= val + 1e-12 * abs(val) and np.linalg.norm(g2) < np.linalg.norm(g)):
                break
            h, val, g = h + step, v2, g2
    H = unvec(h, d)
    return Minimizer(_ridge(H, Y, n, lw), H, float(np.linalg.norm(g)))


@one_blas_thread()
def perturbed_ufm_minimizer(H0, labels, *, lam_W: float, lam_H: float, beta: float,
                            H_init=None, gtol: float = 1e-13, newton_steps: int = 6,
                            max_newton_dim: int = 3000) -> Minimizer:
    """Numerical minimiser of the model with the proximity term (Eq. 2).

    Parameters
    ----------
    H0 : array (d, N)
        Input features.
    labels : array (N,)
    lam_W, lam_H, beta : float
        lam_W > 0, lam_H >= 0, beta > 0.
    H_init : array (d, N), optional
        Starting point (default H0: the warm start the perturbation analysis needs).
    gtol : float
        L-BFGS projected-gradient tolerance on the Kn-scaled reduced objective.
    newton_steps : int
        Exact Newton steps after L-BFGS, with the reduced Hessian A + beta I (accepted only
        while they decrease both the objective and the gradient); they bring the gradient to
        ~1e-15, which the O(eps^2) checks of Thm 4.1 need.
    max_newton_dim : int
        Skip the Newton steps when d N exceeds this (dense (dN)^2 Hessian).

    Returns
    -------
    Minimizer
        ``(W, H, grad_norm)`` with W = W*(H).

    Notes
    -----
    Eq. 2 is read in the paper. It is solved in its reduced form
    H_{1/beta} = argmin_H L(H) + beta/(2Kn) ||H - H0||^2 (the "implicit gradient step" reading
    of Sec. 3), with W = W*(H) in closed form. For a collapsed H0 = H* and lam_H lam_W < 1 the
    minimiser is (W*, H*) itself (Cor. 2.2).
    """
    H0 = _features(H0, "H0")
    lab, K, n = _labels(labels, H0.shape[1])
    lw, lh = _positive(lam_W, "lam_W"), _positive(lam_H, "lam_H", allow_zero=True)
    beta = _positive(beta, "beta")
    H_init = H0 if H_init is None else _features(H_init, "H_init")
    if H_init.shape != H0.shape:
        raise ValueError(f"H_init must have shape {H0.shape}, got {H_init.shape}")
    return _minimize(H_init, H0, one_hot(lab, K), n, lw, lh, beta, gtol=gtol,
                     newton_steps=newton_steps, max_newton_dim=max_newton_dim)


@one_blas_thread()
def numerical_ufm_minimizer(K: int, n: int, d: int, *, lam_W: float, lam_H: float,
                            seed: int = 0, scale: float = 1.0, gtol: float = 1e-13,
                            newton_steps: int = 6) -> Minimizer:
    """Minimise Eq. 1 numerically from a random Gaussian start (reduced form, L-BFGS + Newton).

    A numerical counterpart of :func:`ufm_minimizer` (Thm 2.1). The Newton steps use a
    least-squares solve, since the Hessian is singular along the continuum of minimisers
    (rotations R). The bias-free MSE UFM has no spurious local minima (note R1), so random
    starts reach the global minimum.
    """
    K, n = _size(K, "K", 2), _size(n, "n", 1)
    d = _size(d, "d", 1)
    lw, lh = _positive(lam_W, "lam_W"), _positive(lam_H, "lam_H")
    rng = np.random.default_rng(seed)
    H_init = _positive(scale, "scale") * rng.normal(size=(d, K * n))
    Y = one_hot(class_major_labels(K, n), K)
    return _minimize(H_init, np.zeros_like(H_init), Y, n, lw, lh, 0.0, gtol=gtol,
                     newton_steps=newton_steps, max_newton_dim=3000)


# --------------------------------------------------------------------------- 5. central path


class FlowPath(NamedTuple):
    t: np.ndarray  # (T,)
    nc1_tilde: np.ndarray  # NC1~(H_t)
    tr_sw: np.ndarray  # Tr Sigma_W(H_t)
    tr_sb: np.ndarray  # Tr Sigma_B(H_t)
    tr_sw_scaled: np.ndarray  # e^{2 lam_H t} Tr Sigma_W(H_t)
    tr_sb_scaled: np.ndarray  # e^{2 lam_H t} Tr Sigma_B(H_t)
    nc1: np.ndarray  # NC1 (pinv) of H_t
    H: np.ndarray | None  # (T, d, N) when requested


@one_blas_thread()
def central_path_flow(H0, labels, *, lam_W: float, lam_H: float, t_eval, rtol: float = 1e-11,
                      atol: float = 1e-13, keep_H: bool = False,
                      direction: float = 1.0) -> FlowPath:
    """Integrate the gradient flow on the central path dH/dt = -Kn grad L(H) from H0 (Eq. 4).

    Parameters
    ----------
    H0 : array (d, N)
    labels : array (N,)
    lam_W, lam_H : float
        lam_W > 0, lam_H >= 0.
    t_eval : array
        Increasing output times starting at 0.
    rtol, atol : float
        ``solve_ivp`` (DOP853) tolerances (atol relative to the scale of H0).
    keep_H : bool
        Also return the features H_t.
    direction : float
        +1 (the flow) or -1 (the reversed flow, for tests that the monotonicity checks can
        fail).

    Returns
    -------
    FlowPath

    Notes
    -----
    The flow is read in the paper (Eq. 4). To avoid amplifying the solver's error floor by
    e^{2 lam_H t} (note R3 pitfall) we integrate the rescaled variable G = e^{lam_H t} H, which
    obeys dG/dt = -e^{lam_H t} W*(H)^T (W*(H) H - Y); then e^{2 lam_H t} Tr Sigma_W(H_t) =
    Tr Sigma_W(G_t), and NC1~ is scale-invariant.
    """
    H0 = _features(H0, "H0")
    lab, K, n = _labels(labels, H0.shape[1])
    lw, lh = _positive(lam_W, "lam_W"), _positive(lam_H, "lam_H", allow_zero=True)
    t_eval = np.asarray(t_eval, dtype=np.float64)
    if t_eval.ndim != 1 or t_eval.size < 2 or t_eval[0] != 0 or np.any(np.diff(t_eval) <= 0):
        raise ValueError("t_eval must be an increasing 1-D array starting at 0")
    if direction not in (1.0, -1.0):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    d = H0.shape[0]
    Y = one_hot(lab, K)
    sgn = float(direction)

    def rhs(t, g):
        e = np.exp(sgn * lh * t)
        H = unvec(g, d) / e
        W = _ridge(H, Y, n, lw)
        return sgn * vec(-e * (W.T @ (W @ H - Y)))

    scale = max(np.abs(H0).max(), 1e-300)
    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), vec(H0), method="DOP853", t_eval=t_eval,
                    rtol=rtol, atol=atol * scale)
    if not sol.success:
        raise RuntimeError(f"central path integration failed: {sol.message}")
    G = sol.y.T.reshape(sol.t.size, -1, d).transpose(0, 2, 1)  # (T, d, N)
    e2 = np.exp(2 * sgn * lh * sol.t)
    sws, sbs, nc1s = _batch_metrics(G, lab, K, n)
    Hs = G / np.sqrt(e2)[:, None, None] if keep_H else None
    return FlowPath(sol.t, sws / sbs, sws / e2, sbs / e2, sws, sbs, nc1s, Hs)


def _batch_metrics(G, lab, K, n):
    """Tr Sigma_W, Tr Sigma_B and NC1 of a stack of feature matrices G (T, d, N)."""
    onehot = np.eye(K)[lab]  # (N, K)
    M = G @ onehot / n  # (T, d, K)
    D = G - M[:, :, lab]
    Mc = M - M.mean(axis=2, keepdims=True)
    tr_sw = np.sum(D**2, axis=(1, 2)) / (K * n)
    tr_sb = np.sum(Mc**2, axis=(1, 2)) / K
    Sw = D @ D.transpose(0, 2, 1) / (K * n)
    vals, vecs = np.linalg.eigh(Mc @ Mc.transpose(0, 2, 1) / K)  # ascending
    r = min(K - 1, G.shape[1])
    vals, vecs = vals[:, -r:], vecs[:, :, -r:]
    keep = vals > 1e-12 * vals[:, -1:]
    quad = np.einsum("tdi,tde,tei->ti", vecs, Sw, vecs)
    with np.errstate(divide="ignore", invalid="ignore"):
        nc1s = np.where(keep, quad / np.where(keep, vals, 1.0), 0.0).sum(axis=1) / K
    nc1s[vals[:, -1] <= 0] = np.nan
    return tr_sw, tr_sb, nc1s


def flow_derivatives(H, labels, *, lam_W: float, lam_H: float) -> dict[str, float]:
    """Exact d/dt of Tr Sigma_W, Tr Sigma_B and NC1~ along the flow (Eq. 4) at H.

    d Tr Sigma_W/dt = -2 Tr(W Sigma_W W^T) - 2 lam_H Tr Sigma_W,
    d Tr Sigma_B/dt = (2/K)[Tr(W M) - ||W M||_F^2] - 2 lam_H Tr Sigma_B,
    with W = W*(H) and M the centred means; the quotient rule gives d NC1~/dt.

    Notes
    -----
    Derived in the note (R3); they give Thm 3.1 (read in the paper): within-class deviations
    obey dD/dt = -(W^T W + lam_H I) D.
    """
    H = _features(H)
    lab, K, n = _labels(labels, H.shape[1])
    lw, lh = _positive(lam_W, "lam_W"), _positive(lam_H, "lam_H", allow_zero=True)
    W = _ridge(H, one_hot(lab, K), n, lw)
    Sw, Sb = _covs(H, lab, K, n)
    Mm = _means(H, lab, K, n)
    M = Mm - Mm.mean(axis=1, keepdims=True)
    WM = W @ M
    tw, tb = np.trace(Sw), np.trace(Sb)
    dw = -2 * np.trace(W @ Sw @ W.T) - 2 * lh * tw
    db = 2 / K * (np.trace(WM) - np.sum(WM**2)) - 2 * lh * tb
    return {"tr_sw": float(dw), "tr_sb": float(db), "nc1_tilde": float((dw * tb - tw * db) / tb**2)}


# --------------------------------------------------------------------------- 6. spectrum at H*


class CollapsedSpectrum(NamedTuple):
    values: np.ndarray  # the distinct eigenvalues of F_{k,k} (formula order, may coincide)
    multiplicities: np.ndarray  # their multiplicities (sum d n)
    inter: float  # the single non-zero singular value of F_{k,k~}, k != k~


def collapsed_spectrum(K: int, n: int, d: int, *, lam_W: float, lam_H: float, beta: float,
                       form: str = "schur") -> CollapsedSpectrum:
    """Spectrum of the blocks of F at a collapsed input H0 = H* (Thm 4.2, full step spectrum).

    Parameters
    ----------
    K, n, d : int
        d >= K (the theorem needs d > K for the eigenvalue 1).
    lam_W, lam_H, beta : float
        lam_W, lam_H > 0 with c = sqrt(lam_W lam_H) < 1, beta > 0.
    form : {"schur", "eq5"}
        Exact-beta values beta/(beta + a) or the first-order values 1 - a/beta of Eq. 5.

    Returns
    -------
    CollapsedSpectrum
        F_{k,k} is symmetric with eigenvalues (in this order) 1 [x (d - K)],
        f(lam_H) [x (n-1)(d-K)], f(s) [x (n-1)K], (f(0) + f(a_B))/2 [x (K-1)],
        f(a_B) [x 1], where a_B = 4 lam_H (1 - c) and f(a) = beta/(beta + a) (or 1 - a/beta);
        the inter-class block F_{k,k~} has rank 1 with singular value (f(0) - f(a_B))/2.

    Notes
    -----
    Thm 4.2 (sigma_max(F_kk) = 1, sigma_min(F_kk) = 1 - s/beta, inter-class rank 1 with
    sigma = 2 lam_H (1 - c)/beta) is read in the paper; the full spectrum, exact in beta, is
    derived in the note (R6). Erratum: the order of the middle steps changes at c = 1/2 and at
    c = 3/4, where pairs of values coincide. sigma_min = f(s) needs n >= 2.
    """
    K, n = _size(K, "K", 2), _size(n, "n", 1)
    d = _size(d, "d", K)
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    const = ufm_constants(lam_W=lam_W, lam_H=lam_H)
    if const.c >= 1:
        raise ValueError(f"need sqrt(lam_W lam_H) < 1 for a non-zero collapsed point, got "
                         f"c = {const.c}")
    beta = _positive(beta, "beta")
    lh = float(lam_H)
    f = (lambda a: beta / (beta + a)) if form == "schur" else (lambda a: 1.0 - a / beta)
    aB = 4 * lh * (1 - const.c)
    values = np.array([f(0.0), f(lh), f(const.s), (f(0.0) + f(aB)) / 2, f(aB)])
    mult = np.array([d - K, (n - 1) * (d - K), (n - 1) * K, K - 1, 1])
    return CollapsedSpectrum(values, mult, float((f(0.0) - f(aB)) / 2))


def attenuation_factors(*, lam_W: float, lam_H: float, beta: float) -> dict[str, float]:
    """Near-collapse attenuation of the NC metrics by one application of Eq. 2 (note R7, R8).

    Returns
    -------
    dict
        ``nc1``: NC1(H)/NC1(H0) -> (beta/(beta + s))^2 for any perturbation direction;
        ``nc2``: NC2(H)/NC2(H0) -> gamma = beta/(beta + 4 lam_H (1 - c));
        ``within_in_span``: beta/(beta + s); ``within_out_of_span``: beta/(beta + lam_H)
        (the two within-class contraction factors); ``crosstalk``: (1 - gamma)/2, the
        inter-class singular value.

    Notes
    -----
    Derived in the note (R7) from Thms 4.1/4.2 (exact in beta, first order in the distance
    eps of H0 from the collapsed H*; the relative error of each ratio is O(eps)).
    """
    const = ufm_constants(lam_W=lam_W, lam_H=lam_H)
    if const.c >= 1:
        raise ValueError(f"need sqrt(lam_W lam_H) < 1, got c = {const.c}")
    beta = _positive(beta, "beta")
    gamma = beta / (beta + 4 * float(lam_H) * (1 - const.c))
    within = beta / (beta + const.s)
    return {"nc1": within**2, "nc2": gamma, "within_in_span": within,
            "within_out_of_span": beta / (beta + float(lam_H)), "crosstalk": (1 - gamma) / 2}


def eq5_error_norm(*, lam_W: float, lam_H: float, beta: float) -> float:
    """||F_schur - F_eq5||_2 at a collapsed input: s^2 / (beta (beta + s)) (note R5).

    Derived in the note: F_schur - F_eq5 = (A/beta)^2 (I + A/beta)^-1 and the largest
    eigenvalue of A at H* is s = sqrt(lam_H/lam_W) (s >= 4 lam_H (1 - c) always).
    """
    const = ufm_constants(lam_W=lam_W, lam_H=lam_H)
    if const.c >= 1:
        raise ValueError(f"need sqrt(lam_W lam_H) < 1, got c = {const.c}")
    beta = _positive(beta, "beta")
    return const.s**2 / (beta * (beta + const.s))
