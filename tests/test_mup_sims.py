"""Small-scale checks of the muP simulations (the quick-scale claims run in test_paper_checks)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from numpy.testing import assert_allclose

from sims import mup_coord, mup_limit, mup_maxlr, nets, runner, train
from theory import mup as M


def _trajectory(p, theta_net_seed=0, n=64, d=3, steps=3, eta=0.7, act="tanh"):
    """f_t at a fixed input for an abc net trained by SGD on one example (float64)."""
    with mup_coord.float64_context():
        net = nets.abc_mlp(d, n, p, activation=act)
        params = net.init(jax.random.PRNGKey(theta_net_seed), jnp.float64)
        x = jnp.linspace(-1.0, 1.0, d)[None, :]
        data = (x, jnp.full((1, 1), 0.8))
        opt = optax.chain(optax.sgd(eta), train.scale_by_tree(net.lr_tree(params)))
        res = train.train(train.mse(net.apply), params, opt, steps=steps, data=data,
                          record=lambda q: net.apply(q, x)[0, 0])
        return np.asarray(res.records)


@pytest.mark.parametrize("base", [M.mup(2), M.ntk(2), M.standard(2, c=1)])
def test_symmetry_gives_identical_trajectories(base):
    """Eq. 5: (a + theta, b - theta, c - 2 theta) trains identically (autodiff, float64)."""
    ref = _trajectory(base)
    for theta in (M.Fraction(-1, 2), M.Fraction(1, 2)):
        assert_allclose(_trajectory(M.symmetry(base, theta)), ref, rtol=0, atol=1e-12)


def test_per_layer_lr_equals_canonical_parametrization():
    """A per-layer c trains exactly like its canonical single-c abc point."""
    p = M.Parametrization(M.mup(2).a, M.mup(2).b, (1, 0, -1))
    assert_allclose(_trajectory(p), _trajectory(M.canonical(p)), rtol=0, atol=1e-12)


def test_decoupled_matmul():
    rng = np.random.default_rng(0)
    x, w, wb, g = (jnp.asarray(rng.normal(size=s)) for s in [(2, 3), (3, 4), (3, 4), (2, 4)])
    f = lambda x_, w_, wb_: jnp.sum(mup_limit.decoupled_matmul(x_, w_, wb_) * g)
    gx, gw, gb = jax.grad(f, argnums=(0, 1, 2))(x, w, wb)
    assert_allclose(gx, g @ wb.T, atol=1e-12)
    assert_allclose(gw, x.T @ g, atol=1e-12)
    assert_allclose(gb, 0.0)
    # with w_back = w it is the ordinary matmul
    gx2 = jax.grad(lambda x_: jnp.sum(mup_limit.decoupled_matmul(x_, w, w) * g))(x)
    assert_allclose(gx2, jax.grad(lambda x_: jnp.sum((x_ @ w) * g))(x), atol=1e-12)


def test_coord_sim_is_deterministic_and_sharded_equals_direct(tmp_path):
    cfg = mup_coord.CoordConfig(widths=(16, 32), cases=("mup", "ntk"), seeds=2, steps=2)
    direct = mup_coord.run_coord(cfg)
    swept = runner.run_sim("mup_coord", config=cfg, cache=tmp_path)  # one point per width
    assert direct["dh"].shape == (2, 2, 2, 2, 2) and direct["f"].shape == (2, 2, 2, 3)
    for k in ("dh", "f", "F"):
        assert_allclose(swept[k], direct[k], rtol=0, atol=0)
    other = mup_coord.run_coord(dataclasses.replace(cfg, seed=1))
    assert not np.allclose(other["f"], direct["f"])


def test_coord_sim_uses_the_parametrization():
    """The muP first-layer change is Theta(1) but NTP's shrinks: at n = 256 vs 32."""
    cfg = mup_coord.CoordConfig(widths=(32, 256), cases=("mup", "ntk"), seeds=4, steps=1)
    res = mup_coord.run_coord(cfg)
    s = mup_coord.coord_slopes(res)
    assert abs(s["dh"][0, 0]) < 0.2 and s["dh"][1, 0] < -0.3
    # the result stores its target, and the slopes use it (chi_0 = f_0 - y)
    assert_allclose(res["y"], [1.0, 1.0])
    other = mup_coord.coord_slopes({**res, "y": np.full(2, -3.0)})
    assert not np.allclose(other["dh"], s["dh"])
    with pytest.raises(ValueError, match="target 'y'"):
        mup_coord.coord_slopes({k: v for k, v in res.items() if k != "y"})


def test_coord_fitted_slopes_are_the_shared_loglog_fit():
    from theorylab.stats import loglog_slope

    rng = np.random.default_rng(0)
    width = np.array([128, 256, 512, 1024])
    vals = np.exp(rng.normal(size=(4, 3, 2, 5)))  # (widths, cases, layers, seeds)
    got = mup_coord.fitted_slopes(width, vals)
    want = [[loglog_slope(width, vals[:, i, j].mean(axis=-1)) for j in range(2)]
            for i in range(3)]
    assert_allclose(got, want, rtol=1e-12)


def test_maxlr_slope_is_the_shared_loglog_fit():
    from theorylab.stats import loglog_slope

    res = {"width": np.array([128, 512, 2048]),
           "max_lr": np.array([[[0.3, 0.2], [2.0, 2.1]], [[0.08, 0.06], [2.2, 2.0]],
                               [[0.02, 0.01], [2.4, 2.2]]])}
    s = mup_maxlr.width_slope(res)
    geo = np.exp(np.log(res["max_lr"]).mean(axis=-1))
    assert_allclose(s, [loglog_slope(res["width"], geo[:, 0]),
                        loglog_slope(res["width"], geo[:, 1])], rtol=1e-12)
    assert s[0] < -0.8 and abs(s[1]) < 0.1


def test_one_hidden_sim_linear_first_step_matches_recursion():
    """Linear muP nets, one step: f_1 = f_0 + 2 eta y x0 x + O(n^-1/2) fluctuations."""
    cfg = mup_limit.OneHiddenConfig(widths=(4096,), seeds=8, activation="identity", steps=2,
                                    xs=(1.0,), ys=(1.0,), x_test=1.0, eta=0.5)
    res = mup_limit.run_one_hidden(cfg)
    f = res["f"][0]
    assert_allclose(res["limit"][0], [0.0, 1.0, 1.0], atol=1e-12)
    se = f.std(axis=0, ddof=1) / np.sqrt(f.shape[0])
    assert np.all(np.abs(f.mean(axis=0) - res["limit"][0]) <= 4 * se + 1e-3)


def test_deep_sim_decoupled_differs_from_true():
    cfg = mup_limit.DeepConfig(widths=(256,), seeds=4, backprop="both")
    res = mup_limit.run_deep(cfg)
    assert np.all(np.isfinite(res["f1"])) and np.all(np.isfinite(res["f1_decoupled"]))
    # same seeds: the decoupled backward pass lowers f_1 by ~0.146 on average
    assert 0.05 < np.mean(res["f1"] - res["f1_decoupled"]) < 0.25
    only = mup_limit.run_deep(dataclasses.replace(cfg, backprop="true"))
    assert np.all(np.isnan(only["f1_decoupled"]))
    assert_allclose(only["f1"], res["f1"], atol=1e-12)


def test_maxlr_is_at_the_divergence_edge():
    """Nets at the bisected rate stay bounded; one bisection step above, they blow up."""
    cfg = mup_maxlr.Config(widths=(64,), bisections=6)
    diverged = mup_maxlr.divergence_test(64, cfg)
    lo = np.full((2, 1), cfg.log2_lo)
    hi = np.full((2, 1), cfg.log2_hi)
    for _ in range(cfg.bisections):  # the same bisection as max_lr
        mid = (lo + hi) / 2
        d = diverged(mid)
        lo, hi = np.where(d, lo, mid), np.where(d, mid, hi)
    assert np.all(lo > cfg.log2_lo) and np.all(hi < cfg.log2_hi)  # edge inside the bracket
    assert not diverged(lo).any() and diverged(hi).all()
    assert diverged(np.full((2, 1), cfg.log2_hi)).all()
    assert_allclose(2.0 ** lo, mup_maxlr.max_lr(64, cfg), rtol=1e-12)


@pytest.mark.parametrize("fn, cfg, match", [
    (mup_coord.run_coord, mup_coord.CoordConfig(cases=("sp_c7",)), "case must be one of"),
    (mup_coord.run_coord, mup_coord.CoordConfig(widths=()), "widths"),
    (mup_coord.run_kernel, mup_coord.KernelConfig(etas=(1.0,)), "one entry per case"),
    (mup_limit.run_deep, mup_limit.DeepConfig(backprop="maybe"), "backprop must be"),
    (mup_limit.run_one_hidden, mup_limit.OneHiddenConfig(activation="sin"), "activation"),
    (mup_limit.run_one_hidden, mup_limit.OneHiddenConfig(eta=-1.0), "eta"),
    (mup_maxlr.run, mup_maxlr.Config(cases=("ntk",)), "case must be"),
    (mup_maxlr.run, mup_maxlr.Config(log2_lo=3.0, log2_hi=1.0), "log2_lo < log2_hi"),
])
def test_invalid_configs(fn, cfg, match):
    with pytest.raises(ValueError, match=match):
        fn(cfg)


def test_sims_do_not_import_heavy_anchors():
    code = ("import sys, sims.mup_coord, sims.mup_limit, sims.mup_maxlr, figures.mup, "
            "paper_checks.mup; bad = [m for m in ('neural_tangents', 'cvxpy') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def _random_stable_points(count, seed):
    """Random quarter-grid abc points (L = 2) that are stable (r >= 0, Thm 3.3)."""
    rng = np.random.default_rng(seed)
    q = lambda lo, hi: M.Fraction(int(rng.integers(4 * lo, 4 * hi + 1)), 4)
    pts = []
    while len(pts) < count:
        a = (q(-1, 1), q(-1, 1), q(-1, 2))
        b = (-a[0], M.HALF - a[1], q(-1, 2))
        p = M.Parametrization(a, b, q(-1, 1))
        # keep updates above ~n^-2.5 so that float64 resolves them at n = 2048
        if M.is_stable(p) and min(M.update_exponents(p)["dh"]) >= M.Fraction(-5, 2):
            pts.append(p)
    return pts


def _fuzz(points, widths, seeds):
    parts = [mup_coord.train_on_one_input(n, points, (1.0,) * len(points), L=2,
                                          activation="tanh", steps=1, seeds=seeds, seed=0)
             for n in widths]
    res = {k: np.stack([p[k] for p in parts]) for k in parts[0]}
    res["width"] = np.array(widths)
    res["y"] = np.ones(len(widths))
    s = mup_coord.coord_slopes(res)
    got = np.column_stack([s["dh"], s["df"]])
    pred = np.array([[float(v) for v in M.update_exponents(p)["dh"]]
                     + [float(M.update_exponents(p)["df"])] for p in points])
    return got, pred


def test_phase_diagram_fuzz():
    """Beyond the paper (note Sec. 8.1): at random stable abc points the simulated update
    exponents match update_exponents within the coordinate-check tolerance of 0.1."""
    points = _random_stable_points(6, seed=1) + [M.mup(2), M.ntk(2), M.standard(2, c=1)]
    got, pred = _fuzz(points, (128, 512, 2048), seeds=2)
    assert np.max(np.abs(got - pred)) < 0.1, (got - pred)


@pytest.mark.slow
def test_phase_diagram_fuzz_many_points():
    got, pred = _fuzz(_random_stable_points(40, seed=2), (128, 256, 512, 1024, 2048, 4096),
                      seeds=4)
    assert np.max(np.abs(got - pred)) < 0.1, (got - pred)


def test_approach_statistic_is_calibrated():
    """The two-width approach z-scores behave as z-scores under the null (fluctuations
    ~ sigma/sqrt(n) around the true limit) and flag a limit off by 10 %."""
    rng = np.random.default_rng(0)
    width, S, reps, target, sigma = np.array([128, 2048]), 32, 4000, 0.56, 0.55
    noise = rng.normal(size=(2, S, reps)) * sigma / np.sqrt(width)[:, None, None]
    a = mup_limit.approach(width, target + noise, target)
    assert abs(a["z_mean"].mean()) < 0.1 and abs(a["z_mean"].std() - 1) < 0.1
    assert abs(a["z_ratio"].mean()) < 0.15 and 0.8 < a["z_ratio"].std() < 1.25
    assert np.mean(a["z_ratio"] > 4) < 0.005 and np.mean(np.abs(a["z_mean"]) > 4) < 0.005
    wrong = mup_limit.approach(width, target + noise, 1.1 * target)
    assert np.mean((wrong["z_ratio"] > 4) | (np.abs(wrong["z_mean"]) > 4)) > 0.99
    with pytest.raises(ValueError, match="widths"):
        mup_limit.approach(width, np.zeros((3, 8)), 0.0)
