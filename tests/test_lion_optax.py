"""optax's own lion tests, run against ``theory.lion.lion_k`` for several kernels.

``lion_k`` is offered as a drop-in ``optax.lion``.  The conformance test for a drop-in is the
anchor's own suite: the test files that ship inside the installed optax package
(``optax/_src/alias_test.py``, ``optax/contrib/_common_test.py``, ``optax/_src/sharding_test.py``,
``optax/_src/transform_test.py``).  Every test case there that is parametrized with ``lion`` is
run here with ``optax.lion`` (or ``optax.scale_by_lion``) replaced by ``lion_k`` (or
``scale_by_lion_k``) for the kernels below; the cases themselves are optax's, unmodified.
Cases optax skips for lion (complex parameters; sharding-in-types on jax < 0.7.2) are skipped
here for the same reason.
"""

from __future__ import annotations

import functools
import importlib
import types
import unittest

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from theory import lion as L

KERNELS = ("sign", "l2", "nuclear", "huber")


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as err:  # optax wheels may ship without tests, or absl may be missing
        return err


_MODULES = {key: _import(name) for key, name in [
    ("alias", "optax._src.alias_test"), ("contrib", "optax.contrib._common_test"),
    ("sharding", "optax._src.sharding_test"), ("transform", "optax._src.transform_test")]}


def _lion_cases(key: str, cls_name: str, select) -> list:
    mod = _MODULES[key]
    if isinstance(mod, Exception):
        return [pytest.param(key, cls_name, "", "sign", id=key, marks=pytest.mark.skip(
            reason=f"installed optax {optax.__version__} ships no usable {key} tests: {mod}"))]
    cls = getattr(mod, cls_name)
    names = sorted(n for n in dir(cls) if n.startswith("test") and select(n, getattr(cls, n)))
    return [pytest.param(key, cls_name, n, k, id=f"{key}.{n}-{k}",
                         marks=[pytest.mark.slow] if _duplicate(key, n, k) else [])
            for n in names for k in KERNELS]


def _duplicate(key: str, name: str, kernel: str) -> bool:
    """contrib's state-stability case is alias's without the wrapper (same optimizer, dtypes
    f16/bf16/f32/f64): run it for the nuclear kernel (the one with a 16-bit code path) by
    default and for the others with ``-m slow``, to keep this module near 20 s."""
    return key == "contrib" and name.startswith("test_state_shape") and kernel != "nuclear"


def _is_lion_param(name, fn) -> bool:
    return "opt_name='lion'" in getattr(fn, "__x_params_repr__", "")


CASES = (_lion_cases("alias", "AliasTest", _is_lion_param)
         + _lion_cases("contrib", "ContribTest", _is_lion_param)
         + _lion_cases("sharding", "ShardingTest", lambda n, fn: n.endswith("_lion"))
         + _lion_cases("transform", "TransformTest", lambda n, fn: n == "test_scalers_lion"))


def _factory(kernel: str):
    """``lion_k`` with the kernel fixed, as a factory with optax.lion's signature."""
    fn = functools.partial(L.lion_k, kernel=kernel)
    fn.__name__ = f"lion_k_{kernel}"
    return fn


def _scaler(kernel: str):
    fn = functools.partial(L.scale_by_lion_k, kernel)
    fn.__name__ = f"scale_by_lion_k_{kernel}"
    return fn


def _run(case: unittest.TestCase) -> unittest.TestResult:
    result = unittest.TestResult()
    case.run(result)
    return result


@pytest.mark.parametrize("key, cls_name, name, kernel", CASES)
def test_optax_lion_case_passes_with_lion_k(key, cls_name, name, kernel, monkeypatch):
    cls = getattr(_MODULES[key], cls_name)
    case = cls(name)
    if key in ("alias", "contrib"):
        # both suites look the optimizer up as getattr(optax._src.alias, "lion")
        monkeypatch.setattr(importlib.import_module("optax._src.alias"), "lion",
                            _factory(kernel))
    else:
        # named-parameter cases bind optax's object at import: call the undecorated test
        # with ours instead (sharding: an optimizer; transform: a scaler constructor)
        original = getattr(cls, name).__wrapped__
        ours = L.lion_k(1.0, kernel=kernel) if key == "sharding" else _scaler(kernel)
        setattr(case, name, types.MethodType(lambda self: original(self, ours), case))
    result = _run(case)
    problems = result.failures + result.errors
    assert not problems, "\n".join(trace for _, trace in problems)
    assert result.testsRun == 1
    if result.skipped:
        pytest.skip(f"optax skips this case: {result.skipped[0][1]}")


# ------------------------------------------------------------------ beyond optax's own tests


def _sign_pair(lr, wd):
    return L.lion_k(lr, weight_decay=wd), optax.lion(lr, weight_decay=wd)


def test_inject_hyperparams_jit_with_schedules_equals_optax_lion_step_for_step():
    """Both learning rate and weight decay scheduled, hyperparameters injected, under jit."""
    lr = optax.warmup_cosine_decay_schedule(0.0, 3e-2, 5, 40)
    wd = optax.linear_schedule(0.5, 0.1, 40)
    ours = optax.inject_hyperparams(L.lion_k)(lr, weight_decay=wd, kernel="sign")
    ref = optax.inject_hyperparams(optax.lion)(lr, weight_decay=wd)
    params = {"a": jnp.array([1.0, -2.0, 3.0]), "b": jnp.linspace(-1, 1, 6).reshape(2, 3)}
    loss = lambda p: jnp.sum((p["a"] - 0.5) ** 2) + jnp.sum(jnp.sin(3 * p["b"]))

    def make_step(opt):
        @jax.jit
        def step(params, state):
            updates, state = opt.update(jax.grad(loss)(params), state, params)
            return optax.apply_updates(params, updates), state
        return step

    s_ours, s_ref = make_step(ours), make_step(ref)
    p1, p2 = params, params
    st1, st2 = jax.jit(ours.init)(params), jax.jit(ref.init)(params)
    for _ in range(40):
        p1, st1 = s_ours(p1, st1)
        p2, st2 = s_ref(p2, st2)
        for k in params:
            np.testing.assert_array_equal(p1[k], p2[k])
    # the injected decay followed the schedule (0.5 -> 0.1): the last update used wd(39)
    np.testing.assert_allclose(float(st1.hyperparams["weight_decay"]), wd(39), rtol=1e-6)


def test_weight_decay_schedule_without_inject_hyperparams_equals_optax_lion():
    wd = optax.linear_schedule(1.0, 0.0, 20)
    ours, ref = L.lion_k(0.05, weight_decay=wd), optax.lion(0.05, weight_decay=wd)
    x1 = x2 = jnp.array([2.0, -1.0, 0.3])
    s1, s2 = ours.init(x1), ref.init(x2)
    for _ in range(20):
        u1, s1 = ours.update(2 * (x1 - 1.0), s1, x1)
        u2, s2 = ref.update(2 * (x2 - 1.0), s2, x2)
        x1, x2 = optax.apply_updates(x1, u1), optax.apply_updates(x2, u2)
        np.testing.assert_array_equal(x1, x2)


def test_positional_order_is_optax_lions():
    import inspect

    ours = list(inspect.signature(L.lion_k).parameters)
    ref = list(inspect.signature(optax.lion).parameters)
    assert ours[:len(ref)] == ref
    a, b = L.lion_k(0.1, 0.8, 0.95, None, 0.2), optax.lion(0.1, 0.8, 0.95, None, 0.2)
    x = jnp.array([3.0, -0.5])
    sa, sb = a.init(x), b.init(x)
    for _ in range(5):
        ua, sa = a.update(x - 1, sa, x)
        ub, sb = b.update(x - 1, sb, x)
        np.testing.assert_array_equal(ua, ub)
        x = optax.apply_updates(x, ua)


def test_optax_lion_checkpoint_restores_into_lion_k():
    """The states have the same leaves in the same order: restore leaf by leaf and continue."""
    params = {"w": jnp.arange(6.0).reshape(2, 3) / 6, "b": jnp.array([0.5, -0.5])}
    grad = jax.grad(lambda p: jnp.sum(jnp.cos(p["w"])) + jnp.sum(p["b"] ** 2))
    ref = optax.lion(1e-2, weight_decay=0.1)
    state = ref.init(params)
    for _ in range(7):
        u, state = ref.update(grad(params), state, params)
        params = optax.apply_updates(params, u)
    ours = L.lion_k(1e-2, weight_decay=0.1)
    template = ours.init(params)
    restored = jax.tree.unflatten(jax.tree.structure(template), jax.tree.leaves(state))
    assert isinstance(restored[0], L.ScaleByLionKState)
    p1 = p2 = params
    for _ in range(5):
        u1, restored = ours.update(grad(p1), restored, p1)
        u2, state = ref.update(grad(p2), state, p2)
        p1, p2 = optax.apply_updates(p1, u1), optax.apply_updates(p2, u2)
    for k in params:
        np.testing.assert_array_equal(p1[k], p2[k])
