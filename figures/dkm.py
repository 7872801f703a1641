"""Figures of the deep kernel machine module (Yang et al. 2023): Figs. 2-5 analogues."""

from __future__ import annotations

import numpy as np

from figures import style
from figures.registry import figure
from theorylab.stats import loglog_fit


@figure("dkm_gram_error_vs_width", paper="dkm", sims=("dkm_dgp",))
def dkm_gram_error_vs_width(dgp: dict):
    """Fig. 3 analogue: HMC Gram matrices of width-N deep GPs vs the DKM optimum (TOY8)."""
    fig, axes = style.subplots(1, 2)
    n = dgp["width"]
    for ell, c in ((0, style.COLORS[0]), (1, style.COLORS[1])):
        for ax, key in ((axes[0, 0], "mean_err"), (axes[0, 1], "samp_err")):
            y = dgp[key][:, ell]
            slope, _ = loglog_fit(n, y)
            ax.loglog(n, y, "o-", color=c, label=f"layer {ell + 1} (slope {slope:.2f})")
            if key == "mean_err":
                ax.loglog(n, dgp["mc_floor"][:, ell], ":", color=c, lw=1,
                          label=f"MC s.e., layer {ell + 1}")
    for ax, key, ref, title in ((axes[0, 0], "mean_err", -1.0, "posterior mean, ~1/N"),
                                (axes[0, 1], "samp_err", -0.5, "single draws, ~N^-1/2")):
        y0 = dgp[key][0, 0]
        ax.loglog(n, y0 * (n / n[0]) ** ref, "k--", lw=0.8, label=f"slope {ref:g}")
        ax.set(xlabel="width N", ylabel="||G - G*||_F / ||G*||_F", title=title)
        ax.legend(loc="lower left", fontsize=6.5)
    return fig


@figure("dkm_gram_heatmaps", paper="dkm", sims=("dkm_dgp",))
def dkm_gram_heatmaps(dgp: dict):
    """Fig. 2 analogue: DKM optimum G*_l next to the HMC posterior mean at the widths."""
    w = len(dgp["width"])
    fig, axes = style.subplots(2, w + 1)
    for ell in range(2):
        gs = dgp["gram_star"][0, ell]
        lim = np.abs(gs).max()
        axes[ell, 0].imshow(gs, cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[ell, 0].set_title(f"DKM G*_{ell + 1}")
        for i in range(w):
            axes[ell, i + 1].imshow(dgp["gram_mean"][i, ell], cmap="RdBu_r", vmin=-lim,
                                    vmax=lim)
            axes[ell, i + 1].set_title(f"DGP E[G_{ell + 1}], N = {int(dgp['width'][i])}")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    return fig


@figure("dkm_nu_limit", paper="dkm", sims=("dkm_nu",))
def dkm_nu_limit(nu: dict):
    """The DKM optimum L*(nu) falls to the NNGP log marginal likelihood; G* - G^NNGP ~ 1/nu."""
    fig, axes = style.subplots(1, 2)
    names = ("SE", "arccos")
    for i, c in enumerate(style.COLORS[:2]):
        axes[0, 0].semilogx(nu["nu"], nu["objective"][i], "o-", color=c,
                            label=f"{names[i]}: L*(nu)")
        axes[0, 0].axhline(nu["nngp_lml"][i], color=c, ls="--", lw=0.8,
                           label=f"{names[i]}: NNGP LML")
        sel = nu["nu"] >= 100
        slope, _ = loglog_fit(nu["nu"][sel], nu["rel_dev"][i][sel])
        axes[0, 1].loglog(nu["nu"], nu["rel_dev"][i], "o-", color=c,
                          label=f"{names[i]} (slope {slope:.2f}, nu >= 100)")
    x = nu["nu"]
    axes[0, 1].loglog(x, nu["rel_dev"][0][-1] * x[-1] / x, "k--", lw=0.8, label="1/nu")
    axes[0, 0].set(xlabel="nu", ylabel="L*", title="DKM optimum -> NNGP (TOY8)")
    axes[0, 1].set(xlabel="nu", ylabel="rel. deviation of G*_2 from NNGP",
                   title="representation learning ~ 1/nu")
    axes[0, 0].legend(fontsize=6.5, loc="upper right")
    axes[0, 1].legend(fontsize=6.5, loc="lower left")
    return fig


@figure("dkm_posterior_marginals", paper="dkm", sims=("dkm_dgp", "dkm_bnn"))
def dkm_posterior_marginals(dgp: dict, bnn: dict):
    """Posterior marginals: Gaussian for deep GPs, a two-piece Gaussian for a ReLU network."""
    from scipy.stats import norm

    from theory.dkm import relu_network_limit

    fig, axes = style.subplots(1, 2)
    f = dgp["feat_sample"][-1, 1]
    grid = np.linspace(-4, 4, 200)
    axes[0, 0].hist(f, bins=50, density=True, alpha=0.6,
                    label=f"HMC, N = {int(dgp['width'][-1])}")
    axes[0, 0].plot(grid, norm.pdf(grid), "k-", lw=1, label="N(0, 1) (DKM)")
    axes[0, 0].set(xlabel="standardised feature, layer 2", ylabel="density",
                   title=f"deep GP: excess kurtosis {dgp['kurtosis'][-1, 1]:.3f}")
    axes[0, 0].legend()
    lim = relu_network_limit(3.0, noise_var=0.01)
    b = bnn["bins"][-1]
    centres = (b[1:] + b[:-1]) / 2
    axes[0, 1].bar(centres, bnn["hist"][-1], width=np.diff(b), alpha=0.6,
                   label=f"HMC, N = {int(bnn['width'][-1])}")
    g = np.linspace(b[0], b[-1], 400)
    two = 2 / (1 + lim.s) * np.where(g < 0, norm.pdf(g), lim.s * norm.pdf(g, 0, lim.s))
    axes[0, 1].plot(g, two, "k-", lw=1, label=f"two-piece limit (s = {lim.s:.3f})")
    var = (lim.s**3 + 1) / (1 + lim.s) - lim.mean**2
    axes[0, 1].plot(g, norm.pdf(g, lim.mean, np.sqrt(var)), ":", color="0.4", lw=1,
                    label="Gaussian, same mean and variance")
    axes[0, 1].set(xlabel="hidden unit f", title=f"ReLU network: skew {bnn['skew'][-1]:.2f}")
    axes[0, 1].legend()
    return fig


@figure("dkm_uci_table", paper="dkm", sims=("dkm_uci",))
def dkm_uci_table(uci: dict):
    """UCI regression: sparse DKM vs sparse NNGP with the same inducing points."""
    from sims.dkm_uci import DATASETS

    fig, axes = style.subplots(1, 2)
    if not np.all(uci["available"]):
        for ax in axes.flat:
            ax.text(0.5, 0.5, "UCI data not found", ha="center", transform=ax.transAxes)
        return fig
    names = [DATASETS[i] for i in uci["dataset"]]
    labels = ["NNGP" if np.isinf(v) else f"DKM nu={v:g}" for v in uci["nu"][0]]
    for ax, key, title in ((axes[0, 0], "rmse", "test RMSE (lower better)"),
                           (axes[0, 1], "ll", "test log-lik. (higher better)")):
        vals = uci[key]
        for j, lab in enumerate(labels):
            m = np.nanmean(vals[..., j], 1)
            k = np.sum(np.isfinite(vals[..., j]), 1)
            se = np.nanstd(vals[..., j], 1, ddof=1) / np.sqrt(np.maximum(k, 1))
            pos = np.arange(len(m)) + 0.8 * (j - (len(labels) - 1) / 2) / len(labels)
            ax.errorbar(pos, m, yerr=se, fmt="o", color=style.COLORS[j], label=lab, capsize=2)
        ax.set_xticks(np.arange(vals.shape[0]))
        ax.set_xticklabels(names, rotation=20)
        ax.set(title=f"{title}, {vals.shape[1]} splits", xlim=(-0.6, vals.shape[0] - 0.4))
        if key == "rmse":
            ax.set_yscale("log")
        ax.legend()
    return fig
