"""Figure registry: one plotting function per figure, fed by cached sim results.

    @figure("lion_trajectories", paper="lion", sims=("lion_toy",))
    def lion_trajectories(toy: dict) -> matplotlib.figure.Figure:
        ...

The function receives the results of the listed sims (in order) and returns a Figure; it does
no computation beyond light post-processing and no file I/O.  ``render`` runs (or loads from
the cache) the sims, calls the function and writes PNG and PDF files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "out"


@dataclasses.dataclass(frozen=True)
class Figure:
    name: str
    paper: str
    sims: tuple[str, ...]
    fn: Callable
    description: str = ""


_FIGURES: dict[str, Figure] = {}


def figure(name: str, *, paper: str, sims: Sequence[str] = ()):
    """Decorator registering a plotting function ``fn(*sim_results) -> Figure``."""

    def deco(fn):
        doc = (fn.__doc__ or "").strip().splitlines()
        _FIGURES[name] = Figure(name, paper, tuple(sims), fn, doc[0] if doc else "")
        return fn

    return deco


def load_all() -> None:
    """Import every figure module of ``figures``."""
    from theorylab.discovery import import_submodules

    import_submodules("figures", ("registry", "style"))


def all_figures(papers: Sequence[str] | None = None) -> list[Figure]:
    load_all()
    return [f for f in _FIGURES.values() if not papers or f.paper in papers]


def get(name: str) -> Figure:
    load_all()
    if name not in _FIGURES:
        raise ValueError(f"unknown figure {name!r}; known figures: {sorted(_FIGURES)}")
    return _FIGURES[name]


def out_dir(scale: str) -> Path:
    return OUT_DIR if scale == "quick" else OUT_DIR / scale


def render(name: str, *, scale: str = "quick", cache=None, out: Path | None = None,
           executor=None, workers=None, progress=None) -> list[Path]:
    """Compute (or load) the sims of figure ``name`` and save it as PNG and PDF."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sims import runner

    fig_def = get(name)
    results = [runner.run_sim(s, scale=scale, cache=cache, executor=executor, workers=workers,
                              progress=progress) for s in fig_def.sims]
    fig = fig_def.fn(*results)
    target = Path(out) if out is not None else out_dir(scale)
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        path = target / f"{name}.{ext}"
        fig.savefig(path, dpi=110 if ext == "png" else None, bbox_inches="tight",
                    metadata={"CreationDate": None} if ext == "pdf" else None)
        paths.append(path)
    plt.close(fig)
    return paths
