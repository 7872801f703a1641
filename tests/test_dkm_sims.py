"""DKM sims and the regression model: the HMC sampler, wrong-theory rejections of the
headline simulation claims, the UCI loader, and the scikit-learn contract of DKMRegressor."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sims import runner
from theory import dkm as D


def test_hmc_samples_a_correlated_gaussian():
    """Mean and covariance of a 3-D Gaussian within 5 Monte Carlo standard errors."""
    import jax.numpy as jnp

    from sims import nets
    from sims.dkm_common import hmc

    cov = np.array([[1.0, 0.6, 0.0], [0.6, 2.0, -0.3], [0.0, -0.3, 0.5]])
    prec = np.linalg.inv(cov)
    with nets.float64():
        pj = jnp.asarray(prec)

        def logp(z, aux):
            return -0.5 * (z - aux) @ pj @ (z - aux)

        mu = np.array([1.0, -2.0, 0.5])
        z0 = jnp.zeros((8, 3))
        aux = jnp.broadcast_to(jnp.asarray(mu), (8, 3))
        import jax

        draws, acc, _ = hmc(logp, z0, aux, jax.random.PRNGKey(0), n_warmup=200, n_draws=1000,
                            n_leapfrog=5, step0=0.3, stats=lambda z, a: z)
    d = np.asarray(draws).reshape(-1, 3)
    assert 0.6 < acc.mean() < 0.95
    # chain means as independent replicates (8 chains)
    cm = np.asarray(draws).mean(0)
    se = cm.std(0, ddof=1) / np.sqrt(8)
    assert np.all(np.abs(cm.mean(0) - mu) < 5 * se + 1e-3)
    assert_allclose(np.cov(d.T), cov, atol=0.15)


def test_dgp_posterior_tracks_the_dkm_not_the_nngp():
    """The wrong theory 'no representation learning' (the standard NNGP limit) predicts
    E G_1 -> K(G_0): the sampled Gram matrices stay far from it at every width, and far
    farther than from the DKM optimum."""
    from sims.dkm_common import toy8

    r = runner.run_sim("dkm_dgp", scale="quick")
    x, _ = toy8()
    nngp = D.nngp_grams(x, depth=2, kernel="squared_exponential")
    for ell in range(2):
        err_nngp = np.linalg.norm(r["gram_mean"][:, ell] - nngp[ell], axis=(-2, -1)) \
            / np.linalg.norm(nngp[ell])
        assert np.all(err_nngp > 5 * r["mean_err"][:, ell])
        assert np.all(err_nngp > 0.1)


def test_bnn_posterior_rejects_the_gaussian_dkm_prediction():
    """A zero-mean Gaussian q (the arccos DKM) has P(f > 0) = 1/2 and equal sds."""
    r = runner.run_sim("dkm_bnn", scale="quick")
    assert r["p_positive"][-1] - 0.5 > 20 * r["p_positive_se"][-1]
    assert r["sd_positive"][-1] / r["sd_negative"][-1] > 1.5


def test_dgp_sim_sharded_widths_reuse_one_sampler_and_match_the_target():
    r = runner.run_sim("dkm_dgp", scale="quick")
    cfg = runner.get("dkm_dgp").make_config("quick")
    assert r["mean_err"].shape == (len(cfg.widths), 2)
    assert np.all((r["accept"] > 0.6) & (r["accept"] < 0.95))
    assert_allclose(r["gram_star"][0], np.stack(D.fit_dkm(
        *__import__("sims.dkm_common", fromlist=["toy8"]).toy8(), depth=2,
        kernel="squared_exponential", nu=1.0, noise_var=0.1)), atol=1e-8)


def test_uci_sim_reports_unavailable_data_cleanly(monkeypatch, tmp_path):
    from sims import dkm_uci

    monkeypatch.setenv("THEORYLAB_UCI", str(tmp_path))
    assert not dkm_uci.uci_available("yacht")
    out = dkm_uci.run(dkm_uci.Config())
    assert not np.any(out["available"]) and np.all(np.isnan(out["rmse"]))


def test_uci_loader_reads_the_standard_split():
    from sims import dkm_uci

    if not dkm_uci.uci_available("yacht"):
        pytest.skip(f"UCI data not found at {dkm_uci.uci_dir()}")
    xtr, ytr, xte, yte = dkm_uci.load_split("yacht", 0)
    assert xtr.shape[1] == 6 and len(xtr) + len(xte) == 308 and len(ytr) == len(xtr)


# ---------------------------------------------------------------------- DKMRegressor


def _data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (n, 2))
    return x, np.sin(2 * x[:, 0]) + 0.3 * x[:, 1] + 0.05 * rng.standard_normal(n)


def test_regressor_follows_the_sklearn_contract():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    # the same shapes and flags as the next test, so both share one compiled objective
    m = D.DKMRegressor(nu=5.0, n_inducing=None, learn_noise=False, learn_length_scale=False,
                       noise_var=0.05, maxiter=200)
    assert clone(m).get_params() == m.get_params()
    assert not any(k.endswith("_") for k in vars(m))
    with pytest.raises(NotFittedError):
        m.predict(np.zeros((2, 2)))
    x, y = _data()
    assert m.fit(x, y) is m
    mu, sd = m.predict(x[:2], return_std=True)
    assert mu.shape == (2,) and np.all(sd > 0)
    assert m.score(x, y) > 0.9
    with pytest.raises(ValueError, match="features"):
        m.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        D.DKMRegressor().fit(x, y[:5])


def test_regressor_with_all_points_is_exact_gp_regression_at_the_nngp():
    """n_inducing=None and nu = inf with fixed hyperparameters: exact NNGP regression."""
    x, y = _data(seed=1)
    m = D.DKMRegressor(nu=np.inf, n_inducing=None, learn_noise=False,
                       learn_length_scale=False, noise_var=0.05).fit(x, y)
    xs = (x - x.mean(0)) / x.std(0)
    ys = (y - y.mean()) / y.std()
    xt = np.array([[0.3, -0.2], [1.5, 1.0]])
    xts = (xt - x.mean(0)) / x.std(0)
    k = D.kernel_matrix(D.nngp_grams(np.vstack([xs, xts]), depth=2,
                                     kernel="squared_exponential")[-1],
                        kernel="squared_exponential", jitter=1e-6)
    mean = k[20:, :20] @ np.linalg.solve(k[:20, :20] + 0.05 * np.eye(20), ys)
    assert_allclose(m.predict(xt), mean * y.std() + y.mean(), atol=1e-4)


@pytest.mark.slow
def test_regressor_passes_sklearn_check_estimator():
    """scikit-learn's own conformance suite (about 50 checks, minutes: JIT per shape)."""
    import warnings

    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = check_estimator(D.DKMRegressor(n_inducing=10, maxiter=50), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:120]) for r in res
              if r["status"] == "failed"]
    assert not failed, failed
