"""The headline KDE claims reject a wrong theory.

Each test feeds a claim's own comparison (``verdict_of`` with the claim's tolerance) the
prediction of a plausible wrong theory and asserts that the verdict flips, while the right
theory passes.  The sims are the claims' own (cached per session), so this adds little time.
"""

from __future__ import annotations

import math

import numpy as np

from paper_checks import kde as kde_claims
from paper_checks import ledger
from paper_checks.ledger import verdict_of
from sims import runner
from theory import kde as theory

CLAIMS = {c.id: c for c in ledger.claims(["kde"])}


def _passes(claim_id: str, ours, expected=None) -> bool:
    c = CLAIMS[claim_id]
    return verdict_of(ours, c.expected if expected is None else expected, c.tol, c.compare)


def test_three_regimes_reject_a_two_regime_theory():
    """With the CLT law alpha - alpha_var down to h_G (no stable regime), or the stable law
    at h = 1 (no CLT regime), the simulated N_eff exponents no longer fit."""
    ours, _ = kde_claims.three_regimes("quick")
    assert _passes("kde.three_regimes", ours)
    a, h_st = 0.5, 1.2 * theory.h_G(0.5)
    no_stable = [0.0, a - theory.alpha_var(h_st), a - theory.alpha_var(1.0)]
    no_clt = [0.0, -2 * theory.kappa_stable(a, h_st), -2 * theory.kappa_stable(a, 1.0)]
    assert not _passes("kde.three_regimes", ours, no_stable)
    assert not _passes("kde.three_regimes", ours, no_clt)


def test_condensed_participation_rejects_a_wrong_index():
    """E[Y2] = 1 - mu with mu = h^2/h_G^2 = 0.64; mu = h/h_G (0.8) or h_G 10 % off fail."""
    ours = kde_claims.participation("quick")[0]
    assert _passes("kde.participation_condensed", ours)
    for wrong_mu in (0.8, (0.8 / 1.1) ** 2, (0.8 / 0.9) ** 2):
        assert not _passes("kde.participation_condensed", ours, 1 - wrong_mu)


def test_kl_optimum_claims_reject_the_asymptote_and_a_clt_optimum():
    res = runner.run_sim("kde_stream", scale="quick")
    z, note = kde_claims.kl_argmin_d20("quick")
    assert _passes("kde.kl_argmin_d20_real_data", z)
    ours = float(note.split()[1])
    se = float(note.split()[3])
    # the d -> inf optimum h_KL and the finite-d glass threshold are many SE away
    for wrong in (theory.h_KL(0.5), theory.h_G_eff(int(res["d"]), 0.5)):
        assert not _passes("kde.kl_argmin_d20_real_data", abs(ours - wrong) / se)
    ratio, _ = kde_claims.kl_optimum_not_clt("quick")
    assert _passes("kde.kl_optimum_not_clt", ratio)
    # a CLT-regime optimum would sit at h >= h_CLT, i.e. ratio >= 1
    assert not _passes("kde.kl_optimum_not_clt", 1.0 + 1e-9)


def test_hill_estimate_rejects_the_asymptotic_threshold():
    z, note = kde_claims.hill_vs_exact("quick")
    assert _passes("kde.hill_vs_exact_order_stats", z)
    z_asym = float(note.rsplit("z = ", 1)[1].rstrip(")"))
    assert not _passes("kde.hill_vs_exact_order_stats", z_asym)


def test_stable_index_rejects_a_threshold_off_by_ten_percent():
    mu_root = theory.stable_index_general(0.5, 0.8, lambda k, h: theory.annealed_moment(k, h))
    assert _passes("kde.stable_index", abs(mu_root - theory.stable_index(0.5, 0.8)))
    for factor in (0.9, 1.1):
        wrong = 0.8**2 / (factor * theory.h_G(0.5)) ** 2
        assert not _passes("kde.stable_index", abs(mu_root - wrong))
    assert math.isclose(mu_root, 0.8**2 / theory.h_G(0.5) ** 2, rel_tol=1e-8)


def test_criticality_slope_rejects_minus_one():
    res = runner.run_sim("kde_ev", scale="quick")
    slope = kde_claims.criticality("quick")[0]
    assert _passes("kde.criticality", slope)
    assert not _passes("kde.criticality", slope, (-1.15, -0.85))  # a d^-1 law
    assert np.asarray(res["d"]).size >= 3
