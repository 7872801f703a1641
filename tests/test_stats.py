"""theorylab.stats: the log-log fit used by slope claims and figures."""

import numpy as np
import pytest

from theorylab.stats import loglog_fit, loglog_slope, loglog_slopes


def test_recovers_an_exact_power_law():
    x = np.array([64, 128, 256, 1024.0])
    slope, icpt = loglog_fit(x, 3.0 * x**-0.5)
    assert slope == pytest.approx(-0.5, abs=1e-12)
    assert np.exp(icpt) == pytest.approx(3.0, rel=1e-12)


@pytest.mark.parametrize("x, y", [([1, 2], [1, 0]), ([1, 2], [1, np.nan]), ([1], [1]),
                                  ([1, 2, 3], [1, 2])])
def test_rejects_what_cannot_be_fitted(x, y):
    with pytest.raises(ValueError):
        loglog_slope(x, y)


def test_vectorised_slopes_equal_one_fit_per_curve():
    rng = np.random.default_rng(0)
    x = np.array([64.0, 128, 256, 512])
    y = np.exp(rng.normal(size=(4, 3, 5)))
    got = loglog_slopes(x, y)
    assert got.shape == (3, 5)
    for i in range(3):
        for j in range(5):
            assert got[i, j] == pytest.approx(np.polyfit(np.log(x), np.log(y[:, i, j]), 1)[0],
                                              abs=1e-12)
    with pytest.raises(ValueError):
        loglog_slopes(x, y[:3])
