"""Small statistics shared by claims and figures."""

from __future__ import annotations

import numpy as np


def loglog_fit(x, y) -> tuple[float, float]:
    """Least-squares line through (log x, log y); returns (slope, intercept).

    Used for every "error ~ width^slope" style claim and figure. Raises ValueError on
    non-positive values instead of fitting NaNs.
    """
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must have the same length >= 2, got {x.size} and {y.size}")
    if np.any(x <= 0) or np.any(y <= 0) or not np.all(np.isfinite(y)):
        raise ValueError("a log-log fit needs finite positive x and y")
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope), float(intercept)


def loglog_slope(x, y) -> float:
    """Slope of the least-squares line through (log x, log y)."""
    return loglog_fit(x, y)[0]
