"""Box entry of Lion on a stochastic ReLU network (papers/lion.md R3, "discrete phase 1").

Explicit Lion with weight decay lambda and any step schedule eta_s gives, for every weight
and every step, ``(|w_t| - 1/lambda)_+ <= prod_{s<t} (1 - eta_s lambda) (|w_0| - 1/lambda)_+``,
whatever the gradients (minibatch noise, nonconvexity).  A 20-64-1 ReLU MLP (sims.nets, NTK
parametrization, N(0, 1) weights so that many start outside the box) is trained with
minibatch Lion (sims.train.lion) under a cosine schedule, in float64, recording per step the
worst ratio excess_t / excess_0 and the worst excess of the weights that started inside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    widths: tuple[int, ...] = (20, 64, 1)
    n_samples: int = 1024
    batch_size: int = 64
    lam: float = 5.0
    lr0: float = 3e-3
    steps: int = 1000

    @classmethod
    def full(cls):
        return cls(steps=3000)


@runner.register("lion_mlp", paper="lion", config=Config)
def run(config: Config) -> dict:
    """Per-step worst box excess of a minibatch-Lion ReLU MLP vs the deterministic bound."""
    import jax
    import jax.numpy as jnp
    import optax

    from sims import nets, train
    from theory import lion as L

    with nets.float64():
        key = jax.random.PRNGKey(config.seed)
        k_data, k_init, k_train = jax.random.split(key, 3)
        d = config.widths[0]
        x = jax.random.normal(k_data, (config.n_samples, d), jnp.float64)
        y = jnp.sin(x @ jnp.linspace(-1.0, 1.0, d))[:, None]
        net = nets.ntk_mlp(config.widths, activation="relu", beta=None)
        params = net.init(k_init, jnp.float64)
        r = 1.0 / config.lam
        ex0 = jax.tree_util.tree_map(lambda w: jnp.maximum(jnp.abs(w) - r, 0.0), params)

        def record(p):
            ex = jax.tree_util.tree_map(lambda w: jnp.maximum(jnp.abs(w) - r, 0.0), p)
            ratio = jax.tree_util.tree_map(
                lambda e, e0: jnp.max(jnp.where(e0 > 0, e / jnp.where(e0 > 0, e0, 1.0), 0.0)),
                ex, ex0)
            inside = jax.tree_util.tree_map(lambda e, e0: jnp.max(jnp.where(e0 > 0, 0.0, e)),
                                            ex, ex0)
            return (jnp.max(jnp.stack(jax.tree_util.tree_leaves(ratio))),
                    jnp.max(jnp.stack(jax.tree_util.tree_leaves(inside))),
                    jnp.max(jnp.stack([jnp.max(jnp.abs(w))
                                       for w in jax.tree_util.tree_leaves(p)])))

        schedule = optax.cosine_decay_schedule(config.lr0, config.steps)
        res = train.lion(train.mse(net.apply), params, lr=schedule, steps=config.steps,
                         weight_decay=config.lam, data=(x, y), batch_size=config.batch_size,
                         key=k_train, record=record)
        ratio, inside, max_abs = (np.asarray(v) for v in res.records)
        lrs = np.asarray(jax.vmap(schedule)(jnp.arange(config.steps)))  # the same float64 steps
    bound = L.entry_bound(1.0, lrs, config.lam)[1:]  # prod_{s<=t} (1 - eta_s lambda)
    frac_outside = float(np.mean(np.concatenate(
        [np.ravel(np.asarray(e) > 0) for e in jax.tree_util.tree_leaves(ex0)])))
    return {"ratio": ratio, "bound": bound, "inside_excess": inside, "max_abs_w": max_abs,
            "loss": np.asarray(res.losses), "frac_outside_at_init": frac_outside}


if __name__ == "__main__":
    runner.main("lion_mlp")
