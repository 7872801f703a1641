"""Small KDE simulations against brute force, against the anchors and against theory.kde."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import special, stats

from sims import kde_core, runner
from theory import kde as theory


def brute_log_kde(X, Y, h):
    D = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    d = X.shape[1]
    return special.logsumexp(-D / (2 * h * h), axis=1) - math.log(len(Y)) \
        - 0.5 * d * math.log(2 * math.pi * h * h)


# ----------------------------------------------------------------------------- streaming KDE


@pytest.mark.parametrize("chunk", [7, 1000, 100_000])
def test_streaming_matches_brute_force_any_chunk(chunk):
    rng = np.random.default_rng(0)
    Y, X = rng.standard_normal((3000, 6)), rng.standard_normal((5, 6))
    hs = [0.3, 0.8, 1.5]
    res = kde_core.streaming_kde(X, hs, data=Y, chunk=chunk)
    for j, h in enumerate(hs):
        assert_allclose(res["log_density"][:, j], brute_log_kde(X, Y, h), rtol=1e-11)
        D = ((X[:, None, :] - Y[None]) ** 2).sum(-1)
        p = special.softmax(-D / (2 * h * h), axis=1)
        assert_allclose(res["Y2"][:, j], (p * p).sum(1), rtol=1e-9)
        assert_allclose(res["pmax"][:, j], p.max(1), rtol=1e-9)
    assert_allclose(res["dmin"], D.min(1), rtol=1e-10)


def test_streaming_generated_data_is_seeded_and_underflow_safe():
    # d = 60, h = 0.15: even the nearest kernel value e^{-D/(2h^2)} underflows float64
    rng = np.random.default_rng(1)
    X = kde_core.fixed_norm_queries(rng, 4, 60, 60.0)
    a = kde_core.streaming_kde(X, [0.15, 1.0], n=5000, seed=3, chunk=512)
    b = kde_core.streaming_kde(X, [0.15, 1.0], n=5000, seed=3, chunk=512)
    assert np.all(np.isfinite(a["log_density"]))
    assert np.all(a["dmin"] / (2 * 0.15**2) > 745)  # np.exp of it would be exactly 0.0
    assert_allclose(a["log_density"], b["log_density"], rtol=0)
    Y = np.random.default_rng(3).standard_normal((5000, 60))  # the same chunks, one by one
    assert_allclose(a["log_density"][:, 0], brute_log_kde(X, Y, 0.15), rtol=1e-11)


def test_streaming_agrees_with_sklearn_and_scipy():
    from scipy.stats import gaussian_kde
    from sklearn.neighbors import KernelDensity

    rng = np.random.default_rng(2)
    d, h = 8, 0.9
    Y, X = rng.standard_normal((2000, d)), rng.standard_normal((30, d))
    ours = kde_core.streaming_kde(X, [h], data=Y)["log_density"][:, 0]
    sk = KernelDensity(bandwidth=h, kernel="gaussian", rtol=0, atol=0).fit(Y).score_samples(X)
    kde = gaussian_kde(Y.T)
    kde._data_covariance, kde._data_cho_cov = np.eye(d), np.eye(d)  # isotropic: cov = h^2 I
    kde.set_bandwidth(h)
    sp = kde.logpdf(X.T)
    assert_allclose(sk, ours, rtol=1e-9)
    assert_allclose(sp, ours, rtol=1e-9)


def test_streaming_memory_is_O_chunk():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((8, 30))
    n, chunk = 200_000, 4096
    tracemalloc.start()
    kde_core.streaming_kde(X, [0.8], n=n, seed=0, chunk=chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    full = n * 30 * 8
    assert peak < 6 * chunk * 30 * 8 < full / 5  # a few chunk buffers, never the data matrix


@pytest.mark.slow
def test_streaming_d30_n1e7_peak_memory_below_1GB():
    code = textwrap.dedent("""
        import resource, numpy as np
        from sims import kde_core
        X = kde_core.fixed_norm_queries(np.random.default_rng(0), 16, 30, 30.0)
        r = kde_core.streaming_kde(X, [0.7, 1.0], n=10_000_000, seed=0)
        assert np.all(np.isfinite(r["log_density"]))
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    maxrss_kb = int(out.stdout.split()[-1])
    assert maxrss_kb * 1024 < 1e9


# ----------------------------------------------------------------------------- samplers


def test_sq_dist_sampler_matches_real_distances():
    rng = np.random.default_rng(5)
    d, lam, n = 12, 9.0, 200_000
    D = kde_core.sample_sq_dists(rng, n, d, lam)
    # ncx2(d, lam): mean d + lam, variance 2 (d + 2 lam); 4-SE checks
    assert abs(D.mean() - (d + lam)) < 4 * math.sqrt(2 * (d + 2 * lam) / n)
    assert abs(D.var() / (2 * (d + 2 * lam)) - 1) < 4 * math.sqrt(2 / n) * 1.5
    x = np.zeros(d)
    x[0] = 3.0
    real = ((rng.standard_normal((n, d)) - x) ** 2).sum(1)
    # two-sample KS at n = 2e5 each: the 1e-3 critical value is 1.95 * sqrt(2/n)
    assert stats.ks_2samp(D, real).statistic < 1.95 * math.sqrt(2 / n)


def test_weight_stats_against_direct_formulae():
    rng = np.random.default_rng(6)
    D = rng.uniform(5, 30, size=(3, 400))
    res = kde_core.weight_stats(D, [0.7, 2.0])
    for j, h in enumerate([0.7, 2.0]):
        w = np.exp(-D / (2 * h * h))
        assert_allclose(res["lnZ"][:, j], np.log(w.sum(1)), rtol=1e-12)
        p = w / w.sum(1, keepdims=True)
        assert_allclose(res["Y2"][:, j], (p * p).sum(1), rtol=1e-12)
        assert_allclose(res["pmax"][:, j], p.max(1), rtol=1e-12)


def test_hill_estimator_on_exponential_edge():
    # k smallest of a distribution with P(D/2 < e) ∝ e^{theta e}: theta_hat (k-2)/(k-1) unbiased
    rng = np.random.default_rng(7)
    theta, k, R = 2.5, 20, 20000
    E = -rng.exponential(1 / theta, size=(R, k))  # D/2 below a top point at 0
    D = 2 * np.concatenate([np.zeros((R, 1)), E[:, : k - 1]], axis=1)
    est = kde_core.hill_theta(D) * (k - 2) / (k - 1)
    assert abs(est.mean() - theta) < 4 * est.std() / math.sqrt(R)


def test_extreme_value_sampler_matches_oracle_at_d20():
    d, n, hs = 20, 22026, [0.5, 0.75]
    ev = kde_core.ExtremeValueSampler(d, math.log(n), 20.0, hs, K=1000)
    res = ev.sample(np.random.default_rng(8), 3000)
    ey2, elnz = theory.finite_d_oracle(d, n, hs, 20.0, n_D=3000, n_s=800)
    R = res["Y2"].shape[0]
    for j in range(2):
        assert abs(res["Y2"][:, j].mean() - ey2[j]) < 4 * res["Y2"][:, j].std() / math.sqrt(R)
        assert abs(res["lnZ"][:, j].mean() - elnz[j]) < 4 * res["lnZ"][:, j].std() / math.sqrt(R)


def test_extreme_value_table_matches_scipy_logcdf():
    d, lam = 100, 100.0
    ev = kde_core.ExtremeValueSampler(d, 0.5 * d, lam, [0.6], K=100)
    D = np.linspace(ev.Dg[0], 0.6 * d, 7)
    ref = stats.ncx2.logcdf(D, d, lam)
    assert np.all(np.isfinite(ref))
    assert_allclose(np.interp(D, ev.Dg, ev.logF), ref, rtol=1e-6)


def test_extreme_value_sampler_reaches_large_d():
    d = 800
    hs = np.array([0.8, 1.0]) * theory.h_G(0.5)
    res = kde_core.ExtremeValueSampler(d, 0.5 * d, float(d), hs, K=500).sample(
        np.random.default_rng(9), 1500)
    assert np.all(np.isfinite(res["lnZ"]))
    # nearest-neighbour distance per dimension near u_min: finite-d quantile sets the centre
    assert abs(np.median(res["dmin"]) / d - theory.nn_quantile(d, math.exp(0.5 * d))) < 0.005
    y = res["Y2"][:, 0]
    assert abs(y.mean() - theory.pd_mean_y2(0.64)) < 0.03 + 4 * y.std() / math.sqrt(y.size)


# ----------------------------------------------------------------------------- registered sims


def test_registered_sims_sweep_contract(tmp_path):
    sim = runner.get("kde_direct")
    cfg = sim.config(ds=(10, 12), hs=(0.5, 1.0), n_datasets=50, hill_k=5)
    direct = sim.run(cfg)
    sharded = runner.run_sim("kde_direct", cfg, cache=tmp_path)
    for key, arr in direct.items():
        assert arr.shape[0] == 2
        assert_allclose(sharded[key], arr, rtol=0)
    ev = runner.get("kde_ev")
    cfg = ev.config(ds=(30, 60), n_datasets=20, K=50)
    a, b = ev.run(cfg), runner.run_sim("kde_ev", cfg, cache=tmp_path)
    assert_allclose(a["Y2"], b["Y2"], rtol=0)
    scan = runner.get("kde_scan")
    cfg = scan.config(ds=(10, 12), n_points=500, n_datasets=2, q=2)
    a, b = scan.run(cfg), runner.run_sim("kde_scan", cfg, cache=tmp_path)
    assert a["Y2"].shape == (2, 2, 2, 3)
    assert_allclose(a["lnZ"], b["lnZ"], rtol=0)


def test_pd_sim_small():
    res = runner.get("kde_pd").run(runner.get("kde_pd").config(mus=(0.3,), n_samples=20000,
                                                                K=100))
    y, pm = res["Y2"][0], res["pmax"][0]
    assert abs(y.mean() - 0.7) < 4 * y.std() / math.sqrt(y.size)
    assert abs(pm.mean() - theory.pd_mean_pmax(0.3)) < 4 * pm.std() / math.sqrt(pm.size)
    assert np.all(pm * pm <= y + 1e-15) and np.all(y <= pm + 1e-15)  # pmax^2 <= Y2 <= pmax


@pytest.mark.parametrize("call, arg", [
    (lambda: kde_core.streaming_kde(np.zeros((2, 3)), [-1.0], n=10, seed=0), "hs"),
    (lambda: kde_core.streaming_kde(np.zeros((2, 3)), [1.0], data=np.zeros((5, 4))), "data"),
    (lambda: kde_core.streaming_kde(np.zeros(3), [1.0], n=10, seed=0), "queries"),
    (lambda: kde_core.streaming_kde(np.zeros((2, 3)), [1.0], n=10, seed=0, chunk=0), "chunk"),
    (lambda: kde_core.sample_sq_dists(np.random.default_rng(), 3, 1, 1.0), "d"),
    (lambda: kde_core.ExtremeValueSampler(20, math.log(100), 20.0, [0.5], K=50), "K"),
    (lambda: kde_core.hill_theta(np.zeros((3, 1))), "k"),
])
def test_bad_input_raises(call, arg):
    with pytest.raises(ValueError, match=arg):
        call()


def test_hill_quantile_rule_matches_exact_order_statistics():
    """The mean Hill estimate (k = 20, d = 40, alpha = 0.4) from exact order statistics is
    within the note's 5 % of the finite-d edge slope theta(q)^{-1/2} at q = k/(2n) (note R9
    item 3; both sides use the exact finite-d distance law, so this is a unit test of the
    quantile heuristic, not a claim)."""
    import math

    from theory import kde as theory

    d, k = 40, 20
    n = theory.n_points(0.4, d)
    ev = kde_core.ExtremeValueSampler(d, math.log(n), float(d), [1.0], K=k + 1)
    G = np.cumsum(np.random.default_rng(54321).exponential(size=(20000, k)), axis=1)
    hhat = kde_core.hill_theta(np.interp(np.log(G) - math.log(n), ev.logF, ev.Dg)) ** -0.5
    target = theory.edge_slope(d, (k / 2) / n) ** -0.5
    assert abs(hhat.mean() / target - 1) < 0.05
