"""The headline NTK claims reject a wrong theory.

Each test feeds a claim the data a wrong theory would produce (a slope of -1 where -1/2 is
predicted, a kernel with beta doubled, a constant off by 10 %) and asserts the verdict is a
failure, next to the right theory's data passing.  Synthetic sim results are built with the
per-seed spread the quick sims actually show (relative sd ~0.2-0.3 per seed).
"""

from __future__ import annotations

import numpy as np
import pytest

from paper_checks import ledger
from paper_checks import ntk as C
from theory import ntk as T


def verdict(claim_id: str) -> str:
    (c,) = [c for c in ledger.claims(["ntk"]) if c.id == claim_id]
    return c.run("quick").verdict


def fake_rates(monkeypatch, keys, widths, slope: float, seeds: int, rel_sd: float,
               seed: int = 0):
    """Make runner.run_sim return each of ``keys`` = C width^slope with lognormal scatter."""
    rng = np.random.default_rng(seed)
    w = np.asarray(widths)
    res = {"width": w}
    for key in keys:
        res[key] = (w[:, None] ** slope) * np.exp(rel_sd * rng.standard_normal((w.size, seeds)))
    monkeypatch.setattr(C.runner, "run_sim",
                        lambda name, scale="quick", overrides=None, **kw: res)


@pytest.mark.parametrize("slope, ok", [(-0.5, True), (-1.0, False), (-0.25, False)])
def test_width_slope_rejects_the_wrong_rate(monkeypatch, slope, ok):
    fake_rates(monkeypatch, ("rel_err", "offdiag"), (64, 128, 256, 512, 1024), slope, 10, 0.3)
    assert verdict("ntk.width_slope") == (ledger.PASS if ok else ledger.FAIL)
    assert verdict("ntk.output_block_slope") == (ledger.PASS if ok else ledger.FAIL)
    assert verdict("ntk.width_slope_erf") == (ledger.PASS if ok else ledger.FAIL)


@pytest.mark.parametrize("slope, ok", [(-1.0, True), (-0.5, False), (-1.5, False)])
def test_drift_slope_rejects_the_init_fluctuation_rate(monkeypatch, slope, ok):
    fake_rates(monkeypatch, ("drift",), (125, 250, 500), slope, 8, 0.25)
    assert verdict("ntk.drift_slope") == (ledger.PASS if ok else ledger.FAIL)
    assert verdict("ntk.drift_slope_erf") == (ledger.PASS if ok else ledger.FAIL)


def test_a_noisy_design_cannot_pass_a_rate_claim(monkeypatch):
    """Seed scatter so large that -1 and -1/2 are within 3 SE: NaN, a failure."""
    fake_rates(monkeypatch, ("drift",), (125, 250, 500), -1.0, 3, 1.0)
    assert verdict("ntk.drift_slope") == ledger.FAIL


def test_fig1_limit_rejects_beta_doubled(monkeypatch):
    real = T.limiting_kernels
    assert verdict("ntk.fig1_limit_peak") == ledger.PASS
    monkeypatch.setattr(C.T, "limiting_kernels",
                        lambda *a, **k: real(*a, **{**k, "beta": 2 * k.get("beta", 0.1)}))
    assert verdict("ntk.fig1_limit_peak") == ledger.FAIL
    assert verdict("ntk.fig1_limit_curve") == ledger.FAIL


def test_nngp_covariance_rejects_sigma_off_by_ten_percent(monkeypatch):
    real = C.runner.run_sim
    res = real("ntk_nngp", scale="quick")
    assert verdict("ntk.nngp_covariance") == ledger.PASS
    off = dict(res, sigma=res["sigma"] * 1.1)
    monkeypatch.setattr(C.runner, "run_sim", lambda name, scale="quick", **kw: off)
    assert verdict("ntk.nngp_covariance") == ledger.FAIL
    assert verdict("ntk.nngp_covariance_rel") == ledger.FAIL


def test_fig2_rejects_a_mean_off_by_ten_percent_a_wrong_kernel_or_sd_off(monkeypatch):
    """Fig. 2 against wrong limits: the NTK-GP mean x 1.1, the NTK-GP mean of an erf net, and
    the limit sd x 1.3.  Not rejected at quick scale (documented in docs/ntk.md): the NNGP
    posterior mean (z 3.4 at n = 128), and limits with beta doubled or depth 3 (< 2.5 SE)."""
    real = C.runner.run_sim
    res = real("ntk_fig2", scale="quick")
    assert verdict("ntk.fig2_mean") == ledger.PASS
    assert verdict("ntk.fig2_spread") == ledger.PASS
    from sims.ntk_common import circle
    from sims.ntk_fig2 import TRAIN_GAMMA

    erf_mean, _ = T.ntk_gp_prediction(circle(TRAIN_GAMMA, order="sin_cos"), res["train_y"][0],
                                      circle(res["gamma"][0], order="sin_cos"), depth=4,
                                      activation="erf", beta=0.1, t=1000.0)
    k = len(res["width"])
    for wrong in (dict(res, limit_mean=1.1 * res["limit_mean"]),
                  dict(res, limit_mean=np.tile(erf_mean, (k, 1)))):
        monkeypatch.setattr(C.runner, "run_sim", lambda name, scale="quick", w=wrong, **kw: w)
        assert verdict("ntk.fig2_mean") == ledger.FAIL
    wrong_sd = dict(res, limit_sd=res["limit_sd"] * 1.3)
    monkeypatch.setattr(C.runner, "run_sim", lambda name, scale="quick", **kw: wrong_sd)
    assert verdict("ntk.fig2_spread") == ledger.FAIL


def test_cost_identity_rejects_a_wrong_normalisation():
    """-d^T K d / N (one power of N short) instead of / N^2 is off by N = 12."""
    gap = C._cost_identity_gap("relu", rate=lambda k, f, y: T.cost_decrease_rate(k, f, y)
                               * k.shape[0])
    assert gap[0] > 1.0
