"""theorylab.stats: the log-log fit used by slope claims and figures."""

import numpy as np
import pytest

from theorylab.stats import loglog_fit, loglog_slope


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
