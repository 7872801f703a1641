"""Shared helpers of the NTK sims (Jacot et al. 2018): input sets, keys, jitted kernels.

Not a sim itself (registers nothing).  All randomness comes from an explicit integer seed.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from sims import nets
from theory import ntk as T


def circle(gammas, order: str = "cos_sin") -> np.ndarray:
    """Points (cos g, sin g) of the unit circle; ``order="sin_cos"`` gives Fig. 2's (sin, cos)."""
    if order not in ("cos_sin", "sin_cos"):
        raise ValueError(f"order must be 'cos_sin' or 'sin_cos', got {order!r}")
    g = np.asarray(gammas, dtype=float)
    pts = (np.cos(g), np.sin(g)) if order == "cos_sin" else (np.sin(g), np.cos(g))
    return np.stack(pts, axis=1)


def width_key(seed: int, width: int, salt: int = 0):
    """PRNG key of one sweep point, independent of which other widths are run."""
    return jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed), width), salt)


def ntk_net(n0: int, width: int, depth: int, n_out: int = 1, *, activation: str = "relu",
            beta: float = 0.1) -> nets.MLP:
    """Depth-L (L dense layers) NTK-parametrized MLP with hidden width ``width``."""
    return nets.ntk_mlp((n0,) + (width,) * (depth - 1) + (n_out,), activation=activation,
                        beta=beta)


@partial(jax.jit, static_argnums=(0, 4))
def ntk_of(mlp: nets.MLP, params, x1, x2=None, trace_outputs: bool = True):
    """Layerwise empirical NTK (theory.ntk.layerwise_ntk) of ``mlp`` under jit."""
    return T.layerwise_ntk(params, x1, x2, activation=mlp.activation, beta=mlp.beta,
                           multipliers=mlp.multipliers, trace_outputs=trace_outputs, xp=jnp)


def gd_steps(loss, params, data, *, lr: float, steps: int):
    """``steps`` full-batch GD steps ``theta <- theta - lr grad loss(theta, data)``.

    A bare ``lax.fori_loop`` (no optimizer state, no per-step records): for these small CPU
    problems it compiles about twice as fast as ``sims.train.gd`` and gives the same iterates.
    Use inside ``jax.jit``.
    """
    grad = jax.grad(loss)

    def body(_, p):
        return jax.tree_util.tree_map(lambda a, g: a - lr * g, p, grad(p, data))

    return jax.lax.fori_loop(0, steps, body, params)


def numpy_params(mlp: nets.MLP, rng: np.random.Generator, dtype=np.float32,
                 batch: tuple[int, ...] = ()) -> list[dict]:
    """Draw parameters of ``mlp`` with numpy, in the layout of ``MLP.init``.

    Same law as ``mlp.init`` (weights ``init_stds[l] * N(0, 1)``, biases N(0, 1)), without
    JAX compilation: the init-only sims (no training) run faster this way on a CPU, where
    compiling one XLA program per width costs more than the kernels themselves.  ``batch``
    prepends axes for many independent networks at once.
    """
    params = []
    for l in range(mlp.depth):
        shape = batch + (mlp.widths[l], mlp.widths[l + 1])
        layer = {"w": (mlp.init_stds[l] * rng.standard_normal(shape, dtype=dtype)).astype(dtype)}
        if mlp.beta is not None:
            layer["b"] = rng.standard_normal(batch + (mlp.widths[l + 1],), dtype=dtype)
        params.append(layer)
    return params


def seed_params(mlp: nets.MLP, seed: int, width: int, seeds: int) -> list[dict]:
    """``seeds`` independent initializations of ``mlp`` stacked on a leading axis.

    Drawn with numpy from ``(seed, width)`` (so a sweep point does not depend on the other
    widths) and passed to the jitted training programs as an argument: calling ``mlp.init``
    inside ``jax.jit`` inlines the threefry generator, which on a CPU takes longer to compile
    (about half of each program's compile time) than the training itself at quick scale.
    """
    return numpy_params(mlp, np.random.default_rng([seed, width]), batch=(seeds,))


def load_digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` images of scikit-learn's bundled 8x8 digits, pixels scaled to [0, 1].

    MNIST is not available offline (no bundled copy; keras/tfds download at run time), so the
    digits set that ships with scikit-learn is the proxy for the paper's Section 6.3.  The
    bundled ``digits.csv.gz`` is read directly (same array as ``sklearn.datasets.load_digits``)
    so that scikit-learn itself need not be imported.
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    data = np.loadtxt(path, delimiter=",")
    if not 1 <= n <= data.shape[0]:
        raise ValueError(f"n must lie in [1, {data.shape[0]}], got {n}")
    return data[:n, :-1] / 16.0, data[:n, -1].astype(int)
