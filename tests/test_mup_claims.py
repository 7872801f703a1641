"""The headline muP claims can fail: each rejects a wrong theory on the same data.

Every test evaluates a ledger claim at quick scale (the simulations are cached for the
session, so tests/test_paper_checks.py reuses them) and then applies the claim's own
comparison rule to a wrong prediction: a slope of -1 where -1/2 is predicted, an exponent
shifted by 1/2, a limit or kernel constant off by 10 %, a kernel where muP predicts none.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from paper_checks import ledger
from paper_checks import mup as P
from paper_checks.ledger import verdict_of

CLAIMS = {c.id: c for c in ledger.claims(["mup"])}


def _ours(cid):
    """Our value of claim ``cid`` at quick scale; the claim itself must pass."""
    c = CLAIMS[cid]
    res = c.run("quick")
    assert res.verdict == ledger.PASS, (cid, res.ours, res.note)
    return res.ours, c


@pytest.mark.parametrize("case", ["ntk", "sp_c1", "mup", "mup_sp_input", "sp_sqrt", "mup_slow"])
def test_coord_claims_reject_exponents_shifted_by_one_half(case):
    """e.g. NTP: Delta h ~ n^-1 (a slope of -1 where -1/2 is predicted) is rejected."""
    ours, c = _ours(f"mup.coord_{case}")
    for j in range(len(c.expected)):
        for shift in (-0.5, 0.5):
            wrong = list(c.expected)
            wrong[j] += shift
            assert not verdict_of(ours, wrong, c.tol, c.compare), (case, j, shift, ours)


@pytest.mark.parametrize("cid, data, target", [
    ("mup.deep_limit", P.deep_limit_data, P.F1_DEEP),
    ("mup.decoupled_limit", P.decoupled_data, P.F1_DECOUPLED),
    ("mup.tanh_sequence", P.tanh_sequence_data, P.TANH_SEQ[1:]),
    ("mup.linear_sequence", P.linear_sequence_data, P.LIN_SEQ[1:]),
    ("mup.feature_kernel_limit", P.feature_kernel_data, P.FEATURE_KERNEL),
])
def test_limit_claims_reject_a_constant_off_by_10_percent(cid, data, target):
    _, c = _ours(cid)
    width, values = data("quick")
    for factor in (0.9, 1.1):
        wrong = P.approach_value(width, values, np.asarray(target) * factor)[0]
        assert not verdict_of(wrong, c.expected, c.tol, c.compare), (cid, factor, wrong)


def test_not_a_kernel_rejects_the_kernel_prediction():
    """A kernel would make 2 f_1(eta/2) - f_1(eta) = 0; the finite nets reject that."""
    _, c = _ours("mup.not_a_kernel")
    wrong = P.approach_value(*P.not_a_kernel_data("quick"), 0.0)[0]
    assert not verdict_of(wrong, c.expected, c.tol, c.compare), wrong


@pytest.mark.parametrize("cid", ["mup.deep_rms_slope", "mup.one_hidden_rms_slope",
                                 "mup.linear_finite_rms_slope"])
def test_convergence_slopes_reject_minus_one(cid):
    """O(n^-1/2) convergence: a theory predicting n^-1 (same band width) is rejected."""
    ours, c = _ours(cid)
    lo, hi = c.expected
    half = (hi - lo) / 2
    assert not verdict_of(ours, (-1 - half, -1 + half), None, "range"), ours


@pytest.mark.parametrize("cid", ["mup.kernel_value_ntk", "mup.kernel_value_sp_c1",
                                 "mup.relu_finite", "mup.deep_finite_mean",
                                 "mup.decoupled_finite", "mup.feature_kernel_finite"])
def test_finite_width_constants_reject_10_percent(cid):
    ours, c = _ours(cid)
    for factor in (0.9, 1.1):
        wrong = np.asarray(c.expected, float) * factor
        assert not verdict_of(ours, wrong, c.tol, c.compare), (cid, factor, ours)


def test_f0_claim_rejects_wrong_exponents():
    """Cor. 3.10: muP's f_0 ~ n^-1/2; neither n^-1 for muP nor n^-1/2 for NTP passes."""
    ours, c = _ours("mup.f0_vanishes")
    for wrong in ([-1.0, 0.0], [0.0, 0.0], [-0.5, -0.5]):
        assert not verdict_of(ours, wrong, c.tol, c.compare), (wrong, ours)


def test_maxlr_claims_reject_wrong_exponents():
    """SP's max LR ~ 1/n: a 1/sqrt(n) theory (same band width) is rejected; muP's is flat:
    an SP-like 1/n theory is rejected."""
    sp, c = _ours("mup.maxlr_sp")
    assert not verdict_of(sp, (-0.5 - 0.4, -0.5 + 0.4), None, "range"), sp
    mu, c = _ours("mup.maxlr_mup")
    assert not verdict_of(mu, (-1.25, -0.75), None, "range"), mu


def test_uniqueness_enumeration_rejects_the_wrong_r_constant():
    """The note's pitfall (Sec. 3.1): r_1 without its +1(l = 1) term.  The brute force then
    finds a different point (or none), so the uniqueness claim would fail."""
    ours, c = _ours("mup.uniqueness")
    assert ours == c.expected
    for L, (step, k) in P.UNIQUE_GRIDS.items():
        sols = P.maximal_points_by_enumeration(L, step, k, input_term=0)["solutions"]
        mu = (tuple(Fraction(v) for v in ["-1/2"] + ["0"] * (L - 1) + ["1/2"]),
              (Fraction(1, 2),) * (L + 1))
        assert sols != [mu]


def test_trivial_regime_is_simulated():
    """Thm 3.4: muP with LR eta/sqrt(n) is stable but trivial; the simulated output change
    shrinks (a nontrivial theory's Delta f ~ 1 is rejected by the coordinate-check claim)."""
    from sims.mup_coord import case_parametrization
    from theory import mup as M

    p = case_parametrization("mup_slow", 2)
    assert M.regime(p) == "trivial" and M.is_stable(p)
    ours, c = _ours("mup.coord_mup_slow")
    assert ours[-1] < -0.3  # f_t -> f_0
