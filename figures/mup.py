"""Figures for Tensor Programs IV (muP): coordinate checks, convergence to the limit, max LR,
and a regime map of abc-parametrizations.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from figures import style
from figures.registry import figure
from sims.mup_coord import case_parametrization, fitted_slopes
from theory import mup as M
from theorylab.stats import loglog_slope

CASE_TITLES = {
    "sp_c1": "SP, LR $\\eta/n$ (kernel)",
    "ntk": "NTP (kernel)",
    "mup": "muP (feature learning)",
    "mup_sp_input": "muP with SP first layer",
    "sp_sqrt": "SP, LR $\\eta/\\sqrt{n}$ (logits blow up)",
    "sp_c0": "SP, LR $\\eta$ (unstable)",
    "mup_slow": "muP, LR $\\eta/\\sqrt{n}$ (trivial)",
}


@figure("mup_coord_check", paper="mup", sims=("mup_coord",))
def coord_check(res: dict):
    """Coordinate check: update sizes after one SGD step vs width, one panel per parametrization.

    Lines: mean over seeds of rms(Delta h^l)/|chi_0| and |Delta f|/|chi_0|; the legend gives
    the fitted slope and the predicted exponent (theory.mup.update_exponents).
    """
    cases = list(res["cases"][0])
    width = res["width"]
    f, dh = res["f"], res["dh"]
    chi0 = np.abs(f[..., 0] - np.asarray(res["y"], float).reshape(-1, 1, 1))
    ncols = 3
    nrows = int(np.ceil(len(cases) / ncols))
    fig, axes = style.subplots(nrows, ncols)
    L = dh.shape[-1]
    for k, case in enumerate(cases):
        ax = axes.flat[k]
        pred = M.update_exponents(case_parametrization(case, L))
        series = [(f"$\\Delta h^{l + 1}$", dh[:, k, :, 0, l] / chi0[:, k], pred["dh"][l])
                  for l in range(L)]
        series.append(("$\\Delta f$", np.abs(f[:, k, :, 1] - f[:, k, :, 0]) / chi0[:, k],
                       pred["df"]))
        for j, (label, vals, p) in enumerate(series):
            mean = vals.mean(axis=-1)
            s = fitted_slopes(width, vals)
            ax.loglog(width, mean, "o-", color=style.COLORS[j], ms=3,
                      label=f"{label}: {s:+.2f} (pred {float(p):+.1f})")
        ax.set_title(CASE_TITLES.get(case, case))
        _width_axis(ax, width)
        ax.legend(loc="best", frameon=False, fontsize=6.5, title="slope", title_fontsize=6.5)
        if k % ncols == 0:
            ax.set_ylabel("size per unit $|\\chi_0|$")
        if k // ncols == nrows - 1:
            ax.set_xlabel("width n")
    spare = list(axes.flat)[len(cases):]
    if spare and "mup" in cases and "ntk" in cases:  # Cor. 3.10: f_0 -> 0 only in muP
        ax = spare.pop(0)
        for j, case in enumerate(("ntk", "mup")):
            rms = np.sqrt(np.mean(f[:, cases.index(case), :, 0] ** 2, axis=-1))
            ax.loglog(width, rms, "o-", color=style.COLORS[j], ms=3,
                      label=f"{CASE_TITLES[case].split(' (')[0]}: "
                            f"{loglog_slope(width, rms):+.2f}")
        ax.set_title("output at init (Cor. 3.10)")
        _width_axis(ax, width)
        ax.set_xlabel("width n")
        ax.set_ylabel("RMS $f_0$")
        ax.legend(loc="best", frameon=False, fontsize=6.5, title="slope (muP pred. -0.5)",
                  title_fontsize=6.5)
    for ax in spare:
        ax.set_visible(False)
    return fig


@figure("mup_limit_convergence", paper="mup", sims=("mup_one_hidden", "mup_deep"))
def limit_convergence(one: dict, deep: dict):
    """Finite muP nets converge to the computed infinite-width limits at rate n^-1/2.

    (a) 1-hidden-layer tanh, trajectory f_t(0.9) of the finite nets (seed mean) against the
    Thm 6.1 limit; (b) RMS error over seeds vs width at t = 1 and t = 5; (c) 2-hidden-layer
    tanh after one step: RMS error vs width against the true limit.
    """
    fig, axes = style.subplots(1, 3)
    ax = axes[0, 0]
    t = np.arange(one["f"].shape[-1])
    ax.plot(t, one["limit"][0], "k-", lw=2, label="limit (Thm 6.1)")
    for i, n in enumerate(one["width"]):
        ax.plot(t, one["f"][i].mean(axis=0), "o--", ms=3, color=style.COLORS[i],
                label=f"n = {n}")
    ax.set_xlabel("SGD step t")
    ax.set_ylabel("$f_t(0.9)$")
    ax.set_title("1 hidden layer: $f_t$, seed mean")
    ax.legend(frameon=False)

    ax = axes[0, 1]
    for j, step in enumerate((1, t[-1])):
        rms = np.sqrt(np.mean((one["f"][..., step] - one["limit"][:, step, None]) ** 2, -1))
        s = loglog_slope(one["width"], rms)
        ax.loglog(one["width"], rms, "o-", color=style.COLORS[j], label=f"t = {step}: {s:+.2f}")
    _guide(ax, one["width"], rms)
    _width_axis(ax, one["width"])
    ax.set_xlabel("width n")
    ax.set_ylabel("RMS error vs limit")
    ax.set_title("1 hidden layer: RMS error")
    ax.legend(frameon=False)

    ax = axes[0, 2]
    rms = np.sqrt(np.mean((deep["f1"] - deep["limit_f1"][:, None]) ** 2, -1))
    s = loglog_slope(deep["width"], rms)
    ax.loglog(deep["width"], rms, "o-", color=style.COLORS[0], label=f"true backprop: {s:+.2f}")
    _guide(ax, deep["width"], rms)
    _width_axis(ax, deep["width"])
    ax.set_xlabel("width n")
    ax.set_ylabel("RMS error of $f_1$")
    ax.set_title(f"2 hidden layers: $f_1$ vs {deep['limit_f1'][0]:.4f}")
    ax.legend(frameon=False)
    return fig


def _width_axis(ax, widths):
    """Log-scaled width axis with one labelled tick per simulated width."""
    from matplotlib.ticker import NullLocator

    ax.set_xscale("log")
    ax.set_xticks([float(w) for w in widths])
    ax.set_xticklabels([str(int(w)) for w in widths], fontsize=7)
    ax.xaxis.set_minor_locator(NullLocator())


def _guide(ax, width, ref):
    w = np.asarray(width, float)
    ax.loglog(w, ref[0] * np.sqrt(w[0] / w), "k:", lw=1, label="$\\propto n^{-1/2}$")


@figure("mup_maxlr", paper="mup", sims=("mup_maxlr",))
def maxlr(res: dict):
    """Largest stable learning rate vs width: SP shrinks like 1/n, muP is flat (Fig. 2 analogue)."""
    fig, axes = style.subplots(1, 1)
    ax = axes[0, 0]
    w = res["width"].astype(float)
    for j, case in enumerate(res["cases"][0]):
        v = np.exp(np.mean(np.log(res["max_lr"][:, j]), axis=-1))
        s = loglog_slope(w, v)
        ax.loglog(w, v, "o-", color=style.COLORS[j],
                  label=f"{'SP (c=0)' if case == 'sp' else 'muP'}: slope {s:+.2f}")
    sp0 = np.exp(np.mean(np.log(res["max_lr"][0, 0])))
    ax.loglog(w, sp0 * w[0] / w, "k:", lw=1, label="$\\propto 1/n$")
    _width_axis(ax, w)
    ax.set_xlabel("width n")
    ax.set_ylabel("largest stable learning rate")
    ax.set_title("2-hidden-layer relu MLP, 15 GD steps")
    ax.legend(frameon=False)
    return fig


REGIME_COLORS = {"feature_learning": "#2ca02c", "kernel": "#1f77b4", "trivial": "#bbbbbb",
                 "unstable": "#d62728"}


def _regime_grid(xs, ys, make):
    codes = list(REGIME_COLORS)
    grid = np.empty((len(ys), len(xs)), int)
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            grid[i, j] = codes.index(M.regime(make(xv, yv)))
    return grid


@figure("mup_regime_map", paper="mup", sims=())
def regime_map():
    """Regime of abc-parametrizations (L = 1) on two slices, computed exactly by theory.mup.

    Axes are effective exponents: readout init ``s = a_2 + b_2``, readout LR ``u = 2a_2 + c``
    and input-layer LR ``v = 2a_1 + c``.  (a) u = 1: feature learning is the line
    ``min(s, 1) + v = 0``, the kernel regime lies above it (Fig. 4's caricature).
    (b) v = -1 (muP's input layer): feature learning on the faces ``s = 1`` or ``u = 1``.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    cmap = ListedColormap(list(REGIME_COLORS.values()))
    step = Fraction(1, 16)
    s_vals = [Fraction(1, 4) + k * step for k in range(29)]  # 1/4 .. 2
    v_vals = [Fraction(-2) + k * step for k in range(49)]  # -2 .. 1
    u_vals = [Fraction(1, 2) + k * step for k in range(25)]  # 1/2 .. 2

    def pa(s, u, v):  # c = 0: a_1 = v/2, b_1 = -v/2, a_2 = u/2, b_2 = s - u/2
        s, u, v = Fraction(s), Fraction(u), Fraction(v)
        return M.Parametrization((v / 2, u / 2), (-v / 2, s - u / 2), 0)

    fig, axes = style.subplots(1, 2)
    panels = [
        (axes[0, 0], s_vals, v_vals, lambda s, v: pa(s, 1, v),
         "readout init exponent $s=a_2+b_2$", "input LR exponent $v=2a_1+c$",
         "slice u = 1"),
        (axes[0, 1], s_vals, u_vals, lambda s, u: pa(s, u, -1),
         "readout init exponent $s=a_2+b_2$", "readout LR exponent $u=2a_2+c$",
         "slice v = -1"),
    ]
    for ax, xs, ys, make, xl, yl, title in panels:
        grid = _regime_grid(xs, ys, make)
        ext = [float(xs[0] - step / 2), float(xs[-1] + step / 2), float(ys[0] - step / 2),
               float(ys[-1] + step / 2)]
        ax.imshow(grid, origin="lower", extent=ext, aspect="auto", cmap=cmap, vmin=-0.5,
                  vmax=len(REGIME_COLORS) - 0.5, interpolation="nearest")
        ax.grid(False)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_title(title)
    # named points (L = 1): (s, u, v) = (a2+b2, 2a2+c, 2a1+c)
    named = {"muP / MF": M.mup(1), "NTP": M.ntk(1), "SP c=1": M.standard(1, c=1)}
    for label, p in named.items():
        s, u, v = p.init_exponents[1], p.lr_exponents[1], p.lr_exponents[0]
        if u == 1:
            axes[0, 0].plot(float(s), float(v), "k*", ms=9)
            axes[0, 0].annotate(label, (float(s), float(v)), xytext=(4, 4),
                                textcoords="offset points", fontsize=8)
        if v == -1:
            axes[0, 1].plot(float(s), float(u), "k*", ms=9)
            axes[0, 1].annotate(label, (float(s), float(u)), xytext=(4, 4),
                                textcoords="offset points", fontsize=8)
    handles = [Patch(color=c, label=k.replace("_", " ")) for k, c in REGIME_COLORS.items()]
    axes[0, 1].legend(handles=handles, loc="upper right", frameon=True, fontsize=7)
    style.label_panels(axes)
    return fig
