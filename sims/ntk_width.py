"""Empirical NTK at initialization as the width grows (Jacot et al. 2018, Theorem 1).

Depth-4 nets (beta = 0.1; ReLU as in the paper, or ``activation="erf"``) with two outputs on
equispaced points of the unit circle.  For each width and seed the full (N, N, 2, 2) empirical
NTK is compared with Theta^(4)_inf (x) Id:
the relative Frobenius error of one diagonal output block (the check of Thm 1's limit), the
off-diagonal output block and the gap between the two diagonal blocks (the ``(x) Id_{n_L}``
structure), all relative to ``||Theta_inf||_F``.

Parameters are drawn with numpy (float32) in the law of ``sims.nets.ntk_mlp`` and the kernel
is the layerwise formula ``theory.ntk.layerwise_ntk`` (equal to neural-tangents'
``empirical_ntk_fn``; see tests/test_ntk_theory.py), so no Jacobian is formed even at
width 16384.  With ``backend="auto"`` an accelerator (if JAX sees one) draws the parameters
with ``MLP.init`` and evaluates the same formula under ``jax.jit`` instead (same law, other
random stream).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from sims import runner
from sims.ntk_common import circle, ntk_net, ntk_of, numpy_params, width_key
from theory import ntk as T


@dataclass(frozen=True)
class Config(runner.SimConfig):
    widths: tuple[int, ...] = (64, 128, 256, 512, 1024)  # 2048 alone cost 3/4 of the time
    seeds: int = 10
    points: int = 16
    depth: int = 4
    beta: float = 0.1
    activation: str = "relu"  # any name with a closed-form limit: relu, erf, identity, ...
    backend: str = "auto"  # "numpy", "jax", or "auto" (jax when JAX sees an accelerator)

    @classmethod
    def full(cls):
        return cls(widths=(64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384))


@runner.register("ntk_width", paper="ntk", config=Config, sweep="widths")
def run(config: Config) -> dict:
    """Empirical NTK at init vs Theta_inf over widths (Thm 1): error and output blocks."""
    if config.seeds < 2:
        raise ValueError(f"seeds must be >= 2 (a standard error is reported), got {config.seeds}")
    x = circle(2 * np.pi * np.arange(config.points) / config.points)
    _, limit = T.limiting_kernels(x, depth=config.depth, beta=config.beta,
                                    activation=config.activation)
    norm = np.linalg.norm(limit)
    if config.backend not in ("auto", "numpy", "jax"):
        raise ValueError(f"backend must be 'auto', 'numpy' or 'jax', got {config.backend!r}")
    use_jax = config.backend == "jax" or (
        config.backend == "auto" and jax.default_backend() != "cpu")
    xs = x.astype(np.float32)
    rel, off, gap, theta00 = [], [], [], []
    for n in config.widths:
        mlp = ntk_net(2, n, config.depth, 2, activation=config.activation, beta=config.beta)
        if use_jax:  # one jitted program per width, one network in memory at a time
            keys = jax.random.split(width_key(config.seed, n), config.seeds)
            k = np.stack([np.asarray(ntk_of(mlp, mlp.init(key), jnp.asarray(xs), None, False))
                          for key in keys]).astype(np.float64)
        else:
            rng = np.random.default_rng([config.seed, n])
            k = np.stack([
                T.layerwise_ntk(numpy_params(mlp, rng), xs, activation=mlp.activation,
                                beta=np.float32(mlp.beta), multipliers=mlp.multipliers,
                                trace_outputs=False)
                for _ in range(config.seeds)  # one network in memory at a time
            ]).astype(np.float64)
        b00, b11, b01 = k[..., 0, 0], k[..., 1, 1], k[..., 0, 1]
        rel.append(np.linalg.norm(b00 - limit, axis=(1, 2)) / norm)
        off.append(np.linalg.norm(b01, axis=(1, 2)) / norm)
        gap.append(np.linalg.norm(b00 - b11, axis=(1, 2)) / norm)
        theta00.append(b00[:, 0, 0])
    return {"width": np.array(config.widths), "rel_err": np.array(rel),
            "offdiag": np.array(off), "diag_gap": np.array(gap),
            "theta_x0x0": np.array(theta00),
            "limit_x0x0": np.full(len(config.widths), limit[0, 0])}


if __name__ == "__main__":
    runner.main("ntk_width")
