"""Figures of the iLA-SDP module (Zhuang, Chen, Yang 2023; papers/ila_sdp.md)."""

from __future__ import annotations

import numpy as np

from figures import style
from figures.registry import figure


@figure("clustering_transition", paper="clustering",
        sims=("clustering_transition", "clustering_highdim"))
def clustering_transition(low: dict, high: dict):
    """Peng-Wei SDP exact recovery vs Delta^2 / Delta_bar^2: certified (lower bound) and
    not-beaten (upper bound) fractions, per n; and the high-dimensional case."""
    fig, axes = style.subplots(1, 2)
    for ax, res, title in ((axes[0, 0], low, "p = 5, K = 3"),
                           (axes[0, 1], high, "p = 400, K = 2")):
        x = res["ratio"]
        for j, n in enumerate(res["n"][0]):
            c = style.COLORS[j]
            lo = res["certified"][:, j].mean(-1)
            hi = 1 - res["beaten"][:, j].mean(-1)
            ax.fill_between(x, lo, hi, color=c, alpha=0.2)
            ax.plot(x, lo, "o-", color=c, ms=3, label=f"n = {n}: certified")
            ax.plot(x, hi, "s--", color=c, ms=3, lw=0.8, label=f"n = {n}: not beaten")
        ax.axvline(1.0, color="k", lw=0.8)
        ax.set(xlabel=r"$\Delta^2 / \bar\Delta^2$ (Chen-Yang cutoff)",
               ylabel="P(SDP returns $Z^*$)", title=title, ylim=(-0.03, 1.03))
        ax.legend(loc="lower right")
    n = high["n"][0][0]
    axes[0, 1].axvline(8 * np.log(n) / high["threshold"][0][0], color="0.5", ls=":", lw=1)
    axes[0, 1].text(8 * np.log(n) / high["threshold"][0][0], 0.5, r" $8\log n$", fontsize=7,
                    color="0.4")
    style.label_panels(axes)
    return fig


@figure("clustering_methods", paper="clustering",
        sims=("clustering_methods", "clustering_em_trap", "clustering_la_oracle"))
def clustering_methods(methods: dict, trap: dict, oracle: dict):
    """Mis-clustering error vs separation per method (non-isotropic model); EM's trapped
    starts vs iLA-SDP; LA-SDP (true Sigma) vs the oracle QDA."""
    from sims.clustering_methods import METHODS

    fig, axes = style.subplots(1, 3)
    ax = axes[0, 0]
    names = {"kmeans": "K-means", "sdp": "SDP (Peng-Wei)", "em_mean": "EM (mean of starts)",
             "em_best": "EM (best of starts)", "ila": "iLA-SDP", "qda": "oracle QDA"}
    for i, m in enumerate(METHODS):
        e = methods["error"][:, :, i].mean(1)
        ax.plot(methods["scale"], e, "o-" if m != "qda" else ":", ms=3, label=names[m],
                color="k" if m == "qda" else style.COLORS[i])
    ax.set(xlabel="separation scale s (centres x s)", ylabel="mis-clustering error",
           title="non-isotropic clusters")
    ax.legend()
    ax = axes[0, 1]
    em = np.sort(trap["em_error"].ravel())
    ax.hist(em, bins=np.linspace(0, 0.6, 25), color=style.COLORS[2], alpha=0.7,
            label=f"EM, {em.size} Forgy starts")
    ax.axvline(0.1, color="k", lw=0.8, ls=":")
    for v in np.ravel(trap["ila_error"]):
        ax.axvline(v, color=style.COLORS[4], lw=2)
    ax.plot([], [], color=style.COLORS[4], lw=2, label="iLA-SDP (label-free starts)")
    ax.set(xlabel="mis-clustering error", ylabel="starts",
           title=f"EM: {100 * trap['em_trapped'].mean():.0f} % of starts trapped")
    ax.legend()
    ax = axes[0, 2]
    d = oracle["delta"]
    ax.plot(d, oracle["la_exact"].mean(1), "o-", label="LA-SDP exact (true $\\Sigma$)")
    ax.plot(d, (oracle["qda_error"] == 0).mean(1), "s--", label="oracle QDA perfect")
    ax.set(xlabel=r"$\delta$ ($\mu_2 = \delta e_1$; $\Sigma_2 = 2\Sigma_1$)",
           ylabel="fraction of replicates", ylim=(-0.03, 1.03), title="LA-SDP vs oracle")
    ax.legend()
    style.label_panels(axes)
    return fig


@figure("clustering_runtime", paper="clustering", sims=("clustering_runtime",))
def clustering_runtime(rt: dict):
    """Seconds per SDP-KM solve vs n: certified Burer-Monteiro vs cvxpy + SCS (1 thread)."""
    fig, axes = style.subplots(1, 1)
    ax = axes[0, 0]
    ax.loglog(rt["n"], rt["seconds_bm"], "o-", label="Burer-Monteiro + certificate (ours)")
    ok = np.isfinite(rt["seconds_cvxpy"])
    ax.loglog(rt["n"][ok], rt["seconds_cvxpy"][ok], "s-", label="cvxpy + SCS")
    ax.set(xlabel="n", ylabel="seconds", title="Peng-Wei SDP, K = 3, p = 5")
    ax.legend()
    return fig
