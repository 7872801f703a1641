"""Shared figure style: sizes, fonts and a colour cycle used by every figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#17becf", "#bcbd22"]
WIDTH = 3.2  # inches per panel
HEIGHT = 2.7

RC = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=COLORS),
    "figure.dpi": 110,
}


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``plt.subplots`` with the project's style and panel size."""
    with plt.rc_context(RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH * ncols, HEIGHT * nrows),
                                 constrained_layout=True, squeeze=False, **kwargs)
    for ax in axes.flat:
        _style_axes(ax)
    return fig, axes


def _style_axes(ax) -> None:
    for key, value in RC.items():
        if key == "axes.grid" and value:
            ax.grid(True, alpha=RC["grid.alpha"])
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.tick_params(labelsize=RC["xtick.labelsize"])


def label_panels(axes) -> None:
    """Put (a), (b), ... in the corner of each panel."""
    for i, ax in enumerate(getattr(axes, "flat", axes)):
        ax.set_title(f"({chr(97 + i)})", loc="left", fontsize=9, fontweight="bold")
