"""Small NTK sims against theory (shapes, determinism, consistency with sims.nets)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_allclose

from sims import ntk_common, ntk_drift, ntk_nngp, ntk_pca, ntk_width, runner, train
from theory import ntk as T


def test_width_sim_is_deterministic_and_converges():
    cfg = ntk_width.Config(widths=(32, 512), seeds=3, points=8)
    a, b = ntk_width.run(cfg), ntk_width.run(cfg)
    for key in a:
        assert np.array_equal(a[key], b[key])
    assert a["rel_err"].shape == (2, 3)
    # Thm 1 at rate n^-1/2: width x16 should cut the error ~4x; assert at least 1/0.6
    assert a["rel_err"][1].mean() < 0.6 * a["rel_err"][0].mean()
    # each sweep point is independent of the others (runner contract)
    single = ntk_width.run(ntk_width.Config(widths=(512,), seeds=3, points=8))
    assert_allclose(single["rel_err"][0], a["rel_err"][1], rtol=0)


def test_numpy_forward_matches_sims_nets_mlp():
    """The batched numpy forward of the NNGP sim is the forward of sims.nets.MLP."""
    mlp = ntk_common.ntk_net(2, 16, 4, 2)
    params = ntk_common.numpy_params(mlp, np.random.default_rng(0), batch=(3,))
    x = ntk_common.circle(ntk_nngp.GAMMAS).astype(np.float32)
    ours = ntk_nngp.batched_outputs(mlp, params, x)
    for s in range(3):
        single = [{k: jnp.asarray(v[s]) for k, v in layer.items()} for layer in params]
        assert_allclose(ours[s], np.asarray(mlp.apply(single, x)), rtol=1e-5, atol=1e-6)


def test_gd_steps_equals_foundation_gd():
    mlp = ntk_common.ntk_net(2, 8, 3, 1)
    p0 = mlp.init(jax.random.PRNGKey(0))
    x = jax.random.normal(jax.random.PRNGKey(1), (5, 2))
    data = (x, jnp.sin(x[:, :1]))
    loss = train.mse(mlp.apply)
    ours = ntk_common.gd_steps(loss, p0, data, lr=0.5, steps=7)
    ref = train.gd(loss, p0, lr=0.5, steps=7, data=data).params
    for a, b in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(ref),
                    strict=True):
        assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)


def test_drift_sim_initial_kernel_and_training():
    cfg = ntk_drift.Config(widths=(48,), seeds=2, steps=30, n_train=16, points=8)
    res = ntk_drift.run(cfg)
    assert res["theta_init"].shape == (1, 2, 8)
    assert np.all(res["loss_final"] < res["loss_init"])
    assert np.all(res["drift"] > 0)
    # the t = 0 kernel is the layerwise NTK of the first of the seed's initializations
    mlp = ntk_common.ntk_net(2, 48, 4, 1)
    g = res["gamma"][0]
    params = [{k: v[0] for k, v in layer.items()}
              for layer in ntk_common.seed_params(mlp, 0, 48, 2)]
    x0 = ntk_common.circle([0.0]).astype(np.float32)
    k = T.layerwise_ntk(params, x0, ntk_common.circle(g).astype(np.float32),
                        beta=np.float32(0.1))
    assert_allclose(res["theta_init"][0, 0], k[0], rtol=1e-5)
    # gamma = 0 sits at index points // 2, where the limit equals 113/400
    assert g[4] == 0.0 and res["limit"][0, 4] == pytest.approx(0.2825, abs=1e-12)


def test_pca_sim_decomposition_starts_on_the_component():
    cfg = ntk_pca.Config(widths=(16,), seeds=1, n_data=40, steps=20, record_every=10)
    res = ntk_pca.run(cfg)
    # f_0 - f* = -0.5 f^(2): ||g_0|| = 0.5 and h_0 = 0 up to float32 rounding
    assert_allclose(res["g_norm"][0, 0, 0], 0.5, rtol=1e-5)
    assert res["h_norm"][0, 0, 0] < 1e-5
    assert_allclose(res["g_limit"][0], 0.5 * np.exp(-res["eigenvalues"][0, 1] * res["t"][0]))
    assert np.all(np.diff(res["g_norm"][0, 0]) < 0)  # GD shrinks the component


def test_digits_reader_matches_scikit_learn():
    from sklearn.datasets import load_digits

    x, y = ntk_common.load_digits(100)
    ref = load_digits()
    assert_allclose(x, ref.data[:100] / 16.0, rtol=0)
    assert np.array_equal(y, ref.target[:100])


def test_runner_registration_and_validation():
    names = {s.name for s in runner.all_sims("ntk")}
    assert {"ntk_width", "ntk_nngp", "ntk_drift", "ntk_fig1", "ntk_fig2", "ntk_pca",
            "ntk_dynamics", "ntk_remark1"} <= names
    with pytest.raises(ValueError, match="seeds"):
        ntk_width.run(ntk_width.Config(seeds=1))
    with pytest.raises(ValueError, match="samples"):
        ntk_nngp.run(ntk_nngp.Config(samples=1001))
    with pytest.raises(ValueError, match="points"):
        ntk_drift.run(ntk_drift.Config(points=7))
    with pytest.raises(ValueError, match="n must lie"):
        ntk_common.load_digits(0)
    with pytest.raises(ValueError, match="order"):
        ntk_common.circle([0.0], order="xy")
