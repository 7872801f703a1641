"""Claim ledger: Kernel Density Estimators in Large Dimensions (Biroli & Mezard 2024).

Checks 1-12 of papers/kde.md section 6, plus the issue's robustness requirement.  Only the
paper's abstract could be read: the existence of the three regimes and the position of the
KL-optimal bandwidth are the paper's (``source="paper"``, qualitative); every number below was
derived in the reference note (``source="derived"``) and is never presented as the paper's.

Simulation claims compare with statistical tolerances: z-scores against k standard errors,
binomial tests, or the note's finite-d tolerances where the asymptote is approached at a known
O((ln d)/d) rate.  Identities that hold by construction (h_CLT = sqrt 2 h_G, the sympy
identities, h_KL < h_G) and checks whose two sides share one function (the Hill quantile
rule) are unit tests in tests/test_kde_theory.py and tests/test_kde_sims.py;
tests/test_kde_claims.py shows that the headline claims reject a wrong theory.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from paper_checks.ledger import claim, reference
from sims import runner
from theory import kde as theory
from theorylab.stats import loglog_slope

ROOT_TOL = "brentq/bisection roots are exact to ~1e-15; the note prints 5-6 decimals"


def _z(mean: float, se: float, target: float) -> float:
    return abs(mean - target) / se


def _d_index(res: dict, d: int) -> int:
    ds = list(np.asarray(res["d"]).tolist())
    if d not in ds:
        raise ValueError(f"sim result has no d = {d} (has {ds})")
    return ds.index(d)


def _ev(scale: str) -> dict:
    return runner.run_sim("kde_ev", scale=scale)


def _ev_column(res: dict, ratio: float) -> int:
    hs = res["h"][0]
    j = int(np.argmin(np.abs(hs - ratio * theory.h_G(0.5))))
    if abs(hs[j] / theory.h_G(0.5) - ratio) > 1e-9:
        raise ValueError(f"kde_ev has no bandwidth h = {ratio} h_G")
    return j


# ----------------------------------------------------------------------------- the paper's own


def _richardson(d1: float, v1: float, d2: float, v2: float) -> float:
    """Extrapolate v(d) = v_inf + c ln(d)/d from two dimensions (the note's finite-d rate)."""
    r = (math.log(d2) / d2) / (math.log(d1) / d1)
    return (v2 - r * v1) / (1 - r)


THREE_H = (0.8, 1.2)  # h / h_G(0.5) in the condensed and stable bands; the CLT point is h = 1


@claim("kde.three_regimes", paper="kde", reference="Abstract; note R4-R6",
       statement="three regimes (read in the abstract), seen in simulation: the growth rate "
                 "(1/d) ln(1/Y2) of N_eff (EV sampler, alpha = 0.5, median over datasets, "
                 "extrapolated from d = 400, 800 at the O(ln d/d) rate) at h = 0.8 h_G "
                 "(condensed), 1.2 h_G (stable), 1.0 (CLT) equals the three derived laws 0, "
                 "-2 kappa_stable, alpha - alpha_var",
       source="derived",
       expected=[0.0, theory.neff_exponent(0.5, 1.2 * theory.h_G(0.5)),
                 theory.neff_exponent(0.5, 1.0)],
       tol=0.003, compare="abs",
       tol_reason="extrapolation model: c ln(d)/d and c/d extrapolations differ by <= 1e-3; "
                  "dataset SE of the medians ~1e-4; the CLT law in the stable band (0.020 vs "
                  "0.044) or the stable law at h = 1 (0.194 vs 0.189) misses by more",
       evidence="simulation")
def three_regimes(scale):
    res = _ev(scale)
    ds = np.asarray(res["d"], float)
    i1, i2 = int(np.argsort(ds)[-2]), int(np.argmax(ds))
    cols = [_ev_column(res, r) for r in THREE_H] + [int(np.argmin(np.abs(res["h"][0] - 1.0)))]
    out = []
    for j in cols:
        v = [float(np.median(np.log(1 / res["Y2"][i, :, j])) / ds[i]) for i in (i1, i2)]
        out.append(_richardson(ds[i1], v[0], ds[i2], v[1]))
    return out, f"d = {int(ds[i1])}, {int(ds[i2])}"


@claim("kde.regime_examples", paper="kde", reference="Abstract; note R2/R3",
       statement="regime codes at alpha = 0.5 for h = 0.5, 0.8, 1.0 with the derived thresholds "
                 "h_G = 0.652, h_CLT = 0.922 (2 = condensed, 1 = stable, 0 = CLT)",
       source="derived", expected=[2, 1, 0], compare="equal",
       tol_reason="integer regime labels: exact",
       evidence="regression")
def regime_examples(scale):
    return theory.regime_code(0.5, np.array([0.5, 0.8, 1.0])).tolist()


@claim("kde.kl_optimum_not_clt", paper="kde", reference="Abstract",
       statement="the KL-optimal bandwidth lies in the new (non-CLT) regime: the simulated "
                 "forward-KL argmin (EV sampler, |x|^2 = d, alpha = 0.5, largest d) over h_CLT",
       source="paper", expected=1.0, compare="le", tol=0.0,
       tol_reason="the argmin (parabola on the h grid) has SE < 0.005 and lies ~0.3 h_CLT "
                  "below 1; a CLT-regime optimum (ratio >= 1) fails",
       evidence="simulation")
def kl_optimum_not_clt(scale):
    from sims.kde_ev import kl_argmins

    res = _ev(scale)
    am = kl_argmins(res)[-1]
    return float(am / theory.h_CLT(0.5)), (f"argmin {am:.4f} at d = {int(res['d'][-1])}; "
                                           f"h_G = {theory.h_G(0.5):.4f}, "
                                           f"h_CLT = {theory.h_CLT(0.5):.4f}")


reference("kde.paper_figures", paper="kde", reference="Figs. 1-4 (Sec. 6 anchor S6.F4)",
          statement="the paper's figure panels and numeric values",
          expected="unknown",
          reason="only the abstract of arXiv 2408.05807 could be read; the figures are "
                 "reproduced from the derived theory instead (figures/kde.py)")


# ----------------------------------------------------------------------------- 1-5 closed forms


@claim("kde.thresholds", paper="kde", reference="Sec. 6 check 1 (note R3)",
       statement="h_G(0.5), h_CLT(0.5), h_G(1), h_CLT(1) from 2 alpha = t^2 - t - ln t, "
                 "h_G^2 = t/(1-t)",
       source="derived", expected=[0.65215, 0.92227, 0.37211, 0.52624], tol=1e-4,
       compare="abs", tol_reason=ROOT_TOL + " (issue tolerance 1e-4)",
       evidence="regression")
def thresholds(scale):
    return [theory.h_G(0.5), theory.h_CLT(0.5), theory.h_G(1.0), theory.h_CLT(1.0)]


@claim("kde.ratio_sqrt2_hypercube", paper="kde", reference="Sec. 6 check 2 (note R2)",
       statement="for data uniform on {+-1}^d, mu = 2 at h^2 = 2 h_G^2 (independent root finds "
                 "of alpha = Sigma(mu; h), alpha = 0.3)",
       source="derived", expected=math.sqrt(2), tol=1e-6, compare="abs",
       tol_reason="central-difference derivative (rel. err ~1e-10) inside brentq (xtol 1e-12)",
       evidence="independent")
def ratio_hypercube(scale):
    from scipy import optimize

    mu_of = lambda h: theory.stable_index_general(0.3, h, theory.hypercube_phi)
    hg = optimize.brentq(lambda h: mu_of(h) - 1, 0.2, 3, xtol=1e-12)
    hc = optimize.brentq(lambda h: mu_of(h) - 2, 0.2, 5, xtol=1e-12)
    return hc / hg, f"hypercube h_G = {hg:.5f} (Gaussian {theory.h_G(0.3):.5f})"


@claim("kde.phase_boundaries", paper="kde", reference="Sec. 6 check 3 (note R3)",
       statement="explicit boundaries alpha_G(1), alpha_CLT(1)",
       source="derived", expected=[0.221574, 0.438195], tol=1e-6, compare="abs",
       tol_reason="closed forms in float64; the note prints 6 decimals (half-unit 5e-7)",
       evidence="regression")
def phase_boundaries(scale):
    return [theory.alpha_G(1.0), theory.alpha_CLT(1.0)]


@claim("kde.stable_index", paper="kde", reference="Sec. 6 check 4 (note R2)",
       statement="mu(alpha = 0.5, h = 0.8): the closed form h^2 / h_G^2 against an independent "
                 "root find of alpha = Sigma(mu; h) = mu phi'(mu) - phi(mu) on the Gaussian "
                 "annealed moment (brentq, central-difference derivative): |difference|",
       source="derived", expected=0.0, tol=1e-7, compare="abs",
       tol_reason="central difference (rel. step 1e-5: error ~1e-10) inside brentq (xtol "
                  "1e-14); a 10 % error in h_G moves mu by 0.3",
       evidence="independent")
def stable_index(scale):
    mu_root = theory.stable_index_general(0.5, 0.8, lambda k, h: theory.annealed_moment(k, h))
    mu = theory.stable_index(0.5, 0.8)
    return abs(mu_root - mu), f"mu = {mu:.6f} (root find {mu_root:.6f})"


@functools.lru_cache(maxsize=4)
def _hill_exact(d: int, k: int, n: int) -> tuple[float, float]:
    """Mean and SE of h_G_hat from 2e4 exact order-statistic samples (cached)."""
    from sims import kde_core

    ev = kde_core.ExtremeValueSampler(d, math.log(n), float(d), [1.0], K=k + 1)
    G = np.cumsum(np.random.default_rng(12345).exponential(size=(20000, k)), axis=1)
    exact = kde_core.hill_theta(np.interp(np.log(G) - math.log(n), ev.logF, ev.Dg)) ** -0.5
    return float(exact.mean()), float(exact.std() / math.sqrt(exact.size))


@claim("kde.hill_vs_exact_order_stats", paper="kde", reference="Sec. 6 check 4 (note R9)",
       statement="NN-spacing Hill estimate h_G_hat at d = 40, alpha = 0.4, k = 100 (direct "
                 "sampler, n = 8.9e6 per dataset) agrees with its exact finite-d mean from "
                 "exact order statistics (|z|), while the asymptote h_G(0.4) = 0.745 is ~18 SE "
                 "away",
       source="derived", expected=4.0, compare="le",
       tol_reason="z-score: |mean - exact| / SE <= 4 (SE over datasets ~0.01 at k = 100); the "
                  "exact mean uses 2e4 exact order-statistic samples (SE 3e-4)",
       evidence="simulation")
def hill_vs_exact(scale):
    res = runner.run_sim("kde_hill", scale=scale)
    hhat = res["theta"] ** -0.5
    d, k, n = int(res["d"]), int(res["k"]), int(res["n"])
    exact_mean, exact_se = _hill_exact(d, k, n)
    se = hhat.std(ddof=1) / math.sqrt(hhat.size)
    return (_z(hhat.mean(), math.hypot(se, exact_se), exact_mean),
            f"h_G_hat = {hhat.mean():.4f} +- {se:.4f} ({hhat.size} datasets); exact "
            f"{exact_mean:.4f}; asymptotic h_G {theory.h_G(0.4):.4f} "
            f"(z = {_z(hhat.mean(), se, theory.h_G(0.4)):.1f})")


@claim("kde.nn_scale_finite_d", paper="kde", reference="Sec. 6 check 5 (note R3)",
       statement="ncx2 quantile D*/d at F = 1/n, alpha = 0.5, d = 20, 40, 160, 640 (-> u_min "
                 "= 0.38743)",
       source="derived", expected=[0.4811, 0.4398, 0.4037, 0.3924], tol=1e-3, compare="abs",
       tol_reason="note's tolerance; log-CDF quadrature accurate to ~1e-8",
       evidence="regression")
def nn_scale(scale):
    return [theory.nn_quantile(d, theory.n_points(0.5, d)) for d in (20, 40, 160, 640)]


@claim("kde.nn_scale_mc", paper="kde", reference="Sec. 6 check 5",
       statement="direct sampler, d = 20, alpha = 0.5: P(min_i D_i <= D*) = 1 - (1 - 1/n)^n",
       source="derived", expected=4.0, compare="le",
       tol_reason="binomial z-score over datasets <= 4",
       evidence="simulation")
def nn_scale_mc(scale):
    res = runner.run_sim("kde_direct", scale=scale)
    i = _d_index(res, 20)
    d, n = int(res["d"][i]), int(res["n"][i])
    dstar = theory.nn_quantile(d, n) * d
    hits = res["dmin"][i] <= dstar
    p = 1 - (1 - 1 / n) ** n
    se = math.sqrt(p * (1 - p) / hits.size)
    return _z(hits.mean(), se, p), f"fraction {hits.mean():.4f} vs {p:.4f} ({hits.size} sets)"


# ----------------------------------------------------------------------------- 6-8 condensed


@claim("kde.participation_condensed", paper="kde", reference="Sec. 6 check 6 (note R6)",
       statement="E[Y2] at h = 0.8 h_G, alpha = 0.5 (EV sampler, d = 800) -> 1 - 0.64 = 0.36",
       source="derived", expected=0.36, tol=0.03, compare="abs",
       tol_reason="note's tolerance at d >= 400: finite-d excess ~0.01 + 3 SE (SE ~0.005)",
       evidence="simulation")
def participation(scale):
    res = _ev(scale)
    j = _ev_column(res, 0.8)
    y = res["Y2"][:, :, j]
    i = int(np.argmax(res["d"]))
    se = y[i].std(ddof=1) / math.sqrt(y.shape[1])
    return float(y[i].mean()), f"d = {int(res['d'][i])}, SE {se:.4f}"


@claim("kde.participation_monotone", paper="kde", reference="Sec. 6 check 6",
       statement="E[Y2] at h = 0.8 h_G approaches 1 - mu from above, monotonically in d "
                 "(d = 50..800, common random numbers)",
       source="derived", expected=True, compare="equal",
       tol_reason="boolean: all successive differences < 0 and the last value > 0.36",
       evidence="simulation")
def participation_monotone(scale):
    res = _ev(scale)
    y = res["Y2"][:, :, _ev_column(res, 0.8)].mean(axis=1)
    return bool(np.all(np.diff(y) < 0) and y[-1] > 0.36), f"E[Y2] = {np.round(y, 4).tolist()}"


@claim("kde.pd_top_weight", paper="kde", reference="Sec. 6 check 7 (note R6)",
       statement="PD(mu, 0) top weight E[p_max] at mu = 0.5, 0.8 (simulated Poisson points, "
                 "2e5 samples) against the integral formula",
       source="derived", expected=[0.6265, 0.3442], tol=2e-3, compare="abs",
       tol_reason="note's 2e-3 = 3.5 SE of a 2e5-sample mean (SE ~5.5e-4); formula to 1e-10",
       evidence="simulation")
def pd_top_weight(scale):
    res = runner.run_sim("kde_pd", scale=scale)
    mus = list(res["mu"])
    vals = [float(res["pmax"][mus.index(m)].mean()) for m in (0.5, 0.8)]
    return vals, f"closed form {np.round(theory.pd_mean_pmax([0.5, 0.8]), 5).tolist()}"


@claim("kde.pd_participation", paper="kde", reference="Sec. 6 check 6 (note R6)",
       statement="PD(mu, 0): simulated E[Y2] equals 1 - mu (max z-score over mu)",
       source="derived", expected=4.0, compare="le",
       tol_reason="z-score over 2e5 samples <= 4",
       evidence="simulation")
def pd_participation(scale):
    res = runner.run_sim("kde_pd", scale=scale)
    y = res["Y2"]
    z = np.abs(y.mean(axis=1) - (1 - res["mu"])) / (y.std(axis=1, ddof=1) / math.sqrt(y.shape[1]))
    return float(z.max()), f"E[Y2] = {np.round(y.mean(axis=1), 4).tolist()}"


@claim("kde.var_log_density", paper="kde", reference="Sec. 6 check 8 (note R6)",
       statement="Var(ln rho_hat | x) at mu = 0.36 (h = 0.6 h_G, EV sampler, d = 800) -> "
                 "(pi^2/6)(1/mu^2 - 1) = 11.05",
       source="derived", expected=theory.var_log_density(0.5, 0.6 * theory.h_G(0.5)),
       tol=0.15, compare="rel",
       tol_reason="note's +-15 %: sample variance of ln Z has ~5 % SE at 4000 datasets "
                  "(3 SE) and the finite-d mu_eff shifts it by ~+3 % at d = 800",
       evidence="simulation")
def var_log_density(scale):
    res = _ev(scale)
    i = int(np.argmax(res["d"]))
    return float(res["lnZ"][i, :, _ev_column(res, 0.6)].var(ddof=1)), \
        f"d = {int(res['d'][i])}, {res['lnZ'].shape[1]} datasets"


def _robust_sd(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """IQR / 1.349: a spread that rare datasets cannot dominate (note section 7 pitfall 6)."""
    q75, q25 = np.percentile(x, [75, 25], axis=axis)
    return (q75 - q25) / 1.349


@claim("kde.log_density_spread_vs_d", paper="kde", reference="Sec. 6 check 8 (note R4-R6)",
       statement="spread of ln rho_hat(x) over datasets (fixed |x|^2 = d, alpha = 0.5, direct "
                 "sampler, d = 12, 16, 20): shrinks with d at h = 1.0, 1.2 (> h_G,eff) and "
                 "stays O(1) (> 1) at h = 0.4 (condensed)",
       source="derived", expected=True, compare="equal",
       tol_reason="boolean on robust sd = IQR/1.349 (no sample variance above h_G: pitfall 6); "
                  "each robust sd has ~3 % SE at 1500 datasets, the d-steps change it by > 30 %",
       evidence="simulation")
def spread_vs_d(scale):
    res = runner.run_sim("kde_direct", scale=scale)
    hs = res["h"][0]
    sd = {h: _robust_sd(res["lnZ"][:, :, int(np.argmin(np.abs(hs - h)))]) for h in
          (0.4, 1.0, 1.2)}
    ok = bool(np.all(np.diff(sd[1.0]) < 0) and np.all(np.diff(sd[1.2]) < 0)
              and np.all(sd[0.4] > 1))
    return ok, "; ".join(f"h={h}: {np.round(v, 4).tolist()}" for h, v in sd.items()) + \
        f" (d = {res['d'].tolist()})"


# ----------------------------------------------------------------------------- 9 KL optimum


@claim("kde.h_KL", paper="kde", reference="Sec. 6 check 9 (note R7)",
       statement="forward-KL optimum h_KL(0.5) = sqrt(u_min) and KL_min/d",
       source="derived", expected=[0.62244, 0.025886], tol=1e-5, compare="abs",
       tol_reason=ROOT_TOL,
       evidence="regression")
def h_kl(scale):
    return [theory.h_KL(0.5), theory.kl_min_per_dim(0.5)], \
        f"h_KL < h_G = {theory.h_G(0.5):.5f}; reverse-KL optimum h_C = {theory.h_collapse(0.5):.4f}"


@claim("kde.kl_argmin_trend", paper="kde", reference="Sec. 6 check 9 (note R9 item 4)",
       statement="finite-d forward-KL argmin (EV sampler, |x|^2 = d, alpha = 0.5) decreases "
                 "with d = 50..800 towards h_KL = 0.6224 from above",
       source="derived", expected=True, compare="equal",
       tol_reason="boolean: monotone decrease and 0 < argmin(800) - h_KL < 0.02 (finite-d "
                  "excess ~0.01 at d = 800 per the note, plus parabola-on-grid error < 0.01)",
       evidence="simulation")
def kl_argmin_trend(scale):
    res = _ev(scale)
    from sims.kde_ev import kl_argmins

    am = kl_argmins(res)
    excess = am[-1] - theory.h_KL(0.5)
    ok = bool(np.all(np.diff(am) < 0) and 0 < excess < 0.02)
    return ok, f"argmin = {np.round(am, 4).tolist()} for d = {res['d'].tolist()}"


@functools.lru_cache(maxsize=8)
def _oracle_elnz(d: int, n: int, hs: tuple) -> np.ndarray:
    """E ln Z of the exact finite-(d, n) oracle at |x|^2 = d (cached: the claim and its
    wrong-theory test share it)."""
    return theory.finite_d_oracle(d, n, np.asarray(hs), float(d), n_D=3000, n_s=800)[1]


@claim("kde.kl_argmin_d20_real_data", paper="kde", reference="Sec. 6 check 9 (note R9 item 4)",
       statement="forward KL on real Gaussian data at d = 20, alpha = 0.5, |x|^2 = d (streamed "
                 "log-sum-exp): its argmin over h (parabola through the grid minimum) agrees "
                 "with the argmin of the exact finite-d oracle curve on the same grid (|z|)",
       source="derived", expected=4.0, compare="le",
       tol_reason="z-score with a bootstrap SE over datasets (~0.003; the same parabola rule on "
                  "both sides, so grid bias cancels); the asymptote h_KL = 0.622 is ~40 SE "
                  "away and h_G,eff(20) = 0.732 ~4 SE",
       evidence="simulation")
def kl_argmin_d20(scale):
    res = runner.run_sim("kde_stream", scale=scale)
    d, n, hs = int(res["d"]), int(res["n"]), np.asarray(res["h"], float)

    def curve(mean_lnz):  # fixed-|x| forward KL per dimension (the (d/2) ln 2 pi cancel)
        return (-0.5 * d + d * np.log(hs) + math.log(n) - mean_lnz) / d

    def argmin(kl):
        j = int(np.clip(np.argmin(kl), 1, hs.size - 2))
        c = np.polyfit(hs[j - 1:j + 2], kl[j - 1:j + 2], 2)
        return -c[1] / (2 * c[0])

    lnz = res["lnZ_fixed"].mean(axis=1)  # (datasets, h): cluster by dataset
    ours = argmin(curve(lnz.mean(axis=0)))
    rng = np.random.default_rng(0)
    boot = [argmin(curve(lnz[rng.integers(0, len(lnz), len(lnz))].mean(axis=0)))
            for _ in range(400)]
    pred = argmin(curve(_oracle_elnz(d, n, tuple(hs.tolist()))))
    se = float(np.std(boot, ddof=1))
    return _z(ours, se, pred), f"argmin {ours:.4f} +- {se:.4f} vs oracle {pred:.4f}"


# ----------------------------------------------------------------------------- 10 oracle


@claim("kde.oracle_vs_mc", paper="kde", reference="Sec. 6 check 10 (note R8)",
       statement="direct sampler at d = 20, alpha = 0.5, |x|^2 = 20, h = 0.6: E[Y2] and E ln Z "
                 "agree with the exact oracle (0.4048, -11.9756); max z-score",
       source="derived", expected=4.0, compare="le",
       tol_reason="z-scores over datasets <= 4 (the oracle is exact to 1e-5)",
       evidence="simulation")
def oracle_vs_mc(scale):
    res = runner.run_sim("kde_direct", scale=scale)
    i = _d_index(res, 20)
    d, n = int(res["d"][i]), int(res["n"][i])
    j = int(np.argmin(np.abs(res["h"][i] - 0.6)))
    ey2, elnz = theory.finite_d_oracle(d, n, 0.6, float(d), n_D=3000, n_s=800)
    y, l = res["Y2"][i, :, j], res["lnZ"][i, :, j]
    R = y.size
    zy = _z(y.mean(), y.std(ddof=1) / math.sqrt(R), ey2[0])
    zl = _z(l.mean(), l.std(ddof=1) / math.sqrt(R), elnz[0])
    return max(zy, zl), (f"E[Y2] {y.mean():.4f} vs {ey2[0]:.4f}; E lnZ {l.mean():.3f} vs "
                         f"{elnz[0]:.4f} ({R} datasets)")


@claim("kde.real_data_vs_oracle", paper="kde", reference="Sec. 6 check 10; note section 4",
       statement="real data matrices streamed with log-sum-exp (d = 20, fixed |x|^2 = d) give "
                 "the same E[Y2] as the exact oracle at h = 0.6, 0.75 (the D-sampling trick "
                 "holds); max z-score",
       source="derived", expected=4.0, compare="le",
       tol_reason="z-score <= 4 with SE clustered by dataset",
       evidence="simulation")
def real_data_vs_oracle(scale):
    res = runner.run_sim("kde_stream", scale=scale)
    d, n = int(res["d"]), int(res["n"])
    zs, notes = [], []
    for h in (0.6, 0.75):
        j = int(np.argmin(np.abs(res["h"] - h)))
        per_set = res["Y2_fixed"][:, :, j].mean(axis=1)  # cluster by dataset
        ey2, _ = theory.finite_d_oracle(d, n, h, float(d), n_D=3000, n_s=800)
        zs.append(_z(per_set.mean(), per_set.std(ddof=1) / math.sqrt(per_set.size), ey2[0]))
        notes.append(f"h={h}: {per_set.mean():.4f} vs {ey2[0]:.4f}")
    return max(zs), "; ".join(notes)


@claim("kde.real_data_scan_vs_oracle", paper="kde", reference="Sec. 6 check 10; note R9",
       statement="streamed real data at fixed n across d (quick: n = 2e4, d = 10/20/30; full: "
                 "n = 1e7, d = 10..60) at h = (0.7, 1, 1.4) h_G,eff(d): E[Y2] equals the exact "
                 "oracle; max z-score over (d, h)",
       source="derived", expected=4.0, compare="le",
       tol_reason="z-score <= 4 with SE clustered by dataset; 9 (quick) comparisons, so a "
                  "4-SE bound keeps the family-wise false-alarm rate below 1e-3",
       evidence="simulation")
def real_data_scan_vs_oracle(scale):
    res = runner.run_sim("kde_scan", scale=scale)
    zs, notes = [], []
    for i, d in enumerate(res["d"]):
        d, n = int(d), int(res["n"][i])
        ey2, _ = theory.finite_d_oracle(d, n, res["h"][i], float(d), n_D=3000, n_s=800)
        per_set = res["Y2"][i].mean(axis=1)  # (datasets, h): cluster by dataset
        se = per_set.std(axis=0, ddof=1) / math.sqrt(per_set.shape[0])
        z = np.abs(per_set.mean(axis=0) - ey2) / se
        zs.append(z.max())
        notes.append(f"d={d}: {np.round(per_set.mean(axis=0), 3).tolist()} vs "
                     f"{np.round(ey2, 3).tolist()}")
    return float(max(zs)), "; ".join(notes)


# ----------------------------------------------------------------------------- 11-12 exponents


@claim("kde.criticality", paper="kde", reference="Sec. 6 check 11 (note R6)",
       statement="at h = h_G, E[Y2] ~ d^{-1/2}: log-log slope over d = 50..800",
       source="derived", expected=(-0.65, -0.35), compare="range",
       tol_reason="note's +-20 % on E[Y2] d^{1/2} over a factor 16 in d is +-ln(1.5)/ln(16) "
                  "= +-0.15 on the slope",
       evidence="simulation")
def criticality(scale):
    res = _ev(scale)
    y = res["Y2"][:, :, _ev_column(res, 1.0)].mean(axis=1)
    slope = loglog_slope(res["d"], y)
    return slope, f"E[Y2] sqrt(d) = {np.round(y * np.sqrt(res['d']), 3).tolist()}"


@claim("kde.neff_clt", paper="kde", reference="Sec. 6 check 12 (note R4)",
       statement="CLT regime (alpha = 0.5, h = 1.0): (1/d) ln(1/Y2) -> alpha - alpha_var(h) = "
                 "0.1895 (EV sampler, median over datasets, d = 400)",
       source="derived", expected=theory.neff_exponent(0.5, 1.0), tol=0.005, compare="abs",
       tol_reason="note's tolerance 0.005: the finite-d correction is O(1/d) (0.0019 at d = "
                  "100, < 5e-4 at d = 400 in the note) and the dataset spread of ln(1/Y2)/d "
                  "is ~1e-4",
       evidence="simulation")
def neff_clt(scale):
    res = _ev(scale)
    j = int(np.argmin(np.abs(res["h"][0] - 1.0)))
    i = int(np.argmin(np.abs(res["d"] - 400)))
    d = float(res["d"][i])
    return float(np.median(np.log(1 / res["Y2"][i, :, j])) / d), f"d = {int(d)}"


# ----------------------------------------------------------------------------- robustness


@claim("kde.regime_map_finite", paper="kde", reference="issue acceptance",
       statement="no -inf/NaN in the regime map (mu, thresholds, KL, log-density, N_eff, Var ln "
                 "rho_hat) for alpha, h in [0.05, 3] (200 x 200 grid)",
       source="derived", expected=0, compare="equal", tol_reason="count of non-finite values",
       evidence="exact")
def regime_map_finite(scale):
    a, h = np.meshgrid(np.linspace(0.05, 3, 200), np.geomspace(0.05, 3, 200))
    vals = [theory.stable_index(a, h), theory.kl_per_dim(a, h), theory.log_density_per_dim(a, h),
            theory.neff_exponent(a, h), theory.var_log_density(a, h), theory.alpha_G(h),
            theory.alpha_CLT(h), theory.h_G(a), theory.h_CLT(a), theory.h_KL(a)]
    return int(sum(np.count_nonzero(~np.isfinite(v)) for v in vals))
