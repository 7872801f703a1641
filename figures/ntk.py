"""Figures of the NTK paper (Jacot, Gabriel, Hongler 2018), from cached sim results.

``ntk_fig1``  Fig. 1: Theta(x0, x(gamma)) for two widths at t = 0 and t = 200, with the limit.
``ntk_fig2``  Fig. 2: trained finite nets against the NTK-GP median and 10/90 percentiles.
``ntk_fig3``  Fig. 3 analogue on scikit-learn digits: kernel-PC scatter, ||h_t||, ||g_t||.
``ntk_width_convergence``  relative NTK error at init vs width, log-log with fitted slope.
``ntk_drift``  relative NTK change during training vs width, log-log with fitted slope.
"""

from __future__ import annotations

import numpy as np

from figures import style
from figures.registry import figure
from theorylab.stats import loglog_fit

P90 = 1.2815515655446004  # standard normal 90% quantile


def _fit(ax, x, y, color, label):
    slope, icpt = loglog_fit(x, y)
    xx = np.geomspace(min(x), max(x), 50)
    ax.plot(xx, np.exp(icpt) * xx**slope, "--", color=color, lw=1,
            label=f"{label} fit: slope {slope:.2f}")
    return slope


@figure("ntk_fig1", paper="ntk", sims=("ntk_fig1",))
def ntk_fig1(res: dict):
    """Fig. 1: NTK on the unit circle for two widths, at init and after 200 GD steps."""
    fig, axes = style.subplots(1, 1)
    ax = axes[0, 0]
    ax.figure.set_size_inches(style.WIDTH * 1.6, style.HEIGHT * 1.2)
    g = res["gamma"][0]
    colors = {0: style.COLORS[0], 1: style.COLORS[1]}
    for i, n in enumerate(res["width"]):
        c = colors[i % 2]
        for key, ls, t in (("theta_init", "-", 0), ("theta_trained", ":", 200)):
            curves = res[key][i]
            for j, curve in enumerate(curves):
                ax.plot(g, curve, ls, color=c, lw=0.8 if i == 0 else 1.0, alpha=0.6,
                        label=f"n={n}, t={t}" if j == 0 else None)
    ax.plot(g, res["limit"][0], color="k", lw=1.6, label=r"$n=\infty$ ($\Theta^{(4)}_\infty$)")
    ax.set_xlabel(r"$\gamma$")
    ax.set_ylabel(r"$\Theta^{(4)}(x_0, x(\gamma))$")
    ax.set_title(f"L=4, ReLU, beta=0.1, {res['theta_init'].shape[1]} inits per width",
                 fontsize=8)
    ax.legend(loc="upper left", fontsize=7)
    return fig


@figure("ntk_fig2", paper="ntk", sims=("ntk_fig2",))
def ntk_fig2(res: dict):
    """Fig. 2: finite nets after 1000 GD steps vs the NTK-GP median and P10/P90 band."""
    fig, axes = style.subplots(1, 1)
    ax = axes[0, 0]
    ax.figure.set_size_inches(style.WIDTH * 1.6, style.HEIGHT * 1.2)
    g = res["gamma"][0]
    mean, sd = res["limit_mean"][0], res["limit_sd"][0]
    for i, n in enumerate(res["width"]):
        for j, curve in enumerate(res["f"][i]):
            ax.plot(g, curve, color=style.COLORS[i], lw=0.6, alpha=0.5,
                    label=f"n={n}" if j == 0 else None)
    ax.plot(g, mean, "k", lw=1.6, label=r"$n=\infty$, P50")
    ax.plot(g, mean - P90 * sd, "k--", lw=1.0, label=r"$n=\infty$, {P10, P90}")
    ax.plot(g, mean + P90 * sd, "k--", lw=1.0)
    ax.plot(res["train_gamma"][0], res["train_y"][0], "o", color=style.COLORS[3], ms=5,
            label="training points")
    ax.set_xlabel(r"$\gamma$  [x = (sin $\gamma$, cos $\gamma$)]")
    ax.set_ylabel(r"$f_\theta(x)$ at t = 1000")
    ax.set_title(f"L=4, ReLU, beta=0.1, {res['f'].shape[1]} inits per width", fontsize=8)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=7)
    return fig


@figure("ntk_fig3", paper="ntk", sims=("ntk_pca",))
def ntk_fig3(res: dict):
    """Fig. 3 analogue (digits): 2nd/3rd kernel PCs, ||h_t|| and ||g_t|| vs t."""
    fig, axes = style.subplots(1, 3)
    a, b, c = axes[0]
    sc = a.scatter(res["pc2"][0], res["pc3"][0], c=res["labels"][0], cmap="tab10", s=6)
    fig.colorbar(sc, ax=a, label="digit")
    a.set_xlabel(r"$f^{(2)}(x)$")
    a.set_ylabel(r"$f^{(3)}(x)$")
    t = res["t"][0]
    for i, n in enumerate(res["width"]):
        for j in range(res["g_norm"].shape[1]):
            lab = f"n={n}" if j == 0 else None
            b.plot(t, res["h_norm"][i, j], color=style.COLORS[i], lw=1, label=lab)
            c.plot(t, res["g_norm"][i, j], color=style.COLORS[i], lw=1, label=lab)
    c.plot(t, res["g_limit"][0], "k", lw=1.6, label=r"$n=\infty$")
    lam = res["eigenvalues"][0]
    b.set_xlabel("t")
    b.set_ylabel(r"$\|h_t\|_{p^{in}}$")
    c.set_xlabel("t")
    c.set_ylabel(r"$\|g_t\|_{p^{in}}$")
    c.set_title(rf"$\lambda_2$ = {lam[1]:.2e}", fontsize=8)
    b.legend()
    c.legend()
    style.label_panels(axes)
    return fig


@figure("ntk_width_convergence", paper="ntk", sims=("ntk_width",))
def ntk_width_convergence(res: dict):
    """Relative empirical-NTK error at init vs width (log-log) with the fitted slope."""
    fig, axes = style.subplots(1, 1)
    ax = axes[0, 0]
    w = res["width"]
    for key, color, label in (("rel_err", style.COLORS[0], r"$\|\hat\Theta-\Theta_\infty\|_F$"),
                              ("offdiag", style.COLORS[1], "off-diagonal output block")):
        vals = res[key]
        ax.scatter(np.repeat(w, vals.shape[1]), vals.ravel(), s=6, color=color, alpha=0.35)
        ax.plot(w, vals.mean(axis=1), "o", color=color, ms=4, label=label + " (mean)")
        _fit(ax, w, vals.mean(axis=1), color, "")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width n")
    ax.set_ylabel(r"relative to $\|\Theta_\infty\|_F$")
    ax.set_title(f"L=4, ReLU, {res['rel_err'].shape[1]} seeds, 16 circle points", fontsize=8)
    ax.legend(fontsize=6.5)
    return fig


@figure("ntk_drift", paper="ntk", sims=("ntk_drift",))
def ntk_drift(res: dict):
    """NTK change after 200 GD steps vs width (log-log) with the fitted slope."""
    fig, axes = style.subplots(1, 2)
    a, b = axes[0]
    w = res["width"]
    d = res["drift"]
    a.scatter(np.repeat(w, d.shape[1]), d.ravel(), s=8, alpha=0.4)
    a.plot(w, d.mean(axis=1), "o", ms=4, label="mean")
    _fit(a, w, d.mean(axis=1), style.COLORS[0], "")
    for ax in (a, b):
        ax.set_xscale("log")
        ax.set_xticks(w, [str(v) for v in w])
        ax.minorticks_off()
    a.set_yscale("log")
    a.set_xlabel("width n")
    a.set_ylabel(r"$\|\Theta_{200}-\Theta_0\| / \|\Theta_0\|$")
    a.legend()
    inf = res["inflation"]
    b.scatter(np.repeat(w, inf.shape[1]), inf.ravel(), s=8, alpha=0.4)
    b.plot(w, inf.mean(axis=1), "o-", ms=4)
    b.axhline(1.0, color="k", lw=0.8)
    b.set_xlabel("width n")
    b.set_ylabel(r"$\Theta_{200}(x_0,x_0)/\Theta_0(x_0,x_0)$")
    style.label_panels(axes)
    return fig
