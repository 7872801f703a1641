"""Fig. 3 analogue of Jacot et al. (2018): convergence along a kernel principal component.

MNIST is not available offline (no bundled copy; keras/tfds would download it), so the 8x8
digits that ship with scikit-learn are the proxy (first ``n_data`` images, pixels / 16, so
n_0 = 64).  The kernel principal components come from the exact Theta^(L)_inf on the batch
(the paper approximated it by a width-10000 network).  Protocol of Section 6.3: the target is
``f* = f_theta(0) + 0.5 f^(2)``; along GD (lr 1.0) ``f_theta(t) - f*`` is split into
``g_t`` (along f^(2)) and ``h_t`` (orthogonal), whose p_in-norms are recorded.  In the limit
``||g_t|| = 0.5 exp(-lambda_2 t)`` and ``h_t = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from sims import nets, runner, train
from sims.ntk_common import gd_steps, load_digits, ntk_net, seed_params
from theory import ntk as T


@dataclass(frozen=True)
class Config(runner.SimConfig):
    widths: tuple[int, ...] = (64, 256)
    seeds: int = 2
    n_data: int = 256
    steps: int = 300
    record_every: int = 15
    lr: float = 1.0
    depth: int = 4
    beta: float = 0.1

    @classmethod
    def full(cls):
        return cls(widths=(100, 1000, 10000), n_data=512, steps=4000, record_every=50)


@partial(jax.jit, static_argnums=(0, 4, 5, 6))
def _trajectories(mlp: nets.MLP, params, x, f2, n_records: int, every: int, lr: float):
    loss = train.mse(mlp.apply)

    def one(p0):
        f0 = mlp.apply(p0, x)
        target = f0 + 0.5 * f2[:, None]

        def chunk(p, _):
            p = gd_steps(loss, p, (x, target), lr=lr, steps=every)
            return p, mlp.apply(p, x)[:, 0]

        _, fs = jax.lax.scan(chunk, p0, None, length=n_records)
        return jnp.concatenate([f0[None, :, 0], fs]) - target[None, :, 0]

    return jax.vmap(one)(params)


@runner.register("ntk_pca", paper="ntk", config=Config, sweep="widths")
def run(config: Config) -> dict:
    """Components of f_t - f* along/orthogonal to the 2nd kernel PC on digits (Fig. 3)."""
    if config.steps < 1 or config.record_every < 1 or config.steps % config.record_every:
        raise ValueError(f"steps must be a positive multiple of record_every="
                         f"{config.record_every}, got {config.steps}")
    x, labels = load_digits(config.n_data)
    _, theta = T.limiting_kernels(x, depth=config.depth, beta=config.beta)
    lam, funcs = T.kernel_pca(theta)
    f2 = funcs[:, 1]
    n_rec = config.steps // config.record_every
    t = config.lr * config.record_every * np.arange(n_rec + 1)
    g, h = [], []
    for n in config.widths:
        mlp = ntk_net(x.shape[1], n, config.depth, 1, beta=config.beta)
        params = seed_params(mlp, config.seed, n, config.seeds)
        resid = np.asarray(_trajectories(mlp, params, jnp.asarray(x, jnp.float32),
                                         jnp.asarray(f2, jnp.float32), n_rec,
                                         config.record_every, float(config.lr)), np.float64)
        coef = T.pc_coefficients(resid, funcs[:, 1:2])[..., 0]  # <f_t - f*, f^(2)>
        g.append(np.abs(coef))
        orth = resid - coef[..., None] * f2
        h.append(np.sqrt(np.mean(orth**2, axis=-1)))
    k = len(config.widths)
    return {"width": np.array(config.widths), "t": np.tile(t, (k, 1)),
            "g_norm": np.array(g), "h_norm": np.array(h),
            "g_limit": np.tile(0.5 * np.exp(-lam[1] * t), (k, 1)),
            "eigenvalues": np.tile(lam[:3], (k, 1)),
            "pc2": np.tile(funcs[:, 1], (k, 1)), "pc3": np.tile(funcs[:, 2], (k, 1)),
            "labels": np.tile(labels, (k, 1))}


if __name__ == "__main__":
    runner.main("ntk_pca")
