"""lion_k(kernel="sign") vs optax.lion on the same model, in the same run.

A 3-layer ReLU MLP (256-1024-1024-10, about 1.3M parameters) on a fixed minibatch of 256; one
jitted training step (forward, backward, optimizer update, apply) per call.  The two
optimizers compute the same update (tests/test_lion_theory.py checks equality), so the ratio
measures the overhead of the generic kernel machinery; the target is <= 1.2.
"""

from __future__ import annotations

import jax
import optax

from benchmarks.common import BLAS_THREADS, blas_description, interleaved
from sims import nets, train
from theory.lion import lion_k


def main(widths=(256, 1024, 1024, 10), batch: int = 256, repeats: int = 15,
         number: int = 20) -> dict:
    net = nets.ntk_mlp(widths, activation="relu", beta=0.1)
    key = jax.random.PRNGKey(0)
    params = net.init(key)
    x = jax.random.normal(key, (batch, widths[0]))
    y = jax.random.normal(jax.random.fold_in(key, 1), (batch, widths[-1]))
    loss = train.mse(net.apply)

    def stepper(opt):
        @jax.jit
        def step(p, s):
            g = jax.grad(loss)(p, (x, y))
            u, s = opt.update(g, s, p)
            return optax.apply_updates(p, u), s

        state = {"p": params, "s": opt.init(params)}

        def call():
            state["p"], state["s"] = step(state["p"], state["s"])
            jax.block_until_ready(state["p"])

        return call

    med = interleaved({"theorylab.lion_k(sign)": stepper(lion_k(1e-4, weight_decay=0.1)),
                       "optax.lion": stepper(optax.lion(1e-4, weight_decay=0.1))},
                      repeats=repeats, number=number)
    ratio = med["theorylab.lion_k(sign)"] / med["optax.lion"]
    n_params = nets.count_params(params)
    print(f"MLP {widths}, {n_params} params, batch {batch}; BLAS threads pinned to "
          f"{BLAS_THREADS} ({blas_description()}); JAX devices {jax.devices()}")
    for k, v in med.items():
        print(f"  {k:<26} {1e3 * v:8.3f} ms/step (median of {repeats} x {number})")
    print(f"  ratio lion_k / optax.lion = {ratio:.3f}  (target <= 1.2)")
    return {"ms_per_step": {k: 1e3 * v for k, v in med.items()}, "ratio": ratio,
            "params": n_params, "target": 1.2}


if __name__ == "__main__":
    main()
