"""Claim ledger: Lion secretly solves constrained optimization (Chen et al. 2024).

Checks 1-13 of papers/lion.md Sec. 6.  Only the shape of the results is read in the paper
(the paper's body and numbers could not be read for the reference note); every expected
number below is derived in the reference note and labelled ``source="derived"``.

Identities that hold by the algebra of the recursion (the outward-pushed entry D_t =
(1 - eps lambda)^t D_0, the entry step 388, the tight continuous entry, the constant a) are
unit tests in ``tests/test_lion_theory.py``, not claims.  ``tests/test_lion_claims.py`` shows
that the headline claims reject a wrong theory (a doubled box radius, a wrong coefficient a
or c, a doubled entry rate).
"""

from __future__ import annotations

import numpy as np

from paper_checks.ledger import claim
from sims import runner
from sims.lion_limits import CASES
from theorylab.stats import loglog_slope

CVX_TOL = 1e-4
CVX_REASON = ("cvxpy/Clarabel solutions are accurate to ~1e-6..1e-5 and cosine-decayed Lion "
              "converges to ~1e-7 in 2e4 steps (note R5)")


def _case(scale: str, case: str) -> float:
    res = runner.run_sim("lion_limits", scale=scale)
    return float(res["err_inf"][list(res["case"]).index(case)])


def _limit_claim(case: str, ref: str, statement: str, tol: float, tol_reason: str):
    cid = f"lion.limit_{case}"
    # cvxpy is a second tool solving the theory's problem; the closed forms are exact values
    evidence = "independent" if CASES[case][3] == "cvxpy" else "exact"

    @claim(cid, paper="lion", reference=ref, statement=statement, source="derived",
           expected=0.0, tol=tol, compare="abs", tol_reason=tol_reason, evidence=evidence)
    def _fn(scale, case=case):
        return _case(scale, case), f"max |x_Lion - x*| ({CASES[case][3]})"

    return _fn


_limit_claim("sign_lsq", "Abstract; Sec. 3 (check 1)",
             "Lion + weight decay 1 converges to argmin of least squares on ||x||_inf <= 1",
             CVX_TOL, CVX_REASON)
_limit_claim("sign_logistic", "Abstract; Sec. 3 (check 1)",
             "same for logistic regression", CVX_TOL, CVX_REASON)
_limit_claim("l2_lsq", "Table 2 (K = l2 norm; check 8)",
             "Lion-K with K = ||.||_2 solves least squares on the l2 ball", CVX_TOL, CVX_REASON)
_limit_claim("lp_lsq", "Table 2 / Fig. 5 (Lion-l_p, p = 1.5)",
             "Lion-K with K = ||.||_1.5 solves least squares on the l_3 ball", CVX_TOL,
             CVX_REASON)
_limit_claim("huber_lsq", "Table 2 (check 11)",
             "Huber K gives least squares + ridge on the box", CVX_TOL, CVX_REASON)
_limit_claim("dead_zone_lsq", "Table 2 (check 11)",
             "dead-zone K (e = 0.1) gives least squares + 0.1 l1 on the box", CVX_TOL,
             CVX_REASON)
_limit_claim("quadratic_lsq", "Sec. 3 special cases (K = |.|^2/2)",
             "K = ||.||^2/2 (momentum + weight decay) gives ridge regression", CVX_TOL,
             CVX_REASON)
_limit_claim("nuclear_lsq", "Muon follow-up (check 12)",
             "nuclear-norm Lion-K (Muon) solves matrix least squares with ||X||_op <= 1",
             1e-5, "cvxpy SDP solved at gap 1e-12 (accurate to ~1e-7 here); note's tolerance")
_limit_claim("sign_quad", "check 2 (instance iii)",
             "Lion on the separable quadratic reaches clip(c, +-1) = (1, -0.2, 0.7, -1)", 1e-6,
             "closed form; cosine Lion converges to ~1e-8 in 4e4 steps (note R7)")
_limit_claim("huber_quad", "check 11 (instance iii)",
             "Huber K reaches clip(hc/(h+1), +-1) = (1, -0.13333, 0.23333, -1)", 1e-6,
             "closed form; note R7 measured <= 2.3e-9")
_limit_claim("dead_zone_quad", "check 11 (instance iii)",
             "dead-zone K (e = 0.3) reaches (1, -0.05, 0.1, -1)", 1e-6,
             "closed form; note R7 measured <= 2.3e-9")
_limit_claim("l2_ball", "check 8",
             "K = ||.||_2 with f = ||x - c||^2/2 reaches c/||c|| = (0.51053, -0.03404, ...)",
             1e-6, "closed form; note R7 measured <= 2.3e-9")


@claim("lion.muon_singular_values", paper="lion", reference="Muon follow-up (check 12)",
       statement="all singular values of the Muon limit are <= 1/lambda = 1",
       source="derived", expected=1.0, tol=1e-6, compare="le",
       tol_reason="float64 SVD of the endpoint; note's 1 + 1e-6",
       evidence="simulation")
def muon_singular_values(scale):
    res = runner.run_sim("lion_limits", scale=scale)
    return float(res["max_singular_value"][list(res["case"]).index("nuclear_lsq")])


@claim("lion.lyapunov_identity", paper="lion", reference="Sec. 3, Lyapunov function (check 3)",
       statement="dH/dt = -Delta along the Lion-K ODE (c = (1-eps gamma)/(1+eps lambda)), "
                 "max relative error over random states and 4 smooth K",
       source="derived", expected=0.0, tol=1e-12, compare="abs",
       tol_reason="float64 rounding of O(1) inner products (note measured 7e-16)",
       evidence="independent")
def lyapunov_identity(scale):
    res = runner.run_sim("lion_lyapunov_identity", scale=scale)
    return float(res["rel_err"].max())


@claim("lion.dissipation_nonnegative", paper="lion", reference="Sec. 3 (check 3)",
       statement="Delta >= 0 at every sampled state", source="derived", expected=0.0,
       compare="ge", tol_reason="exact inequality (monotone pairings)",
       evidence="simulation")
def dissipation_nonnegative(scale):
    return float(runner.run_sim("lion_lyapunov_identity", scale=scale)["min_delta"].min())


@claim("lion.min_over_m", paper="lion", reference="Sec. 3 (check 4)",
       statement="min_m H(x, m) = alpha F(x): max over random states and 4 kernels of the "
                 "relative gap |H(x, grad K*(lambda x)) - alpha F(x)| / (1 + |alpha F|)",
       source="derived", expected=0.0, tol=1e-12, compare="abs",
       tol_reason="Fenchel-Young equality K*(z) + K(grad K*(z)) = z.grad K*(z) with K, K*, "
                  "grad K* coded separately; float64 rounding of O(1) terms",
       evidence="exact")
def min_over_m(scale):
    return float(runner.run_sim("lion_lyapunov_identity", scale=scale)["max_gap"].max())


@claim("lion.h_above_f", paper="lion", reference="Sec. 3 (check 4)",
       statement="H(x, m) - alpha F(x) >= 0 for random m (so the minimum over m is alpha F)",
       source="derived", expected=0.0, compare="ge", tol=1e-12,
       tol_reason="Fenchel-Young inequality, float64 rounding",
       evidence="exact")
def h_above_f(scale):
    return float(runner.run_sim("lion_lyapunov_identity", scale=scale)["min_excess"].min())


@claim("lion.h_monotone", paper="lion", reference="Sec. 3 / Fig. 1 (check 5)",
       statement="along the ODE on the nonconvex toy, max_k H(t_k+1) - H(t_k) <= 1e-9",
       source="derived", expected=1e-9, compare="le",
       tol_reason="solve_ivp at rtol 1e-10 / atol 1e-12 (note's threshold)",
       evidence="simulation")
def h_monotone(scale):
    res = runner.run_sim("lion_ode", scale=scale)
    return float(np.diff(res["H"]).max())


@claim("lion.f_not_monotone", paper="lion", reference="Sec. 3 / Fig. 1 (check 5)",
       statement="... while f(x_t) increases at least once (max increment > 1e-9)",
       source="derived", expected=1e-9, compare="ge",
       tol_reason="an increase well above the integration error",
       evidence="simulation")
def f_not_monotone(scale):
    res = runner.run_sim("lion_ode", scale=scale)
    return float(np.diff(res["f"]).max())


@claim("lion.entry_continuous", paper="lion", reference="Thm 3.1 phase 1 (check 6)",
       statement="(|x_i(t)| - 1/lambda)_+ <= e^{-lambda t} (|x_i(0)| - 1/lambda)_+ on the toy",
       source="derived", expected=1.0, tol=1e-6, compare="le",
       tol_reason="ODE integration error (rtol 1e-10) relative to the bound",
       evidence="simulation")
def entry_continuous(scale):
    return float(runner.run_sim("lion_entry", scale=scale)["ratio_toy"].max())


@claim("lion.discrete_certificate", paper="lion", reference="Thm 4.1 (check 7)",
       statement="one-step discrete Lyapunov inequality, implicit and explicit (eps'), "
                 "5 kernels, random 0 <= b1 <= b2 < 1: max violation",
       source="derived", expected=0.0, tol=1e-10, compare="abs",
       tol_reason="exact algebra; float64 rounding of O(1) terms (note: 2.2e-13)",
       evidence="simulation")
def discrete_certificate(scale):
    r = runner.run_sim("lion_certificate", scale=scale)
    worst = max(0.0, float(r["max_violation_implicit"].max()),
                float(r["max_violation_explicit"].max()))
    return worst, f"min Delta_t = {r['min_delta'].min():.2g}"


@claim("lion.beta_condition", paper="lion", reference="Thm 4.1 assumption b1 <= b2 (check 13)",
       statement="the certificate (inequality with Delta_t >= 0) breaks significantly more "
                 "often with b1 = 0.99 > b2 = 0.9 than with the same runs' 0 <= b1 <= b2 < 1: "
                 "one-sided Fisher exact p-value (5 kernels)",
       source="derived", expected=1e-3, compare="le",
       tol_reason="significance level 1e-3 of a one-sided Fisher exact test on broken-run "
                  "counts; one broken run in 50 against 0 in 100 gives p = 0.33 and fails",
       evidence="simulation")
def beta_condition(scale):
    from scipy import stats

    r = runner.run_sim("lion_certificate", scale=scale)
    cfg = runner.get("lion_certificate").make_config(scale)
    n_bad, n_good = len(cfg.kernels) * cfg.runs, 2 * len(cfg.kernels) * cfg.runs
    k_bad = int(round(float(np.sum(r["fail_rate_b1_gt_b2"])) * cfg.runs))
    k_good = int(round(float(np.sum(r["fail_rate_b1_le_b2"])) * 2 * cfg.runs))
    p = stats.fisher_exact([[k_bad, n_bad - k_bad], [k_good, n_good - k_good]],
                           alternative="greater").pvalue
    detail = ", ".join(f"{k} {v:.0%}" for k, v in zip(cfg.kernels, r["fail_rate_b1_gt_b2"]))
    return float(p), (f"broken: b1 > b2 {k_bad}/{n_bad} ({detail}); b1 <= b2 "
                      f"{k_good}/{n_good}; the note's 'most runs' is not reproduced")


@claim("lion.ode_discretization_slope", paper="lion", reference="Sec. 2.3 mapping (check 10)",
       statement="discrete Lion-K tracks the ODE with sup-error ~ eta^1 (fitted log-log slope)",
       source="derived", expected=1.0, tol=0.1, compare="abs",
       tol_reason="first-order scheme; note's 1.0 +- 0.1",
       evidence="simulation")
def ode_discretization_slope(scale):
    r = runner.run_sim("lion_ode_discretization", scale=scale)
    slope = loglog_slope(r["lr"], r["sup_err"])
    return slope, f"sup-errors {', '.join(f'{e:.2g}' for e in r['sup_err'])}"


@claim("lion.mlp_box_entry", paper="lion", reference="App. Thm B.9 / Figs. 2-3 analogue",
       statement="minibatch Lion on a ReLU MLP: every weight obeys (|w_t| - 1/lambda)_+ <= "
                 "prod(1 - eta_s lambda)(|w_0| - 1/lambda)_+ at every step (worst gap, in "
                 "units of the worst-case float64 rounding steps * 2^-52 * max|w_0|)",
       source="derived", expected=1.0, compare="le",
       tol_reason="deterministic bound; each step rounds by at most one ulp of |w| <= max|w_0|",
       evidence="simulation")
def mlp_box_entry(scale):
    r = runner.run_sim("lion_mlp", scale=scale)
    rounding = len(r["gap"]) * np.finfo(float).eps * float(r["w0_max"])
    return float(max(r["gap"].max(), 0.0) / rounding), \
        f"worst gap {r['gap'].max():.2g}; {r['frac_outside_at_init']:.0%} of weights start outside"



@claim("lion.toy_entry", paper="lion", reference="Fig. 1 (R3 phase 1)",
       statement="on the 2-D toy, ||x_t||_inf excess never exceeds (1 - eps lambda)^t excess_0",
       source="derived", expected=0.0, compare="le", tol=1e-12,
       tol_reason="deterministic bound; float64 rounding",
       evidence="simulation")
def toy_entry(scale):
    r = runner.run_sim("lion_toy", scale=scale)
    return float(np.max(r["excess"] - r["bound"]))


@claim("lion.toy_h_descent", paper="lion", reference="Fig. 1; Thm 4.1",
       statement="on the nonconvex 2-D toy (explicit Lion, eps' = eps/(1 - eps lambda)), every "
                 "step once H is finite obeys H_t+1 - H_t <= -eps' Delta_t + [f(x_t+1) - f(x_t) "
                 "- grad f(x_t).(x_t+1 - x_t)]: max violation",
       source="derived", expected=0.0, compare="le", tol=1e-12,
       tol_reason="exact inequality (Thm 4.1 with the exact smoothness remainder, convex K, "
                  "nonconvex f); float64 rounding of O(1) terms; a coefficient a off by 10 % "
                  "violates it by ~3e-3 (tests/test_lion_claims.py)",
       evidence="simulation")
def toy_h_descent(scale):
    r = runner.run_sim("lion_toy", scale=scale)
    gap = r["cert_gap"]
    finite = np.isfinite(gap)
    return float(np.max(gap[finite])), \
        f"{int(finite.sum())} steps checked; {int(np.all(np.isfinite(r['H']), axis=1).sum())}/" \
        f"{len(r['H'])} starts finite throughout"


@claim("lion.toy_endpoint", paper="lion", reference="Fig. 1",
       statement="constant-step Lion (eps = 0.01, 2000 steps) ends at the box minimiser of the "
                 "nonconvex toy, (1, -1), found independently by L-BFGS-B from an 11 x 11 grid of "
                 "starts: max |x_T - x*| over 4 starts",
       source="derived", expected=0.0, tol=1e-6, compare="abs",
       tol_reason="both constraints are active at x* (a corner), where x = (1 - eps lambda) x + "
                  "eps has the exact fixed point 1/lambda: the last iterate is exact up to the "
                  "geometric rate (note R5: 1.5e-7); the unconstrained minimiser or a box "
                  "twice as large would miss by > 0.5",
       evidence="independent")
def toy_endpoint(scale):
    r = runner.run_sim("lion_toy", scale=scale)
    return float(np.max(np.abs(r["x"][:, -1] - r["x_box_opt"]))), \
        f"{int(r['n_box_minimisers'])} box minimiser(s) found: {r['x_box_opt'][0].tolist()}"
