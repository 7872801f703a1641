"""The headline Lion-K claims reject a wrong theory.

Each test feeds the claim's own comparison (``verdict_of`` with the claim's tolerance) the
prediction of a plausible wrong theory, or recomputes the claim's value under a wrong
constant, and asserts the verdict flips.  Small configurations keep this module fast.
"""

from __future__ import annotations

import numpy as np
import pytest

from paper_checks import ledger
from paper_checks.ledger import verdict_of
from sims import lion_certificate, lion_limits, lion_ode
from sims import lion_problems as P
from theory import lion as L

CLAIMS = {c.id: c for c in ledger.claims(["lion"])}


def _rejects(claim_id: str, ours) -> bool:
    c = CLAIMS[claim_id]
    return not verdict_of(ours, c.expected, c.tol, c.compare)


def test_box_limit_rejects_a_doubled_radius_and_the_unconstrained_optimum():
    """Lion + weight decay lambda solves min f on ||x||_inf <= 1/lambda: its endpoint is not the
    solution for the box of radius 2/lambda, nor the unconstrained least-squares solution."""
    cfg = lion_limits.Config(cases=("sign_lsq",))
    res = lion_limits.run_case("sign_lsq", cfg)
    n = int(res["n_entries"])
    x_end = res["x_end"][:n]
    prob = P.least_squares(cfg.seed)
    wrong_box = L.composite_cvxpy(prob.cvx, prob.x0.shape, "sign", cfg.weight_decay / 2)
    A = np.array([prob.grad(e) - prob.grad(np.zeros(n)) for e in np.eye(n)]).T
    unconstrained = np.linalg.solve(A, -prob.grad(np.zeros(n)))
    assert not _rejects("lion.limit_sign_lsq", res["err_inf"])
    for wrong in (wrong_box, unconstrained):
        assert _rejects("lion.limit_sign_lsq", np.max(np.abs(x_end - wrong)))


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_discrete_certificate_rejects_a_coefficient_a_off_by_ten_percent(monkeypatch, factor):
    cfg = lion_certificate.Config(kernels=("sign", "l2"), runs=3, steps=60)
    good = lion_certificate.run(cfg)
    assert not _rejects("lion.discrete_certificate", max(
        0.0, good["max_violation_implicit"].max(), good["max_violation_explicit"].max()))
    right = L.discrete_a
    monkeypatch.setattr(L, "discrete_a", lambda *args: factor * right(*args))
    bad = lion_certificate.run(cfg)
    assert _rejects("lion.discrete_certificate", max(bad["max_violation_implicit"].max(),
                                                     bad["max_violation_explicit"].max()))


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_toy_certificate_rejects_a_wrong_a(monkeypatch, factor):
    """The nonconvex-toy certificate (claim toy_h_descent) with a off by 10 %."""
    lam, lr = 1.0, 0.01
    path = L.lion_k_iterates(P.toy2d_grad, (0.3, -0.2), lr=lr, steps=400, weight_decay=lam)

    def worst():
        cert = L.discrete_certificate(path, f=P.toy2d_f, grad_f=P.toy2d_grad, kernel="sign",
                                      lr=lr, lam=lam, b1=0.9, b2=0.99, implicit=False)
        return float(np.max(cert.gap))

    assert not _rejects("lion.toy_h_descent", worst())
    right = L.discrete_a
    monkeypatch.setattr(L, "discrete_a", lambda *args: factor * right(*args))
    assert _rejects("lion.toy_h_descent", worst())


def test_lyapunov_identity_rejects_a_wrong_coefficient_c(monkeypatch):
    """dH/dt = -Delta only with c = (1 - eps gamma)/(1 + eps lambda); c = 1 - eps gamma (the
    lambda = 0 value) or 1.1 c breaks it."""
    cfg = lion_ode.IdentityConfig(kernels=("smooth_sign", "quadratic"), n_states=20)
    assert not _rejects("lion.lyapunov_identity", lion_ode.run_identity(cfg)["rel_err"].max())
    for wrong in (lambda *, gamma, lam, eps: 1 - eps * gamma,
                  lambda *, gamma, lam, eps: 1.1 * (1 - eps * gamma) / (1 + eps * lam)):
        monkeypatch.setattr(L, "lyapunov_c", wrong)
        assert _rejects("lion.lyapunov_identity", lion_ode.run_identity(cfg)["rel_err"].max())


def test_entry_bound_rejects_a_doubled_rate():
    """(|x| - 1/lambda)_+ <= (1 - eps lambda)^t d_0 holds on the toy; the bound with rate
    2 lambda (a theory of faster entry) is violated by orders of magnitude."""
    lam, lr, steps = 1.0, 0.01, 1000
    path = L.lion_k_iterates(P.toy2d_grad, (4.0, -3.0), lr=lr, steps=steps, weight_decay=lam)
    excess = np.max(L.box_excess(path.x, lam), axis=1)
    d0 = excess[0]
    right = L.entry_bound(d0, np.full(steps, lr), lam)
    wrong = L.entry_bound(d0, np.full(steps, lr), 2 * lam)
    assert not _rejects("lion.toy_entry", np.max(excess - right))
    assert _rejects("lion.toy_entry", np.max(excess - wrong))
    assert np.max(excess / np.maximum(wrong, 1e-300)) > 1e3


def test_beta_condition_claim_fails_when_the_condition_holds():
    """With the betas of the 'bad' arm swapped (b1 = 0.9 <= b2 = 0.99) no run breaks and the
    claim's Fisher test finds no difference: a theory in which b1 <= b2 does not matter is
    rejected, and the claim is not one a single broken run can pass."""
    from scipy import stats

    def p_value(res, runs, kernels):
        k_bad = int(round(float(np.sum(res["fail_rate_b1_gt_b2"])) * runs))
        k_good = int(round(float(np.sum(res["fail_rate_b1_le_b2"])) * 2 * runs))
        n = len(kernels) * runs
        return stats.fisher_exact([[k_bad, n - k_bad], [k_good, 2 * n - k_good]],
                                  alternative="greater").pvalue

    base = dict(kernels=("dead_zone", "quadratic"), runs=4, steps=200)
    bad = lion_certificate.run(lion_certificate.Config(**base))
    ok = lion_certificate.run(lion_certificate.Config(**base, bad_b1=0.9, bad_b2=0.99))
    assert float(np.max(ok["fail_rate_b1_gt_b2"])) == 0.0
    assert not _rejects("lion.beta_condition", p_value(bad, 4, base["kernels"]))
    assert _rejects("lion.beta_condition", p_value(ok, 4, base["kernels"]))
    # one broken run in 50 against 0 in 100 (the old claim's pass) is not significant
    assert _rejects("lion.beta_condition", stats.fisher_exact(
        [[1, 49], [0, 100]], alternative="greater").pvalue)
