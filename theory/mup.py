"""Tensor Programs IV (Yang & Hu 2021): abc-parametrizations and feature-learning limits.

The module reads like the paper:

1. Setup: the :class:`Parametrization` ``{a_l, b_l}_{l=1..L+1} U {c}`` (paper Eq. 1), the
   named points of Table 1 (:func:`standard`, :func:`ntk`, :func:`mean_field`, :func:`mup`),
   the symmetry of Eq. 5 (:func:`symmetry`) and the effective exponents.
2. The classification: the per-layer exponents ``r_l`` and ``r`` (Def. 3.2, Prop. 5.3),
   stability (Thm 3.3), nontriviality (Thm 3.4), feature learning (Thm 3.6), the kernel
   regime (Thm 3.8) and the Dynamical Dichotomy (Cor. 3.9): :func:`regime`,
   :func:`classify`.  The width exponents that a coordinate check measures
   (:func:`update_exponents`) and the limiting kernel of a kernel-regime point
   (:func:`kernel_value`).
3. The uniqueness of muP (Thm 5.6), solved with sympy (:func:`solve_maximal_update`).
4. Infinite-width limits: the one-hidden-layer muP limit of Theorem 6.1 for any number of
   steps (:func:`one_hidden_layer_limit`, Gauss-Hermite quadrature), its relu one-step
   closed form (:func:`relu_one_step_limit`), the linear recursion of Corollary 6.2
   (:func:`linear_limit`, :func:`linear_repeated_input_limit`) and the deep one-step limit
   with and without the Tensor-Program correction term (:func:`deep_one_step_limit`).

Conventions.  ``n`` is the width, ``L`` the number of hidden layers, layers are indexed
``l = 1..L+1`` in the docstrings and ``0..L`` in Python tuples.  All exponents are exact
:class:`fractions.Fraction`.  Numerical limits use float64 numpy.  The loss is
``1/2 (f - y)^2`` so ``chi = f - y``, and training is SGD with batch size 1 as in the paper.

Provenance.  Each function says whether its formula is read in the paper or derived (in the
reference note ``papers/mup.md``, from the paper's Tensor-Program rules).

References
----------
G. Yang and E. J. Hu, "Tensor Programs IV: Feature Learning in Infinite-Width Neural
Networks", ICML 2021, arXiv:2011.14522.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from fractions import Fraction
from numbers import Rational
from typing import NamedTuple

import numpy as np

HALF = Fraction(1, 2)
REGIMES = ("feature_learning", "kernel", "unstable", "trivial")


# =========================================================================== 1. setup


def _frac(value, name: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, Rational | str):
        raise ValueError(f"{name} must be a rational number (int, Fraction or 'p/q'), "
                         f"got {value!r}")
    try:
        return Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{name} must be a rational number (int, Fraction or 'p/q'), "
                         f"got {value!r}") from None


@dataclasses.dataclass(frozen=True)
class Parametrization:
    """An abc-parametrization ``{a_l, b_l}_{l=1..L+1} U {c}`` (paper Eq. 1).

    ``W^l = n^{-a_l} w^l``, ``w^l ~ N(0, n^{-2 b_l})`` and SGD learning rate ``eta n^{-c}``.
    ``c`` may also be a tuple (one exponent per layer), the per-layer form that the paper's
    symmetry (Eq. 5) makes equivalent to changing (a_l, b_l); see :func:`canonical`.

    Parameters
    ----------
    a, b : sequence of rational
        One exponent per layer, ``L + 1 >= 2`` entries each (ints, Fractions or 'p/q'
        strings; floats are rejected because the classification needs exact arithmetic).
    c : rational or sequence of rational
        Learning-rate exponent (one number, or one per layer).
    name : str
        A label.
    """

    a: tuple
    b: tuple
    c: object
    name: str = "custom"

    def __post_init__(self):
        if isinstance(self.a, str | bytes) or isinstance(self.b, str | bytes):
            raise ValueError("a and b must be sequences of exponents, one per layer")
        a = tuple(_frac(v, f"a[{i}]") for i, v in enumerate(self.a))
        b = tuple(_frac(v, f"b[{i}]") for i, v in enumerate(self.b))
        if len(a) < 2 or len(a) != len(b):
            raise ValueError(f"a and b must have the same length L+1 >= 2, got {len(a)} and "
                             f"{len(b)}")
        if isinstance(self.c, tuple | list):
            c = tuple(_frac(v, f"c[{i}]") for i, v in enumerate(self.c))
            if len(c) != len(a):
                raise ValueError(f"per-layer c must have length L+1 = {len(a)}, got {len(c)}")
        else:
            c = _frac(self.c, "c")
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "c", c)

    @property
    def L(self) -> int:
        """Number of hidden layers."""
        return len(self.a) - 1

    @property
    def c_per_layer(self) -> tuple:
        """The learning-rate exponent of each layer (c repeated when it is one number)."""
        return self.c if isinstance(self.c, tuple) else (self.c,) * len(self.a)

    @property
    def init_exponents(self) -> tuple:
        """``a_l + b_l``: the effective weight ``W^l`` has init std ``n^{-(a_l+b_l)}``."""
        return tuple(a + b for a, b in zip(self.a, self.b, strict=True))

    @property
    def lr_exponents(self) -> tuple:
        """``c_l + 2 a_l``: the effective weight moves by ``-eta n^{-(c_l+2a_l)} grad_W``."""
        return tuple(c + 2 * a for a, c in zip(self.a, self.c_per_layer, strict=True))


def _check_L(L: int) -> None:
    if isinstance(L, bool) or not isinstance(L, int | np.integer) or L < 1:
        raise ValueError(f"L (number of hidden layers) must be an integer >= 1, got {L!r}")


def standard(L: int = 1, c=0) -> Parametrization:
    """Standard parametrization (PyTorch default): a = 0, b = (0, 1/2, ..., 1/2), c.

    ``c = 0`` is the paper's section-1 "SP" (unstable); ``c = 1`` is Table 1's "SP w/ LR
    eta/n" column (kernel regime).  [paper, Table 1]
    """
    _check_L(L)
    return Parametrization((0,) * (L + 1), (0,) + (HALF,) * L, c, "standard")


def ntk(L: int = 1) -> Parametrization:
    """NTK parametrization: a = (0, 1/2, ..., 1/2), b = 0, c = 0.  [paper, Table 1]"""
    _check_L(L)
    return Parametrization((0,) + (HALF,) * L, (0,) * (L + 1), 0, "ntk")


def mean_field() -> Parametrization:
    """Mean-field parametrization (L = 1): a = (0, 1), b = (0, 0), c = -1.  [paper, Table 1]"""
    return Parametrization((0, 1), (0, 0), -1, "mean_field")


def mup(L: int = 1) -> Parametrization:
    """Maximal update parametrization (Def. 5.1): a = (-1/2, 0, ..., 0, 1/2), b = 1/2, c = 0.

    In effective form: first layer init N(0, 1) with LR eta*n, hidden layers init N(0, 1/n)
    with LR eta, readout init N(0, 1/n^2) with LR eta/n.  [paper, Def. 5.1 / Table 1]
    """
    _check_L(L)
    return Parametrization((-HALF,) + (0,) * (L - 1) + (HALF,), (HALF,) * (L + 1), 0, "mup")


def mup_sp_input(L: int = 1) -> Parametrization:
    """muP without the first-layer fix: a_1 = b_1 = 0, the other layers as in :func:`mup`.

    The paper (Sec. 5) explains that then ``r_1 = 1``, so the first layer's preactivations
    move only ``Theta(1/n)`` while the deeper features still move ``Theta(1)``.
    """
    p = mup(L)
    return Parametrization((0,) + p.a[1:], (0,) + p.b[1:], 0, "mup_sp_input")


NAMED = {"standard": standard, "ntk": ntk, "mean_field": lambda L=1: mean_field(), "mup": mup}


def get(name: str, L: int = 1) -> Parametrization:
    """The named parametrization with L hidden layers (L = 1 unless given).

    Names: "standard" (SP with c = 0, the PyTorch default), "ntk", "mup" and "mean_field"
    (L = 1 only).  The classification functions, unlike this constructor, refuse a name
    without L (see :func:`r_layers`).
    """
    if name not in NAMED:
        raise ValueError(f"parametrization must be one of {sorted(NAMED)}, got {name!r}")
    if name == "mean_field" and L != 1:
        raise ValueError("the mean-field parametrization is defined for L = 1 only")
    return NAMED[name](L)


def _as_param(p, L: int | None = None) -> Parametrization:
    """``p`` itself, or the named parametrization ``get(p, L)``; checks that p has L layers.

    A name other than "mean_field" (which exists only for L = 1) needs L: the exponents
    of "standard", "ntk" and "mup" depend on the depth, and ``r("standard")`` silently
    meaning L = 1 was a trap.
    """
    if isinstance(p, str):
        if L is None and p != "mean_field":
            raise ValueError(f"p = {p!r} is a name; pass the number of hidden layers as well, "
                             f"e.g. r({p!r}, L=2), or pass a Parametrization such as "
                             f"mup(2)")
        p = get(p, 1 if L is None else L)
    if not isinstance(p, Parametrization):
        raise ValueError(f"p must be a Parametrization or one of {sorted(NAMED)}, got {p!r}")
    if L is not None and p.L != L:
        raise ValueError(f"p has L = {p.L} hidden layers, expected L = {L}")
    return p


def symmetry(p: Parametrization | str, theta, *, L: int | None = None) -> Parametrization:
    """Apply the symmetry of paper Eq. 5: ``a_l += theta, b_l -= theta, c -= 2 theta``.

    The effective exponents ``a_l + b_l`` and ``c + 2 a_l`` are unchanged, hence so is the
    whole training trajectory f_t(xi).  [paper, Eq. 5]
    """
    p = _as_param(p, L)
    th = _frac(theta, "theta")
    c = tuple(ci - 2 * th for ci in p.c) if isinstance(p.c, tuple) else p.c - 2 * th
    return Parametrization(tuple(a + th for a in p.a), tuple(b - th for b in p.b), c, p.name)


def canonical(p: Parametrization | str, *, L: int | None = None) -> Parametrization:
    """The single-``c`` parametrization equivalent to ``p`` (per-layer c folded into a, b).

    A per-layer exponent c_l equals, by the symmetry of Eq. 5 applied to layer l alone,
    ``(a_l + (c_l - c)/2, b_l - (c_l - c)/2, c)``; here c is the last layer's c_{L+1}.
    Both effective exponents of every layer are preserved.  [derived from Eq. 5]
    """
    p = _as_param(p, L)
    if not isinstance(p.c, tuple):
        return p
    c = p.c[-1]
    shift = tuple((cl - c) / 2 for cl in p.c)
    return Parametrization(tuple(a + s for a, s in zip(p.a, shift, strict=True)),
                           tuple(b - s for b, s in zip(p.b, shift, strict=True)), c, p.name)


# =========================================================================== 2. classification


def r_layers(p: Parametrization | str, *, first_step: bool = False,
             L: int | None = None) -> tuple[Fraction, ...]:
    """The per-layer exponents ``r_1..r_L`` of Prop. 5.3.

    Parameters
    ----------
    p : Parametrization or str
        A parametrization, or a name ("standard" = SP with c = 0, "ntk", "mup",
        "mean_field") together with ``L``.
    first_step : bool
        If True, use ``a_{L+1} + b_{L+1}`` in place of the min below: at t = 1 the readout
        update has not yet acted on the backward pass [derived].
    L : int, optional
        Number of hidden layers: required with a name (except "mean_field", L = 1 only),
        checked against p otherwise.  The same keyword exists on every function that takes p.

    Returns
    -------
    tuple of Fraction

    Notes
    -----
    [paper, Def. 3.2 and Prop. 5.3]

    .. math:: r_l = \\min(a_{L+1}+b_{L+1},\\; 2a_{L+1}+c) + c - 1 + 2a_l + [l = 1].

    ``W^l`` is updated maximally (``Delta W^l x^{l-1} = Theta(1)``) iff ``r_l = 0``.
    Per-layer learning-rate exponents are first folded into (a, b) by :func:`canonical`.
    """
    p = canonical(_as_param(p, L))
    aL, bL, c = p.a[-1], p.b[-1], p.c
    m = aL + bL if first_step else min(aL + bL, 2 * aL + c)
    return tuple(m + c - 1 + 2 * p.a[l] + (1 if l == 0 else 0) for l in range(p.L))


def r(p: Parametrization | str, *, L: int | None = None) -> Fraction:
    """``r = min_l r_l`` (Def. 3.2): ``Delta x^L_t = Theta(n^{-r})``, as an exact Fraction.

    [paper, Def. 3.2]; Table 1 gives r = -1 (SP, c=0), 1/2 (SP, c=1), 1/2 (NTP), 0 (MFP, muP).
    A name (``"standard"``, ``"ntk"``, ``"mup"``) needs ``L``; see :func:`get`.
    """
    return min(r_layers(p, L=L))


def stability_conditions(p: Parametrization | str, *, L: int | None = None) -> dict[str, bool]:
    """The three conditions of Theorem 3.3 (stability), each as a boolean.

    Notes
    -----
    [paper, Thm 3.3] ``p`` is stable iff

    1. ``a_1 + b_1 = 0``, ``a_l + b_l = 1/2`` for ``2 <= l <= L`` and
       ``a_{L+1} + b_{L+1} >= 1/2`` (``"init"``);
    2. ``r >= 0`` (``"r_nonnegative"``);
    3. ``2 a_{L+1} + c >= 1`` and ``a_{L+1} + b_{L+1} + r >= 1`` (``"logits"``).
    """
    p = canonical(_as_param(p, L))
    ab = p.init_exponents
    init = ab[0] == 0 and all(v == HALF for v in ab[1:-1]) and ab[-1] >= HALF
    rr = r(p)
    logits = 2 * p.a[-1] + p.c >= 1 and ab[-1] + rr >= 1
    return {"init": bool(init), "r_nonnegative": bool(rr >= 0), "logits": bool(logits)}


def is_stable(p: Parametrization | str, *, L: int | None = None) -> bool:
    """Theorem 3.3: all three stability conditions hold.  [paper]"""
    return all(stability_conditions(p, L=L).values())


def is_nontrivial(p: Parametrization | str, *, L: int | None = None) -> bool:
    """Theorem 3.4: a stable p is nontrivial iff ``a_{L+1}+b_{L+1}+r = 1`` or ``2a_{L+1}+c = 1``.

    Returns False for unstable p (the theorem classifies stable points only).  [paper]
    """
    p = canonical(_as_param(p, L))
    if not is_stable(p):
        return False
    return bool(p.init_exponents[-1] + r(p) == 1 or 2 * p.a[-1] + p.c == 1)


def regime(p: Parametrization | str, *, L: int | None = None) -> str:
    """The regime of ``p`` in {"feature_learning", "kernel", "unstable", "trivial"}.

    Notes
    -----
    [paper, Thm 3.3, 3.4, 3.6, 3.8 and Cor. 3.9 (Dynamical Dichotomy)] An unstable p is
    "unstable"; a stable p that is not nontrivial is "trivial"; a nontrivial stable p
    learns features iff ``r = 0`` ("feature_learning") and is in the kernel regime iff
    ``r > 0`` ("kernel"), never both.  The theorems assume a tanh-like nonlinearity
    (Assumption 3.1); linear networks can be both.
    """
    p = _as_param(p, L)
    if not is_stable(p):
        return "unstable"
    if not is_nontrivial(p):
        return "trivial"
    return "feature_learning" if r(p) == 0 else "kernel"


def classify(p: Parametrization | str, *, L: int | None = None) -> dict:
    """All the quantities of Table 1 for ``p``: r, r_l, the two readout sums, the verdicts."""
    p = canonical(_as_param(p, L))
    rr = r(p)
    reg = regime(p)
    return {"r": rr, "r_layers": r_layers(p), "readout_update": 2 * p.a[-1] + p.c,
            "readout_init_plus_r": p.init_exponents[-1] + rr, "stable": is_stable(p),
            "nontrivial": is_nontrivial(p), "feature_learning": reg == "feature_learning",
            "kernel": reg == "kernel", "regime": reg}


def update_exponents(p: Parametrization | str, t: int = 1, *,
                     L: int | None = None) -> dict:
    """Predicted width exponents of the updates after t SGD steps (the coordinate check).

    Parameters
    ----------
    p : Parametrization or str
        A parametrization, or a name with ``L``.
    t : int
        Number of SGD steps (>= 1).
    L : int, optional
        Number of hidden layers (needed with a name).

    Returns
    -------
    dict
        ``"dh"``: the exponents e_l with ``rms(Delta h^l_t) = Theta(n^{e_l})``, l = 1..L;
        ``"df"``: the exponent of ``Delta f_t``; ``"stable"``: whether p is stable
        (Thm 3.3); ``"regime"``: :func:`regime`; ``"linear_response"``: whether ``r >= 0``,
        i.e. whether the exponents are a prediction at all.  Unstable points with r >= 0
        (e.g. SP with LR eta/sqrt(n), whose logits blow up like sqrt(n)) follow them; for
        ``r < 0`` they are only an extrapolation: see Notes.

    Notes
    -----
    [derived, reference note Sec. 3.1/3.7, from the paper's Sec. 5 heuristics]
    ``Delta h^l_t = Theta(n^{-min_{m<=l} r_m})`` and
    ``Delta f_t = Theta(n^{max(1 - 2a_{L+1} - c, 1 - a_{L+1} - b_{L+1} - r)})`` (the readout
    update acting on the features, and the initial readout acting on the feature change).
    At t = 1 only ``a_{L+1} + b_{L+1}`` enters r_l (``first_step=True``).  The prediction
    assumes the linear-response picture, valid for stable p.  At unstable points (e.g. SP
    with c = 0, r < 0) activations saturate and the measured exponents are not universal
    (the reference note measures a Delta f slope of +0.64 with tanh and +1.45 with relu
    where this formula gives +1), hence the ``"stable"`` flag.
    """
    if isinstance(t, bool) or not isinstance(t, int | np.integer) or t < 1:
        raise ValueError(f"t must be an integer >= 1, got {t!r}")
    p = canonical(_as_param(p, L))
    rl = r_layers(p, first_step=(t == 1))
    dh = tuple(-min(rl[: l + 1]) for l in range(p.L))
    df = max(1 - 2 * p.a[-1] - p.c, 1 - p.init_exponents[-1] - min(rl))
    return {"dh": dh, "df": df, "stable": is_stable(p), "regime": regime(p),
            "linear_response": bool(r(p) >= 0)}


# --------------------------------------------------------------------------- activations


def nonlinearity(name: str):
    """``(phi, phi')`` as numpy float64 functions for ``name`` in tanh, relu, identity, erf,
    softplus, gelu (read from the one table :mod:`theory.activations`, shared with
    ``theory.ntk`` and ``sims.nets``)."""
    from theory import activations

    return activations.pair(name, np)


@functools.lru_cache(maxsize=32)
def _gh(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite rule for E[g(Z)], Z ~ N(0, 1)."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    return x, w / w.sum()


def _gh_grid(dim: int, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor GH grid: points (nodes**dim, dim) and weights (nodes**dim,) for N(0, I_dim)."""
    x, w = _gh(nodes)
    pts = np.stack(np.meshgrid(*([x] * dim), indexing="ij"), -1).reshape(-1, dim)
    wts = functools.reduce(np.multiply.outer, [w] * dim).reshape(-1)
    return pts, wts


def _check_nodes(nodes, name="nodes"):
    # numpy's Gauss-Hermite rule overflows beyond about 380 nodes
    if isinstance(nodes, bool) or not isinstance(nodes, int | np.integer) or not \
            2 <= nodes <= 350:
        raise ValueError(f"{name} must be an integer in [2, 350], got {nodes!r}")


def _check_eta(eta):
    if not (np.isscalar(eta) and np.isfinite(eta) and eta >= 0):
        raise ValueError(f"eta must be a finite number >= 0, got {eta!r}")
    return float(eta)


def _check_steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    return int(steps)


# --------------------------------------------------------------------------- kernel regime


def kernel_value(p: Parametrization | str, activation: str = "tanh", *,
                 x_norm2: float = 1.0, L: int | None = None,
                 nodes: int = 200) -> float:
    """The limiting kernel K(xi, xi) of a kernel-regime parametrization (Thm 3.8).

    Parameters
    ----------
    p : Parametrization
        Must be stable, nontrivial and have ``r > 0`` (``regime(p) == "kernel"``).
    activation : str
        Nonlinearity.
    x_norm2 : float
        ``||xi||^2`` (> 0).  Networks have unit-variance effective input weights and no
        biases, so ``h^1 ~ N(0, ||xi||^2)``.
    nodes : int
        Gauss-Hermite nodes for the one-dimensional expectations.

    Returns
    -------
    float
        K such that ``f_{t+1}(xi) = f_t(xi) - eta K chi_t`` when training on xi alone, hence
        ``(f_t - y)/(f_0 - y) = (1 - eta K)^t``.

    Notes
    -----
    [paper, Thm 3.8; layer contributions derived, reference note Sec. 3.6] The one-step
    change of f is a sum over layers of ``n^{-(c + 2a_l)} ||grad_{W^l} f||^2``.  Its width
    exponent is ``1 - a_{L+1} - b_{L+1} - r_l`` for l <= L and ``1 - 2a_{L+1} - c`` for the
    readout; only layers with exponent exactly 0 survive.  Their values are the usual NTK
    terms: readout ``E phi(h^L)^2``; layer l in 2..L ``E phi(h^{l-1})^2 prod_{m>=l}
    E phi'(h^m)^2``; layer 1 ``||xi||^2 prod_{m>=1} E phi'(h^m)^2``.  For NTP all layers
    survive (K = NTK); for SP with c = 1 the first layer drops out.
    """
    p = canonical(_as_param(p, L))
    if regime(p) != "kernel":
        raise ValueError(f"p must be in the kernel regime (stable, nontrivial, r > 0); "
                         f"regime(p) = {regime(p)!r}")
    if not (np.isfinite(x_norm2) and x_norm2 > 0):
        raise ValueError(f"x_norm2 must be a finite number > 0, got {x_norm2!r}")
    _check_nodes(nodes)
    phi, dphi = nonlinearity(activation)
    z, w = _gh(nodes)
    q = [float(x_norm2)]  # variance of h^l, l = 1..L
    e_phi2, e_dphi2 = [], []
    for _l in range(p.L):
        h = np.sqrt(q[-1]) * z
        e_phi2.append(w @ phi(h) ** 2)
        e_dphi2.append(w @ dphi(h) ** 2)
        q.append(e_phi2[-1])
    rl = r_layers(p, first_step=True)
    ab = p.init_exponents[-1]
    total = 0.0
    if 1 - 2 * p.a[-1] - p.c == 0:
        total += e_phi2[-1]
    for l in range(p.L):  # python layer l is paper layer l+1
        if 1 - ab - rl[l] == 0:
            inp = x_norm2 if l == 0 else e_phi2[l - 1]
            total += inp * float(np.prod(e_dphi2[l:]))
    return float(total)


# =========================================================================== 3. uniqueness of muP


def solve_maximal_update(L: int, c=0) -> list[dict]:
    """Solve Theorem 5.6's equations with sympy: every layer updated maximally + stability.

    Parameters
    ----------
    L : int
        Number of hidden layers (>= 1).
    c : rational or "symbolic"
        The learning-rate exponent, fixed (default 0, which uses up the symmetry of Eq. 5)
        or left as a free sympy symbol ``c``.

    Returns
    -------
    list of dict
        Each solution maps the sympy symbols ``a1..a{L+1}, b1..b{L+1}`` to exact values
        (functions of ``c`` when symbolic).  For fixed c there is exactly one solution,
        ``a = (-1/2, 0, ..., 0, 1/2) - c/2``, ``b = 1/2 + c/2`` (muP).

    Notes
    -----
    [paper, Def. 5.2/5.4, Prop. 5.3/5.5, Thm 5.6] Unknowns a_l, b_l.  Equations:
    ``r_l = 0`` for every l <= L (maximal update of W^l), ``2a_{L+1} + c = 1`` (maximal
    readout update), ``a_{L+1} + b_{L+1} + r = 1`` (maximal readout init) and stability
    part 1 (``a_1 + b_1 = 0``, ``a_l + b_l = 1/2``).  The min in r_l is split into its two
    branches; a branch's solutions are kept when they satisfy the branch condition and the
    remaining stability inequalities.
    """
    import sympy as sp

    _check_L(L)
    csym = sp.Symbol("c") if c == "symbolic" else sp.Rational(_frac(c, "c"))
    a = sp.symbols(f"a1:{L + 2}")
    b = sp.symbols(f"b1:{L + 2}")
    half = sp.Rational(1, 2)
    stab = [a[0] + b[0]] + [a[l] + b[l] - half for l in range(1, L)]
    upd, ini = 2 * a[L] + csym, a[L] + b[L]
    solutions = []
    for branch, other in ((ini, upd), (upd, ini)):
        rl = [branch + csym - 1 + 2 * a[l] + (1 if l == 0 else 0) for l in range(L)]
        eqs = stab + rl + [upd - 1, ini - 1]  # r = 0 so a+b+r = 1 means a+b = 1
        sols = sp.solve(eqs, list(a) + list(b), dict=True)
        for s in sols:
            cond = sp.simplify((other - branch).subs(s))
            if cond.is_number and cond < 0:
                continue
            if sp.simplify(ini.subs(s) - half).is_number and ini.subs(s) < half:
                continue
            if s not in solutions:
                solutions.append(s)
    return solutions


# =========================================================================== 4. limits


def _inputs(xs, ys, x_test):
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float).reshape(-1)
    if xs.ndim == 0 or xs.ndim > 2:
        raise ValueError(f"xs must have shape (m,) (scalar inputs) or (m, d), got {xs.shape}")
    if xs.ndim == 1:
        xs = xs[:, None]
    if xs.shape[0] < 1 or xs.shape[0] != ys.shape[0]:
        raise ValueError(f"xs and ys must hold the same number m >= 1 of examples, got "
                         f"{xs.shape[0]} and {ys.shape[0]}")
    d = xs.shape[1]
    xt = np.asarray(x_test, dtype=float)
    if d == 1:
        out_shape = xt.shape
        xt = xt.reshape(-1, 1)
    else:
        if xt.ndim == 0 or xt.shape[-1] != d:
            raise ValueError(f"x_test must have shape (..., d) with d = {d}, got {xt.shape}")
        out_shape = xt.shape[:-1]
        xt = xt.reshape(-1, d)
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys)) and np.all(np.isfinite(xt))):
        raise ValueError("xs, ys and x_test must be finite")
    return xs, ys, xt, out_shape


def one_hidden_layer_limit(activation: str = "tanh", *, eta: float, steps: int, xs, ys,
                           x_test, u_std: float = 1.0, v_std: float = 1.0,
                           nodes: int | None = None) -> np.ndarray:
    """Infinite-width muP output trajectory of a 1-hidden-layer network (Theorem 6.1).

    Parameters
    ----------
    activation : str
        Nonlinearity phi (tanh, relu, identity, erf, softplus, gelu).  Gauss-Hermite
        quadrature converges fast for smooth phi.  For relu with collinear inputs (every
        scalar-input case) the limit is computed exactly by splitting at the kinks (see
        Notes), accurate to ~1e-12; relu with inputs spanning two or more directions falls
        back to Gauss-Hermite (error ~1e-3) and warns.
    eta : float
        Learning rate (>= 0); the paper uses eta = 1.
    steps : int
        Number of SGD steps T (>= 0).
    xs, ys : array_like
        Training sequence; step t uses ``(xs[t % m], ys[t % m])`` (batch size 1).  ``xs``
        has shape (m,) for scalar inputs (d = 1) or (m, d).
    x_test : array_like
        Test inputs, scalars when d = 1, else shape (..., d).
    u_std, v_std : float
        Standard deviations of ``Z^{U_0}`` (each coordinate) and ``Z^{nV_0}`` (1 in the
        paper; ``v_std = 0`` is a zero-initialised readout).
    nodes : int, optional
        Gauss-Hermite nodes per dimension (default 150 in 2-D, 60 in 3-D, 30 in 4-D);
        unused on the exact relu path.

    Returns
    -------
    ndarray, shape (T + 1, *test_shape)
        ``f_t(x_test)`` for t = 0..T (f_0 = 0).

    Notes
    -----
    [paper, Thm 6.1, stated for d = 1 and eta = 1; the d-dimensional, eta-general form is
    the direct extension, reference note Sec. 3.10] With ``Z^{U_0} ~ N(0, u_std^2 I_d)`` and
    ``Z^{nV_0} ~ N(0, v_std^2)`` independent,

    .. math::
        f_t(\\xi) = E[Z^{nV_t} \\phi(\\xi^T Z^{U_t})], \\quad
        \\chi_t = f_t(\\xi_t) - y_t, \\\\
        Z^{nV_{t+1}} = Z^{nV_t} - \\eta\\chi_t \\phi(\\xi_t^T Z^{U_t}), \\quad
        Z^{U_{t+1}} = Z^{U_t} - \\eta\\chi_t \\xi_t Z^{nV_t} \\phi'(\\xi_t^T Z^{U_t}).

    Every Z is a deterministic function of the initial Gaussians, so the recursion is run
    pointwise on a tensor Gauss-Hermite grid (a finite network runs the same recursion on
    n iid particles with weights 1/n).  Only the projections ``s_j = x_j^T Z^U`` of the
    m + k distinct inputs enter, and ``Z^{U_t} - Z^{U_0}`` stays in the span of the
    training inputs, so the grid lives in ``rank(inputs) + 1`` dimensions (at most 4).

    relu is not smooth: Gauss-Hermite then converges slowly (the default grid was off by up
    to 2.5e-3).  With collinear inputs the grid is 2-D and every particle is a positively
    homogeneous function of the initial Gaussian pair, so the expectation reduces to an
    integral over the circle of a piecewise trigonometric polynomial, integrated exactly
    after locating its breaks (where some ``x_j^T Z^U_t`` changes sign).  Checked against
    :func:`relu_one_step_limit` (exact) and an independent scipy quadrature in the tests.
    """
    phi, dphi = nonlinearity(activation)
    eta = _check_eta(eta)
    steps = _check_steps(steps)
    xs, ys, xt, out_shape = _inputs(xs, ys, x_test)
    for val, name in ((u_std, "u_std"), (v_std, "v_std")):
        if not (np.isfinite(val) and val >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {val!r}")
    P = np.vstack([xs, xt])  # all inputs, (m + k, d)
    _, sv, vt = np.linalg.svd(P, full_matrices=False)
    k = int(np.sum(sv > 1e-12 * max(sv.max(), 1e-300)))
    basis = vt[:k]  # (k, d) orthonormal rows spanning the inputs
    dim = k + 1
    if dim > 4:
        raise ValueError(f"the inputs span {k} dimensions; the quadrature supports at most 3 "
                         f"(use fewer distinct input directions)")
    gram = P @ P.T
    m = xs.shape[0]
    proj = basis @ P.T  # (k, m + k'): coordinates of every input in the basis
    if activation == "relu" and dim == 2:
        out = _relu_circle_limit(eta, steps, ys, m, u_std * proj[0], v_std, gram)
        return out.reshape((steps + 1,) + out_shape)
    if activation == "relu" and dim > 2:
        warnings.warn("one_hidden_layer_limit: relu with inputs spanning more than one "
                      "direction uses plain Gauss-Hermite quadrature, whose error at a kink "
                      "is ~1e-3 at the default nodes; collinear (e.g. scalar) inputs use "
                      "the exact kink-split path", RuntimeWarning, stacklevel=2)
    if nodes is None:
        nodes = {1: 150, 2: 150, 3: 60, 4: 30}[dim]
    _check_nodes(nodes)
    g, wts = _gh_grid(dim, nodes)
    nv = v_std * g[:, 0]
    s = u_std * g[:, 1:] @ proj  # (N, m + k): projections x_j^T Z^{U_0}
    out = np.empty((steps + 1, xt.shape[0]))
    chis: list[float] = []
    for t in range(steps + 1):  # the time recursion itself; all particles vectorised
        out[t] = wts @ (nv[:, None] * phi(s[:, m:]))
        if t == steps:
            break
        i = t % m
        chis.append(wts @ (nv * phi(s[:, i])) - ys[i])
        nv, s = _one_hidden_step(nv, s, chis[-1], eta, gram[i], i, phi, dphi)
    return out.reshape((steps + 1,) + out_shape)


def _one_hidden_step(nv, s, chi, eta, gram_row, i, phi, dphi):
    """One SGD step of the Theorem 6.1 particles (readout ``nv``, projections ``s``)."""
    si = s[:, i]
    return nv - eta * chi * phi(si), s - eta * chi * np.outer(nv * dphi(si), gram_row)


_CIRCLE_GRID = 4096  # angles scanned for sign changes (kinks) of the relu particles
_CIRCLE_GL = 24  # Gauss-Legendre nodes per smooth arc


def _relu_circle_limit(eta, steps, ys, m, u_coord, v_std, gram) -> np.ndarray:
    """Theorem 6.1 for relu with collinear inputs, by exact splitting at the kinks.

    The particles are ``g = (Z^{nV_0}, Z^{U_0} . e)`` in R^2.  relu is positively
    homogeneous, so every ``Z^{nV_t}``, ``x_j^T Z^{U_t}`` is a degree-1 homogeneous function
    of g (the scalars chi_t do not depend on g) and every integrand ``nv phi(s)`` has degree
    2.  Hence ``E F(g) = E|g|^2 * mean over the circle = (1/pi) int_0^{2 pi} F(cos a, sin a)
    da``.  On the circle F is piecewise a trigonometric polynomial of degree 2; its breaks are
    the angles where some ``s_j`` changes sign.  They are found by scanning a grid and
    bisecting to machine precision; Gauss-Legendre on each arc is then exact up to
    rounding.  [derived here; used automatically by :func:`one_hidden_layer_limit`]
    """
    _, dphi = nonlinearity("relu")
    phi = lambda z: np.maximum(z, 0.0)  # noqa: E731

    def replay(angles, t):
        """Particles at step t, and the signs of every s_j at steps 0..t (the kinks)."""
        nv = v_std * np.cos(angles)
        s = np.outer(np.sin(angles), u_coord)
        signs = [s > 0]
        for tau in range(t):
            i = tau % m
            nv, s = _one_hidden_step(nv, s, chis[tau], eta, gram[i], i, phi, dphi)
            signs.append(s > 0)
        return nv, s, np.concatenate(signs, axis=1)

    grid = 2 * np.pi * (np.arange(_CIRCLE_GRID) + 0.5) / _CIRCLE_GRID
    x_gl, w_gl = np.polynomial.legendre.leggauss(_CIRCLE_GL)
    chis: list[float] = []
    out = np.empty((steps + 1, gram.shape[0] - m))
    for t in range(steps + 1):
        sg = replay(grid, t)[2]
        cell, col = np.nonzero(sg != np.roll(sg, -1, axis=0))  # a sign flips in this cell
        lo = grid[cell]
        hi = np.where(cell + 1 < grid.size, grid[(cell + 1) % grid.size], grid[0] + 2 * np.pi)
        s_lo = sg[cell, col]
        for _ in range(60):  # bisection, vectorised over all breaks
            mid = 0.5 * (lo + hi)
            same = replay(mid, t)[2][np.arange(mid.size), col] == s_lo
            lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
        cuts = np.sort(np.concatenate([np.mod(0.5 * (lo + hi), 2 * np.pi),
                                       np.linspace(0, 2 * np.pi, 9)]))
        a, b = cuts[:-1], cuts[1:]
        keep = b - a > 0
        a, b = a[keep], b[keep]
        ang = (0.5 * (a + b))[:, None] + (0.5 * (b - a))[:, None] * x_gl
        wts = ((0.5 * (b - a))[:, None] * w_gl).ravel() / np.pi
        nv, s, _ = replay(ang.ravel(), t)
        out[t] = wts @ (nv[:, None] * phi(s[:, m:]))
        if t < steps:
            i = t % m
            chis.append(wts @ (nv * phi(s[:, i])) - ys[i])
    return out


def _orthant(cxx: float, cxy: float, cyy: float) -> tuple[float, float, float]:
    """Orthant moments of a centred Gaussian pair (X, Y) with covariance [[cxx, cxy], [., cyy]].

    Returns ``P(X > 0, Y > 0)``, ``E[X_+ Y_+]`` and ``E[1{X > 0} Y_+^2]`` (closed forms:
    the arc-cosine kernels of degree 0 and 1, and a Stein-lemma relative).
    """
    sx, sy = np.sqrt(cxx), np.sqrt(cyy)
    rho = float(np.clip(cxy / (sx * sy), -1.0, 1.0))
    root = np.sqrt(1.0 - rho * rho)
    prob = 0.25 + np.arcsin(rho) / (2 * np.pi)
    exy = sx * sy * (root + rho * (np.pi / 2 + np.arcsin(rho))) / (2 * np.pi)
    ey2 = cyy * (prob + rho * root / (2 * np.pi))
    return float(prob), float(exy), float(ey2)


def _deep_one_step_relu(L: int, k: float, decoupled: bool) -> DeepOneStep:
    """:func:`deep_one_step_limit` for relu in closed form (no quadrature).

    On ``{h_0 > 0}`` the updated preactivation is ``W = Ghat + k K_l dx`` (Gaussian, jointly
    with h_0); on ``{h_0 < 0}`` it is Ghat.  Every expectation of the recursion is then an
    orthant moment of a Gaussian pair (:func:`_orthant`); the dx term of f_1 follows from
    Stein's lemma, ``E[dx 1{h_0>0} relu(W)] = Var(dx) k K_L P(h_0 > 0, W > 0)``.
    """
    pvar = [0.5 ** (L - 1 - l) for l in range(L)]  # E relu'(h)^2 = 1/2 at every layer
    c00 = c01 = c11 = 1.0
    K = [1.0]
    for l in range(L):
        a = k * K[l]
        var_w = c11 + a * a * pvar[l]
        prob, m01, e_w2 = _orthant(c00, c01, var_w)
        m11 = e_w2 + 0.5 * c11 - _orthant(c00, c01, c11)[2]
        if l == L - 1:
            f1 = pvar[l] * a * prob + k * m01
            break
        K.append(m01 + (0.0 if decoupled else K[l] * prob))
        c00, c01, c11 = 0.5 * c00, m01, m11
    return DeepOneStep(float(f1), float(0.5 * c00), float(m11), tuple(float(v) for v in K))


def relu_one_step_limit(eta: float, *, y: float = 1.0, x0: float = 1.0,
                        x: float = 1.0) -> float:
    """Closed form of the relu 1-hidden-layer muP limit after one step (Theorem 6.1).

    Parameters
    ----------
    eta : float
        Learning rate (>= 0).
    y : float
        Target of the training example (chi_0 = -y since f_0 = 0).
    x0, x : float
        Scalar training and test inputs, both > 0.

    Returns
    -------
    float
        ``f_1(x)``.  At eta = y = x0 = x = 1 this is ``3/4 + 1/(2 pi)``.

    Notes
    -----
    [derived, reference note Sec. 3.10; not printed in the paper] With ``k = eta y x0``
    (odd in k), ``rho = (1 + k^2)^{-1/2}`` and ``A = 1/4 + arcsin(rho)/(2 pi)``,

    .. math::
        f_1 = x\\left[\\frac{1+k^2}{k}\\Big(A + \\frac{\\rho\\sqrt{1-\\rho^2}}{2\\pi}\\Big)
        + \\Big(k - \\frac1k\\Big)\\sqrt{1+k^2}\\Big(\\rho A
        + \\frac{\\sqrt{1-\\rho^2}}{2\\pi}\\Big)\\right],

    the Gaussian integral ``E[(v + k relu(u)) relu(u + k v 1{u>0})]`` (relu is positively
    homogeneous, so x and x0 factor out).
    """
    eta = _check_eta(eta)
    if not (np.isfinite(x0) and x0 > 0 and np.isfinite(x) and x > 0):
        raise ValueError(f"x0 and x must be finite numbers > 0, got {x0!r} and {x!r}")
    if not np.isfinite(y):
        raise ValueError(f"y must be finite, got {y!r}")
    k = eta * float(y) * float(x0)
    if k == 0:
        return 0.0
    sign, k = np.sign(k), abs(k)
    rho = 1.0 / np.sqrt(1 + k * k)
    A = 0.25 + np.arcsin(rho) / (2 * np.pi)
    root = np.sqrt(1 - rho * rho)
    val = (1 + k * k) / k * (A + rho * root / (2 * np.pi)) \
        + (k - 1 / k) * np.sqrt(1 + k * k) * (rho * A + root / (2 * np.pi))
    return float(sign * x * val)


def linear_limit(*, eta: float, steps: int, xs, ys, x_test, u_std: float = 1.0,
                 v_std: float = 1.0) -> np.ndarray:
    """Infinite-width muP trajectory of a 1-hidden-layer *linear* network (Corollary 6.2).

    Same arguments and return shape as :func:`one_hidden_layer_limit` with phi = id.

    Notes
    -----
    [paper, Cor. 6.2, stated for d = 1 as the (A, B, C, D) recursion] Write
    ``Z^{nV_t} = v_t^T g`` and ``Z^{U_t} = M_t g`` with ``g = (Z^{nV_0}, Z^{U_0}) ~ N(0,
    diag(v_std^2, u_std^2 I_d))``.  Then ``f_t(xi) = v_t^T D M_t^T xi`` (D the covariance
    of g), ``v_{t+1} = v_t - eta chi_t M_t^T xi_t`` and ``M_{t+1} = M_t - eta chi_t xi_t
    v_t^T``, both from the old values, starting from ``v_0 = e_0`` and ``M_0 = [0 | I_d]``.
    For d = 1, ``v = (A, B)`` and ``M = (C, D)`` is the paper's recursion.  Equivalently the
    limit is an ordinary width-(d+1) linear network with this "diagonal" initialisation
    (reference note Sec. 3.11).
    """
    eta = _check_eta(eta)
    steps = _check_steps(steps)
    xs, ys, xt, out_shape = _inputs(xs, ys, x_test)
    d = xs.shape[1]
    D = np.diag([float(v_std) ** 2] + [float(u_std) ** 2] * d)
    v = np.zeros(d + 1)
    v[0] = 1.0
    M = np.hstack([np.zeros((d, 1)), np.eye(d)])
    m = xs.shape[0]
    out = np.empty((steps + 1, xt.shape[0]))
    for t in range(steps + 1):
        w_eff = M @ D @ v  # f(xi) = w_eff . xi
        out[t] = xt @ w_eff
        if t == steps:
            break
        i = t % m
        chi = xs[i] @ w_eff - ys[i]
        v, M = v - eta * chi * (M.T @ xs[i]), M - eta * chi * np.outer(xs[i], v)
    return out.reshape((steps + 1,) + out_shape)


def linear_repeated_input_limit(eta: float, steps: int, *, y: float = 1.0) -> np.ndarray:
    """Linear 1-hidden-layer muP limit trained repeatedly on xi = 1 (closed-form recursion).

    Returns
    -------
    ndarray, shape (steps + 1,)
        ``f_t(1)``; e.g. eta = 1/2 gives 0, 1, 1 and eta = 1 gives 0, 2, 0 for y = 1.

    Notes
    -----
    [derived, reference note Sec. 3.11] With ``s_t = A^2 + B^2 = C^2 + D^2`` in the notation
    of Cor. 6.2, ``(s + f)_{t+1} = (s + f)_t (1 - eta chi_t)^2`` and
    ``(s - f)_{t+1} = (s - f)_t (1 + eta chi_t)^2`` with ``s_0 = 1``, ``f_0 = 0``.
    """
    eta = _check_eta(eta)
    steps = _check_steps(steps)
    plus, minus = 1.0, 1.0
    out = np.empty(steps + 1)
    for t in range(steps + 1):
        out[t] = (plus - minus) / 2
        chi = out[t] - y
        plus, minus = plus * (1 - eta * chi) ** 2, minus * (1 + eta * chi) ** 2
    return out


class DeepOneStep(NamedTuple):
    """Result of :func:`deep_one_step_limit`."""

    f1: float  #: the limit output after one step, f_1(xi)
    feature_kernel_0: float  #: F_0 = E phi(h^L_0)^2 (the NNGP value)
    feature_kernel_1: float  #: F_1 = E phi(h^L_1)^2
    K: tuple  #: the scalars K_1..K_L multiplying the update of each layer


def deep_one_step_limit(activation: str = "tanh", L: int = 2, *, eta: float = 1.0,
                        y: float = 1.0, decoupled: bool = False,
                        nodes: int = 80) -> DeepOneStep:
    """One-step infinite-width limit of an L-hidden-layer muP MLP (Sec. 6.2-6.3, Sec. 7).

    Training and test input are the same unit vector xi (``||xi|| = 1``), loss
    ``1/2 (f - y)^2``, learning rate eta, readout ``nV_0 ~ N(0, 1)``.

    Parameters
    ----------
    activation : str
        Nonlinearity phi.
    L : int
        Number of hidden layers (>= 1).
    eta : float
        Learning rate (>= 0).
    y : float
        Target; chi_0 = -y because f_0 = 0 in the limit (Cor. 3.10).
    decoupled : bool
        Drop the ``Zdot`` correction, i.e. the limit of a network whose backward pass uses an
        independent copy of each hidden ``W^T`` ("gradient independence").  It must differ
        from the true limit from the first step on.
    nodes : int
        Gauss-Hermite nodes per dimension (3-D integrals); unused for relu, whose limit is
        computed in closed form (see Notes).

    Returns
    -------
    DeepOneStep

    Notes
    -----
    [derived from the paper's Tensor-Program rules (Sec. 7, ZMatMul: Z = Zhat + Zdot), in
    the reference note Sec. 3.12; checked here against finite widths] With k = eta y,
    ``h^1_0 ~ N(0, 1)``, and ``dx^l_0`` the rescaled backward vectors (``dx^L = nV_0``,
    ``Var dx^{l-1} = Var dx^l E phi'(h^l_0)^2``, independent of the forward pass at init),

    .. math::
        h^l_1 = \\hat G_l + k K_l\\, dx^l_0\\, \\phi'(h^l_0), \\qquad K_1 = \\xi^T\\xi = 1, \\\\
        K_{l+1} = E[\\phi(h^l_0)\\phi(h^l_1)] + K_l E[\\phi'(h^l_1)\\phi'(h^l_0)]

    where ``(h^{l+1}_0, Ghat_{l+1})`` is Gaussian with the covariance of
    ``(phi(h^l_0), phi(h^l_1))`` (``Ghat_1 = h^1_0``) and the second term of K is the
    ``Zdot`` contribution, ``E[d x^l_1 / d Zhat^{dx^l_0}]``.  Finally
    ``f_1 = E[(nV_0 + k phi(h^L_0)) phi(h^L_1)]``.  For a linear network this gives
    ``f_1 = (L + 1) k`` (reference note Sec. 3.13).  (The note's general-depth line writes
    the Zdot term with an extra factor ``-eta chi``; that agrees with its own two-layer
    formula only at eta y = 1.  The form above is the one that reproduces the linear
    result for every eta, and it matches finite widths.)

    For relu the quadrature would converge slowly at the kinks, so every expectation is
    computed in closed form instead: on ``{h^l_0 > 0}`` the updated preactivation is the
    Gaussian ``Ghat_l + k K_l dx^l_0``, and each term is an orthant moment of a Gaussian
    pair (arc-cosine kernels); the ``dx`` term of f_1 follows from Stein's lemma.  This
    agrees with an independent scipy quadrature to ~1e-14 (tests).
    """
    phi, dphi = nonlinearity(activation)
    _check_L(L)
    eta = _check_eta(eta)
    _check_nodes(nodes)
    if not np.isfinite(y):
        raise ValueError(f"y must be finite, got {y!r}")
    k = eta * float(y)
    if activation == "relu":
        return _deep_one_step_relu(L, k, decoupled)
    z1, w1 = _gh(max(nodes, 100))
    q = [1.0]  # Var h^l_0, l = 1..L
    edp2 = []
    for _l in range(L):
        h = np.sqrt(q[-1]) * z1
        edp2.append(w1 @ dphi(h) ** 2)
        q.append(w1 @ phi(h) ** 2)
    pvar = [1.0] * L  # Var dx^l_0
    for l in range(L - 2, -1, -1):
        pvar[l] = pvar[l + 1] * edp2[l + 1]
    g, wts = _gh_grid(3, nodes)
    # covariance of (h^l_0, Ghat_l): start at layer 1 with Ghat_1 = h^1_0
    c00, c01, c11 = 1.0, 1.0, 1.0
    K = [1.0]
    for l in range(L):
        s0 = np.sqrt(c00)
        h0 = s0 * g[:, 0]
        rho = c01 / s0
        G = rho * g[:, 0] + np.sqrt(max(c11 - rho * rho, 0.0)) * g[:, 1]
        dx = np.sqrt(pvar[l]) * g[:, 2]
        h1 = G + k * K[l] * dx * dphi(h0)
        x0, x1 = phi(h0), phi(h1)
        m01, m11 = wts @ (x0 * x1), wts @ (x1 * x1)
        if l == L - 1:
            f1 = wts @ ((dx + k * x0) * x1)
            break
        zdot = 0.0 if decoupled else K[l] * (wts @ (dphi(h1) * dphi(h0)))
        K.append(m01 + zdot)
        c00, c01, c11 = wts @ (x0 * x0), m01, m11
    return DeepOneStep(float(f1), float(q[L]), float(m11), tuple(float(v) for v in K))
