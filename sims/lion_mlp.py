"""Box entry of Lion on a stochastic ReLU network (papers/lion.md R3, "discrete phase 1").

Explicit Lion with weight decay lambda and any step schedule eta_s gives, for every weight
and every step, ``(|w_t| - 1/lambda)_+ <= prod_{s<t} (1 - eta_s lambda) (|w_0| - 1/lambda)_+``,
whatever the gradients (minibatch noise, nonconvexity).  A 20-64-1 ReLU MLP (sims.nets, NTK
parametrization, N(0, 1) weights so that many start outside the box) is trained with
minibatch Lion (sims.train.lion) under a cosine schedule, in float64, recording after each
step t the worst gap ``max_w [excess_t(w) - prod_{s<=t}(1 - eta_s lambda) excess_0(w)]``
(<= 0 up to rounding; weights that start inside have excess_0 = 0 and must stay inside).
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
        schedule = optax.cosine_decay_schedule(config.lr0, config.steps)
        lrs = jax.vmap(schedule)(jnp.arange(config.steps))  # the float64 steps Lion takes
        # prod_{s<=t} (1 - eta_s lambda): the entry bound after step t (theory.lion)
        bound = jnp.asarray(L.entry_bound(1.0, np.asarray(lrs), config.lam)[1:])
        excess = lambda p: jax.tree_util.tree_map(lambda w: jnp.maximum(jnp.abs(w) - r, 0.0), p)
        ex0 = excess(params)

        def record(p, t):
            gaps = jax.tree_util.tree_map(lambda e, e0: jnp.max(e - bound[t] * e0),
                                          excess(p), ex0)
            return (jnp.max(jnp.stack(jax.tree_util.tree_leaves(gaps))),
                    jnp.max(jnp.stack([jnp.max(jnp.abs(w))
                                       for w in jax.tree_util.tree_leaves(p)])))

        res = train.lion(train.mse(net.apply), params, lr=schedule, steps=config.steps,
                         weight_decay=config.lam, data=(x, y), batch_size=config.batch_size,
                         key=k_train, record=record, record_step=True)
        gap, max_abs = (np.asarray(v) for v in res.records)
        w0_max = float(max(jnp.max(jnp.abs(w)) for w in jax.tree_util.tree_leaves(params)))
    leaves0 = jax.tree_util.tree_leaves(ex0)
    frac_outside = float(np.mean(np.concatenate([np.ravel(np.asarray(e) > 0) for e in leaves0])))
    return {"gap": gap, "bound": np.asarray(bound), "max_abs_w": max_abs, "w0_max": w0_max,
            "radius": r,
            "loss": np.asarray(res.losses), "frac_outside_at_init": frac_outside}


if __name__ == "__main__":
    runner.main("lion_mlp")
