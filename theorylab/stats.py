"""Small statistics shared by claims and figures."""

from __future__ import annotations

import numpy as np


def loglog_slopes(x, y) -> np.ndarray:
    """Least-squares slopes of log y against log x, vectorised over the trailing axes of y.

    ``x`` has shape (n,) and ``y`` shape (n, ...); returns shape (...).  The one log-log fit
    of the package (:func:`loglog_fit` is its single-curve form), used for every
    "error ~ width^slope" claim and figure, and inside bootstraps where one call fits many
    resampled curves.  Raises ValueError on non-positive or non-finite values instead of
    fitting NaNs.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.ndim != 1 or x.size < 2 or y.shape[:1] != x.shape:
        raise ValueError(f"x must be 1-D with >= 2 points and y's first axis must match it, "
                         f"got shapes {x.shape} and {y.shape}")
    if np.any(x <= 0) or np.any(y <= 0) or not (np.all(np.isfinite(y))
                                                  and np.all(np.isfinite(x))):
        raise ValueError("a log-log fit needs finite positive x and y")
    lx = np.log(x) - np.log(x).mean()
    ly = np.log(y)
    return np.tensordot(lx, ly - ly.mean(axis=0), axes=(0, 0)) / (lx @ lx)


def loglog_fit(x, y) -> tuple[float, float]:
    """Least-squares line through (log x, log y); returns (slope, intercept)."""
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length >= 2, got {x.size} and {y.size}")
    slope = float(loglog_slopes(x, y))
    return slope, float(np.log(y).mean() - slope * np.log(x).mean())


def loglog_slope(x, y) -> float:
    """Slope of the least-squares line through (log x, log y)."""
    return loglog_fit(x, y)[0]
