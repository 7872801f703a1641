"""The claim ledger: each quantitative claim of a paper, our value, a tolerance and a verdict.

A claim is a small function ``fn(scale) -> ours`` registered with its metadata::

    @claim("lion.box_lsq", paper="lion", reference="Sec. 3 (R5); Fig. 4",
           statement="Lion with weight decay lambda converges to argmin f on the box",
           source="derived", expected=0.0, tol=1e-4, compare="abs")
    def box_lsq(scale):
        ...
        return err            # or (err, "note shown in the table")

``source`` says where the expected value comes from: ``"paper"`` (read in the paper) or
``"derived"`` (derived in the reference notes, not printed in the paper).

``evidence`` says what stands on *our* side of the comparison, one of:

===============  ==============================================================
``simulation``   finite networks or Monte Carlo, compared against the theory
``independent``  a second implementation or tool (neural-tangents, cvxpy, sympy,
                 quadrature, scipy, brute force) compared against ours
``exact``        our code compared against an exact value (a rational, a printed number)
``regression``   our code compared against a number the reference note derived the same
                 way (guards against regressions; weakest kind)
===============  ==============================================================

A claim must be able to fail: when both sides come from the same code, or the comparison
holds by algebra, it is a unit test (``tests/``), not a claim.  Tolerances must
come from the statistics or the numerics (standard errors, convergence rates, solver
accuracy), and the claim's ``tol_reason`` says which.

Comparison rules (``compare``):

=========  ==============================================================
``abs``    max |ours - expected| <= tol
``rel``    max |ours - expected| <= tol * max |expected|
``le``     ours <= expected (+ tol)                   (an upper bound)
``ge``     ours >= expected (- tol)                   (a lower bound)
``range``  expected = (lo, hi) and lo <= ours <= hi
``equal``  ours == expected exactly (integers, strings, booleans)
=========  ==============================================================

``reference(...)`` records a claim that is listed with the paper's value but not reproduced
(e.g. GPU-days experiments); its verdict is ``"not reproduced"`` and it never fails a run.
"""

from __future__ import annotations

import dataclasses
import math
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

PAPERS: dict[str, dict[str, str]] = {
    "ntk": {"title": "Neural Tangent Kernel: Convergence and Generalization in Neural Networks",
            "authors": "Jacot, Gabriel, Hongler (2018)", "arxiv": "1806.07572",
            "summary": (
                "Limiting NNGP and NTK kernels of the NTK parametrization (Prop. 1, Thm 1), "
                "their convergence at initialization and stability during gradient descent at "
                "finite width (Thm 2), kernel-regression dynamics (Sec. 5) and Prop. 2.")},
    "mup": {"title": "Feature Learning in Infinite-Width Neural Networks (Tensor Programs IV)",
            "authors": "Yang, Hu (2021)", "arxiv": "2011.14522",
            "summary": (
                "The abc-parametrization phase diagram (Table 1, Thms 3.3-3.8), the uniqueness "
                "of muP (Thm 5.6), the infinite-width feature-learning limits (Thm 6.1, Cor. "
                "6.2) and coordinate checks of finite networks.")},
    "dkm": {"title": "A theory of representation learning gives a deep generalisation of kernel "
                     "methods", "authors": "Yang et al. (2023)", "arxiv": "2108.13097",
            "summary": (
                "The deep kernel machine objective (log-likelihood minus nu-weighted KL terms "
                "between Gram matrices), its optimum against finite-width deep Gaussian process "
                "posteriors, the NNGP limit as nu grows, and the sparse DKM on UCI regression.")},
    "kde": {"title": "Kernel Density Estimators in Large Dimensions",
            "authors": "Biroli, Mezard (2024)", "arxiv": "2408.05807",
            "summary": (
                "Gaussian kernel density estimation in dimension d with n = exp(alpha d) "
                "samples: the bandwidth thresholds, the stable laws between them, the condensed "
                "(Poisson-Dirichlet) phase and the KL-optimal bandwidth.")},
    "neural_collapse": {"title": "Perturbation Analysis of Neural Collapse",
                        "authors": "Tirer, Huang, Niles-Weed (2023)", "arxiv": "2210.16658",
            "summary": (
                "Neural-collapse metrics and unconstrained-features minimizers, the model "
                "pulled towards given features H0, monotone collapse along the central path "
                "(Thm 3.1) and first-order perturbation theory (Thms 4.1-4.2).")},
    "sdpi": {"title": "Information-Theoretic Generalization Bounds for Deep Neural Networks",
             "authors": "He, Yu, Goldfeld (2024)", "arxiv": "2404.03176",
            "summary": (
                "Layerwise KL and Wasserstein generalization bounds contracted by strong "
                "data-processing inequalities of Dropout, DropConnect and Gaussian-noise "
                "layers, against Monte Carlo estimates of the generalization gap.")},
    "sgd_stability": {"title": "The Implicit Regularization of Dynamical Stability in SGD",
                      "authors": "Wu, Su (2023)", "arxiv": "2305.17490",
            "summary": (
                "Mean-square linear stability of SGD at an interpolating minimum: exact "
                "thresholds, the trace bound tr(H) <= 2/eta and the norm regularization it "
                "implies, against SGD and GD runs.")},
    "lion": {"title": "Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts",
             "authors": "Chen, Liu, Liang, Liu (2024)", "arxiv": "2310.05898",
            "summary": (
                "Lion-K as an optax optimizer, the constrained / composite problem it solves, "
                "its continuous and discrete Lyapunov functions, entry into the constraint set "
                "and the limit points it reaches.")},
    "clustering": {"title": "Likelihood Adjusted Semidefinite Programs for Clustering "
                            "Heterogeneous Data", "authors": "Zhuang, Chen, Yang (2023)",
                   "arxiv": "2209.15097",
            "summary": (
                "The SDP relaxation of K-means and its exact-recovery threshold, the iterative "
                "likelihood-adjusted SDP for Gaussian mixtures with cluster-specific "
                "covariances, EM and K-means baselines, and a fast SDP solver.")},
}

COMPARES = ("abs", "rel", "le", "ge", "range", "equal")
SOURCES = ("paper", "derived")
EVIDENCE = ("simulation", "independent", "exact", "regression")
PASS, FAIL, ERROR, NOT_REPRODUCED = "pass", "fail", "error", "not reproduced"


@dataclasses.dataclass(frozen=True)
class Claim:
    """A registered claim (its metadata and the function computing our value)."""

    id: str
    paper: str
    reference: str
    statement: str
    source: str
    expected: Any
    tol: float | None
    compare: str
    fn: Callable[[str], Any] | None
    tol_reason: str = ""
    reason: str = ""  # why a reference row is not reproduced
    evidence: str | None = None  # one of EVIDENCE; None only for reference rows

    def run(self, scale: str = "quick") -> Result:
        if self.fn is None:
            return Result(self, None, NOT_REPRODUCED, 0.0, self.reason, scale)
        from sims.runner import record_sims

        t0 = time.perf_counter()
        note = ""
        used: set[str] = set()
        try:
            with record_sims() as used:
                out = self.fn(scale)
            if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], str):
                out, note = out
            verdict = PASS if verdict_of(out, self.expected, self.tol, self.compare) else FAIL
        except Exception:  # noqa: BLE001 - a crashing claim is reported, not raised
            out, verdict = None, ERROR
            note = traceback.format_exc(limit=3).strip().splitlines()[-1]
        return Result(self, _plain(out), verdict, time.perf_counter() - t0, note, scale,
                      tuple(sorted(used)))


@dataclasses.dataclass
class Result:
    claim: Claim
    ours: Any
    verdict: str
    seconds: float
    note: str
    scale: str
    sims: tuple[str, ...] = ()  # the sims the claim asked the runner for

    def as_dict(self) -> dict[str, Any]:
        c = self.claim
        return {"id": c.id, "paper": c.paper, "reference": c.reference,
                "statement": c.statement, "source": c.source, "evidence": c.evidence,
                "expected": _plain(c.expected),
                "tolerance": c.tol, "compare": c.compare, "tol_reason": c.tol_reason,
                "ours": self.ours, "verdict": self.verdict, "runtime_s": round(self.seconds, 3),
                "note": self.note, "scale": self.scale, "sims": list(self.sims)}


def verdict_of(ours, expected, tol, compare: str) -> bool:
    """Apply a comparison rule (see the module docstring)."""
    if compare == "equal":
        if isinstance(ours, str | bool) or isinstance(expected, str | bool):
            return ours == expected
        return bool(np.array_equal(np.asarray(ours), np.asarray(expected)))
    ours_a = np.asarray(ours, dtype=float)
    if not np.all(np.isfinite(ours_a)):
        return False
    slack = 0.0 if tol is None else float(tol)
    if compare == "abs":
        return bool(np.max(np.abs(ours_a - np.asarray(expected, float))) <= slack)
    if compare == "rel":
        exp = np.asarray(expected, float)
        return bool(np.max(np.abs(ours_a - exp)) <= slack * np.max(np.abs(exp)))
    if compare == "le":
        return bool(np.all(ours_a <= np.asarray(expected, float) + slack))
    if compare == "ge":
        return bool(np.all(ours_a >= np.asarray(expected, float) - slack))
    if compare == "range":
        lo, hi = expected
        return bool(np.all((ours_a >= lo) & (ours_a <= hi)))
    raise ValueError(f"compare must be one of {COMPARES}, got {compare!r}")


def _plain(value):
    """Make a value JSON-friendly (numpy scalars/arrays to Python)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


_CLAIMS: dict[str, Claim] = {}


def _check_meta(id: str, paper: str, source: str, compare: str,
                evidence: str | None) -> None:
    if paper not in PAPERS:
        raise ValueError(f"claim {id!r}: paper must be one of {sorted(PAPERS)}, got {paper!r}")
    if source not in SOURCES:
        raise ValueError(f"claim {id!r}: source must be 'paper' or 'derived', got {source!r}")
    if evidence is not None and evidence not in EVIDENCE:
        raise ValueError(f"claim {id!r}: evidence must be one of {EVIDENCE}, got {evidence!r}")
    if compare not in COMPARES:
        raise ValueError(f"claim {id!r}: compare must be one of {COMPARES}, got {compare!r}")
    if not id.startswith(paper + "."):
        raise ValueError(f"claim id {id!r} must start with '{paper}.'")


def _add(c: Claim) -> None:
    old = _CLAIMS.get(c.id)
    if old is not None and (old.fn is None or c.fn is None or
                            old.fn.__module__ != c.fn.__module__):
        raise ValueError(f"claim {c.id!r} registered twice")
    _CLAIMS[c.id] = c


def claim(id: str, *, paper: str, reference: str, statement: str, source: str,
          expected: Any, tol: float | None = None, compare: str = "abs",
          tol_reason: str = "", evidence: str | None = None):
    """Decorator registering ``fn(scale) -> ours`` as a claim of ``paper``.

    ``evidence`` (one of :data:`EVIDENCE`) names what stands on our side of the comparison.
    """
    _check_meta(id, paper, source, compare, evidence)
    if compare in ("abs", "rel") and tol is None:
        raise ValueError(f"claim {id!r}: compare={compare!r} needs a tolerance")

    def deco(fn):
        _add(Claim(id, paper, reference, statement, source, expected, tol, compare, fn,
                   tol_reason, evidence=evidence))
        return fn

    return deco


def reference(id: str, *, paper: str, reference: str, statement: str, expected: Any,
              reason: str, source: str = "paper") -> None:
    """Record a claim that is listed but not reproduced here, with the reason why."""
    _check_meta(id, paper, source, "equal", None)
    _add(Claim(id, paper, reference, statement, source, expected, None, "equal", None,
               "", reason))


def load_all() -> None:
    """Import every claim module of ``paper_checks``."""
    from theorylab.discovery import import_submodules

    import_submodules("paper_checks", ("ledger",))


def claims(papers: Sequence[str] | None = None) -> list[Claim]:
    """All registered claims (of the given papers), in registration order."""
    load_all()
    if papers:
        unknown = [p for p in papers if p not in PAPERS]
        if unknown:
            raise ValueError(f"unknown paper(s) {unknown}; papers are {sorted(PAPERS)}")
    return [c for c in _CLAIMS.values() if not papers or c.paper in papers]


def run_claims(selected: Sequence[Claim], scale: str = "quick",
               progress: bool | None = None) -> list[Result]:
    import sys

    from tqdm.auto import tqdm

    enabled = sys.stderr.isatty() if progress is None else progress
    results = []
    for c in tqdm(selected, desc="claims", disable=not enabled, leave=False):
        results.append(c.run(scale))
    return results


def failed(results: Sequence[Result]) -> list[Result]:
    return [r for r in results if r.verdict in (FAIL, ERROR)]
