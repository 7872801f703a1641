"""The clustering sims and headline claims, and that the claims reject wrong theories.

Each sim is run once per session at quick scale (cached), shared with the claim ledger.
"""

from __future__ import annotations

import math

import numpy as np

from paper_checks import clustering as PC
from paper_checks.ledger import verdict_of
from sims import runner
from theory import clustering as C


def test_transition_shapes_and_consistency():
    res = runner.run_sim("clustering_transition", scale="quick")
    R = len(res["ratio"])
    assert res["certified"].shape[:2] == (R, 1)
    # a certified replicate can never be beaten (that would contradict the dual proof)
    assert not np.any((res["certified"] == 1) & (res["beaten"] == 1))
    # certified <=> the truth's own certificate holds; exact labels whenever certified
    assert np.all(res["error"][res["certified"] == 1] == 0)


def test_transition_rejects_a_cutoff_off_by_a_factor():
    """A cutoff 1.5x or 1/1.5x the Chen-Yang value puts the 50 % point outside [0.8, 1.3]."""
    res = runner.run_sim("clustering_transition", scale="quick")
    c = np.mean(res["certified"][:, 0], -1)
    b = 1 - np.mean(res["beaten"][:, 0], -1)
    for factor in (1.5, 1 / 1.5):
        x = res["ratio"] / factor          # ratios in units of the wrong cutoff
        pts = [PC._crossing(x, b), PC._crossing(x, c)]
        assert not verdict_of(pts, (0.8, 1.3), None, "range")


def test_highdim_rejects_the_low_dimensional_cutoff():
    """8 log n (the low-dimensional limit) predicts success at 0.8 Delta_bar^2; we see failure."""
    n, p, K = 100, 400, 2
    d2 = 0.8 * C.chen_yang_threshold(n, p, K)
    assert d2 > 8 * math.log(n) * 1.05
    res = runner.run_sim("clustering_highdim", scale="quick")
    assert PC._at(res, "beaten", res["ratio"], 0.8)[0].mean() >= 0.8


def test_la_oracle_and_wrong_covariances():
    res = runner.run_sim("clustering_la_oracle", scale="quick")
    assert res["la_exact"].shape == res["qda_error"].shape
    # LA-SDP's labels are never better than the oracle's by more than one point here
    assert np.all(res["la_error"] >= 0)
    # equal means: with the K-means metric (both covariances I, the homogeneous theory) the
    # LA-SDP cannot separate the clusters, with the true ones it does
    p, n = 100, 40
    rng = np.random.default_rng(0)
    covs = np.array([np.eye(p), 4 * np.eye(p)])
    X, lab = C.gaussian_mixture(np.zeros((2, p)), covs, [n // 2] * 2, rng)
    Zw, _, _ = C.la_sdp_admm(C.la_sdp_costs(X, np.array([np.eye(p)] * 2)), max_iter=1000)
    assert C.misclustering_error(lab, C.la_round(Zw)) > 0.2


def test_em_trap_and_methods_outputs():
    trap = runner.run_sim("clustering_em_trap", scale="quick")
    assert trap["em_error"].shape == (1, 100)
    assert np.isclose(trap["em_trapped"][0], np.mean(trap["em_error"][0] > 0.1))
    m = runner.run_sim("clustering_methods", scale="quick")
    assert m["error"].shape == (2, 1, 6)
    assert np.all((m["error"] >= 0) & (m["error"] <= 1))
