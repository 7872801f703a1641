"""sims.nets (abc-parametrized MLPs) and sims.train (GD / SGD / Lion loops)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_allclose

from sims import nets, train
from theory import mup


def test_ntk_mlp_forward_matches_the_papers_formula():
    """alpha^{l+1} = W^l x^l / sqrt(n_l) + beta b^l with standard normal W, b (Jacot et al.)."""
    net = nets.ntk_mlp((3, 7, 5, 2), activation="erf", beta=0.3)
    params = net.init(jax.random.PRNGKey(0))
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    h = x
    for l, layer in enumerate(params):
        w, b = np.asarray(layer["w"]), np.asarray(layer["b"])
        h = h @ w / np.sqrt(w.shape[0]) + 0.3 * b
        if l < 2:
            from scipy.special import erf

            h = erf(h)
    assert_allclose(np.asarray(net.apply(params, x)), h, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", ["standard", "ntk", "mup"])
def test_abc_effective_init_std_scales_like_n_to_minus_a_plus_b(name):
    """Effective weight W^l = n^{-a_l} w^l has std n^{-(a_l + b_l)} (Yang & Hu, Sec. 2)."""
    p = mup.get(name, L=2)
    for n in (64, 256):
        net = nets.abc_mlp(4, n, p)
        params = net.init(jax.random.PRNGKey(1))
        for l, layer in enumerate(params):
            eff = net.multipliers[l] * np.asarray(layer["w"])
            expected = n ** (-float(p.a[l] + p.b[l]))
            # std of m iid normals: relative standard error 1/sqrt(2m); allow 5 of them
            m = eff.size
            assert abs(eff.std() / expected - 1) < 5 / np.sqrt(2 * m)
        assert net.lr_scales == tuple(n ** -float(c) for c in p.c_per_layer)


def test_gd_reaches_the_least_squares_solution():
    rng = np.random.default_rng(2)
    A, b = rng.normal(size=(30, 5)), rng.normal(size=30)
    with nets.float64():
        loss = lambda w, batch: 0.5 * jnp.mean((batch[0] @ w - batch[1]) ** 2)
        res = train.gd(loss, jnp.zeros(5), lr=0.5, steps=2000, data=(jnp.asarray(A),
                                                                       jnp.asarray(b)))
        assert_allclose(np.asarray(res.params), np.linalg.lstsq(A, b, rcond=None)[0],
                        atol=1e-10)
        assert np.all(np.diff(np.asarray(res.losses)) <= 1e-15)  # GD on a convex quadratic


def test_per_layer_learning_rates_scale_each_update():
    params = [{"w": jnp.ones(2)}, {"w": jnp.ones(2)}]
    loss = lambda p: jnp.sum(p[0]["w"]) + jnp.sum(p[1]["w"])  # gradient 1 everywhere
    res = train.gd(loss, params, lr=0.1, steps=3, lr_tree=[{"w": 2.0}, {"w": 0.5}])
    assert_allclose(res.params[0]["w"], 1 - 3 * 0.2, rtol=1e-6)
    assert_allclose(res.params[1]["w"], 1 - 3 * 0.05, rtol=1e-6)


@pytest.mark.parametrize("replacement", [True, False])
def test_sgd_batch_sampling(replacement):
    """With a loss that is minus the count of each sampled index, one SGD step with lr 1 adds
    the batch's index counts to p: without replacement they are distinct (0/1)."""
    n, B, steps = 6, 6, 200
    data = jnp.arange(n)
    loss = lambda p, batch: -jnp.sum(p * jax.nn.one_hot(batch, n).sum(0)) / B
    res = train.sgd(loss, jnp.zeros(n), data, lr=float(B), steps=steps, batch_size=B,
                    key=jax.random.PRNGKey(3), replacement=replacement,
                    record=lambda p: p)
    counts = np.diff(np.concatenate([np.zeros((1, n)), np.asarray(res.records)]), axis=0)
    assert counts.sum() == steps * B
    if replacement:
        assert counts.max() > 1  # duplicates happen (P(no duplicate in 200 steps) ~ 0)
        # each index is drawn with probability 1/n: mean count 1 per step, se sqrt((1-1/n)/steps)
        assert np.all(np.abs(counts.mean(0) - 1) < 5 * np.sqrt((1 - 1 / n) / steps))
    else:
        assert set(np.unique(counts)) == {1.0}  # B = n: every index exactly once per step


def test_train_vmaps_over_seeds():
    net = nets.ntk_mlp((2, 16, 1), beta=0.1)
    x = jnp.linspace(-1, 1, 8)[:, None] * jnp.ones((1, 2))
    y = jnp.sin(3 * x[:, :1])
    run = lambda key: train.gd(train.mse(net.apply), net.init(key), lr=0.1, steps=20,
                               data=(x, y)).losses[-1]
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    batched = jax.jit(jax.vmap(run))(keys)
    assert_allclose(batched, [run(k) for k in keys], rtol=1e-5)


def test_lion_loop_uses_lion_k():
    loss = lambda p: jnp.sum((p - 3.0) ** 2)
    res = train.lion(loss, jnp.zeros(3), lr=0.01, steps=500, weight_decay=1.0)
    assert_allclose(np.asarray(res.params), 1.0, atol=0.03)  # the box radius 1/lambda


@pytest.mark.parametrize("call, match", [
    (lambda: nets.ntk_mlp((3, 4, 1), activation="swish"), "activation must be one of"),
    (lambda: nets.abc_mlp(3, 0, "mup"), "n must be a positive integer"),
    (lambda: nets.MLP((3, 4), "relu", (1.0, 1.0), (1.0,), (1.0,)), "multipliers must have"),
    (lambda: train.gd(lambda p: p, 0.0, lr=-1.0, steps=1), "learning rate must be >= 0"),
    (lambda: train.sgd(lambda p, b: p, 0.0, jnp.ones(3), lr=0.1, steps=1, batch_size=5,
                       key=jax.random.PRNGKey(0)), "exceeds the number of samples"),
    (lambda: train.train(lambda p: p, 0.0, train._sgd(0.1, None), steps=-1), "steps must"),
])
def test_bad_inputs_raise_valueerror(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_record_can_receive_the_step_index():
    res = train.train(lambda p: jnp.sum(p**2), jnp.ones(2), train._sgd(0.1, None), steps=4,
                      record=lambda p, t: t, record_step=True)
    np.testing.assert_array_equal(res.records, [0, 1, 2, 3])
