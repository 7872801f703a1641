"""Figures of the KDE module (Biroli & Mezard 2024).

The paper's own figures could not be read; these are reproductions of the derived theory of
papers/kde.md (F1, F3, F4, finite-d shifts and the KL curve), with simulations overlaid.
"""

from __future__ import annotations

import math

import numpy as np

from figures import style
from figures.registry import figure
from sims import kde_ev
from theory import kde as theory

REGIME_COLORS = {"clt": "#d9ead3", "stable": "#fff2cc", "condensed": "#f4cccc"}


@figure("kde_phase_diagram", paper="kde", sims=())
def kde_phase_diagram():
    """Phase diagram in (alpha, h): CLT, alpha-stable and condensed regimes; KL optima."""
    fig, axes = style.subplots(1, 1)
    fig.set_size_inches(style.WIDTH * 1.6, style.HEIGHT * 1.3)
    ax = axes[0, 0]
    a = np.linspace(0.02, 2.0, 400)
    hg, hc = theory.h_G(a), theory.h_CLT(a)
    top, bottom = 3.0, 0.05
    ax.fill_between(a, bottom, hg, color=REGIME_COLORS["condensed"], lw=0)
    ax.fill_between(a, hg, hc, color=REGIME_COLORS["stable"], lw=0)
    ax.fill_between(a, hc, top, color=REGIME_COLORS["clt"], lw=0)
    ax.plot(a, hc, "-", color="#38761d", lw=1.5, label=r"$h_{CLT}=\sqrt{2}\,h_G$")
    ax.plot(a, hg, "-", color="#990000", lw=1.5, label=r"$h_G$ (condensation)")
    ax.plot(a, theory.h_KL(a), "k--", lw=1.2, label=r"$h_{KL}=\sqrt{u_{min}}$ (forward KL)")
    ax.plot(a, np.minimum(1, theory.h_collapse(a)), ":", color="#1f4e79", lw=1.2,
            label=r"$\min(1,h_C)$ (reverse KL)")
    ax.plot(a, np.exp(-a), "-.", color="0.4", lw=0.9, label=r"Scott/Silverman $e^{-\alpha}$")
    ax.set_yscale("log")
    ax.set(xlim=(a[0], a[-1]), ylim=(bottom, top), xlabel=r"$\alpha = \ln n / d$",
           ylabel="bandwidth $h$ (data scale 1)",
           title="KDE regimes, Gaussian data, $d\\to\\infty$ (derived)")
    ax.text(1.5, 1.2, "CLT", ha="center")
    ax.text(0.95, 0.52, r"$\alpha$-stable", ha="center", fontsize=7, rotation=-18)
    ax.text(1.6, 0.07, "condensed\n(few points)", ha="center", fontsize=8)
    ax.legend(loc="lower left", fontsize=6.5)
    return fig


def _ratio_columns(ev: dict) -> tuple[np.ndarray, np.ndarray]:
    ratios = ev["h"][0] / theory.h_G(0.5)
    keep = ratios < 1.5  # the absolute h_abs columns (CLT) are shown elsewhere
    return ratios, keep


@figure("kde_participation", paper="kde", sims=("kde_ev",))
def kde_participation(ev: dict):
    """E[Y2], E[p_max] and Var ln rho-hat vs h/h_G across d (EV sampler) against the asymptote."""
    fig, axes = style.subplots(1, 3)
    ratios, keep = _ratio_columns(ev)
    order = np.argsort(ratios[keep])
    r = ratios[keep][order]
    fine = np.linspace(0.3, 1.3, 300)
    mu = np.minimum(fine**2, 0.999)
    cond = fine < 1
    axes[0, 0].plot(fine, np.where(cond, 1 - fine**2, 0), "k-", lw=1.5, label="$1-\\mu$")
    axes[0, 1].plot(fine[cond], theory.pd_mean_pmax(mu[cond]), "k-", lw=1.5, label="PD($\\mu$)")
    axes[0, 1].plot(fine[~cond], 0 * fine[~cond], "k-", lw=1.5)
    vcurve = np.pi**2 / 6 * (1 / np.maximum(mu, 1e-9) ** 2 - 1)
    axes[0, 2].plot(fine[cond], vcurve[cond], "k-", lw=1.5,
                    label=r"$\frac{\pi^2}{6}(\mu^{-2}-1)$")
    for i, d in enumerate(ev["d"]):
        c = style.COLORS[i % len(style.COLORS)]
        y2 = ev["Y2"][i][:, keep][:, order]
        pm = ev["pmax"][i][:, keep][:, order]
        lz = ev["lnZ"][i][:, keep][:, order]
        R = y2.shape[0]
        axes[0, 0].errorbar(r, y2.mean(0), 2 * y2.std(0) / math.sqrt(R), fmt="o-", ms=3,
                            color=c, lw=0.8, label=f"d = {int(d)}")
        axes[0, 1].plot(r, pm.mean(0), "o-", ms=3, color=c, lw=0.8)
        axes[0, 2].plot(r, lz.var(0, ddof=1), "o-", ms=3, color=c, lw=0.8)
    axes[0, 0].set(xlabel="$h/h_G$", ylabel="$E[Y_2]$", title="participation ratio")
    axes[0, 1].set(xlabel="$h/h_G$", ylabel="$E[p_{max}]$", title="top-point weight")
    axes[0, 2].set(xlabel="$h/h_G$", ylabel=r"Var ln $\hat\rho(x)$ | x", yscale="log",
                   ylim=(1e-3, 60), title="log-density spread")
    axes[0, 0].legend(fontsize=6)
    axes[0, 1].legend(fontsize=6)
    axes[0, 2].legend(fontsize=6)
    fig.suptitle(r"Condensed phase, $\alpha=0.5$: extreme-value sampler vs Poisson-Dirichlet "
                 "(derived)", fontsize=9)
    return fig


@figure("kde_log_density_hist", paper="kde", sims=("kde_direct",))
def kde_log_density_hist(direct: dict):
    """Histograms of ln rho-hat(x) - ln E rho-hat(x) over datasets at fixed |x|^2 = d."""
    i = int(np.argmax(direct["d"]))
    d, n = int(direct["d"][i]), int(direct["n"][i])
    hs = direct["h"][i]
    hg_eff = theory.h_G_eff(d, 0.5)
    ncols = min(4, len(hs))
    nrows = -(-len(hs) // ncols)
    fig, axes = style.subplots(nrows, ncols)
    for ax in axes.flat[len(hs):]:
        ax.set_visible(False)
    for j, h in enumerate(hs):
        ax = axes.flat[j]
        # ln E[w] at |x|^2 = d (exact Gaussian integral, note R1)
        ln_ew = d * theory.annealed_moment(1.0, h, 1.0)
        x = direct["lnZ"][i, :, j] - math.log(n) - ln_ew
        mu = (h / hg_eff) ** 2
        name = "CLT" if mu > 2 else ("stable" if mu > 1 else "condensed")
        ax.hist(x, bins=50, density=True, color=REGIME_COLORS[name if name != "CLT" else "clt"],
                edgecolor="0.3", lw=0.3)
        med = np.median(x)
        q25, q75 = np.percentile(x, [25, 75])
        ax.axvline(med, color="k", lw=0.8)
        ax.set(title=f"h = {h:.2f} ({name})\n$\\mu_{{eff}}$ = {mu:.2f}, IQR {q75 - q25:.2f}",
               xlabel=r"$\ln\hat\rho - \ln E\hat\rho$")
    for ax in axes[:, 0]:
        ax.set_ylabel("density")
    fig.suptitle(f"d = {d}, n = {n} (alpha = 0.5), |x|^2 = d, {direct['lnZ'].shape[1]} "
                 f"datasets; regimes from h_G,eff = {hg_eff:.3f}", fontsize=9)
    return fig


def _d_ticks(ax, ds) -> None:
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    ax.xaxis.set_major_locator(FixedLocator([float(d) for d in ds]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(ScalarFormatter())


@figure("kde_finite_d_shift", paper="kde", sims=("kde_ev",))
def kde_finite_d_shift(ev: dict):
    """Finite-d shift of the effective h_G, the KL argmin and the critical E[Y2] ~ d^-1/2."""
    fig, axes = style.subplots(1, 3)
    ds = np.array([10, 14, 20, 28, 40, 57, 80, 113, 160, 226, 320, 453, 640])
    hg = theory.h_G(0.5)
    eff = np.array([theory.h_G_eff(int(d), 0.5) for d in ds])
    ax = axes[0, 0]
    ax.plot(ds, eff, "o-", ms=3, label=r"$h_{G,eff}(d)$ (ncx2 edge slope)")
    ax.plot(ds, hg * (1 + 0.8 * np.log(ds) / ds), "--", color="0.4",
            label=r"$h_G(1 + 0.8\,\ln d / d)$")
    ax.axhline(hg, color="k", lw=0.8, label=f"$h_G$ = {hg:.4f}")
    ax.set(xscale="log", xlabel="d", ylabel="bandwidth", title=r"effective $h_G$, $\alpha$=0.5")
    ax.legend(fontsize=6)
    am = kde_ev.kl_argmins(ev)
    ax = axes[0, 1]
    ax.plot(ev["d"], am, "o-", ms=3, label="KL argmin (EV sampler)")
    ax.axhline(theory.h_KL(0.5), color="k", lw=0.8, label=f"$h_{{KL}}$ = {theory.h_KL(0.5):.4f}")
    ax.axhline(hg, color="#990000", lw=0.8, ls=":", label="$h_G$")
    ax.set(xscale="log", xlabel="d", ylabel="h", title="forward-KL optimum vs d")
    _d_ticks(ax, ev["d"])
    ax.legend(fontsize=6)
    ratios = ev["h"][0] / hg
    j = int(np.argmin(np.abs(ratios - 1)))
    y = ev["Y2"][:, :, j].mean(axis=1)
    ax = axes[0, 2]
    ax.loglog(ev["d"], y, "o-", ms=3, label="$E[Y_2]$ at $h=h_G$")
    ax.loglog(ev["d"], y[0] * np.sqrt(ev["d"][0] / ev["d"]), "k--", lw=0.8, label="$d^{-1/2}$")
    ax.set(xlabel="d", title="criticality at $h_G$")
    _d_ticks(ax, ev["d"])
    ax.legend(fontsize=6)
    return fig


@figure("kde_kl_curve", paper="kde", sims=("kde_stream", "kde_ev"))
def kde_kl_curve(stream: dict, ev: dict):
    """Forward KL per dimension vs h: asymptote (two branches) and simulations at d = 20..800."""
    fig, axes = style.subplots(1, 1)
    fig.set_size_inches(style.WIDTH * 1.5, style.HEIGHT * 1.2)
    ax = axes[0, 0]
    h = np.linspace(0.35, 1.3, 400)
    ax.plot(h, theory.kl_per_dim(0.5, h), "k-", lw=1.5, label=r"$d\to\infty$ (derived)")
    d = float(stream["d"])
    kl = (stream["log_rho_gauss"][..., None] - stream["log_density_gauss"]).mean(axis=(0, 1)) / d
    ax.plot(stream["h"], kl, "s-", ms=3, label=f"real data, d = {int(d)}, x ~ N(0, I)")
    hs, kl_ev = kde_ev.kl_per_dim_curves(ev)
    for i, dd in enumerate(ev["d"]):
        ax.plot(hs, kl_ev[i], "o-", ms=2.5, lw=0.8, label=f"EV sampler, d = {int(dd)}, |x|$^2$=d")
    for name, val, ls in (("$h_{KL}$", theory.h_KL(0.5), "--"), ("$h_G$", theory.h_G(0.5), ":"),
                          ("$h_{CLT}$", theory.h_CLT(0.5), "-.")):
        ax.axvline(val, color="0.3", lw=0.8, ls=ls)
        ax.text(val, 0.003, name, rotation=90, va="bottom", ha="right", fontsize=7)
    ax.set(xlabel="h", ylabel="KL / d", ylim=(0, 0.2), title=r"forward KL, $\alpha = 0.5$")
    ax.legend(fontsize=6)
    return fig


@figure("kde_tail_index", paper="kde", sims=("kde_direct",))
def kde_tail_index(direct: dict):
    """Tail index mu_hat(h) = h^2 theta_hat from nearest-neighbour spacings (Hill, k = 20)."""
    fig, axes = style.subplots(1, 1)
    fig.set_size_inches(style.WIDTH * 1.4, style.HEIGHT * 1.2)
    ax = axes[0, 0]
    h = np.linspace(0.3, 1.3, 200)
    for i, d in enumerate(direct["d"]):
        c = style.COLORS[i % len(style.COLORS)]
        th = direct["hill_theta"][i]
        tmed = float(np.median(th))
        lo, hi = np.percentile(th, [25, 75])
        ax.plot(h, h**2 * tmed, "-", color=c, lw=1.2,
                label=f"d = {int(d)}: Hill, median (IQR band)")
        ax.fill_between(h, h**2 * lo, h**2 * hi, color=c, alpha=0.15, lw=0)
        k = int(direct["hill_k"][i])
        theta_q = theory.edge_slope(int(d), k / (2 * int(direct["n"][i])))
        ax.plot(h, h**2 * theta_q, ":", color=c, lw=1)
    ax.plot(h, h**2 / theory.h_G(0.5) ** 2, "k--", lw=1, label=r"$h^2/h_G^2$, $d\to\infty$")
    for m, name in ((1, "condensed | stable"), (2, "stable | CLT")):
        ax.axhline(m, color="0.4", lw=0.8)
        ax.text(0.31, m + 0.05, name, fontsize=7, color="0.3")
    ax.set(xlabel="h", ylabel=r"$\hat\mu = h^2\hat\theta$", ylim=(0, 4),
           title=r"tail index, $\alpha = 0.5$ (dotted: $h^2\theta_{eff}$ at quantile $k/2n$)")
    ax.legend(fontsize=6, loc="upper left")
    return fig


@figure("kde_stable_law", paper="kde", sims=("kde_direct",))
def kde_stable_law(direct: dict):
    """Empirical CDF of (Z - n E w)/b_n against the totally skewed mu_eff-stable law (S1)."""
    from scipy import stats

    i = int(np.argmax(direct["d"]))
    d, n = int(direct["d"][i]), int(direct["n"][i])
    hs = direct["h"][i]
    theta = theory.edge_slope(d, 1.0 / n)
    dstar = theory.nn_quantile(d, n) * d
    # away from mu = 1 and 2, where the convergence is very slow (note section 7 pitfall 10)
    picks = [j for j, h in enumerate(hs) if 1.2 < h * h * theta < 1.95]
    fig, axes = style.subplots(1, max(1, len(picks)))
    dist = stats.levy_stable
    dist.parameterization = "S1"  # note section 7 pitfall 10
    for k, j in enumerate(picks):
        h = hs[j]
        mu = h * h * theta
        ln_b = -dstar / (2 * h * h)
        ln_new = math.log(n) + d * theory.annealed_moment(1.0, h, 1.0)
        s = (np.exp(direct["lnZ"][i, :, j] - ln_b) - math.exp(ln_new - ln_b))
        s = np.sort(s)
        ax = axes[0, k]
        ax.plot(s, (np.arange(s.size) + 0.5) / s.size, "-", lw=1.2, label="direct sampler")
        grid = np.linspace(np.percentile(s, 0.5), np.percentile(s, 99.5), 60)
        sigma = (math.gamma(1 - mu) * math.cos(math.pi * mu / 2)) ** (1 / mu)
        ax.plot(grid, dist.cdf(grid, mu, 1.0, loc=0.0, scale=sigma), "k--", lw=1,
                label=rf"$S_\mu$, $\mu_{{eff}}$ = {mu:.2f}, $\beta$ = 1")
        ax.set(xlabel=r"$(Z - nE w)/b_n$", title=f"h = {h:.2f}")
        ax.legend(fontsize=6, loc="lower right")
    axes[0, 0].set_ylabel("CDF")
    fig.suptitle(f"alpha-stable regime at d = {d} (qualitative: slow convergence, lighter left "
                 "tail)", fontsize=9)
    return fig
