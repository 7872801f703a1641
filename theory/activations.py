"""One table of coordinatewise activations for theory.ntk, theory.mup and sims.nets.

Each entry gives the nonlinearity sigma, its derivative sigma' and, where a closed form exists,
its *dual kernels* ``(E[sigma(u) sigma(v)], E[sigma'(u) sigma'(v)])`` for a centred Gaussian
pair (u, v).  sigma and sigma' are written against an array namespace ``xp``: numpy (float64,
with scipy.special) for theory, ``jax.numpy`` (with jax.nn / jax.scipy.special) for the finite
networks of ``sims.nets``, so that the network, its layerwise NTK and its infinite-width limit
are read from the same declaration and cannot drift apart.

=============  ===========================  ===============================  ============
name           sigma(z)                     sigma'(z)                        dual kernel
=============  ===========================  ===============================  ============
relu           max(z, 0)                    1{z > 0} (0 at z = 0)            arc-cosine
erf            erf(z)                       (2/sqrt(pi)) exp(-z^2)           arcsine
tanh           tanh(z)                      1/cosh(z)^2                      --
identity       z                            1                                polynomial
gelu           z Phi(z) (exact, not tanh)   Phi(z) + z phi(z)                --
softplus       log(1 + e^z)                 1/(1 + e^-z)                     --
monomialK      z**K, K = 1..9               K z**(K-1)                       polynomial
=============  ===========================  ===============================  ============

References
----------
Y. Cho, L. Saul, "Kernel methods for deep learning", NeurIPS 2009 (arc-cosine kernel).
C. Williams, "Computing with infinite networks", NeurIPS 1996 (arcsine kernel of erf).
A. Daniely, R. Frostig, Y. Singer, "Toward deeper understanding of neural networks: the power
of initialization and a dual view on expressivity", NeurIPS 2016 (dual activations).
Reference note ``shared/papers/ntk.md`` section 3.0 (the closed forms used here).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable

import numpy as np
import scipy.special

__all__ = ["Activation", "NAMES", "get", "pair", "function", "derivative", "dual"]

#: named activations; "monomialK" (K = 1..9) is accepted in addition
NAMES = ("relu", "erf", "tanh", "identity", "gelu", "softplus")
_MONO = re.compile(r"^monomial([1-9])$")
_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRTPI = 2.0 / math.sqrt(math.pi)


# --------------------------------------------------------------------------- namespaces


class _Ops:
    """The few functions that numpy and jax.numpy spell differently."""

    def __init__(self, xp):
        self.xp = xp
        if xp is np:
            self.erf, self.expit = scipy.special.erf, scipy.special.expit
            self.relu = lambda z: np.maximum(z, 0.0)
            return
        if not getattr(xp, "__name__", "").startswith("jax"):
            raise ValueError(f"xp must be numpy or jax.numpy, got {xp!r}")
        import jax

        self.erf, self.expit = jax.scipy.special.erf, jax.nn.sigmoid
        # jax.nn.relu differentiates to 0 at z = 0, like 1{z > 0} below (jnp.maximum gives 1/2)
        self.relu = jax.nn.relu


def _ops(xp) -> _Ops:
    cached = _OPS.get(id(xp))
    if cached is None or cached.xp is not xp:
        cached = _OPS[id(xp)] = _Ops(xp)
    return cached


_OPS: dict[int, _Ops] = {}


# --------------------------------------------------------------------------- the table


def _sigma(name: str, k: int, o: _Ops) -> Callable:
    xp = o.xp
    if name == "relu":
        return o.relu
    if name == "erf":
        return o.erf
    if name == "tanh":
        return xp.tanh
    if name == "gelu":
        return lambda z: 0.5 * z * (1 + o.erf(z / _SQRT2))
    if name == "softplus":
        return lambda z: xp.logaddexp(z, 0.0)
    if k == 1:
        return lambda z: z
    return lambda z: z**k


def _np_step(z):
    z = np.asarray(z)
    return (z > 0).astype(z.dtype if z.dtype.kind == "f" else np.float64)


def _sigma_prime(name: str, k: int, o: _Ops) -> Callable:
    xp = o.xp
    if name == "relu":
        return _np_step if xp is np else (lambda z: (z > 0).astype(z.dtype))
    if name == "erf":
        return lambda z: _TWO_OVER_SQRTPI * xp.exp(-z * z)
    if name == "tanh":
        return lambda z: 1.0 / xp.cosh(z) ** 2
    if name == "gelu":
        return lambda z: 0.5 * (1 + o.erf(z / _SQRT2)) + z * xp.exp(-0.5 * z * z) * _INV_SQRT2PI
    if name == "softplus":
        return o.expit
    if k == 1:
        return xp.ones_like
    return lambda z: k * z ** (k - 1)


def _monomial_moment(k: int, q1, q2, c):
    """E[u^k v^k] for (u, v) centred Gaussian with variances q1, q2 and covariance c.

    Write x^k = sum_m k!/(m! 2^m (k-2m)!) He_{k-2m}(x) (probabilists' Hermite) and use
    E[He_i(X) He_j(Y)] = delta_ij i! rho^i; then rho^j (q1 q2)^{k/2} = c^j (q1 q2)^{(k-j)/2}.
    """
    out = np.zeros(np.broadcast(q1, q2, c).shape)
    if k == 0:
        return out + 1.0
    prod = q1 * q2
    for m in range(k // 2 + 1):
        j = k - 2 * m
        coef = (math.factorial(k) / (math.factorial(m) * 2**m * math.factorial(j))) ** 2
        out = out + coef * math.factorial(j) * c**j * prod**m
    return out


def _dual(name: str, k: int, q1, q2, c):
    if name == "relu":
        root = np.sqrt(np.maximum(q1 * q2 - c * c, 0.0))
        theta = np.where((root == 0) & (c == 0), np.pi / 2, np.arctan2(root, c))
        fdot = (np.pi - theta) / (2 * np.pi)
        return (root + (np.pi - theta) * c) / (2 * np.pi), fdot
    if name == "erf":
        root = np.sqrt(np.maximum((1 + 2 * q1) * (1 + 2 * q2) - 4 * c * c, 0.0))
        return (2 / np.pi) * np.arctan2(2 * c, root), (4 / np.pi) / root
    return _monomial_moment(k, q1, q2, c), k**2 * _monomial_moment(k - 1, q1, q2, c)


@dataclasses.dataclass(frozen=True)
class Activation:
    """One row of the table.

    Attributes
    ----------
    name : str
        The name used everywhere ("relu", "gelu", "monomial3", ...).
    degree : int
        K for sigma(z) = z**K ("identity" is K = 1); 0 for non-polynomial activations.
    has_dual : bool
        Whether :meth:`dual` has a closed form (relu, erf, identity, monomialK).
    """

    name: str
    degree: int = 0

    @property
    def family(self) -> str:
        return "monomial" if self.degree else self.name

    @property
    def has_dual(self) -> bool:
        return self.family in ("relu", "erf", "monomial")

    def function(self, xp=np) -> Callable:
        """sigma as a function of arrays of namespace ``xp`` (numpy or jax.numpy)."""
        return _sigma(self.family, self.degree, _ops(xp))

    def derivative(self, xp=np) -> Callable:
        """sigma' as a function of arrays of namespace ``xp`` (numpy or jax.numpy)."""
        return _sigma_prime(self.family, self.degree, _ops(xp))

    def dual(self, q1, q2, c):
        """``(E[sigma(u) sigma(v)], E[sigma'(u) sigma'(v)])`` in float64 numpy.

        (u, v) is centred Gaussian with variances q1, q2 >= 0 and covariance c (the three
        broadcast).  Closed forms of the reference note, section 3.0: ReLU is the degree-1
        arc-cosine kernel, erf Williams' arcsine kernel, z**K a Hermite polynomial in c and
        q1 q2.  Inputs are trusted (validated by the public callers in theory.ntk).
        """
        if not self.has_dual:
            raise ValueError(f"activation {self.name!r} has no closed-form dual kernel; "
                             f"those with one are relu, erf, identity and monomialK")
        return _dual(self.family, self.degree, q1, q2, c)


def get(name) -> Activation:
    """The table row of ``name``; ValueError naming the accepted names otherwise."""
    if isinstance(name, Activation):
        return name
    if isinstance(name, str):
        if name == "identity":
            return Activation("identity", 1)
        if name in NAMES:
            return Activation(name)
        m = _MONO.match(name)
        if m:
            return Activation(name, int(m.group(1)))
    raise ValueError(f"activation must be one of {sorted(NAMES)} or 'monomialK' with K in "
                     f"1..9, got {name!r}")


def function(name, xp=np) -> Callable:
    """sigma of ``name`` in namespace ``xp``."""
    return get(name).function(xp)


def derivative(name, xp=np) -> Callable:
    """sigma' of ``name`` in namespace ``xp``."""
    return get(name).derivative(xp)


def pair(name, xp=np) -> tuple[Callable, Callable]:
    """``(sigma, sigma')`` of ``name`` in namespace ``xp``."""
    act = get(name)
    return act.function(xp), act.derivative(xp)


def dual(name, q1, q2, c):
    """Dual kernels of ``name`` (see :meth:`Activation.dual`)."""
    return get(name).dual(q1, q2, c)
