"""Tensor Programs IV (Yang & Hu 2021): abc-parametrizations.

Foundation stub: the :class:`Parametrization` record and the four named constructors that
``sims.nets.abc_mlp`` needs.  The muP module (issue 4) extends this file with r, the regime
classification and the infinite-width limits.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from numbers import Rational

HALF = Fraction(1, 2)


def _frac(value, name: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, Rational | str):
        raise ValueError(f"{name} must be a rational number (int, Fraction or 'p/q'), "
                         f"got {value!r}")
    return Fraction(value)


@dataclasses.dataclass(frozen=True)
class Parametrization:
    """An abc-parametrization ``{a_l, b_l}_{l=1..L+1} U {c}`` (paper Eq. 1).

    ``W^l = n^{-a_l} w^l``, ``w^l ~ N(0, n^{-2 b_l})`` and SGD learning rate ``eta n^{-c}``.
    ``c`` may also be a tuple (one exponent per layer), the per-layer form that the paper's
    symmetry (Eq. 5) makes equivalent to changing (a_l, b_l).
    """

    a: tuple
    b: tuple
    c: object
    name: str = "custom"

    def __post_init__(self):
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
        return self.c if isinstance(self.c, tuple) else (self.c,) * len(self.a)


def _check_L(L: int) -> None:
    if int(L) != L or L < 1:
        raise ValueError(f"L (number of hidden layers) must be an integer >= 1, got {L!r}")


def standard(L: int = 1, c=0) -> Parametrization:
    """Standard parametrization (PyTorch default): a = 0, b = (0, 1/2, ..., 1/2), c."""
    _check_L(L)
    return Parametrization((0,) * (L + 1), (0,) + (HALF,) * L, c, "standard")


def ntk(L: int = 1) -> Parametrization:
    """NTK parametrization: a = (0, 1/2, ..., 1/2), b = 0, c = 0."""
    _check_L(L)
    return Parametrization((0,) + (HALF,) * L, (0,) * (L + 1), 0, "ntk")


def mean_field() -> Parametrization:
    """Mean-field parametrization (L = 1): a = (0, 1), b = (0, 0), c = -1."""
    return Parametrization((0, 1), (0, 0), -1, "mean_field")


def mup(L: int = 1) -> Parametrization:
    """Maximal update parametrization (Def. 5.1): a = (-1/2, 0, ..., 0, 1/2), b = 1/2, c = 0."""
    _check_L(L)
    return Parametrization((-HALF,) + (0,) * (L - 1) + (HALF,), (HALF,) * (L + 1), 0, "mup")


NAMED = {"standard": standard, "ntk": ntk, "mean_field": lambda L=1: mean_field(), "mup": mup}


def get(name: str, L: int = 1) -> Parametrization:
    """The named parametrization with L hidden layers."""
    if name not in NAMED:
        raise ValueError(f"parametrization must be one of {sorted(NAMED)}, got {name!r}")
    if name == "mean_field" and L != 1:
        raise ValueError("the mean-field parametrization is defined for L = 1 only")
    return NAMED[name](L)
