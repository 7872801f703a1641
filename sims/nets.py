"""JAX multilayer perceptrons under any abc-parametrization.

Layer l = 1..L+1 (L hidden layers, so ``len(widths) = L + 2`` with ``widths[0]`` the input
dimension d) computes, following Yang & Hu (2021, Eq. 1),

    h^l = W^l x^{l-1} + beta * b^l,      W^l = s_l * n^{-a_l} * w^l,
    w^l_ij ~ N(0, sigma^2 n^{-2 b_l}),  b^l_i ~ N(0, 1),     x^l = phi(h^l),

and the trainable parameters (w^l, b^l) are trained with learning rate ``eta * n^{-c_l}``
(``lr_scales``).  ``n`` is the hidden width (``widths[1]``) and s_l a width-independent
constant (``input_scale`` for the first layer, 1 otherwise).  The effective weight has init
std ``n^{-(a_l+b_l)}`` and effective learning rate ``eta n^{-(c_l + 2 a_l)}``, which are the
two exponents that matter.

Two conventions are provided on top of the raw abc numbers:

* :func:`abc_mlp` takes a :class:`theory.mup.Parametrization` (or its name) and a width n
  (hidden layers all of width n), exactly as in Tensor Programs IV.
* :func:`ntk_mlp` is the NTK parametrization of Jacot et al. (2018) with arbitrary widths:
  ``h^{l+1} = W^l x^l / sqrt(n_l) + beta b^l`` with standard normal W and b.

The network is a pure description; ``init(key)`` gives params (a list of dicts with keys
``"w"`` and, with biases, ``"b"``), ``apply(params, x)`` the output, ``forward(params, x)``
also the pre-activations and activations of every layer (for coordinate checks and layerwise
NTKs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from theory import activations
from theory._jax import float64  # noqa: F401 - re-exported: sims.nets.float64()

#: the named nonlinearities as jax.numpy functions (from the one table, theory.activations)
ACTIVATIONS = {name: activations.function(name, jnp) for name in activations.NAMES}


def activation_fn(name: str):
    """The coordinatewise nonlinearity ``name`` as a jax.numpy function.

    Names are those of :mod:`theory.activations` (relu, erf, tanh, identity, gelu, softplus,
    monomialK), the table that also gives ``theory.ntk`` and ``theory.mup`` their sigma,
    sigma' and dual kernels; an unknown name raises ValueError listing them.
    """
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    return activations.function(name, jnp)


@dataclasses.dataclass(frozen=True)
class MLP:
    """A fully connected network with explicit per-layer scalings.

    Parameters
    ----------
    widths : sequence of int
        ``(d, n_1, ..., n_L, d_out)``.
    activation : str
        Nonlinearity between layers (none after the last layer).
    multipliers : sequence of float
        Forward multiplier of each layer's trainable weight, ``s_l n^{-a_l}``.
    init_stds : sequence of float
        Standard deviation of each layer's trainable weight at init, ``sigma n^{-b_l}``.
    lr_scales : sequence of float
        Learning-rate multiplier of each layer, ``n^{-c_l}``.
    beta : float or None
        Bias scale (biases are ``beta * b`` with ``b ~ N(0, 1)``); None means no biases.
    """

    widths: tuple[int, ...]
    activation: str
    multipliers: tuple[float, ...]
    init_stds: tuple[float, ...]
    lr_scales: tuple[float, ...]
    beta: float | None = None

    def __post_init__(self):
        n_layers = len(self.widths) - 1
        if n_layers < 1 or any(int(w) < 1 for w in self.widths):
            raise ValueError(f"widths must be >= 2 positive ints, got {self.widths}")
        for field in ("multipliers", "init_stds", "lr_scales"):
            if len(getattr(self, field)) != n_layers:
                raise ValueError(
                    f"{field} must have one entry per layer ({n_layers}), "
                    f"got {len(getattr(self, field))}"
                )
        if self.beta is not None and self.beta < 0:
            raise ValueError(f"beta must be >= 0 or None, got {self.beta}")
        activation_fn(self.activation)

    @property
    def depth(self) -> int:
        """Number of dense layers (L + 1)."""
        return len(self.widths) - 1

    def init(self, key, dtype=jnp.float32) -> list[dict]:
        keys = jax.random.split(key, 2 * self.depth)
        params = []
        for l in range(self.depth):
            shape = (self.widths[l], self.widths[l + 1])
            layer = {"w": self.init_stds[l] * jax.random.normal(keys[2 * l], shape, dtype)}
            if self.beta is not None:
                layer["b"] = jax.random.normal(keys[2 * l + 1], (self.widths[l + 1],), dtype)
            params.append(layer)
        return params

    def forward(self, params, x):
        """Return ``(preacts, acts)``: h^1..h^{L+1} and x^0=x, x^1..x^L."""
        phi = activation_fn(self.activation)
        acts, preacts = [x], []
        h = x
        for l, layer in enumerate(params):
            z = self.multipliers[l] * (h @ layer["w"])
            if self.beta is not None:
                z = z + self.beta * layer["b"]
            preacts.append(z)
            if l < self.depth - 1:
                h = phi(z)
                acts.append(h)
        return preacts, acts

    def apply(self, params, x):
        return self.forward(params, x)[0][-1]

    def lr_tree(self, params) -> list[dict]:
        """A pytree like ``params`` holding each leaf's learning-rate multiplier."""
        return [{k: self.lr_scales[l] for k in layer} for l, layer in enumerate(params)]


def _check_width(n: int, name: str = "n") -> None:
    if int(n) != n or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n}")


def abc_mlp(d: int, n: int, parametrization, *, d_out: int = 1, activation: str = "relu",
            sigma: float = 1.0, input_scale: float = 1.0, beta: float | None = None) -> MLP:
    """An L-hidden-layer MLP of width n under an abc-parametrization (Yang & Hu 2021, Eq. 1).

    ``parametrization`` is a :class:`theory.mup.Parametrization` or one of the names
    "standard", "ntk", "mup", "mean_field" (L taken from ``theory.mup`` defaults is not
    possible by name alone, so a name gives L = 1; pass an object for deeper nets).
    """
    from theory import mup

    _check_width(d, "d")
    _check_width(n, "n")
    p = mup.get(parametrization) if isinstance(parametrization, str) else parametrization
    L = p.L
    a = [float(v) for v in p.a]
    b = [float(v) for v in p.b]
    c = [float(v) for v in p.c_per_layer]
    widths = (d,) + (n,) * L + (d_out,)
    mult = tuple((input_scale if l == 0 else 1.0) * n ** (-a[l]) for l in range(L + 1))
    stds = tuple(sigma * n ** (-b[l]) for l in range(L + 1))
    lrs = tuple(n ** (-c[l]) for l in range(L + 1))
    return MLP(widths, activation, mult, stds, lrs, beta)


def ntk_mlp(widths: Sequence[int], *, activation: str = "relu", beta: float | None = 0.1,
            sigma: float = 1.0) -> MLP:
    """Jacot et al. (2018) NTK parametrization with arbitrary widths ``(n_0, ..., n_L)``.

    ``alpha^{l+1} = sigma W^l x^l / sqrt(n_l) + beta b^l``, all weights and biases N(0, 1),
    one learning rate for all parameters.  ``beta=None`` drops the biases.
    """
    widths = tuple(int(w) for w in widths)
    mult = tuple(sigma / np.sqrt(w) for w in widths[:-1])
    ones = (1.0,) * (len(widths) - 1)
    return MLP(widths, activation, mult, ones, ones, beta)


def count_params(params) -> int:
    return int(sum(np.prod(p.shape) for p in jax.tree_util.tree_leaves(params)))
