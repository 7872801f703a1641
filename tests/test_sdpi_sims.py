"""SDPI sims against the theory, and the headline claims rejecting wrong theories."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sims import sdpi_funnel, sdpi_gaussian
from theory import sdpi as S


@pytest.fixture(scope="module")
def gaussian():
    return sdpi_gaussian.run(sdpi_gaussian.Config(reps=(7, 8), datasets=20_000))


@pytest.fixture(scope="module")
def funnel():
    return sdpi_funnel.run(sdpi_funnel.Config(ns=(100, 1000), draws=10_000, seed=3))


def test_rank_law_matches_monte_carlo_and_rejects_wrong_laws(gaussian):
    z = (gaussian["d_mc"] - gaussian["d_closed"]) / gaussian["d_se"]
    assert np.abs(z).max() <= 4
    ranks = gaussian["ranks"][0]
    n = 10
    # a flat hierarchy (every layer keeps D_0, as for a learned last layer) is rejected
    flat = np.full(len(ranks), S.rank_law_kl(ranks, n)[0])
    assert np.abs((gaussian["d_mc"] - flat) / gaussian["d_se"]).max() > 10
    # so is a law off by one in the rank, or one that uses 1/n instead of log(n/(n-1))
    for wrong in (S.rank_law_kl(ranks + 1, n), 0.5 * ranks / n):
        assert np.abs((gaussian["d_mc"] - wrong) / gaussian["d_se"]).max() > 4


def test_gaussian_gap_below_every_layer_bound(gaussian):
    bounds = np.sqrt(np.minimum(gaussian["d_closed"], gaussian["d_mc"]) / 2)
    assert np.all(gaussian["gap"][:, None] + 4 * gaussian["gap_se"][:, None] <= bounds)
    # the gap is not negligible: a bound 2.5x smaller (e.g. sqrt(D/2) with D/6) would fail
    assert np.all(gaussian["gap"] > bounds[:, -1] / 2.5)


def test_learned_representation_lemma_by_regression():
    """Given W-hat, Y_1 X_1 has mean W-hat and covariance s^2 (1 - 1/n) I (note R3 lemma),
    checked by least-squares regression of Y_1 X_1 on W-hat in Monte Carlo."""
    rng = np.random.default_rng(0)
    n, d, m, s = 5, 3, 200_000, 1.5
    mu = np.array([1.0, -0.5, 0.0])
    g = mu + s * rng.normal(size=(m, n, d))  # Y_j X_j
    w = g.mean(1)
    beta, *_ = np.linalg.lstsq(np.c_[np.ones(m), w], g[:, 0], rcond=None)
    resid = g[:, 0] - np.c_[np.ones(m), w] @ beta
    se = s / math.sqrt(m)
    assert_allclose(beta[1:], np.eye(d), atol=6 * se * math.sqrt(n))
    assert_allclose(np.cov(resid.T), s**2 * (1 - 1 / n) * np.eye(d), atol=0.02 * s**2)


def test_funnel_interior_and_bounds(funnel):
    assert np.all(np.argmin(funnel["path"], axis=1) == 1)
    assert np.all(funnel["gap"] + 4 * funnel["gap_se"] <= funnel["path"].min(1))
    assert np.all(funnel["path_lower"] <= funnel["path"] + 1e-15)
    # exact population risk gives the same gap within its (larger) error
    assert np.all(np.abs(funnel["gap_pop"] - funnel["gap"]) < 0.02)
    # uniform Lipschitz constants put the minimum at the ends, never at the funnel
    assert np.all(np.argmin(funnel["tail"][:, 1:], axis=1) == 1)
    assert np.all(np.diff(funnel["product"], axis=1) <= 1e-12)


def test_funnel_gap_scales_like_one_over_n(funnel):
    ratio = funnel["gap"][0] / funnel["gap"][1]
    assert 10 * 0.7 < ratio < 10 / 0.7  # O(1/n) (a 1/sqrt(n) rate would give 3.2)


def test_ramp_risk_closed_form_against_quadrature():
    from scipy import integrate, stats

    for m in (-0.4, 0.3, 1.7):
        val = integrate.quad(lambda z, m=m: np.clip(1 - z, 0, 2) * stats.norm.pdf(z, m, 1.0),
                             -20, 20, points=(-1.0, 1.0))[0]
        assert_allclose(sdpi_funnel.ramp_risk(m, 1.0), val, atol=1e-10)


def test_sims_are_deterministic_in_the_seed():
    cfg = sdpi_gaussian.Config(reps=(1,), datasets=2_000, batches=4)
    a, b = sdpi_gaussian.run(cfg), sdpi_gaussian.run(cfg)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_dropout_net_training_is_odd_equivariant():
    """The premise I(W; Y_i) = 0 of the trained-network bound: training on (-X, -Y) with the
    same initial weights and masks returns the same weights up to float64 rounding (XLA's
    tanh is odd only to the last bit; the algorithm sees only Y_i X_i), whereas flipping the
    labels alone changes them."""
    import jax

    from sims import nets
    from sims import sdpi_dropout_net as D

    cfg = D.Config(runs=1, n=64, steps=20, n_test=10, mask_draws=1)
    inp = D._run_inputs(cfg, 0)
    with nets.float64():
        def train(x, y):
            out = D.train_run((inp["ws"], inp["v"]), x, y, inp["m_train"].astype(float), cfg.lr)
            return jax.tree_util.tree_leaves(out)

        a = train(inp["x"], inp["y"])
        b = train(-inp["x"], -inp["y"])
        c = train(inp["x"], -inp["y"])
    for u, w in zip(a, b):
        assert_allclose(np.asarray(u), np.asarray(w), atol=1e-12)
    assert max(np.abs(np.asarray(u) - np.asarray(w)).max() for u, w in zip(a, c)) > 1e-2


@pytest.mark.parametrize("name, config", [
    ("sdpi_gaussian", sdpi_gaussian.Config(reps=(2, 5), datasets=2_000, batches=4)),
    ("sdpi_funnel", sdpi_funnel.Config(ns=(50, 200), draws=2_000)),
])
def test_sharded_sweep_equals_direct_run(name, config, tmp_path):
    from sims import runner

    direct = runner.get(name).run(config)
    sharded = runner.run_sim(name, config, cache=tmp_path)
    assert set(direct) == set(sharded)
    for k in direct:
        np.testing.assert_array_equal(direct[k], sharded[k], err_msg=k)
