"""Samplers and statistics shared by the KDE simulations (Biroli & Mezard 2024).

Three ways to get the kernel sum ``Z = sum_i exp(-|x - y_i|^2 / (2 h^2))`` at a test point
``x`` for a dataset ``y_1..y_n ~ N(0, I_d)`` (conventions of ``theory.kde``):

* :func:`streaming_kde`: real data matrices, generated (or read) in chunks and reduced with a
  running log-sum-exp, so memory is O(queries x chunk), never O(n d).
* :func:`sample_sq_dists`: the direct squared-distance sampler.  For fixed ``|x|^2 = lam`` the
  ``D_i = |x - y_i|^2`` are iid ``(sqrt(lam) - z)^2 + chi^2_{d-1}`` (rotational invariance), so
  per-x statistics need no d-dimensional data (note section 2).
* :class:`ExtremeValueSampler`: samples the ``K`` smallest of ``n = e^{alpha d}`` distances
  exactly (order statistics of uniforms through a tabulated log-CDF) and replaces the rest by
  its conditional mean; this reaches d = 800 on a CPU (note section 8.1).

All statistics are computed in log space (note section 7 pitfall 3).  This module registers no
sim; it holds the building blocks of ``sims/kde_*.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import special, stats

from theory import kde as theory


def _hs(hs) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(hs, dtype=float))
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"hs (bandwidths) must be a non-empty 1-d sequence of values > 0, "
                         f"got {hs!r}")
    return arr


# --------------------------------------------------------------------------- statistics


def weight_stats(D: np.ndarray, hs: Sequence[float]) -> dict[str, np.ndarray]:
    """Log-space statistics of the weights ``w = exp(-D / (2 h^2))`` along the last axis.

    Parameters
    ----------
    D : ndarray, shape (..., n)
        Squared distances of one or many datasets.
    hs : sequence of float
        Bandwidths ``> 0``.

    Returns
    -------
    dict
        ``lnZ`` (``ln sum w``), ``Y2`` (``sum p^2``), ``pmax`` (``max p``), each of shape
        ``(..., len(hs))``, and ``dmin`` (``min D``), shape ``(...)``.
    """
    hs = _hs(hs)
    D = np.asarray(D, dtype=float)
    dmin = D.min(axis=-1)
    shifted = D - dmin[..., None]
    lnz = np.empty(D.shape[:-1] + (hs.size,))
    y2 = np.empty_like(lnz)
    for j, h in enumerate(hs):
        w = np.exp(shifted * (-0.5 / (h * h)))  # largest weight is exactly 1
        s1 = w.sum(axis=-1)
        s2 = np.einsum("...i,...i->...", w, w)
        lnz[..., j] = np.log(s1) - dmin / (2 * h * h)
        y2[..., j] = s2 / (s1 * s1)
    pmax = np.exp(-dmin[..., None] / (2 * hs * hs) - lnz)
    return {"lnZ": lnz, "Y2": y2, "pmax": pmax, "dmin": dmin}


def hill_theta(D_smallest: np.ndarray) -> np.ndarray:
    """Hill estimate of the exponential edge slope from the ``k`` smallest distances.

    ``theta_hat = (k - 1) / sum_{j<k} (D_(k) - D_(j)) / 2`` along the last axis (sorted or
    not); ``theta -> 1 / h_G^2`` (note R9).  Then ``h_G_hat = theta_hat^{-1/2}`` and the tail
    index at bandwidth ``h`` is ``mu_hat = h^2 theta_hat``.
    """
    Ds = np.sort(np.asarray(D_smallest, dtype=float), axis=-1)
    k = Ds.shape[-1]
    if k < 2:
        raise ValueError(f"need k >= 2 smallest distances, got {k}")
    gaps = (Ds[..., -1:] - Ds[..., :-1]).sum(axis=-1) / 2
    return (k - 1) / gaps


# --------------------------------------------------------------------------- direct sampler


def sample_sq_dists(rng: np.random.Generator, size, d: int, lam: float) -> np.ndarray:
    """Draw ``D = |x - y|^2`` for ``y ~ N(0, I_d)`` and ``|x|^2 = lam``: ``ncx2(d, lam)``.

    Uses ``(sqrt(lam) - z)^2 + chi^2_{d-1}``, exact for isotropic Gaussian data.
    """
    if int(d) != d or d < 2:
        raise ValueError(f"d must be an integer >= 2, got {d!r}")
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam!r}")
    z = rng.standard_normal(size)
    out = rng.chisquare(d - 1, size)
    out += (math.sqrt(lam) - z) ** 2
    return out


def direct_stats(rng: np.random.Generator, *, d: int, n: int, lam: float, hs, n_datasets: int,
                 batch_draws: int = 4_000_000, hill_k: int = 0) -> dict[str, np.ndarray]:
    """Per-dataset statistics from the direct sampler, in batches of datasets.

    Returns the arrays of :func:`weight_stats` with a leading axis over datasets and, when
    ``hill_k >= 2``, ``hill_theta`` from the ``hill_k`` smallest distances.
    """
    hs = _hs(hs)
    per = max(1, batch_draws // max(n, 1))
    parts: list[dict[str, np.ndarray]] = []
    done = 0
    while done < n_datasets:
        b = min(per, n_datasets - done)
        D = sample_sq_dists(rng, (b, n), d, lam)
        part = weight_stats(D, hs)
        if hill_k >= 2:
            part["hill_theta"] = hill_theta(np.partition(D, hill_k - 1, axis=-1)[:, :hill_k])
        parts.append(part)
        done += b
    return {k: np.concatenate([p[k] for p in parts], axis=0) for k in parts[0]}


def smallest_sq_dists_streamed(rng: np.random.Generator, *, d: int, n: int, lam: float, k: int,
                               chunk: int = 2_000_000) -> np.ndarray:
    """The ``k`` smallest of ``n`` direct-sampler distances, drawn in chunks (memory O(chunk))."""
    best = np.empty(0)
    done = 0
    while done < n:
        c = min(chunk, n - done)
        D = sample_sq_dists(rng, c, d, lam)
        kk = min(k, c)
        cand = np.concatenate([best, np.partition(D, kk - 1)[:kk]])
        best = np.partition(cand, k - 1)[:k] if cand.size > k else cand
        done += c
    return np.sort(best)


# --------------------------------------------------------------------------- streaming KDE


def _chunks_from_seed(seed: int, n: int, d: int, chunk: int) -> Iterable[np.ndarray]:
    rng = np.random.default_rng(seed)
    done = 0
    while done < n:
        c = min(chunk, n - done)
        yield rng.standard_normal((c, d))
        done += c


def _chunks_from_array(data: np.ndarray, chunk: int) -> Iterable[np.ndarray]:
    for start in range(0, data.shape[0], chunk):
        yield data[start:start + chunk]


def streaming_kde(queries: np.ndarray, hs, *, data: np.ndarray | None = None,
                  n: int | None = None, seed: int | None = None,
                  chunk: int = 65_536) -> dict[str, np.ndarray]:
    """Gaussian-kernel KDE at ``queries`` over a dataset streamed in chunks.

    Parameters
    ----------
    queries : ndarray, shape (q, d)
        Test points.
    hs : sequence of float
        Bandwidths ``> 0`` (all computed in one pass over the data).
    data : ndarray, shape (n, d), optional
        The dataset.  If omitted, ``n`` iid ``N(0, I_d)`` points are generated chunk by chunk
        from ``seed`` and never stored.
    n, seed : int
        Size and seed of the generated dataset (when ``data`` is None).
    chunk : int
        Rows per chunk; peak memory is about ``chunk * (d + 2 q) * 8`` bytes.

    Returns
    -------
    dict
        ``log_density`` (``ln rho_hat``), ``lnZ``, ``Y2``, ``pmax``, each ``(q, len(hs))``, and
        ``dmin`` (nearest squared distance), ``(q,)``.

    Notes
    -----
    For each chunk, ``D = |x|^2 + |y|^2 - 2 x.y`` (one GEMM) and, for every ``h``,
    ``sum exp(-(D - Dmin)/(2h^2))`` and its square are accumulated against the running minimum
    ``Dmin`` (rescaling the old sums when it drops): a streaming log-sum-exp that never
    underflows.  ``ln rho_hat = lnZ - ln n - (d/2) ln(2 pi h^2)``.
    """
    hs = _hs(hs)
    X = np.asarray(queries, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"queries must have shape (q, d), got {X.shape}")
    q, d = X.shape
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    if data is not None:
        data = np.asarray(data, dtype=float)
        if data.ndim != 2 or data.shape[1] != d:
            raise ValueError(f"data must have shape (n, {d}), got {data.shape}")
        n_total = data.shape[0]
        chunks = _chunks_from_array(data, chunk)
    else:
        if n is None or seed is None or n < 1:
            raise ValueError("without data, give n >= 1 and an integer seed")
        n_total = int(n)
        chunks = _chunks_from_seed(int(seed), n_total, d, chunk)
    xx = np.einsum("ij,ij->i", X, X)
    scale = -0.5 / (hs * hs)  # (H,)
    dmin = np.full(q, np.inf)
    s1 = np.zeros((q, hs.size))
    s2 = np.zeros((q, hs.size))
    for Y in chunks:
        D = xx[:, None] + np.einsum("ij,ij->i", Y, Y)[None, :] - 2.0 * (X @ Y.T)
        np.maximum(D, 0.0, out=D)
        new_min = np.minimum(dmin, D.min(axis=1))
        with np.errstate(invalid="ignore"):  # inf - inf on the first chunk
            shift = np.where(np.isfinite(dmin), dmin - new_min, 0.0)
        D -= new_min[:, None]
        for j, sc in enumerate(scale):
            rescale = np.exp(shift * sc)
            w = np.exp(D * sc)
            s1[:, j] = s1[:, j] * rescale + w.sum(axis=1)
            s2[:, j] = s2[:, j] * rescale * rescale + np.einsum("ij,ij->i", w, w)
        dmin = new_min
    lnz = np.log(s1) + dmin[:, None] * scale[None, :]
    log_density = lnz - math.log(n_total) - 0.5 * d * np.log(2 * np.pi * hs * hs)[None, :]
    return {"log_density": log_density, "lnZ": lnz, "Y2": s2 / (s1 * s1), "pmax": 1.0 / s1,
            "dmin": dmin}


def fixed_norm_queries(rng: np.random.Generator, q: int, d: int, lam: float) -> np.ndarray:
    """``q`` uniformly oriented test points with ``|x|^2 = lam`` (note R9: condition on it)."""
    g = rng.standard_normal((q, d))
    return g * (math.sqrt(lam) / np.linalg.norm(g, axis=1, keepdims=True))


# --------------------------------------------------------------------------- extreme values


class ExtremeValueSampler:
    """Samples ``ln Z``, ``Y_2`` and ``p_max`` for ``n`` (possibly astronomically many) points.

    Parameters
    ----------
    d : int
        Dimension.
    log_n : float
        ``ln n`` (``n`` may exceed any float, e.g. ``e^{400}``).
    lam : float
        ``|x|^2`` of the test point.
    hs : sequence of float
        Bandwidths.
    K : int
        Number of smallest distances sampled exactly; ``K <= n / 20``.
    grid : int
        Points of the tabulation grid in ``D``.

    Notes
    -----
    Note section 8.1.  The ``K`` smallest uniforms of ``n`` are ``U_(j) = G_j / G_{n+1}`` with
    ``G`` partial sums of Exp(1); ``D_(j) = F^{-1}(U_(j))`` with ``ln F`` tabulated by log-linear
    quadrature of ``ncx2.logpdf`` (exact in the far tail, where scipy's ``logcdf`` returns
    ``-inf``).  The other ``n - K`` points are iid given ``D > D_(K)``; their sums of ``w`` and
    ``w^2`` are replaced by the conditional means
    ``(n - K) int_{D_(K)}^inf w^k f / (1 - F(D_(K)))``, whose relative fluctuations vanish as
    ``K`` grows.
    """

    def __init__(self, d: int, log_n: float, lam: float, hs, K: int = 2000, grid: int = 20001):
        if int(d) != d or d < 2:
            raise ValueError(f"d must be an integer >= 2, got {d!r}")
        if K < 2 or math.log(K) > log_n - math.log(20):
            raise ValueError(f"K must satisfy 2 <= K <= n/20, got K={K}, ln n={log_n:.3f}")
        self.d, self.log_n, self.lam, self.K = int(d), float(log_n), float(lam), int(K)
        self.hs = _hs(hs)
        lo = theory.ncx2_lower_quantile(self.d, -self.log_n - 25.0, self.lam)
        hi = float(stats.ncx2.ppf(1 - 1e-13, self.d, self.lam))
        self.Dg = np.linspace(lo, hi, grid)
        logf = stats.ncx2.logpdf(self.Dg, self.d, self.lam)
        log_f0 = float(theory.ncx2_logcdf(lo, self.d, self.lam))
        cells = theory.loglinear_cells(self.Dg, logf)
        self.logF = np.concatenate([[log_f0], np.logaddexp(log_f0,
                                                           np.logaddexp.accumulate(cells))])
        # upper-tail integrals of w^k f for k = 1, 2 and every h: reverse cumulative sums
        self.logT = np.empty((2, self.hs.size, grid))
        for j, h in enumerate(self.hs):
            for k in (1, 2):
                c = theory.loglinear_cells(self.Dg, logf - k * self.Dg / (2 * h * h))
                rev = np.logaddexp.accumulate(c[::-1])[::-1]
                self.logT[k - 1, j] = np.concatenate([rev, [-np.inf]])

    def sample(self, rng: np.random.Generator, n_datasets: int) -> dict[str, np.ndarray]:
        """Draw ``n_datasets`` independent datasets; arrays of shape ``(n_datasets, len(hs))``.

        Also returns ``dmin`` (nearest squared distance) and ``D_K`` (the K-th), ``(R,)``.
        """
        R, K = int(n_datasets), self.K
        G = np.cumsum(rng.exponential(size=(R, K)), axis=1)
        if self.log_n < 34:  # n < 6e14: exact normaliser G_{n+1} = G_K + Gamma(n + 1 - K)
            n = round(math.exp(self.log_n))
            total = np.log(G[:, -1] + rng.gamma(n + 1 - K, size=R))
        else:
            total = self.log_n  # relative error n^{-1/2} < 1e-7
        logU = np.log(G) - np.atleast_1d(total)[:, None]
        D = np.interp(logU, self.logF, self.Dg)
        DK = D[:, -1]
        logFK = np.interp(DK, self.Dg, self.logF)
        # ln(n - K) - ln(1 - F(D_K))
        log_count = self.log_n + math.log1p(-K * math.exp(-self.log_n)) - np.log1p(-np.exp(logFK))
        lnz = np.empty((R, self.hs.size))
        lns2 = np.empty_like(lnz)
        for j, h in enumerate(self.hs):
            e = -D / (2 * h * h)
            top1 = special.logsumexp(e, axis=1)
            top2 = special.logsumexp(2 * e, axis=1)
            t1 = np.interp(DK, self.Dg, self.logT[0, j])
            t2 = np.interp(DK, self.Dg, self.logT[1, j])
            lnz[:, j] = np.logaddexp(top1, log_count + t1)
            lns2[:, j] = np.logaddexp(top2, log_count + t2)
        pmax = np.exp(-D[:, :1] / (2 * self.hs * self.hs) - lnz)
        return {"lnZ": lnz, "Y2": np.exp(lns2 - 2 * lnz), "pmax": pmax, "dmin": D[:, 0],
                "D_K": DK}
