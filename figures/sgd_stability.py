"""Figures of the SGD-stability module (Wu & Su 2023): LR sweeps and threshold validation."""

from __future__ import annotations

import numpy as np

from figures import style
from figures.registry import figure
from theory import sgd_stability as S

SGD, GD = style.COLORS[0], style.COLORS[1]


def _band(ax, x, y, color, marker, label, ls="-"):
    """Median over init seeds with the min-max range as whiskers."""
    y = np.asarray(y, dtype=float)
    med = np.nanmedian(y, axis=0)
    ax.errorbar(x, med, yerr=[med - np.nanmin(y, axis=0), np.nanmax(y, axis=0) - med],
                color=color, marker=marker, ls=ls, ms=4, capsize=2, label=label)


def _sharpness_panels(axes, res, norm_key, norm_label):
    xs, xg = res["sgd_lr"][0], res["gd_lr"][0]
    ax = axes[0]
    _band(ax, xs, res["sgd_trace"] * res["sgd_lr"] / 2, SGD, "o", "SGD: tr H $\\eta/2$")
    _band(ax, xs, res["sgd_gen_sharpness"] * res["sgd_lr"] / 2, SGD, "^",
          "SGD: $\\lambda_{max}(C^+D)\\,\\eta/2$", ls="--")
    _band(ax, xs, res["sgd_lambda_max"] * res["sgd_lr"] / 2, SGD, "s",
          "SGD: $\\lambda_{max}\\,\\eta/2$", ls=":")
    _band(ax, xg, res["gd_trace"] * res["gd_lr"] / 2, GD, "o", "GD: tr H $\\eta/2$")
    _band(ax, xg, res["gd_lambda_max"] * res["gd_lr"] / 2, GD, "s",
          "GD: $\\lambda_{max}\\,\\eta/2$", ls=":")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set(xscale="log", yscale="log", xlabel="learning rate $\\eta$",
           ylabel="sharpness $\\times\\,\\eta/2$", title="stability edge = 1")
    ax.legend(fontsize=6)
    ax = axes[1]
    _band(ax, xs, res["sgd_test_mse"], SGD, "o", "SGD (B = 1)")
    _band(ax, xg, res["gd_test_mse"], GD, "s", "GD")
    if "null_test_mse" in res:
        ax.axhline(float(res["null_test_mse"][0]), color="0.5", ls="--", lw=0.8,
                   label="null predictor")
    ax.set(xscale="log", yscale="log", xlabel="$\\eta$", ylabel="test MSE", title="test error")
    ax.legend()
    ax = axes[2]
    _band(ax, xs, res[f"sgd_{norm_key}"], SGD, "o", "SGD")
    _band(ax, xg, res[f"gd_{norm_key}"], GD, "s", "GD")
    ax.set(xscale="log", yscale="log", xlabel="$\\eta$", ylabel=norm_label,
           title="norm at convergence")
    ax.legend()


@figure("sgd_stability_relu_lr", paper="sgd_stability", sims=("sgd_stability_relu",))
def sgd_stability_relu_lr(relu: dict):
    """Fig. ReLU-LR analogue: SGD sits at tr H ~ 2/eta, GD only at lambda_max ~ 2/eta."""
    fig, axes = style.subplots(1, 3)
    _sharpness_panels(axes[0], relu, "path_norm", "path norm $\\sum_j |a_j|\\,\\|w_j\\|$")
    fig.suptitle("two-layer ReLU net (no bias), loss $(f-y)^2/2$", fontsize=9)
    return fig


@figure("sgd_stability_diag_lr", paper="sgd_stability", sims=("sgd_stability_diag",))
def sgd_stability_diag_lr(diag: dict):
    """Fig. Diag-LR and Fig. Balance analogues: trace ~ 2/eta, l1 norm, test error, balancing."""
    fig, axes = style.subplots(1, 4)
    _sharpness_panels(axes[0, :3], diag, "l1", "$\\|\\beta\\|_1$")
    ax = axes[0, 3]
    r0 = diag["balance_r0"][0]
    _band(ax, r0, diag["balance_sgd_r"], SGD, "o", "SGD")
    _band(ax, r0, diag["balance_gd_r"], GD, "s", "GD")
    ax.plot(r0, r0, "k:", lw=0.8, label="$r_T = r_0$")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set(xscale="log", yscale="log", xlabel="$r(\\theta_0)$", ylabel="$r(\\theta_T)$",
           title="balancing ($\\eta$ = 0.1)")
    ax.legend()
    fig.suptitle("diagonal linear net $f = \\langle a\\odot b, x\\rangle$", fontsize=9)
    return fig


@figure("sgd_stability_threshold", paper="sgd_stability", sims=("sgd_stability_threshold",))
def sgd_stability_threshold(thr: dict):
    """Exact mean-square threshold: divergence of SGD runs, and eta* against batch size."""
    fig, axes = style.subplots(1, 2)
    ax = axes[0, 0]
    f = thr["factors"]
    for j, (name, c) in enumerate((("orthonormal", SGD), ("Gaussian", style.COLORS[2]))):
        ax.plot(f, thr["div_freq_sgd"][j], "o-", color=c, ms=4, label=f"SGD, {name}")
        ax.plot(f, thr["div_freq_gd"][j], "s--", color=c, ms=3, alpha=0.7,
                label=f"GD, {name}")
        ax.axvline(thr["eta_trace"][j] / thr["eta_ms"][j], color=c, ls=":", lw=0.8)
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set(xscale="log", xlabel="$\\eta / \\eta^*_{MS}$ (dotted: 2 / tr H)",
           ylabel="fraction of runs that grow", title="divergence of SGD and GD runs")
    ax.set_xticks([0.5, 1, 2, 4, 8], labels=["0.5", "1", "2", "4", "8"])
    ax.minorticks_off()
    ax.legend(fontsize=6)
    ax = axes[0, 1]
    n, s = 8, 3.0
    Bs = np.arange(1, n + 1)
    ax.plot(Bs, [S.orthonormal_threshold(n, s, batch_size=B) for B in Bs], "o-",
            label="SGD, with replacement")
    ax.plot(Bs, [S.orthonormal_threshold(n, s, batch_size=B, replacement=False) for B in Bs],
            "s-", label="SGD, without replacement")
    ax.axhline(2 / s, color="k", ls=":", lw=0.8, label="2 / tr H (B = 1 bound)")
    ax.axhline(2 * n / s, color=GD, ls="--", lw=0.8, label="GD: 2 / $\\lambda_{max}$")
    ax.set(xlabel="batch size B", ylabel="$\\eta^*_{MS}$",
           title=f"closed form: {n} orthonormal $g_i$, $|g|^2$ = {s:g}")
    ax.legend(fontsize=6)
    return fig
