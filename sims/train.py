"""Training loops for finite networks: full-batch GD, minibatch SGD and Lion-K.

Every loop is a ``jax.lax.scan`` over steps, so it compiles once, runs without Python-level
iteration, and can be ``jax.vmap``-ed over seeds or initialisations and ``jax.jit``-ed by the
caller.  The optimizer is any ``optax.GradientTransformation``; per-layer learning-rate
multipliers (abc-parametrizations) are applied with :func:`scale_by_tree`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


class TrainResult(NamedTuple):
    params: Any
    losses: jax.Array  # loss before each step, shape (steps,)
    records: Any  # what ``record(params)`` returned after each step (leading axis: steps)


def scale_by_tree(scales) -> optax.GradientTransformation:
    """Multiply each update leaf by the matching leaf of ``scales`` (per-layer learning rates)."""

    def init_fn(params):
        del params
        return optax.EmptyState()

    def update_fn(updates, state, params=None):
        del params
        return jax.tree_util.tree_map(lambda u, s: u * s, updates, scales), state

    return optax.GradientTransformation(init_fn, update_fn)


def _check(steps: int, lr: float | None = None, batch_size: int | None = None,
           n: int | None = None):
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if isinstance(lr, int | float) and not lr >= 0:  # traced or scheduled rates pass
        raise ValueError(f"learning rate must be >= 0, got {lr!r}")
    if batch_size is not None:
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if n is not None and batch_size > n:
            raise ValueError(f"batch_size ({batch_size}) exceeds the number of samples ({n})")


def train(loss_fn: Callable, params, optimizer: optax.GradientTransformation, *, steps: int,
          data=None, batch_size: int | None = None, replacement: bool = True, key=None,
          record: Callable | None = None, record_step: bool = False) -> TrainResult:
    """Run ``steps`` optimizer steps on ``loss_fn``.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(params)`` when ``data`` is None, else ``loss_fn(params, batch)`` where
        ``batch`` is ``data`` (full batch) or a minibatch of it (a pytree sliced on axis 0).
    batch_size : int, optional
        Minibatch size; None means full batch (gradient descent).
    replacement : bool
        With replacement: B i.i.d. uniform indices per step.  Without: B distinct indices
        (a uniform B-subset) per step, independently across steps.
    key : jax PRNG key
        Needed when ``batch_size`` is given.
    record : callable, optional
        ``record(params)`` evaluated after every step; stacked in ``TrainResult.records``.
    record_step : bool
        Call ``record(params, t)`` instead, with t = 0, 1, ... the index of the step just
        taken (for bounds that depend on the schedule up to step t).
    """
    n = None
    if data is not None:
        n = jax.tree_util.tree_leaves(data)[0].shape[0]
    _check(steps, batch_size=batch_size, n=n)
    if batch_size is not None and key is None:
        raise ValueError("key is required for minibatch training (batch_size given)")
    key = jax.random.PRNGKey(0) if key is None else key

    def sample(k):
        if data is None:
            return None
        if batch_size is None:
            return data
        if replacement:
            idx = jax.random.randint(k, (batch_size,), 0, n)
        else:
            idx = jax.random.choice(k, n, (batch_size,), replace=False)
        return jax.tree_util.tree_map(lambda a: a[idx], data)

    def loss_at(p, batch):
        return loss_fn(p) if data is None else loss_fn(p, batch)

    def step(carry, t):
        p, state, k = carry
        k, sub = jax.random.split(k)
        loss, grads = jax.value_and_grad(loss_at)(p, sample(sub))
        updates, state = optimizer.update(grads, state, p)
        p = optax.apply_updates(p, updates)
        if record is None:
            rec = None
        else:
            rec = record(p, t) if record_step else record(p)
        return (p, state, k), (loss, rec)

    carry = (params, optimizer.init(params), key)
    (params, _, _), (losses, records) = jax.lax.scan(step, carry, jnp.arange(int(steps)))
    return TrainResult(params, losses, records)


def gd(loss_fn: Callable, params, *, lr: float, steps: int, data=None, lr_tree=None,
       record: Callable | None = None) -> TrainResult:
    """Full-batch gradient descent ``theta <- theta - lr * lr_tree * grad``."""
    _check(steps, lr)
    return train(loss_fn, params, _sgd(lr, lr_tree), steps=steps, data=data, record=record)


def sgd(loss_fn: Callable, params, data, *, lr: float, steps: int, batch_size: int, key,
        replacement: bool = True, lr_tree=None, record: Callable | None = None) -> TrainResult:
    """Minibatch SGD with batch size B, with or without replacement within a batch."""
    _check(steps, lr)
    return train(loss_fn, params, _sgd(lr, lr_tree), steps=steps, data=data,
                 batch_size=batch_size, replacement=replacement, key=key, record=record)


def lion(loss_fn: Callable, params, *, lr: float, steps: int, b1: float = 0.9, b2: float = 0.99,
         weight_decay: float = 0.0, kernel: str = "sign", data=None, batch_size=None, key=None,
         lr_tree=None, record: Callable | None = None, record_step: bool = False) -> TrainResult:
    """Lion-K (Chen et al. 2024) with decoupled weight decay; see :func:`theory.lion.lion_k`."""
    from theory.lion import lion_k

    opt = lion_k(lr, b1=b1, b2=b2, weight_decay=weight_decay, kernel=kernel)
    if lr_tree is not None:
        opt = optax.chain(opt, scale_by_tree(lr_tree))
    return train(loss_fn, params, opt, steps=steps, data=data, batch_size=batch_size, key=key,
                 record=record, record_step=record_step)


def _sgd(lr: float, lr_tree) -> optax.GradientTransformation:
    opt = optax.sgd(lr)
    return opt if lr_tree is None else optax.chain(opt, scale_by_tree(lr_tree))


def mse(apply_fn: Callable) -> Callable:
    """``loss(params, (x, y)) = 1/2 mean_i ||f(x_i) - y_i||^2`` for ``apply_fn(params, x)``."""

    def loss(params, batch):
        x, y = batch
        return 0.5 * jnp.mean(jnp.sum((apply_fn(params, x) - y) ** 2, axis=-1))

    return loss
