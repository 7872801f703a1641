"""Figures of the Lion-K module (Chen et al. 2024): Fig. 1 and Fig. 4 analogues and more."""

from __future__ import annotations

import numpy as np

from figures import style
from figures.registry import figure
from sims import lion_problems as P
from sims.lion_limits import CASES
from theorylab.stats import loglog_fit


@figure("lion_trajectories", paper="lion", sims=("lion_toy",))
def lion_trajectories(toy: dict):
    """Fig. 1 analogue: Lion on a nonconvex 2-D toy enters the box ||x||_inf <= 1/lambda."""
    fig, axes = style.subplots(1, 4)
    ax = axes[0, 0]
    lim = 1.0 / float(toy["lam"])
    g = np.linspace(-4.5, 4.5, 200)
    X1, X2 = np.meshgrid(g, g)
    ax.contour(X1, X2, P.toy2d_f(np.stack([X1, X2], -1)), levels=25, linewidths=0.5,
               colors="0.6")
    ax.plot([-lim, lim, lim, -lim, -lim], [-lim, -lim, lim, lim, -lim], "k-", lw=1.2)
    steps = np.arange(toy["f"].shape[1])
    for i, path in enumerate(toy["x"]):
        c = style.COLORS[i]
        ax.plot(path[:, 0], path[:, 1], "-", color=c, lw=1)
        ax.plot(*path[0], "o", color=c, ms=4)
        axes[0, 1].plot(steps, toy["f"][i], color=c, lw=1)
        axes[0, 2].plot(steps, toy["H"][i], color=c, lw=1)  # inf (outside) is not drawn
        axes[0, 3].semilogy(steps, np.maximum(toy["excess"][i], 1e-16), color=c, lw=1)
        axes[0, 3].semilogy(steps, np.maximum(toy["bound"][i], 1e-16), ":", color=c, lw=1)
    ax.plot(*toy["x_box_opt"][0], "k*", ms=9, label="box optimum")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title="trajectories, box $1/\\lambda$")
    ax.legend(loc="upper left")
    axes[0, 1].set(xlabel="step", ylabel="$f(x_t)$", title="f: not monotone")
    axes[0, 2].set(xlabel="step", ylabel="$H(x_t, m_t)$", title="H: monotone once finite")
    axes[0, 3].set(xlabel="step", ylabel="$(\\|x_t\\|_\\infty - 1/\\lambda)_+$",
                   title="entry (dotted: $(1-\\epsilon\\lambda)^t$ bound)", ylim=(1e-10, 10))
    return fig


@figure("lion_ode_lyapunov", paper="lion", sims=("lion_ode",))
def lion_ode_lyapunov(ode: dict):
    """f and H along the Lion-K ODE (smoothed sign): H decreases monotonically, f does not."""
    fig, axes = style.subplots(1, 2)
    t = ode["t"]
    axes[0, 0].plot(t, ode["f"], label="$f(x_t)$")
    axes[0, 0].plot(t, ode["H"], label="$H(x_t, m_t)$")
    axes[0, 0].set(xlabel="t", title="Lyapunov function vs objective")
    axes[0, 0].legend()
    df = np.diff(ode["f"])
    axes[0, 1].plot(t[1:], np.diff(ode["H"]) / np.diff(t), label="$dH/dt$")
    axes[0, 1].plot(t[1:], df / np.diff(t), label="$df/dt$", alpha=0.8)
    axes[0, 1].plot(t, -ode["Delta"], "k:", label="$-\\Delta$")
    axes[0, 1].axhline(0, color="k", lw=0.5)
    axes[0, 1].set(xlabel="t", title="dH/dt = -Delta <= 0", xlim=(0, min(20, t[-1])))
    axes[0, 1].legend()
    return fig


@figure("lion_kernels_convergence", paper="lion", sims=("lion_limits",))
def lion_kernels_convergence(limits: dict):
    """Fig. 4 analogue: distance to each K's composite optimum vs steps (cosine step size)."""
    fig, axes = style.subplots(1, 2)
    for ax, group in zip(axes[0], (("lsq", "logistic", "matrix_lsq"), ("quad", "ball"))):
        for i, case in enumerate(limits["case"]):
            if CASES[str(case)][0] in group:
                ax.loglog(limits["steps_path"][i], np.maximum(limits["err_path"][i], 1e-16),
                          label=str(case), lw=1)
        ax.set(xlabel="step", ylabel="$\\|x_t - x^*\\|_\\infty$", ylim=(1e-10, 10))
        ax.legend(ncol=2, fontsize=6)
    axes[0, 0].set_title("vs cvxpy (least squares, logistic, matrix)")
    axes[0, 1].set_title("vs closed forms (separable quadratic)")
    return fig


@figure("lion_discretization", paper="lion", sims=("lion_ode_discretization",))
def lion_discretization(disc: dict):
    """Discrete Lion-K vs its ODE: sup-error on [0, 5] against the step size (slope 1)."""
    fig, axes = style.subplots(1, 1)
    ax = axes[0, 0]
    lr, err = disc["lr"], disc["sup_err"]
    slope, icpt = loglog_fit(lr, err)
    ax.loglog(lr, err, "o-", label="measured")
    ax.loglog(lr, np.exp(icpt) * lr**slope, "k:", label=f"fit, slope {slope:.2f}")
    ax.set(xlabel="step size $\\eta$", ylabel="$\\sup_t |x_k - x(k\\eta)|$",
           title="ODE limit of Lion-K")
    ax.legend()
    return fig


@figure("lion_mlp_entry", paper="lion", sims=("lion_mlp",))
def lion_mlp_entry(mlp: dict):
    """Minibatch Lion on a ReLU MLP: weights enter the box at the guaranteed rate."""
    fig, axes = style.subplots(1, 2)
    steps = np.arange(1, len(mlp["gap"]) + 1)
    axes[0, 0].semilogy(steps, mlp["bound"], "k:", label="bound $\\prod (1-\\eta_s\\lambda)$")
    r = float(mlp["radius"])
    axes[0, 0].semilogy(steps, np.maximum(mlp["max_abs_w"] - r, 1e-17) /
                        (float(mlp["w0_max"]) - r), label="largest weight's excess / initial")
    axes[0, 0].set(xlabel="step", title=f"box entry, radius 1/lambda = {r:g}")
    axes[0, 0].legend()
    axes[0, 1].plot(steps, mlp["max_abs_w"], label="max |w|")
    axes[0, 1].plot(steps, mlp["loss"], label="minibatch loss")
    axes[0, 1].axhline(r, color="k", lw=0.5)
    axes[0, 1].set(xlabel="step", title="weights shrink into the box")
    axes[0, 1].legend()
    return fig
