"""Figures of the SDPI module (He, Yu, Goldfeld 2024), as listed in papers/sdpi.md Sec. 4.

The paper's own figures could not be read; these are the note's F1-F5 with our parameters.
"""

from __future__ import annotations

import numpy as np

from figures import style
from figures.registry import figure
from theorylab.stats import loglog_fit


@figure("sdpi_kl_layers", paper="sdpi", sims=("sdpi_gaussian", "sdpi_gibbs"))
def sdpi_kl_layers(gauss: dict, gibbs: dict):
    """F1: per-layer KL terms shrink with depth (rank law; exact toy with refined caps)."""
    fig, axes = style.subplots(1, 2)
    ax = axes[0, 0]
    k = np.arange(gauss["d_closed"].shape[1])
    ax.plot(k, gauss["d_closed"][0], "k-", lw=1, label="rank law $(r_k/2)\\log\\frac{n}{n-1}$")
    for i, rep in enumerate(gauss["rep"]):
        ax.errorbar(k + 0.06 * (i - 1), gauss["d_mc"][i], yerr=2 * gauss["d_se"][i], fmt="o",
                    ms=3, capsize=2, color=style.COLORS[i], label=f"Monte Carlo, rep {rep}")
    ax2 = ax.twinx()
    ax2.plot(k, np.sqrt(gauss["d_closed"][0] / 2), "s--", color=style.COLORS[3], ms=3,
             label="bound $\\sqrt{D_k/2}$")
    ax2.axhline(gauss["gap"].mean(), color=style.COLORS[4], ls=":", label="0-1 gap (MC)")
    ax2.set_ylim(0, 0.6)
    ax2.set_ylabel("generalization", fontsize=8)
    ax2.spines["right"].set_visible(True)
    ax2.legend(loc="upper right", fontsize=6.5)
    ax.set(xlabel="layer k", ylabel="$D_k$ (nats)", ylim=(0, 0.6),
           title="binary Gaussian, ranks " + "-".join(map(str, gauss["ranks"][0])))
    ax.legend(loc="lower left", fontsize=6.5)
    ax = axes[0, 1]
    i = list(gibbs["n"]).index(3)
    kk = np.arange(gibbs["d"].shape[1])
    ax.plot(kk, gibbs["d"][i], "o-", label="$D_k$ (exact)")
    ax.plot(kk, gibbs["caps"][i], "s--", label="refined cap, $\\eta = (0.5, 0.75)$")
    ax.axhline(gibbs["i_wy"][i], color="k", ls=":", lw=1, label="label term $I(W;Y_i)$")
    ax.set(xlabel="layer k", ylabel="nats", title="Gibbs dropout toy, n = 3", xticks=kk)
    ax.legend(fontsize=6.5)
    return fig


@figure("sdpi_funnel", paper="sdpi", sims=("sdpi_funnel",))
def sdpi_funnel(fun: dict):
    """F2: the W bound per layer has an interior minimum (the generalization funnel)."""
    fig, axes = style.subplots(1, 2)
    k = np.arange(fun["path"].shape[1])
    ax = axes[0, 0]
    for i, n in enumerate(fun["n"]):
        c = style.COLORS[i]
        ax.semilogy(k, fun["path"][i], "o-", color=c, label=f"sample-path, n = {n}")
        ax.semilogy(k, fun["tail"][i], "s--", color=c, ms=3, alpha=0.7)
        ax.axhline(fun["gap"][i], color=c, ls=":", lw=1)
    ax.plot([], [], "ks--", ms=3, label="uniform $\\rho_k = \\|B_k\\|_{op}$")
    ax.plot([], [], "k:", label="ramp-loss gap")
    ax.set(xlabel="layer k", xticks=k, ylabel="bound on |gen|", title="funnel: minimum at k = 1")
    ax.legend(fontsize=6)
    ax = axes[0, 1]
    ax.loglog(fun["n"], fun["path"].min(1), "o-", label="best W bound")
    ax.loglog(fun["n"], fun["gap"], "s-", label="ramp-loss gap (MC)")
    ax.loglog(fun["n"], fun["product"][:, 0], "^--", label="product norms, layer 0")
    ax.set(xlabel="n", title="bound $\\sim n^{-1/2}$, gap $\\sim n^{-1}$")
    ax.legend(fontsize=7)
    return fig


@figure("sdpi_coefficients", paper="sdpi", sims=("sdpi_coefficients",))
def sdpi_coefficients(coef: dict):
    """F3: SDPI coefficients vs drop probability (lines: closed forms, dots: numerical)."""
    fig, axes = style.subplots(1, 3)
    pg = np.linspace(0, 0.99, 200)
    for i, d in enumerate(coef["widths"]):
        c = style.COLORS[i]
        axes[0, 0].plot(pg, 1 - pg**d, color=c, lw=1, label=f"d = {d}")
        axes[0, 0].plot(coef["p"], coef["in_kl"][i], "o", color=c, ms=3)
    axes[0, 0].set(xlabel="drop probability p", ylabel="$\\eta_{KL}$",
                   title="Dropout: $1 - p^{d}$")
    axes[0, 0].legend(fontsize=6.5)
    for i, (di, do) in enumerate(coef["dc_shape"]):
        c = style.COLORS[i]
        axes[0, 1].plot(pg, 1 - pg ** (di * do), color=c, lw=1, label=f"{di} x {do}")
        axes[0, 1].plot(coef["p"], coef["dc_kl"][i], "o", color=c, ms=3)
    axes[0, 1].plot(pg, 1 - pg, "k:", lw=1, label="dropout, $d_{in}$ = 1")
    axes[0, 1].set(xlabel="drop probability p", title="DropConnect: $1 - p^{d_{in} d_{out}}$")
    axes[0, 1].legend(fontsize=6.5)
    from theory.sdpi import binary_awgn_kl_coefficient, gaussian_noise_tv_coefficient

    sg = np.linspace(0.05, 6, 80)
    axes[0, 2].plot(sg, [gaussian_noise_tv_coefficient(s, 1.0) for s in sg],
                    label="$\\eta_{TV} = 2\\Phi(\\Delta/2\\sigma) - 1$")
    axes[0, 2].plot(sg, [binary_awgn_kl_coefficient(s / 2, 1.0) for s in sg],
                    label="$\\eta_{KL} = E\\tanh^2$ (binary input)")
    axes[0, 2].plot(coef["snr"], coef["gauss_tv_quad"], "o", color=style.COLORS[0], ms=3)
    axes[0, 2].plot(coef["snr"], coef["awgn_kl_sup"], "o", color=style.COLORS[1], ms=3)
    axes[0, 2].set(xlabel="$\\Delta / \\sigma$", title="Gaussian noise layer")
    axes[0, 2].legend(fontsize=6.5)
    return fig


@figure("sdpi_deeper_narrower", paper="sdpi", sims=("sdpi_depth",))
def sdpi_deeper_narrower(depth: dict):
    """F4: prod of layer coefficients vs depth at a fixed budget (deeper-narrower wins)."""
    fig, axes = style.subplots(1, 2)
    ax = axes[0, 0]
    for i, p in enumerate(depth["dropout_p"]):
        ax.plot(depth["dropout_depth"], depth["dropout_num"][i], "o-",
                label=f"p = {p}")
    ax.set(xlabel="depth L (width 12 / L)", ylabel="product of layer $\\eta$ (numerical)",
           title="dropout, 12 neurons in all", xscale="log")
    ax.set_xticks(depth["dropout_depth"], [str(v) for v in depth["dropout_depth"]])
    ax.minorticks_off()
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    ax.loglog(depth["dropconnect_depth"], np.maximum(depth["dropconnect_num"], 1e-16), "s-")
    ax.set(xlabel="depth L (square layers)", title="DropConnect, 48 weights, p = 0.5")
    ax.set_xticks(depth["dropconnect_depth"], [str(v) for v in depth["dropconnect_depth"]])
    ax.minorticks_off()
    return fig


@figure("sdpi_gibbs_rate", paper="sdpi", sims=("sdpi_gibbs",))
def sdpi_gibbs_rate(gibbs: dict):
    """F5: Gibbs algorithm on the dropout toy: gap and bound ~ 1/n, I(W; Z_i) ~ 1/n^2."""
    fig, axes = style.subplots(1, 1)
    ax = axes[0, 0]
    n = gibbs["n"]
    series = {"gap": gibbs["gen"], "bound $\\sqrt{I(W;Z_i)/2}$": np.sqrt(gibbs["i_wz"] / 2),
              "refined bound, layer 2": np.sqrt(gibbs["caps"][:, -1] / 2),
              "$I(W;Z_i)$": gibbs["i_wz"]}
    m = n >= 4
    for name, y in series.items():
        slope, _ = loglog_fit(n[m], y[m])
        ax.loglog(n, y, "o-", label=f"{name}: slope {slope:.2f}")
    ax.set(xlabel="n", title="Gibbs, $\\gamma = 4$ (exact enumeration)", xticks=n)
    ax.set_xticklabels([str(v) for v in n])
    ax.minorticks_off()
    ax.legend(fontsize=7)
    return fig
