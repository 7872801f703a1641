"""SGD (B = 1) vs GD on a diagonal linear network ``f(x) = <a * b, x>``: LR sweep and balancing.

Protocol of papers/sgd_stability.md Sec. 3.7 (analogue of the paper's Fig. Diag-LR and
Fig. Balance): ``x ~ N(0, I_d)``, sparse truth ``beta* = e_1 + e_2 + e_3``, ``n < d``, loss
``1/2 mean (f - y)^2``, init ``a, b ~ N(0, 1)`` (LR sweep) or ``a ~ N(0, 0.01)``,
``b = c a`` with ``c = r0 + sqrt(r0^2 - 1)`` so that the unbalancedness
``r(theta_0) = (|a|^2 + |b|^2) / (2 |a * b|_1)`` is r0 (balancing).  Same warm-up, run-on
and measurements as ``sgd_stability_relu`` (without the Hutchinson estimate: the trace is
exact here); the balancing runs share the LR sweep's ``lax.scan`` as extra vmapped lanes;
the test MSE is exact for Gaussian inputs: ``E (x . (beta - beta*))^2 = |beta - beta*|^2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from sims import nets, runner
from sims.sgd_stability_relu import summarise, tile, train_many


@dataclass(frozen=True)
class Config(runner.SimConfig):
    n: int = 50
    d: int = 200
    sgd_lrs: tuple[float, ...] = (0.01, 0.03, 0.1)
    gd_lrs: tuple[float, ...] = (0.01, 0.1, 0.3)
    steps: int = 20_000
    warmup: int = 2_000
    confirm_steps: int = 5_000
    confirm_noise: float = 1e-4
    balance_r0: tuple[float, ...] = (1.0, 2.0, 4.0)
    balance_lr: float = 0.1
    init_seeds: tuple[int, ...] = (1,)

    @classmethod
    def full(cls):
        """The note's analogue with 3 init seeds and 60k steps (paper: d = 1000, n = 300)."""
        return cls(steps=60_000, init_seeds=(1, 10, 11),
                   sgd_lrs=(0.01, 0.03, 0.1, 0.15), balance_r0=(1.0, 2.0, 4.0, 8.0, 16.0))


def make_data(config: Config):
    rng = np.random.default_rng([config.seed, 11])
    X = rng.normal(size=(config.n, config.d))
    beta = np.zeros(config.d)
    beta[:3] = 1.0
    return X, X @ beta, beta


def _loss(p, batch):
    x, y = batch
    return 0.5 * jnp.mean((x @ (p["a"] * p["b"]) - y) ** 2)


@runner.register("sgd_stability_diag", paper="sgd_stability", config=Config, sweep="init_seeds")
def run(config: Config) -> dict:
    """Diagonal linear net: SGD vs GD LR sweep (trace, l1 norm, test MSE) and balancing."""
    from theory import sgd_stability as S

    X, y, beta_star = make_data(config)
    d = config.d
    out: dict[str, list] = {}
    r0 = np.array(config.balance_r0)
    with nets.float64():
        data = (jnp.asarray(X), jnp.asarray(y))
        for seed in config.init_seeds:
            key = jax.random.PRNGKey(seed)
            ka, kb, kc = jax.random.split(key, 3)
            # lanes: the LR sweep from a ~ N(0,1), b ~ N(0,1) (same init for every LR), then
            # the balancing runs a ~ N(0, 0.01), b = c a (r(theta_0) = r0) at balance_lr
            a_big, b_big = (jax.random.normal(k, (d,), jnp.float64) for k in (ka, kb))
            a_small = 0.1 * jax.random.normal(kc, (d,), jnp.float64)
            c = r0 + np.sqrt(r0 ** 2 - 1)
            for alg, lrs, bs in (("sgd", config.sgd_lrs, 1), ("gd", config.gd_lrs, None)):
                L = len(lrs)
                P0 = {"a": jnp.concatenate([tile(a_big, L), tile(a_small, len(c))]),
                      "b": jnp.concatenate([tile(b_big, L),
                                            jnp.asarray(c)[:, None] * a_small[None, :]])}
                P, losses = train_many(_loss, P0, data,
                                       (*lrs, *([config.balance_lr] * len(c))),
                                       steps=config.steps, warmup=config.warmup,
                                       batch_size=bs, key=jax.random.fold_in(key, 1),
                                       confirm_steps=config.confirm_steps,
                                       confirm_noise=config.confirm_noise)
                A, B = np.asarray(P["a"]), np.asarray(P["b"])
                tail = max(1, losses.shape[1] // 5)
                rows: dict[str, list] = {}
                for i in range(L):
                    vals = summarise(S.diag_per_sample_grads(A[i], B[i], X), S)
                    beta = A[i] * B[i]
                    vals.update(loss=float(0.5 * np.mean((X @ beta - y) ** 2)),
                                loss_tail_max=float(np.max(losses[i, -tail:])),
                                l1=float(np.sum(np.abs(beta))),
                                unbalancedness=(S.unbalancedness(A[i], B[i])
                                                if np.all(np.isfinite(beta)) else np.nan),
                                test_mse=float(np.sum((beta - beta_star) ** 2)))
                    for k, v in vals.items():
                        rows.setdefault(k, []).append(v)
                for k, v in rows.items():
                    out.setdefault(f"{alg}_{k}", []).append(np.array(v))
                out.setdefault(f"{alg}_lr", []).append(np.array(lrs))
                bal = [S.unbalancedness(A[i], B[i]) if np.all(np.isfinite(A[i] * B[i]))
                       else np.nan for i in range(L, L + len(c))]
                out.setdefault(f"balance_{alg}_r", []).append(np.array(bal))
                out.setdefault(f"balance_{alg}_loss", []).append(np.array(
                    [0.5 * np.mean((X @ (A[i] * B[i]) - y) ** 2) for i in range(L, L + len(c))]))
            out.setdefault("balance_r0", []).append(r0)
    return {k: np.array(v) for k, v in out.items()}


if __name__ == "__main__":
    runner.main("sgd_stability_diag")
