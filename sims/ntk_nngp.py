"""Network outputs at initialization vs the NNGP (Jacot et al. 2018, Proposition 1).

Many independent initializations of depth-4 ReLU nets (beta = 0.1, two outputs); the outputs
at three points of the unit circle are returned so that their covariance can be compared with
Sigma^(4), their cross-output correlation with 0 and their excess kurtosis with 0.  Networks
are drawn in batches with numpy (law of ``sims.nets.ntk_mlp``) and evaluated by batched
matrix products, with no loop over individual samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import runner
from sims.ntk_common import circle, ntk_net, numpy_params
from theory import ntk as T

GAMMAS = (0.0, np.pi / 2, np.pi)


@dataclass(frozen=True)
class Config(runner.SimConfig):
    widths: tuple[int, ...] = (32, 128)
    samples: int = 2000
    depth: int = 4
    beta: float = 0.1
    chunk: int = 250

    @classmethod
    def full(cls):
        return cls(widths=(32, 128, 512), samples=4000, chunk=100)


def batched_outputs(mlp, params, x):
    """Outputs of a batch of networks (leading axis of every parameter) at inputs x."""
    h = np.broadcast_to(x, (params[0]["w"].shape[0],) + x.shape)
    for l, layer in enumerate(params):
        z = mlp.multipliers[l] * np.matmul(h, layer["w"])
        z = z + np.float32(mlp.beta) * layer["b"][:, None]
        h = np.maximum(z, 0) if l < mlp.depth - 1 else z
    return h


@runner.register("ntk_nngp", paper="ntk", config=Config, sweep="widths")
def run(config: Config) -> dict:
    """Outputs at init over many seeds vs the NNGP covariance Sigma^(L) (Prop. 1)."""
    if config.chunk < 1 or config.samples % config.chunk:
        raise ValueError(f"samples must be a positive multiple of chunk={config.chunk}, "
                         f"got {config.samples}")
    x = circle(GAMMAS)
    sigma, _ = T.limiting_kernels(x, depth=config.depth, beta=config.beta)
    xs = x.astype(np.float32)
    out = []
    for n in config.widths:
        mlp = ntk_net(2, n, config.depth, 2, beta=config.beta)
        rng = np.random.default_rng([config.seed, n])
        f = [batched_outputs(mlp, numpy_params(mlp, rng, batch=(config.chunk,)), xs)
             for _ in range(config.samples // config.chunk)]
        out.append(np.concatenate(f).astype(np.float64))
    return {"width": np.array(config.widths), "outputs": np.array(out),
            "sigma": np.broadcast_to(sigma, (len(config.widths),) + sigma.shape).copy()}


if __name__ == "__main__":
    runner.main("ntk_nngp")
