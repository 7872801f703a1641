"""Information-theoretic generalization bounds for DNNs via SDPI (He, Yu, Goldfeld 2024).

Reads like the paper (section numbers of arXiv 2404.03176 v2):

1. finite laws: KL, TV and mutual information (:func:`kl_divergence`, :func:`tv_distance`,
   :func:`mutual_information`);
2. Sec. III, the hierarchical bounds: KL (:func:`kl_generalization_bound`) and
   1-Wasserstein (:func:`wasserstein_generalization_bound`), with the binary Gaussian model
   and linear layers (:func:`rank_law_kl`, :func:`gaussian_layer_kl`,
   :func:`gaussian_train_test_w2`, :func:`uniform_w_bounds`);
3. Sec. IV, SDPI coefficients of regularised layers: closed forms (:func:`dropout_sdpi`,
   :func:`dropconnect_sdpi`, :func:`gaussian_noise_tv_coefficient`,
   :func:`binary_awgn_kl_coefficient`), finite-channel builders (:func:`dropout_channel`,
   :func:`dropconnect_channel`) and numerical estimators (:func:`eta_tv`, :func:`eta_chi2`,
   :func:`eta_kl`, :func:`eta_kl_ratio`, :func:`binary_awgn_eta_chi2`);
4. Sec. IV, the refined bound with the (non-contracting) label term
   (:func:`refined_kl_caps`) and the deeper-narrower products
   (:func:`dropout_depth_product`, :func:`dropconnect_depth_product`);
5. the Gibbs algorithm on a finite parameter space, computed exactly by enumeration of type
   classes (:class:`EnumerationToy`, :func:`enumeration_toy`, :func:`gibbs_exact`,
   :func:`toy_layer_divergences`, :func:`toy_layer_etas`) and the stability bound
   :func:`gibbs_mi_upper_bound`.

Conventions
-----------
* All information quantities are in **nats**.
* ``p`` is the **drop** probability: each mask entry is *kept* with probability ``1 - p``.
  A caller holding the keep probability ``q`` (Srivastava et al.'s convention) passes
  ``p = 1 - q`` (see :func:`drop_probability`); the dropout coefficient then reads
  ``1 - (1 - q)**d``.
* ``d`` in :func:`dropout_sdpi` is the number of mask entries: ``d_in = d_{k-1}`` for dropout
  on a layer's input, ``d_out = d_k`` for dropout on its output.  The refined bound of the note
  (R5) multiplies per-layer coefficients; which width enters is the caller's choice and is
  stated where the product is formed.

Provenance
----------
The paper body could not be read (papers/sdpi.md, Sec. 0).  Read in the paper (abstract and
section list): the hierarchical KL and W1 bounds shrink/funnel with depth, the SDPI refinement
for Dropout, DropConnect and Gaussian noise, "deeper yet narrower" generalises better, and a
Gibbs-algorithm example.  The O(1/n) Gibbs rate is not in the abstract (note errata 5): it is
derived, like every formula below (note R1-R8), and re-checked numerically here; the paper's
notation and constants may differ.

References
----------
H. He, C. L. Yu, Z. Goldfeld. Information-Theoretic Generalization Bounds for Deep Neural
Networks. IEEE Trans. Inf. Theory (2025), arXiv:2404.03176.
Y. Bu, S. Zou, V. Veeravalli. Tightening mutual information-based bounds on generalization
error. IEEE JSAIT 1(1), 2020.
Y. Polyanskiy, Y. Wu. Strong data-processing inequalities for channels and Bayesian networks.
In Convexity and Concentration, 2017.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
from scipy import optimize, special

# --------------------------------------------------------------------------- validation


def _real(x, name: str, accepted: str) -> float:
    """A concrete real scalar (Python or NumPy number, 0-d array); bools and strings are not."""
    try:
        arr = np.asarray(x)
    except Exception:  # noqa: BLE001 - anything numpy cannot read is not a number
        raise ValueError(f"{name} must be {accepted}, got {x!r}") from None
    if arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be {accepted}, got {x!r}")
    return float(arr)


def _check_drop(p, name: str = "p") -> float:
    accepted = "a drop probability in [0, 1)"
    v = _real(p, name, accepted)
    if not 0.0 <= v < 1.0:
        raise ValueError(f"{name} must be {accepted}, got {p!r}")
    return v


def _check_width(d, name: str) -> int:
    accepted = "a positive integer width"
    if np.ndim(d) != 0 or np.asarray(d).dtype.kind not in "iu" or int(d) < 1:
        raise ValueError(f"{name} must be {accepted}, got {d!r}")
    return int(d)


def _check_positive(x, name: str) -> float:
    accepted = "a finite number > 0"
    v = _real(x, name, accepted)
    if not (v > 0.0 and math.isfinite(v)):
        raise ValueError(f"{name} must be {accepted}, got {x!r}")
    return v


def _check_nonneg(x, name: str) -> float:
    accepted = "a finite number >= 0"
    v = _real(x, name, accepted)
    if not (v >= 0.0 and math.isfinite(v)):
        raise ValueError(f"{name} must be {accepted}, got {x!r}")
    return v


def _check_n(n, name: str = "n", minimum: int = 2) -> int:
    if np.ndim(n) != 0 or np.asarray(n).dtype.kind not in "iu" or int(n) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _check_law(p, name: str) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.ndim < 1 or np.any(~np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"{name} must be an array of non-negative probabilities")
    s = p.sum(axis=-1)
    if not np.allclose(s, 1.0, atol=1e-9):
        raise ValueError(f"{name} must sum to 1 along its last axis, got sums {s}")
    return p


def _check_channel(K) -> np.ndarray:
    K = np.asarray(K, dtype=float)
    if K.ndim != 2 or K.shape[0] < 2:
        raise ValueError(f"K must be a 2-D row-stochastic matrix with >= 2 rows, got shape "
                         f"{K.shape}")
    return _check_law(K, "K (each row)")


# --------------------------------------------------------------------------- 1. finite laws


def _xlogy_ratio(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Elementwise p log(p/q) with 0 log 0 = 0 and +inf where p > 0 = q."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = special.xlogy(p, p) - special.xlogy(p, q)
    return np.where(p > 0, out, 0.0)


def kl_divergence(p, q) -> float:
    """Kullback-Leibler divergence D(p || q) of two finite laws, in nats.

    Parameters
    ----------
    p, q : array_like
        Probability vectors (any shape, the same shape; each sums to 1).

    Returns
    -------
    float
        ``sum p log(p/q)``, ``inf`` when p is not absolutely continuous w.r.t. q.
    """
    p, q = np.ravel(np.asarray(p, float)), np.ravel(np.asarray(q, float))
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    _check_law(p, "p")
    _check_law(q, "q")
    return float(np.sum(_xlogy_ratio(p, q)))


def tv_distance(p, q) -> float:
    """Total variation distance sup_A |P(A) - Q(A)| = ||p - q||_1 / 2 of two finite laws."""
    p, q = np.ravel(np.asarray(p, float)), np.ravel(np.asarray(q, float))
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    return float(0.5 * np.abs(p - q).sum())


def mutual_information(joint) -> float:
    """Mutual information I(A; B) of a finite joint law ``joint[a, b]`` (nats).

    Extra axes are merged into B: ``joint`` of shape (|A|, ...) gives I(A; (rest)).
    """
    P = np.asarray(joint, dtype=float)
    if P.ndim < 2:
        raise ValueError(f"joint must have at least 2 axes, got shape {P.shape}")
    P = P.reshape(P.shape[0], -1)
    _check_law(P.ravel(), "joint")
    pa, pb = P.sum(1, keepdims=True), P.sum(0, keepdims=True)
    return max(float(np.sum(_xlogy_ratio(P, pa * pb))), 0.0)  # clip -1e-17 rounding


# --------------------------------------------------------------------------- 2. Sec. III bounds


def kl_generalization_bound(divergences, sigma: float) -> float:
    """Hierarchical KL bound of Sec. III: |gen| <= (1/n) sum_i sqrt(2 sigma^2 D_k^(i)).

    Parameters
    ----------
    divergences : array_like
        D_k^(i) = D(P_{W, T_k^(i), Y_i} || P_W x P_{T_k, Y | W}) for the samples i (one value
        when all samples are exchangeable), in nats.
    sigma : float
        Sub-Gaussian constant of the loss through layer k under the test law; ``1/2`` for a
        loss with values in [0, 1].

    Returns
    -------
    float
        The bound.

    Notes
    -----
    Donsker-Varadhan for each w, then Jensen over W (note R1).  At k = 0 the divergence is
    I(W; Z_i), the individual-sample bound of Bu, Zou, Veeravalli (2020); by the data-processing
    inequality D_0 >= D_1 >= ... >= D_L.  Statement read in the paper (shape), form derived.
    """
    d = np.atleast_1d(np.asarray(divergences, dtype=float))
    if np.any(~np.isfinite(d)) or np.any(d < -1e-12):
        raise ValueError("divergences must be finite and >= 0")
    sigma = _check_positive(sigma, "sigma")
    return float(np.mean(np.sqrt(2.0 * sigma**2 * np.maximum(d, 0.0))))


def wasserstein_generalization_bound(lipschitz, w1) -> float:
    """Hierarchical 1-Wasserstein bound of Sec. III: |gen| <= E_W[rho_k(W) W_1(train, test)].

    Parameters
    ----------
    lipschitz : array_like
        rho_k(w) for Monte Carlo draws w of W (or a constant): the Lipschitz constant of
        t -> g_k(w, t, y) = E l(f_{w_{k+1..L}}(t), y).
    w1 : array_like
        W_1(P_{T_k^(i) | W = w, Y}, P_{T_k | W = w, Y}) (or any upper bound of it, e.g. W_2)
        for the same draws.

    Returns
    -------
    float
        The Monte Carlo average of rho_k(w) W_1(w).

    Notes
    -----
    Kantorovich-Rubinstein duality for each (w, y), then averaging (note R2); the label is
    handled by conditioning on Y, valid when I(W; Y_i) = 0.  W_1 has no data-processing
    inequality, so the bound need not be monotone in k: its minimiser over k is the paper's
    "generalization funnel" (concept read in the paper, form derived).
    """
    rho, w = np.broadcast_arrays(np.asarray(lipschitz, float), np.asarray(w1, float))
    if np.any(rho < 0) or np.any(w < 0):
        raise ValueError("lipschitz and w1 must be >= 0")
    return float(np.mean(rho * w))


def layer_products(weights) -> list[np.ndarray]:
    """A_k = W_k ... W_1 for k = 0..L (A_0 = I) of linear layers ``weights = [W_1, ..., W_L]``.

    Raises ValueError when the shapes do not chain (W_k must be d_k x d_{k-1}).
    """
    ws = [np.asarray(w, dtype=float) for w in weights]
    if not ws or any(w.ndim != 2 or min(w.shape) < 1 for w in ws):
        raise ValueError("weights must be a non-empty list of 2-D matrices with positive widths")
    out = [np.eye(ws[0].shape[1])]
    for k, w in enumerate(ws, start=1):
        if w.shape[1] != out[-1].shape[0]:
            raise ValueError(f"weights[{k - 1}] has shape {w.shape}; it must have "
                             f"{out[-1].shape[0]} columns")
        out.append(w @ out[-1])
    return out


def tail_products(weights) -> list[np.ndarray]:
    """B_k = W_L ... W_{k+1} for k = 0..L (B_L = I)."""
    ws = [np.asarray(w, dtype=float) for w in weights]
    layer_products(ws)  # validates the chain
    out = [np.eye(ws[-1].shape[0])]
    for w in reversed(ws):
        out.append(out[-1] @ w)
    return out[::-1]


def rank_law_kl(ranks, n: int) -> np.ndarray:
    """Rank law of the binary Gaussian model: D_k = (r_k / 2) log(n / (n - 1)).

    Parameters
    ----------
    ranks : array_like of int
        r_k = rank(W_k ... W_1), k = 0..L (r_0 = d).
    n : int
        Number of training samples, >= 2.

    Returns
    -------
    numpy.ndarray
        D_k in nats.

    Notes
    -----
    Model (our instantiation, note R3): Y ~ Unif{+-1}, X | Y ~ N(Y mu, s^2 I_d), fixed linear
    layers, learned parameter W-hat = (1/n) sum_j Y_j X_j.  Given W-hat = w, Y_i = y the
    train representation is N(y A_k w, (1 - 1/n) s^2 A_k A_k^T) and the test representation
    N(y A_k mu, s^2 A_k A_k^T); averaging the KL over w gives the rank law, independent of
    mu and s.  Derived in the note (the paper states only "depends on ranks").
    """
    r = np.asarray(ranks)
    if r.ndim != 1 or np.any(r < 0) or not np.all(np.equal(np.mod(r, 1), 0)):
        raise ValueError("ranks must be a 1-D array of non-negative integers")
    n = _check_n(n)
    return 0.5 * r.astype(float) * math.log(n / (n - 1.0))


def gaussian_layer_kl(weights, n: int) -> np.ndarray:
    """Per-layer KL terms D_k, k = 0..L, of the binary Gaussian model with linear layers.

    Ranks are computed by :func:`numpy.linalg.matrix_rank` of A_k = W_k ... W_1, then
    :func:`rank_law_kl` is applied (note R3, derived).
    """
    ranks = [np.linalg.matrix_rank(a) for a in layer_products(weights)]
    return rank_law_kl(ranks, n)


def gaussian_w_constant(n: int) -> float:
    """c_n = sqrt(1/n + (1 - sqrt(1 - 1/n))^2), so that E W_2(train, test) <= s ||A_k||_F c_n.

    Notes
    -----
    From W_2^2 = ||A_k (w - mu)||^2 + s^2 (1 - sqrt(1 - 1/n))^2 ||A_k||_F^2 and
    E ||A_k (W - mu)||^2 = s^2 ||A_k||_F^2 / n, with Jensen (note R3, derived).
    """
    n = _check_n(n)
    return math.sqrt(1.0 / n + (1.0 - math.sqrt(1.0 - 1.0 / n)) ** 2)


def gaussian_train_test_w2(a_k, w, mu, s: float, n: int) -> np.ndarray:
    """W_2 between the train and test laws of layer k given W-hat = w (any label y).

    Parameters
    ----------
    a_k : array_like, shape (d_k, d)
        A_k = W_k ... W_1.
    w : array_like, shape (..., d)
        Draws of W-hat.
    mu : array_like, shape (d,)
        Class mean.
    s : float
        Noise scale, > 0.
    n : int
        Sample size, >= 2.

    Returns
    -------
    numpy.ndarray, shape (...)
        sqrt(||A_k (w - mu)||^2 + s^2 (1 - sqrt(1 - 1/n))^2 ||A_k||_F^2): the W_2 distance of
        N(y A_k w, (1 - 1/n) s^2 A A^T) and N(y A_k mu, s^2 A A^T) (proportional covariances,
        so the Gaussian W_2 formula is exact).  An upper bound on W_1 (note R3, derived).
    """
    a = np.asarray(a_k, dtype=float)
    w, mu = np.asarray(w, dtype=float), np.asarray(mu, dtype=float)
    s, n = _check_positive(s, "s"), _check_n(n)
    if a.ndim != 2 or w.shape[-1] != a.shape[1] or mu.shape != (a.shape[1],):
        raise ValueError(f"shapes do not match: a_k {a.shape}, w {w.shape}, mu {mu.shape}")
    mean = np.sum(((w - mu) @ a.T) ** 2, axis=-1)
    cov = s**2 * (1.0 - math.sqrt(1.0 - 1.0 / n)) ** 2 * np.sum(a**2)
    return np.sqrt(mean + cov)


def uniform_w_bounds(weights, n: int, s: float, *, lipschitz: str = "tail") -> np.ndarray:
    """Closed-form per-layer W bound B_k = rho_k s ||A_k||_F c_n, k = 0..L.

    Parameters
    ----------
    weights : list of array_like
        [W_1, ..., W_L].
    n : int
        Sample size.
    s : float
        Noise scale.
    lipschitz : {"tail", "product"}
        rho_k = ||W_L ... W_{k+1}||_op ("tail") or prod_{j > k} ||W_j||_op ("product"), times
        a unit-Lipschitz read-out.

    Notes
    -----
    With "product" the bound is non-increasing in k; with "tail" the last layer is always a
    minimiser, although intermediate layers may be non-monotone (note R2, derived).
    """
    a = layer_products(weights)
    if lipschitz == "tail":
        rho = np.array([np.linalg.norm(b, 2) for b in tail_products(weights)])
    elif lipschitz == "product":
        norms = [np.linalg.norm(np.asarray(w, float), 2) for w in weights]
        rho = np.array([np.prod(norms[k:]) for k in range(len(weights) + 1)])
    else:
        raise ValueError(f"lipschitz must be 'tail' or 'product', got {lipschitz!r}")
    s = _check_positive(s, "s")
    return rho * s * np.array([np.linalg.norm(x) for x in a]) * gaussian_w_constant(n)


def gaussian_kl(mean_p, cov_p, mean_q, cov_q, *, rtol: float = 1e-10) -> float:
    """KL divergence of two Gaussians with possibly singular covariances sharing a range.

    Both laws are restricted to the range of ``cov_q`` (found by an eigendecomposition with
    relative cut-off ``rtol``); returns ``inf`` if ``cov_p`` or the mean difference leaves it.
    """
    mp, mq = np.atleast_1d(np.asarray(mean_p, float)), np.atleast_1d(np.asarray(mean_q, float))
    cp, cq = np.atleast_2d(np.asarray(cov_p, float)), np.atleast_2d(np.asarray(cov_q, float))
    lam, u = np.linalg.eigh(0.5 * (cq + cq.T))
    keep = lam > rtol * max(lam.max(), 1e-300)
    u, lam = u[:, keep], lam[keep]
    dm = mp - mq
    perp = np.eye(len(mq)) - u @ u.T
    scale = max(np.abs(cp).max(), np.abs(cq).max(), 1.0)
    if np.linalg.norm(perp @ dm) > 1e-8 * max(1.0, np.linalg.norm(dm)) or \
            np.abs(perp @ cp @ perp).max() > 1e-8 * scale:
        return math.inf
    cp_r = u.T @ cp @ u
    m_r = u.T @ dm
    sign, logdet_p = np.linalg.slogdet(cp_r)
    if sign <= 0:
        return math.inf
    r = len(lam)
    return float(0.5 * (np.sum(np.diag(cp_r) / lam) + np.sum(m_r**2 / lam) - r
                        + np.sum(np.log(lam)) - logdet_p))


# --------------------------------------------------------------------------- 3. SDPI coefficients


def drop_probability(keep: float) -> float:
    """Drop probability ``p = 1 - keep`` from a keep (retention) probability in (0, 1]."""
    v = _real(keep, "keep", "a keep probability in (0, 1]")
    if not 0.0 < v <= 1.0:
        raise ValueError(f"keep must be a keep probability in (0, 1], got {keep!r}")
    return 1.0 - v


def dropout_sdpi(p: float, d: int) -> float:
    """SDPI coefficient of a dropout layer with d mask entries: eta = 1 - p^d.

    Parameters
    ----------
    p : float
        Drop probability in [0, 1) (keep probability 1 - p; with a keep probability q use
        ``p = 1 - q``, i.e. eta = 1 - (1 - q)^d).
    d : int
        Number of mask entries: d_in for dropout on the layer input, phi(W (M * t) + b);
        d_out for dropout on its output, M * phi(W t + b).

    Returns
    -------
    float
        eta_KL = eta_TV = 1 - p^d for generic inputs (distinct and non-zero in every
        coordinate) and an injective post-mask map; an upper bound on the coefficient
        otherwise (shared coordinates or ReLU zeros make the true coefficient smaller).

    Notes
    -----
    Sec. IV (SDPI for Dropout; shape read in the paper, formula derived in note R4).  Upper
    bound: the all-dropped mask (probability p^d) maps every input to the same output, so the
    Dobrushin coefficient is <= 1 - p^d.  Lower bound: on two generic inputs the layer is an
    erasure channel with erasure probability p^d, whose KL coefficient is 1 - p^d.
    """
    p, d = _check_drop(p), _check_width(d, "d")
    return 1.0 - p**d


def dropconnect_sdpi(p: float, d_in: int, d_out: int) -> float:
    """SDPI coefficient of a DropConnect layer phi((M * W) t + b): eta = 1 - p^(d_in d_out).

    Parameters
    ----------
    p : float
        Drop probability of each weight, in [0, 1) (keep probability 1 - p).
    d_in, d_out : int
        Input and output widths (the mask has d_in * d_out entries).

    Returns
    -------
    float
        1 - p^(d_in d_out): equality for generic inputs and weights (note R4, derived), an
        upper bound otherwise.  DropConnect contracts less than dropout at the same p.
    """
    p = _check_drop(p)
    d_in, d_out = _check_width(d_in, "d_in"), _check_width(d_out, "d_out")
    return 1.0 - p ** (d_in * d_out)


def gaussian_noise_tv_coefficient(delta: float, sigma: float) -> float:
    """Dobrushin (TV) coefficient of a Gaussian-noise layer: 2 Phi(delta / (2 sigma)) - 1.

    Parameters
    ----------
    delta : float
        Diameter sup ||W (t - t')|| of the noise-free pre-activations (>= 0); for inputs in
        [-1, 1]^{d_in}, delta <= 2 sqrt(d_in) ||W||_op.
    sigma : float
        Noise standard deviation, > 0.

    Returns
    -------
    float
        sup_{t, t'} TV(N(Wt, sigma^2 I), N(Wt', sigma^2 I)) = 1 - 2 Q(delta / (2 sigma)); equal
        to the layer's eta_TV when the activation is injective, an upper bound otherwise, and
        an upper bound on eta_KL (strictly larger than it).  Note R4, derived.
    """
    delta, sigma = _check_nonneg(delta, "delta"), _check_positive(sigma, "sigma")
    return float(special.erf(delta / (2.0 * sigma) / math.sqrt(2.0)))


def binary_awgn_kl_coefficient(a: float, sigma: float) -> float:
    """KL coefficient of the binary-input AWGN channel x in {-a, +a} -> x + N(0, sigma^2).

    Parameters
    ----------
    a : float
        Half the input separation (a = delta / 2), >= 0.
    sigma : float
        Noise standard deviation, > 0.

    Returns
    -------
    float
        eta_KL = E_{Y ~ N(a, sigma^2)}[tanh^2(a Y / sigma^2)], attained at the uniform prior;
        computed by adaptive quadrature.  0.550400 at a = sigma = 1 versus the Dobrushin
        value 0.682689 (note R4, derived).

    Notes
    -----
    eta_KL = eta_chi2 = sup_pi rho_max^2(pi) for input-free coefficients; for a binary input
    rho_max^2(pi) = Var(P(X = a | Y)) / (pi (1 - pi)), maximised at pi = 1/2 where the
    posterior mean of X/a is tanh(a Y / sigma^2).
    """
    a, sigma = _check_nonneg(a, "a"), _check_positive(sigma, "sigma")
    if a == 0.0:
        return 0.0
    snr = a / sigma
    # substitute Y = sigma (snr + z), z ~ N(0, 1): integrand tanh^2(snr (snr + z)) phi(z)
    val, _ = _integrate(lambda z: np.tanh(snr * (snr + z)) ** 2 * _phi(z))
    return float(val)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _phi(z):
    """Standard normal density (scipy.stats.norm.pdf without its per-call overhead)."""
    return _INV_SQRT_2PI * np.exp(-0.5 * z * z)


def _integrate(f, lo: float = -40.0, hi: float = 40.0):
    from scipy import integrate

    return integrate.quad(f, lo, hi, epsabs=1e-13, epsrel=1e-12, limit=400, points=(0.0,))


def binary_awgn_eta_chi2(prior: float, a: float, sigma: float) -> float:
    """rho_max^2 of the binary-input AWGN channel under the prior P(X = +a) = ``prior``.

    Computed from its definition by quadrature of the posterior variance:
    Var(P(X = +a | Y)) / (prior (1 - prior)).  The supremum over ``prior`` is the KL
    coefficient (used to check :func:`binary_awgn_kl_coefficient` by a second route).
    """
    if not 0.0 < prior < 1.0:
        raise ValueError(f"prior must be in (0, 1), got {prior!r}")
    a, sigma = _check_nonneg(a, "a"), _check_positive(sigma, "sigma")
    if a == 0.0:
        return 0.0
    snr = a / sigma
    logit = math.log(prior / (1.0 - prior))

    def density(z):  # law of Y / sigma: mixture of N(+-snr, 1)
        return prior * _phi(z - snr) + (1 - prior) * _phi(z + snr)

    def post(z):
        return special.expit(logit + 2.0 * snr * z)

    lo, hi = -abs(snr) - 40.0, abs(snr) + 40.0
    from scipy import integrate

    var, _ = integrate.quad(lambda z: (post(z) - prior) ** 2 * density(z), lo, hi,
                            epsabs=1e-14, epsrel=1e-12, limit=400, points=(-snr, snr))
    return float(var / (prior * (1.0 - prior)))


def eta_tv(K) -> float:
    """Dobrushin coefficient of a finite channel: max over row pairs of TV(K(.|x), K(.|x'))."""
    K = _check_channel(K)
    return float(0.5 * np.abs(K[:, None, :] - K[None, :, :]).sum(-1).max())


def eta_chi2(prior, K) -> float:
    """Input-dependent chi^2 (= maximal-correlation^2) coefficient eta_chi2(P, K).

    The squared second singular value of diag(sqrt P) K diag(1 / sqrt(P K)); output letters
    with zero probability are dropped.
    """
    K = _check_channel(K)
    prior = _check_law(prior, "prior")
    if prior.shape != (K.shape[0],):
        raise ValueError(f"prior must have length {K.shape[0]}, got {prior.shape}")
    return _eta_chi2(prior, K)


def _eta_chi2(prior: np.ndarray, K: np.ndarray) -> float:
    out = prior @ K
    keep = out > 1e-300
    B = np.sqrt(prior)[:, None] * K[:, keep] / np.sqrt(out[keep])[None, :]
    sv = np.linalg.svd(B, compute_uv=False)
    return float(sv[1] ** 2) if sv.size > 1 else 0.0


def eta_kl(K, *, xatol: float = 1e-12, refine: bool = True) -> float:
    """Input-free KL coefficient of a finite channel, eta_KL(K) = sup_P eta_chi2(P, K).

    Parameters
    ----------
    K : array_like, shape (m, k)
        Row-stochastic channel matrix (m >= 2 inputs).
    xatol : float
        Tolerance of the 1-D bounded searches over two-point priors.
    refine : bool
        With m > 2, refine the best two-point prior by Nelder-Mead over the whole simplex
        (softmax parametrisation).

    Returns
    -------
    float
        The maximised coefficient.  Two-point priors are searched by a grid scan followed by a
        bounded Brent search on the best bracket (accurate to ~1e-10 for the channels here).

    Notes
    -----
    eta_KL(K) = eta_chi2(K) = sup_P rho_max^2(P, K) for input-free coefficients
    (Ahlswede-Gacs 1976; see Polyanskiy-Wu 2017); eta_KL <= eta_TV (Dobrushin).
    """
    K = _check_channel(K)
    m = K.shape[0]
    best, best_prior = -1.0, None
    grid = np.linspace(1e-6, 1 - 1e-6, 41)
    for i, j in itertools.combinations(range(m), 2):
        sub = K[[i, j]]

        def neg(t, sub=sub):
            return -_eta_chi2(np.array([t, 1.0 - t]), sub)

        vals = np.array([-neg(t) for t in grid])
        g = int(np.argmax(vals))
        lo, hi = grid[max(g - 1, 0)], grid[min(g + 1, len(grid) - 1)]
        res = optimize.minimize_scalar(neg, bounds=(lo, hi), method="bounded",
                                       options={"xatol": xatol})
        val, t = max((-res.fun, res.x), (vals[g], grid[g]))
        if val > best:
            best, best_prior = val, np.zeros(m)
            best_prior[[i, j]] = (t, 1.0 - t)
    if refine and m > 2:
        z0 = np.log(np.maximum(best_prior, 1e-8))
        res = optimize.minimize(lambda z: -_eta_chi2(special.softmax(z), K), z0,
                                method="Nelder-Mead",
                                options={"xatol": 1e-8, "fatol": 1e-13, "maxiter": 200 * m})
        best = max(best, -float(res.fun))
    return float(best)


def eta_kl_ratio(K, *, restarts: int = 8, seed: int = 0) -> float:
    """Direct maximisation of D(PK || QK) / D(P || Q) over pairs of input laws (cross-check).

    Nelder-Mead on softmax parametrisations of (P, Q) from ``restarts`` random starts.  The
    ratio of two small KLs is ill-conditioned near its supremum (approached as Q -> P), so this
    estimator is accurate only to ~1e-4; prefer :func:`eta_kl` (note R4).
    """
    K = _check_channel(K)
    m = K.shape[0]
    rng = np.random.default_rng(seed)

    def neg(z):
        P, Q = special.softmax(z[:m]), special.softmax(z[m:])
        den = float(np.sum(_xlogy_ratio(P, Q)))
        if den < 1e-10:
            return 0.0
        return -float(np.sum(_xlogy_ratio(P @ K, Q @ K))) / den

    best = 0.0
    for _ in range(restarts):
        res = optimize.minimize(neg, rng.normal(size=2 * m), method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 6000})
        best = max(best, -float(res.fun))
    return best


_ACTIVATIONS = {"tanh": np.tanh, "identity": lambda z: z, "sign": np.sign,
                "relu": lambda z: np.maximum(z, 0.0)}


def _activation(name: str):
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {name!r}")
    return _ACTIVATIONS[name]


def _masks(count: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    """All 0/1 masks with ``count`` entries and their probabilities (entry kept w.p. 1 - p)."""
    if count > 20:
        raise ValueError(f"enumerating 2^{count} masks is too large (at most 2^20)")
    m = np.array(list(itertools.product((0.0, 1.0), repeat=count)))
    prob = np.prod(np.where(m == 1.0, 1.0 - p, p), axis=1)
    return m, prob


def _merge_outputs(outputs: np.ndarray, prob: np.ndarray, decimals: int = 9) -> np.ndarray:
    """Channel matrix from ``outputs[input, mask, :]`` with mask probabilities ``prob``."""
    m_in, n_mask, dim = outputs.shape
    keys = np.round(outputs.reshape(-1, dim), decimals) + 0.0  # -0.0 -> 0.0
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(m_in, n_mask)
    K = np.zeros((m_in, int(inverse.max()) + 1))
    for i in range(m_in):
        np.add.at(K[i], inverse[i], prob)
    return K


def _channel_layer(inputs, p, weight, bias, activation):
    """Validated (t, p, W, b, phi) of a noisy layer phi(W t + b) on a finite input set."""
    t = np.atleast_2d(np.asarray(inputs, dtype=float))
    W = np.atleast_2d(np.asarray(weight, dtype=float))
    p = _check_drop(p)
    if W.shape[1] != t.shape[1]:
        raise ValueError(f"weight must have {t.shape[1]} columns, got shape {W.shape}")
    b = np.zeros(W.shape[0]) if bias is None else np.asarray(bias, dtype=float)
    return t, p, W, b, _activation(activation)


def dropout_channel(inputs, p: float, weight, bias=None, *, activation: str = "tanh",
                    where: str = "input") -> np.ndarray:
    """Finite channel matrix of a dropout layer restricted to a finite set of inputs.

    Parameters
    ----------
    inputs : array_like, shape (m, d_in)
        The input points t (rows).
    p : float
        Drop probability in [0, 1).
    weight : array_like, shape (d_out, d_in)
    bias : array_like, shape (d_out,), optional
    activation : {"tanh", "identity", "sign", "relu"}
    where : {"input", "output"}
        phi(W (M * t) + b) with M in {0,1}^{d_in} ("input") or M * phi(W t + b) with
        M in {0,1}^{d_out} ("output").

    Returns
    -------
    numpy.ndarray, shape (m, k)
        K[i, j] = P(output j | input i), enumerating all 2^{#mask} masks and merging outputs
        that agree to 1e-9.
    """
    t, p, W, b, phi = _channel_layer(inputs, p, weight, bias, activation)
    if where == "input":
        masks, prob = _masks(t.shape[1], p)
        out = phi((t[:, None, :] * masks[None, :, :]) @ W.T + b)
    elif where == "output":
        masks, prob = _masks(W.shape[0], p)
        out = masks[None, :, :] * phi(t @ W.T + b)[:, None, :]
    else:
        raise ValueError(f"where must be 'input' or 'output', got {where!r}")
    return _merge_outputs(out, prob)


def dropconnect_channel(inputs, p: float, weight, bias=None, *,
                        activation: str = "tanh") -> np.ndarray:
    """Finite channel matrix of a DropConnect layer phi((M * W) t + b), M in {0,1}^{d_out x d_in}.

    Same conventions as :func:`dropout_channel` (p is the drop probability of each weight).
    """
    t, p, W, b, phi = _channel_layer(inputs, p, weight, bias, activation)
    masks, prob = _masks(W.size, p)
    mw = masks.reshape(-1, *W.shape) * W  # (n_mask, d_out, d_in)
    out = phi(np.einsum("koi,mi->mko", mw, t) + b)
    return _merge_outputs(out, prob)


# --------------------------------------------------------------------------- 4. refined bound


def refined_kl_caps(i_wy: float, i_wx_given_y: float, etas) -> np.ndarray:
    """Caps of the refined (contracted) KL bound, k = 0..L.

    Parameters
    ----------
    i_wy : float
        I(W; Y_i) (nats): the label term, which does **not** contract.
    i_wx_given_y : float
        I(W; X_i | Y_i) (nats).
    etas : array_like
        eta_1..eta_L: input-free KL coefficients sup_w eta_KL(P_{T_j | T_{j-1}, W_j = w}).

    Returns
    -------
    numpy.ndarray
        cap_k = I(W; Y_i) + (prod_{j <= k} eta_j) I(W; X_i | Y_i) >= D_k^(i).

    Notes
    -----
    Chain rule for the KL (Y_i first), then the SDPI of each layer's kernel given W
    (Sec. IV; derived in note R5).  A cap of the form prod eta * I(W; Z_i) is false in
    general: for an algorithm that reads only labels D_k = I(W; Y_i) for every k.
    """
    e = np.asarray(etas, dtype=float)
    if e.ndim != 1 or np.any(e < 0) or np.any(e > 1):
        raise ValueError("etas must be a 1-D array of coefficients in [0, 1]")
    i_wy, i_c = _check_nonneg(i_wy, "i_wy"), _check_nonneg(i_wx_given_y, "i_wx_given_y")
    return i_wy + np.concatenate([[1.0], np.cumprod(e)]) * i_c


def dropout_depth_product(p: float, total: int, depth: int) -> float:
    """prod_j eta_j = (1 - p^{N/L})^L for L dropout layers of width N/L (fixed total N).

    Strictly decreasing in L (log(1 - p^x)/x is increasing in x): deeper-narrower networks get
    the smaller refined bound (Sec. IV claim read in the paper; product derived in note R6).
    ``total`` must be divisible by ``depth``.
    """
    total, depth = _check_width(total, "total"), _check_width(depth, "depth")
    if total % depth:
        raise ValueError(f"depth must divide total, got total={total}, depth={depth}")
    return dropout_sdpi(p, total // depth) ** depth


def dropconnect_depth_product(p: float, params: int, depth: int) -> float:
    """prod_j eta_j = (1 - p^{P/L})^L for L square DropConnect layers with P weights in all."""
    params, depth = _check_width(params, "params"), _check_width(depth, "depth")
    d2 = params // depth
    d = math.isqrt(d2)
    if params % depth or d * d != d2:
        raise ValueError(f"params / depth must be a perfect square, got params={params}, "
                         f"depth={depth}")
    return dropconnect_sdpi(p, d, d) ** depth


def finite_class_bound(log_cardinality: float, n: int, sigma: float) -> float:
    """sqrt(2 sigma^2 log|W| / n): any algorithm with a finite parameter space (note R6).

    Since the Z_i are independent, sum_i I(W; Z_i) <= I(W; S_n) <= log|W|; Jensen finishes.
    """
    lc = _check_nonneg(log_cardinality, "log_cardinality")
    n, sigma = _check_n(n, minimum=1), _check_positive(sigma, "sigma")
    return math.sqrt(2.0 * sigma**2 * lc / n)


def gibbs_mi_upper_bound(gamma: float, n: int, loss_range: float = 1.0) -> float:
    """Stability bound I(W; Z_i) <= eps (e^eps - 1), eps = 2 gamma loss_range / n (Gibbs).

    Swapping one sample moves log P_{W|S} by at most eps, so D(P_{W|S} || P_{W|S'}) <=
    eps (e^eps - 1); joint convexity gives the MI bound, O(gamma^2 / n^2) (note R7, derived).
    """
    gamma = _check_positive(gamma, "gamma")
    n, loss_range = _check_n(n, minimum=1), _check_positive(loss_range, "loss_range")
    eps = 2.0 * gamma * loss_range / n
    return eps * math.expm1(eps)


# --------------------------------------------------------------------------- 5. enumeration toy

_STATES = np.array(list(itertools.product((-1, 0, 1), repeat=2)), dtype=float)  # 9 states


def _state_index(t: np.ndarray) -> np.ndarray:
    return ((t[..., 0] + 1) * 3 + (t[..., 1] + 1)).astype(int)


@dataclasses.dataclass(frozen=True)
class EnumerationToy:
    """The finite toy of note R8 (all arrays float64; W enumerated as (W_1, W_2, o)).

    Attributes
    ----------
    p_z : (8,) law of Z = (x, y), x in product((-1, 1), repeat=2), y in (-1, 1) (y fastest).
    reps : (L + 1, |W|, 4, 9) laws of T_k given x and w (T in {-1, 0, 1}^2, k = 0..L).
    loss : (|W|, 8) 0-1 loss l(w, z) averaged over the masks (y-hat = 0 counts as an error).
    kernels : (L, |W|, 9, 9) the layer kernels P(T_k | T_{k-1}, w) on all 9 states.
    reachable : (L, 9) which states T_{k-1} can take (inputs of layer k).
    """

    p_z: np.ndarray
    reps: np.ndarray
    loss: np.ndarray
    kernels: np.ndarray
    reachable: np.ndarray
    p: float

    @property
    def n_w(self) -> int:
        return self.loss.shape[0]

    @property
    def depth(self) -> int:
        return self.kernels.shape[0]


def _sign_layer_kernel(W: np.ndarray, p: float) -> np.ndarray:
    masks, prob = _masks(2, p)
    K = np.zeros((9, 9))
    for i, t in enumerate(_STATES):
        u = np.sign(W @ t)
        np.add.at(K[i], _state_index(masks * u), prob)
    return K


def enumeration_toy(p: float = 0.5, *, symmetric: bool = False) -> EnumerationToy:
    """Build the R8 toy: two dropout sign layers and a sign read-out on X in {+-1}^2.

    Parameters
    ----------
    p : float
        Drop probability of each hidden unit (M_k ~ Bern(1 - p)^{x2}), in [0, 1).
    symmetric : bool
        False: P_X = (0.4, 0.3, 0.2, 0.1) over product((-1, 1), repeat=2) and
        P(Y = 1 | x) = 0.9 if x_1 > 0, else 0.45 if x_2 > 0, else 0.2.  True: X uniform and
        Y = sign(x_1) flipped with probability 0.2 (then I(W; Y_i) = 0 for the Gibbs algorithm).

    Returns
    -------
    EnumerationToy

    Notes
    -----
    T_k = M_k * sgn(W_k T_{k-1}) (sgn(0) = 0), W_k among the first four full-rank +-1 2x2
    matrices in itertools order, read-out y-hat = sgn(<o, T_2>), o in {+-1}^2: |W| = 64.  Our
    instantiation (note R8, errata 2: the numbers depend on this input order).
    """
    p = _check_drop(p)
    xs = np.array(list(itertools.product((-1.0, 1.0), repeat=2)))
    if symmetric:
        p_x = np.full(4, 0.25)
        p_y1 = np.where(xs[:, 0] > 0, 0.8, 0.2)
    else:
        p_x = np.array([0.4, 0.3, 0.2, 0.1])
        p_y1 = np.where(xs[:, 0] > 0, 0.9, np.where(xs[:, 1] > 0, 0.45, 0.2))
    p_z = np.stack([p_x * (1 - p_y1), p_x * p_y1], axis=1).ravel()
    mats = [np.array(m, float).reshape(2, 2) for m in itertools.product((-1, 1), repeat=4)]
    mats = [m for m in mats if abs(np.linalg.det(m)) > 0.5][:4]
    layer_k = np.array([_sign_layer_kernel(m, p) for m in mats])  # (4, 9, 9)
    outs = np.array(list(itertools.product((-1.0, 1.0), repeat=2)))
    x_onehot = np.zeros((4, 9))
    x_onehot[np.arange(4), _state_index(xs)] = 1.0
    # error of y-hat = sgn(<o, t>) for label y in (-1, 1): (n_o, 9, 2)
    yhat = np.sign(_STATES @ outs.T).T
    err = np.stack([yhat != -1.0, yhat != 1.0], axis=-1).astype(float)
    reps, loss, kernels = [], [], []
    for i1, i2, io in itertools.product(range(4), range(4), range(4)):
        t1 = x_onehot @ layer_k[i1]
        t2 = t1 @ layer_k[i2]
        reps.append([x_onehot, t1, t2])
        loss.append((t2 @ err[io]).ravel())  # (4 x, 2 y) -> z order (x, y), y fastest
        kernels.append([layer_k[i1], layer_k[i2]])
    reps = np.transpose(np.array(reps), (1, 0, 2, 3))
    kernels = np.transpose(np.array(kernels), (1, 0, 2, 3))
    reach0 = x_onehot.sum(0) > 0
    reach1 = np.einsum("wxs->s", reps[1]) > 0
    return EnumerationToy(p_z=p_z, reps=reps, loss=np.array(loss), kernels=kernels,
                          reachable=np.array([reach0, reach1]), p=p)


def _compositions(n: int, k: int) -> np.ndarray:
    """All vectors of k non-negative integers summing to n (stars and bars), shape (C, k)."""
    bars = np.array(list(itertools.combinations(range(n + k - 1), k - 1)), dtype=np.int64)
    if bars.size == 0:
        return np.full((1, k), n, dtype=np.int64)
    padded = np.concatenate([np.full((len(bars), 1), -1), bars,
                             np.full((len(bars), 1), n + k - 1)], axis=1)
    return np.diff(padded, axis=1) - 1


def gibbs_exact(toy: EnumerationToy, n: int, gamma: float, *, fit=None) -> dict:
    """Exact joint law of (W, Z_1) and the generalization gap of the Gibbs algorithm.

    Parameters
    ----------
    toy : EnumerationToy
    n : int
        Training-set size, >= 1.
    gamma : float
        Inverse temperature, > 0: P_{W|S}(w) ∝ exp(-gamma L_S(w)) with a uniform prior.
    fit : array_like, shape (|W|, 8), optional
        The per-sample loss the algorithm minimises (default: ``toy.loss``).  A table that
        depends only on the label gives an algorithm that reads only labels.

    Returns
    -------
    dict
        ``p_wz`` (|W|, 8) the law of (W, Z_1); ``p_w``; ``gen`` = E[L_P(W) - L_S(W)] of
        ``toy.loss``; ``i_wz`` = I(W; Z_1); ``i_wy`` = I(W; Y_1); ``i_wx_given_y``.

    Notes
    -----
    L_S depends on S only through its type (counts of the 8 values of z), so the sum runs
    over the C(n + 7, 7) type classes with multinomial weights; P(W = w, Z_1 = z) =
    sum_c P(c) (c_z / n) P(w | c) by exchangeability.  Exact (our computation, note R7).
    """
    n, gamma = _check_n(n, minimum=1), _check_positive(gamma, "gamma")
    F = toy.loss if fit is None else np.asarray(fit, dtype=float)
    if F.shape != toy.loss.shape:
        raise ValueError(f"fit must have shape {toy.loss.shape}, got {F.shape}")
    c = _compositions(n, len(toy.p_z)).astype(float)
    with np.errstate(divide="ignore"):
        logpz = np.log(toy.p_z)
    log_mult = special.gammaln(n + 1) - special.gammaln(c + 1).sum(1)
    log_pc = log_mult + np.sum(np.where(c > 0, c * logpz, 0.0), axis=1)
    p_c = np.exp(log_pc)
    logits = -gamma / n * (c @ F.T)  # (C, |W|)
    post = special.softmax(logits, axis=1)
    p_wz = ((p_c[:, None] * post).T @ (c / n))  # (|W|, 8)
    p_w = p_wz.sum(1)
    emp = np.sum(p_wz * toy.loss)
    pop = float(p_w @ (toy.loss @ toy.p_z))
    joint = p_wz.reshape(-1, 4, 2)  # (w, x, y)
    i_wz = mutual_information(p_wz)
    i_wy = mutual_information(joint.sum(1))
    return {"p_wz": p_wz, "p_w": p_w, "gen": pop - float(emp), "i_wz": i_wz, "i_wy": i_wy,
            "i_wx_given_y": max(i_wz - i_wy, 0.0)}


def toy_layer_divergences(toy: EnumerationToy, p_wz) -> np.ndarray:
    """D_k = D(P_{W, T_k^(1), Y_1} || P_W x P_{T_k, Y | W}), k = 0..L, exactly (nats).

    Train: P(w, t, y) = sum_x P(W = w, Z_1 = (x, y)) P(T_k = t | x, w).  Test:
    P(w) sum_x P_Z(x, y) P(T_k = t | x, w), the same layer kernels (note R1).
    """
    p_wz = np.asarray(p_wz, dtype=float).reshape(toy.n_w, 4, 2)
    p_w = p_wz.sum((1, 2))
    pz = toy.p_z.reshape(4, 2)
    out = []
    for rep in toy.reps:  # (|W|, 4, 9)
        train = np.einsum("wxy,wxt->wty", p_wz, rep)
        test = p_w[:, None, None] * np.einsum("xy,wxt->wty", pz, rep)
        out.append(float(np.sum(_xlogy_ratio(train, test))))
    return np.array(out)


def toy_layer_etas(toy: EnumerationToy, *, reachable_only: bool = True,
                   kind: str = "kl") -> np.ndarray:
    """sup_w of each layer's SDPI coefficient in the toy, computed numerically.

    Parameters
    ----------
    toy : EnumerationToy
    reachable_only : bool
        Restrict each layer's kernel to the states its input can take (layer 1: X in
        {+-1}^2).  Errata 1 of the note: on layer 1's actual inputs sgn(W x) always has a zero
        coordinate, so the layer is an erasure channel with erasure probability p and
        eta_1 = 1 - p = 0.5, not the generic 1 - p^2 = 0.75.  Layer 2 gives 1 - p^2 = 0.75.
    kind : {"kl", "tv"}
        :func:`eta_kl` (sup over priors of eta_chi2) or :func:`eta_tv` (Dobrushin).
    """
    if kind not in ("kl", "tv"):
        raise ValueError(f"kind must be 'kl' or 'tv', got {kind!r}")
    est = eta_kl if kind == "kl" else eta_tv
    etas = []
    for k in range(toy.depth):
        rows = toy.reachable[k] if reachable_only else np.ones(9, bool)
        uniq = np.unique(toy.kernels[k], axis=0)
        etas.append(max(est(K[rows]) for K in uniq))
    return np.array(etas)
