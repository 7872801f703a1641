"""Claim ledger: likelihood adjusted SDPs for clustering (Zhuang, Chen, Yang 2023).

Checks 1-13 of papers/ila_sdp.md section 6, with the note's Errata applied.  Only the
abstract of the paper could be read for the note: no number below is printed in the paper.
The cutoff is Chen & Yang's formula as the note reads it; every other expected value is
derived or measured in the note, hence ``source="derived"``.  Recovery claims count
*certified* exact recoveries (a dual certificate proves Z* is the unique optimum: a lower
bound on the exact-recovery rate) and *beaten* replicates (a feasible point better than Z*
was found: a proof that the SDP is not exact).
"""

from __future__ import annotations

import numpy as np

from paper_checks.ledger import claim, reference
from sims import runner


def _at(res: dict, key: str, axis_values, value) -> np.ndarray:
    return np.asarray(res[key])[list(np.round(axis_values, 6)).index(round(value, 6))]


def _crossing(x, y, level=0.5) -> float:
    """First x where the (monotone-ish) curve y crosses ``level`` upwards (linear interp.)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    for i in range(1, len(x)):
        if y[i - 1] < level <= y[i]:
            return float(x[i - 1] + (level - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1]))
    return float("nan")


# --------------------------------------------------------------------------- cutoff (1-2)


@claim("clustering.cutoff_values", paper="clustering", reference="Sec. 2.3 / checks 1-2",
       statement="Chen-Yang cutoff Delta_bar^2 at (n,p,K) = (60,5,3), (100,400,2), (200,5,4)",
       source="derived", evidence="regression", expected=[33.2473, 48.8966, 42.5856],
       tol=1e-4, compare="abs",
       tol_reason="the note's values are rounded to 4 decimals")
def cutoff_values(scale):
    from theory.clustering import chen_yang_threshold

    return [chen_yang_threshold(60, 5, 3), chen_yang_threshold(100, 400, 2),
            chen_yang_threshold(200, 5, 4)]


# --------------------------------------------------------------------------- Peng-Wei (3-5)


@claim("clustering.pw_exact_above", paper="clustering", reference="Sec. 3.1 / check 3",
       statement="at Delta^2 = 2 Delta_bar^2 (n=60, p=5, K=3) the SDP returns Z* "
                 "(certified fraction of replicates)",
       source="derived", evidence="simulation", expected=0.9, compare="ge",
       tol_reason="note: 20/20 exact at ratio 2; >= 0.9 allows one miss in 12 (binomial)")
def pw_exact_above(scale):
    res = runner.run_sim("clustering_transition", scale=scale)
    c = _at(res, "certified", res["ratio"], 2.0)[0]
    return float(np.mean(c)), f"{int(c.sum())}/{c.size} certified exact"


@claim("clustering.pw_fails_below", paper="clustering", reference="Sec. 3.1 / check 4",
       statement="at Delta^2 = 0.5 Delta_bar^2 a feasible point beats Z* (SDP not exact)",
       source="derived", evidence="simulation", expected=0.9, compare="ge",
       tol_reason="note: 0/20 exact up to ratio 0.7 (Errata 4: assert failure only at <= 0.5);"
                  " >= 0.9 allows one undecided replicate in 12")
def pw_fails_below(scale):
    res = runner.run_sim("clustering_transition", scale=scale)
    b = _at(res, "beaten", res["ratio"], 0.5)[0]
    return float(np.mean(b)), f"{int(b.sum())}/{b.size} proven not exact"


@claim("clustering.pw_transition", paper="clustering", reference="Sec. 3.1 / check 4",
       statement="the 50 % point of exact recovery lies in [0.8, 1.3] x Delta_bar^2 "
                 "(lower bound: certified curve; upper bound: 1 - beaten curve)",
       source="derived", evidence="simulation", expected=(0.8, 1.3), compare="range",
       tol_reason="note table A: 10/20 at ratio 1.0, 10 %-90 % window 0.8-1.5 at n = 60")
def pw_transition(scale):
    res = runner.run_sim("clustering_transition", scale=scale)
    x = res["ratio"]
    lo = _crossing(x, np.mean(res["certified"][:, 0], -1))
    hi = _crossing(x, 1 - np.mean(res["beaten"][:, 0], -1))
    return [hi, lo], "crossing of the upper and the lower bound curves"


@claim("clustering.highdim_fails_at_0.8", paper="clustering", reference="Sec. 3.1 / check 5",
       statement="n=100, p=400, K=2: at Delta^2 = 0.8 Delta_bar^2 = 39.1 (> 8 log n = 36.8) "
                 "exact recovery fails (proven for most replicates)",
       source="derived", evidence="simulation", expected=0.8, compare="ge",
       tol_reason="note: 0/10 exact at 39.1; check 5 allows <= 2/10 exact")
def highdim_fails(scale):
    res = runner.run_sim("clustering_highdim", scale=scale)
    b = _at(res, "beaten", res["ratio"], 0.8)[0]
    return float(np.mean(b)), f"{int(b.sum())}/{b.size} proven not exact"


@claim("clustering.highdim_exact_at_1.5", paper="clustering", reference="Sec. 3.1 / check 5",
       statement="n=100, p=400, K=2: at 1.5 Delta_bar^2 the SDP is exact (certified)",
       source="derived", evidence="simulation", expected=0.8, compare="ge",
       tol_reason="note: 9/10 exact; check 5's bound >= 8/10")
def highdim_exact(scale):
    res = runner.run_sim("clustering_highdim", scale=scale)
    c = _at(res, "certified", res["ratio"], 1.5)[0]
    return float(np.mean(c)), f"{int(c.sum())}/{c.size} certified exact"


# --------------------------------------------------------------------------- LA-SDP (6-8)


@claim("clustering.la_identity", paper="clustering", reference="Sec. 2.5 / check 6",
       statement="sum_k <C_k, Z_k*> = -2 x profile classification log-likelihood "
                 "(scipy.stats log-densities at the cluster means) - n p log(2 pi)",
       source="derived", evidence="independent", expected=0.0, tol=1e-10, compare="abs",
       tol_reason="float64 round-off of sums of ~1e3 terms (relative difference reported)")
def la_identity(scale):
    from scipy.stats import multivariate_normal

    from theory import clustering as C

    rng = np.random.default_rng(0)
    K, p, nk = 3, 4, 10
    covs = []
    for _ in range(K):
        G = rng.standard_normal((p, p))
        covs.append(G @ G.T / p + 0.5 * np.eye(p))
    covs = np.array(covs)
    X, lab = C.gaussian_mixture(3 * rng.standard_normal((K, p)), covs, [nk] * K, rng)
    w = np.array([0.2, 0.3, 0.5])
    lhs = float(np.sum(C.la_sdp_costs(X, covs, w) * C.group_membership_matrices(lab)))
    ll = sum(multivariate_normal(X[lab == k].mean(0), covs[k]).logpdf(X[lab == k]).sum()
             + nk * np.log(w[k]) for k in range(K))
    rhs = -2 * ll - X.size * np.log(2 * np.pi)
    return abs(lhs - rhs) / abs(rhs)


@claim("clustering.homogeneous_reduction", paper="clustering",
       reference="Abstract ('reduces to K-means SDP'); Sec. 2.5 / check 7 with Errata 1",
       statement="Sigma_k = I, pi = 1/K, below the cutoff (ratio 0.4): LA-SDP optimum (our "
                 "ADMM) = tr A - <A, Z_PW> + 2 n log K with Z_PW from cvxpy+SCS; "
                 "max |sum_k Z_k - Z_PW|",
       source="derived", evidence="independent", expected=[0.0, 0.0], tol=1e-4,
       compare="abs",
       tol_reason="ADMM at residual 1e-8 and SCS at eps 1e-9 agree to ~1e-6 in value; "
                  "the non-integral Z is determined to ~1e-5 (note: 7e-7 at n = 60)")
def homogeneous_reduction(scale):
    from theory import clustering as C

    n = 24 if scale == "quick" else 60
    d2 = 0.4 * C.chen_yang_threshold(n, 5, 3)
    X, _ = C.gaussian_mixture(C.simplex_centres(3, 5, d2), np.eye(5), [n // 3] * 3, 4)
    X = X - X.mean(0)
    Z, val, _ = C.la_sdp_admm(C.la_sdp_costs(X, np.array([np.eye(5)] * 3)), tol=1e-8)
    Zpw, vpw = C.kmeans_sdp_cvxpy(X, 3, eps=1e-9)
    pred = np.sum(X**2) - vpw + 2 * n * np.log(3)
    return [abs(val - pred) / abs(pred), float(np.max(np.abs(Z.sum(0) - Zpw)))]


@claim("clustering.ila_monotone", paper="clustering", reference="Sec. 2.6b / check 8",
       statement="F(Z, Sigma, pi) never increases along lifted iLA-SDP (largest relative "
                 "rise over the runs of clustering_methods and clustering_em_trap)",
       source="derived", evidence="simulation", expected=1e-5, compare="le",
       tol_reason="Errata 3: an SDP step solved to 1e-6..1e-7 moves F by up to ~1e-5 "
                  "relative")
def ila_monotone(scale):
    a = runner.run_sim("clustering_methods", scale=scale)["ila_F_max_rise"]
    b = runner.run_sim("clustering_em_trap", scale=scale)["ila_F_max_rise"]
    return float(max(np.max(a), np.max(b)))


# --------------------------------------------------------------------------- oracle (9, 12)


@claim("clustering.la_exact_far", paper="clustering", reference="Sec. 3.3(i) / check 9",
       statement="LA-SDP with the true Sigma (I, 2I) is exact at mu_2 = 8 e_1",
       source="derived", evidence="simulation", expected=0.75, compare="ge",
       tol_reason="note 19/20 at n=60; quick n=40, 8 reps: P(Bin(8, .95) < 6) = 0.6 %")
def la_exact_far(scale):
    res = runner.run_sim("clustering_la_oracle", scale=scale)
    e = _at(res, "la_exact", res["delta"], 8.0)
    return float(np.mean(e)), f"{int(e.sum())}/{e.size} exact"


@claim("clustering.la_fails_near", paper="clustering", reference="Sec. 3.3(i) / check 9",
       statement="LA-SDP with the true Sigma is not exact at mu_2 = 4 e_1 (oracle QDA "
                 "also errs)", source="derived", evidence="simulation", expected=0.0,
       compare="le", tol_reason="note 0/20 exact (and QDA perfect 0/20) at delta = 4")
def la_fails_near(scale):
    res = runner.run_sim("clustering_la_oracle", scale=scale)
    e = _at(res, "la_exact", res["delta"], 4.0)
    return float(np.mean(e)), f"{int(e.sum())}/{e.size} exact"


@claim("clustering.la_within_oracle", paper="clustering", reference="Sec. 3.3(i) / check 9",
       statement="no replicate has LA-SDP exact while the oracle QDA errs",
       source="derived", evidence="simulation", expected=0, compare="equal",
       tol_reason="count; note observed 0 over 100 replicates")
def la_within_oracle(scale):
    res = runner.run_sim("clustering_la_oracle", scale=scale)
    return int(np.sum((res["la_exact"] == 1) & (res["qda_error"] > 0)))


@claim("clustering.equal_means_la", paper="clustering", reference="Sec. 3.3(ii) / check 12",
       statement="equal means, Sigma_2 = 4 Sigma_1: LA-SDP (true Sigma) is exact",
       source="derived", evidence="simulation", expected=0.8, compare="ge",
       tol_reason="note 5/5 exact; check 12 asks >= 4/5")
def equal_means_la(scale):
    e = runner.run_sim("clustering_equal_means", scale=scale)["la_exact"]
    return float(np.mean(e)), f"{int(e.sum())}/{e.size} exact"


@claim("clustering.equal_means_sdp", paper="clustering", reference="Sec. 3.3(ii) / check 12",
       statement="equal means: the Peng-Wei SDP cannot see the covariance difference "
                 "(mean error)", source="derived", evidence="simulation", expected=0.3,
       compare="ge", tol_reason="note: 0.41 (chance level ~0.4-0.5); Errata 4: on the mean")
def equal_means_sdp(scale):
    return float(np.mean(runner.run_sim("clustering_equal_means", scale=scale)["sdp_error"]))


# --------------------------------------------------------------------------- EM (10, 11)


@claim("clustering.em_trapped", paper="clustering", reference="Abstract (EM's bad local "
       "maxima); Sec. 3.5 / check 10", statement="EM from Forgy starts is trapped (error > "
       "0.1) in a fraction of starts on the two-close-one-far layout",
       source="derived", evidence="simulation", expected=(0.15, 0.5), compare="range",
       tol_reason="note measured 30-39 % over 5 datasets; 100 starts give a s.e. of ~0.05")
def em_trapped(scale):
    return float(np.mean(runner.run_sim("clustering_em_trap", scale=scale)["em_trapped"]))


@claim("clustering.ila_not_trapped", paper="clustering", reference="Abstract ('less "
       "sensitive than EM to initialization'); Sec. 3.5 / check 10",
       statement="iLA-SDP from label-free starts (SDP, random labels) recovers the layout "
                 "exactly (max error over runs)", source="derived", evidence="simulation",
       expected=0.0, compare="le", tol_reason="note: 15/15 runs exact")
def ila_not_trapped(scale):
    return float(np.max(runner.run_sim("clustering_em_trap", scale=scale)["ila_error"]))


@claim("clustering.heterogeneity_ila_vs_oracle", paper="clustering",
       reference="Abstract ('lower mis-clustering errors'); table E / check 11",
       statement="non-isotropic model at scale 1: iLA-SDP error <= oracle QDA error + 0.02",
       source="derived", evidence="simulation", expected=0.02, compare="le",
       tol_reason="check 11's margin; note table E: iLA = oracle on both models")
def heterogeneity_ila(scale):
    res = runner.run_sim("clustering_methods", scale=scale)
    from sims.clustering_methods import METHODS

    e = _at(res, "error", res["scale"], 1.0)
    gap = e[:, METHODS.index("ila")] - e[:, METHODS.index("qda")]
    return float(np.mean(gap)), "mean over datasets of err(iLA) - err(QDA)"


@claim("clustering.heterogeneity_sdp_fails", paper="clustering",
       reference="table E / check 11",
       statement="non-isotropic model at scale 1: the Peng-Wei SDP error is large",
       source="derived", evidence="simulation", expected=0.15, compare="ge",
       tol_reason="check 11's bound; note: 0.43 (elong), 0.26 (mixed)")
def heterogeneity_sdp(scale):
    res = runner.run_sim("clustering_methods", scale=scale)
    from sims.clustering_methods import METHODS

    return float(np.mean(_at(res, "error", res["scale"], 1.0)[:, METHODS.index("sdp")]))


# --------------------------------------------------------------------------- solver (13)


@claim("clustering.bm_matches_cvxpy", paper="clustering", reference="Sec. 8 / check 13",
       statement="Burer-Monteiro optimum equals the cvxpy+SCS optimum (relative objective "
                 "difference, largest over n)", source="derived",
       evidence="independent", expected=0.0, tol=1e-5, compare="abs",
       tol_reason="SCS at eps 1e-7 is accurate to ~1e-7..1e-6 relative; a certified value is "
                  "exact, an uncertified one carries the BM row-sum residual 1e-5")
def bm_matches_cvxpy(scale):
    res = runner.run_sim("clustering_runtime", scale=scale)
    ok = np.isfinite(res["objective_rel_diff"])
    return (float(np.max(res["objective_rel_diff"][ok])),
            f"{int(res['certified'][ok].sum())}/{int(ok.sum())} certified")


@claim("clustering.bm_speedup", paper="clustering", reference="Sec. 8 / check 13",
       statement="the certified Burer-Monteiro solver is faster than cvxpy+SCS at the "
                 "largest n both ran (time ratio)", source="derived", evidence="simulation",
       expected=5.0, compare="ge",
       tol_reason="note table F: ~4x at n = 200, 19x at 400; our solver starts from "
                  "K-means; timings on a shared machine vary 2-5x, hence the low bar; the "
                  "benchmark reports the n = 500 ratio")
def bm_speedup(scale):
    res = runner.run_sim("clustering_runtime", scale=scale)
    ok = np.isfinite(res["seconds_cvxpy"])
    i = np.flatnonzero(ok)[-1]
    return float(res["seconds_cvxpy"][i] / res["seconds_bm"][i]), f"n = {res['n'][i]}"


reference("clustering.paper_tables", paper="clustering",
          reference="arXiv 2209.15097 figures and tables",
          statement="the paper's own mis-clustering errors and run times",
          expected=None,
          reason="only the abstract of the paper could be read for the reference note; no "
                 "table or figure value is available to compare against")
