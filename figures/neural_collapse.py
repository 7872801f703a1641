"""Figures of the neural-collapse module (Tirer, Huang, Niles-Weed 2023): Fig. 1 exactly,
the Thm 4.1 / Eq. 5 error rates, the central path, and Fig. 2 / Fig. 3 analogues."""

from __future__ import annotations

import numpy as np

from figures import style
from figures.registry import figure
from theory import neural_collapse as T

FIG1_LAM_H = (0.01, 0.1, 0.3, 0.5)


@figure("neural_collapse_fig1_spectrum", paper="neural_collapse")
def fig1_spectrum():
    """Fig. 1: sorted singular values of F_kk (Eq. 5) for several lam_H, with the predicted
    step values (beta = 100, K = 4, d = n = 10, lam_W = sqrt 2)."""
    K, n, d, lam_W, beta = 4, 10, 10, float(np.sqrt(2)), 100.0
    fig, axes = style.subplots(1, 1)
    ax = axes[0, 0]
    for i, lam_H in enumerate(FIG1_LAM_H):
        W, H = T.ufm_minimizer(K, n, d, lam_W=lam_W, lam_H=lam_H)
        F = T.first_order_map(W, H, T.class_major_labels(K, n), lam_W=lam_W, lam_H=lam_H,
                              beta=beta, form="eq5")
        sv = np.sort(np.linalg.svd(T.blocks(F, K, n, d)[0, 0], compute_uv=False))[::-1]
        ax.plot(np.arange(1, sv.size + 1), sv, "-", color=style.COLORS[i], lw=1.4,
                label=f"$\\lambda_H$ = {lam_H:g}")
        spec = T.collapsed_spectrum(K, n, d, lam_W=lam_W, lam_H=lam_H, beta=beta, form="eq5")
        for v in spec.values:
            ax.axhline(v, color=style.COLORS[i], lw=0.4, ls=":")
    ax.set(xlabel="index", ylabel="singular value of $F_{k,k}$",
           title="Fig. 1 (dotted: predicted steps)")
    ax.legend(loc="center left", fontsize=6, framealpha=0.9)
    return fig


@figure("neural_collapse_first_order_errors", paper="neural_collapse",
        sims=("neural_collapse_first_order",))
def first_order_errors(res: dict):
    """Thm 4.1: ||dH - F dH0|| vs eps (slope 2); Eq. 5: error per unit eps vs beta (slope -2)."""
    fig, axes = style.subplots(1, 2)
    ax = axes[0, 0]
    eps = res["eps"]
    for i, beta in enumerate(res["beta"]):
        ax.loglog(eps, res["err_c"][i], "o-", color=style.COLORS[i],
                  label=f"collapsed $H_0$, $\\beta$ = {beta:g}")
        ax.loglog(eps, res["err_g"][i], "s--", color=style.COLORS[i], ms=4,
                  label=f"Gaussian $H_0$, $\\beta$ = {res['beta_g'][i]:g}")
    ref = res["err_c"][0, 0] * (eps / eps[0]) ** 2
    ax.loglog(eps, ref, "k:", lw=1, label="slope 2")
    ax.set(xlabel="$\\epsilon = \\|\\delta H_0\\|_F$", ylabel="$\\|\\delta H - F\\delta H_0\\|$",
           title="Thm 4.1 (Schur complement): $O(\\epsilon^2)$")
    ax.legend(fontsize=6)
    ax = axes[0, 1]
    b = res["eq5_beta"]
    ax.loglog(b, res["eq5_err_per_eps"], "o-", label="Eq. 5, measured ($\\epsilon$ = 1e-4)")
    ax.loglog(b, res["eq5_err_per_eps"][0] * (b / b[0]) ** -2.0, "k:", lw=1, label="slope -2")
    ax.set(xlabel="$\\beta$", ylabel="$\\|\\delta H - F_{eq5}\\delta H_0\\| / \\epsilon$",
           title="Eq. 5: $O(\\beta^{-2})$ at a collapsed $H_0$")
    ax.legend(loc="upper right")
    return fig


@figure("neural_collapse_central_path", paper="neural_collapse",
        sims=("neural_collapse_central_path",))
def central_path(res: dict):
    """Thm 3.1: NC1~ falls, e^{2 lam_H t} Tr Sigma_W falls and e^{2 lam_H t} Tr Sigma_B rises
    along the central-path flow; NC1 (pinv) for comparison."""
    fig, axes = style.subplots(1, 2)
    t = res["t"]
    ax = axes[0, 0]
    ax.semilogy(t, res["nc1_tilde"], label="NC1~ = Tr$\\Sigma_W$/Tr$\\Sigma_B$")
    ax.semilogy(t, res["nc1"], "--", label="NC1 = Tr($\\Sigma_W\\Sigma_B^+$)/K")
    ax.set(xlabel="t", title="collapse metrics along the flow")
    ax.legend()
    ax = axes[0, 1]
    ax.semilogy(t, res["tr_sw_scaled"], label="$e^{2\\lambda_H t}$ Tr $\\Sigma_W$")
    ax.semilogy(t, res["tr_sb_scaled"], label="$e^{2\\lambda_H t}$ Tr $\\Sigma_B$")
    ax.set(xlabel="t", title=f"rescaled traces ($\\lambda_H$ = {float(res['lam_H']):g})")
    ax.legend()
    return fig


@figure("neural_collapse_layerwise", paper="neural_collapse",
        sims=("neural_collapse_layerwise", "neural_collapse_composed"))
def layerwise(digits: dict, composed: dict):
    """Fig. 2 analogue: NC1 and NC1~ of the deepest features vs the number of layer-wise
    trained layers (sklearn digits), and Eq. 2 composed layer after layer near collapse."""
    fig, axes = style.subplots(1, 2)
    ax = axes[0, 0]
    ax.semilogy(digits["depth"], digits["nc1"], "o-", label="NC1")
    ax.semilogy(digits["depth"], digits["nc1_tilde"], "s-", label="NC1~")
    ax.set(xlabel="hidden layers", title="digits MLP (Fig. 2 analogue)")
    ax.legend()
    ax = axes[0, 1]
    L = composed["layer"]
    beta, lam_W, lam_H = 10.0, float(np.sqrt(2)), 0.3
    a = T.attenuation_factors(lam_W=lam_W, lam_H=lam_H, beta=beta)
    ax.semilogy(L, composed["nc1"] / composed["nc1"][0], "o", label="NC1 / NC1(0)")
    ax.semilogy(L, a["nc1"] ** L, "k:", lw=1, label="$(\\beta/(\\beta+s))^{2L}$")
    ax.semilogy(L, composed["nc2"] / composed["nc2"][0], "s", label="NC2 / NC2(0)")
    ax.semilogy(L, a["nc2"] ** L, "k--", lw=1, label="$\\gamma^L$")
    ax.set(xlabel="layers of Eq. 2", title="Eq. 2 composed, $\\beta$ = 10")
    ax.legend()
    return fig


@figure("neural_collapse_weight_decay", paper="neural_collapse",
        sims=("neural_collapse_weight_decay",))
def weight_decay(res: dict):
    """Fig. 3 analogue: change of NC1 and NC2 of the last hidden features from the baseline
    under four weight-decay changes (paired by seed; mean +- standard error; zero training
    error in every run)."""
    from sims.neural_collapse_nets import WD_SETTINGS

    fig, axes = style.subplots(1, 2)
    names = WD_SETTINGS[1:]
    x = np.arange(len(names))
    colors = [style.COLORS[0] if s.startswith("fc") else style.COLORS[1] for s in names]
    for ax, key in zip(axes[0], ("nc1", "nc2")):
        v = res[key]
        diff = v[:, 1:] - v[:, :1]
        mean, se = diff.mean(axis=0), diff.std(axis=0, ddof=1) / np.sqrt(diff.shape[0])
        ax.bar(x, mean, yerr=se, color=colors, capsize=3)
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xticks(x, names, rotation=30)
        ax.set(ylabel=f"{key.upper()} - {key.upper()}(baseline)",
               title=f"{key.upper()}: head (blue) vs features (red)")
    return fig
