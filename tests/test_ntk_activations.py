"""The one activation table (theory.activations) and the empirical NTK of every sims.nets MLP."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_allclose

from sims import nets
from theory import activations as A
from theory import mup
from theory import ntk as T

ALL = list(A.NAMES) + ["monomial2", "monomial3"]
Z = np.linspace(-4.0, 4.0, 41)


@pytest.mark.parametrize("name", ALL)
def test_numpy_and_jax_rows_agree_and_derivative_is_the_jax_gradient(name):
    with nets.float64():
        zj = jnp.asarray(Z)
        phi_np, dphi_np = A.pair(name, np)
        phi_j, dphi_j = A.pair(name, jnp)
        assert_allclose(np.asarray(phi_j(zj)), phi_np(Z), rtol=1e-14, atol=1e-15)
        assert_allclose(np.asarray(dphi_j(zj)), dphi_np(Z), rtol=1e-14, atol=1e-15)
        # sigma' is the derivative of sigma (autodiff of the jax row; relu: 0 at z = 0)
        grad = jax.vmap(jax.grad(phi_j))(zj)
        assert_allclose(np.asarray(grad), dphi_np(Z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", ["tanh", "erf", "gelu", "softplus"])
def test_derivative_matches_central_differences(name):
    phi, dphi = A.pair(name)
    h = 1e-5
    assert_allclose((phi(Z + h) - phi(Z - h)) / (2 * h), dphi(Z), atol=1e-9)  # O(h^2)


def test_the_three_users_read_the_same_table():
    for name in A.NAMES:
        phi, dphi = mup.nonlinearity(name)
        assert_allclose(phi(Z), A.function(name)(Z), rtol=0)
        assert_allclose(dphi(Z), A.derivative(name)(Z), rtol=0)
        with nets.float64():
            assert_allclose(np.asarray(nets.activation_fn(name)(jnp.asarray(Z))),
                            A.function(name)(Z), rtol=1e-15, atol=1e-300)
    assert_allclose(T.dual_activation("erf", 1.0, 2.0, 0.3), A.dual("erf", 1.0, 2.0, 0.3))
    for bad in ("swish", "monomial0", None, 3):
        with pytest.raises(ValueError, match="activation must be one of"):
            A.get(bad)
        with pytest.raises(ValueError, match="activation must be one of"):
            mup.nonlinearity(bad)
    with pytest.raises(ValueError, match="closed-form dual"):
        T.limiting_kernels(np.ones((2, 2)), depth=2, activation="gelu")
    with pytest.raises(ValueError, match="xp must be numpy or jax.numpy"):
        A.function("relu", xp=object())


def _jacobian_contraction(apply_fn, params, x1, x2):
    """sum_p d_p f_k(x1) d_p f_k'(x2), straight from jax.jacrev (independent of theory.ntk)."""
    def flat(x):
        leaves = jax.tree_util.tree_leaves(jax.jacrev(apply_fn)(params, x))
        return jnp.concatenate([a.reshape(a.shape[0], a.shape[1], -1) for a in leaves], -1)

    j1, j2 = flat(x1), flat(x2)
    return np.asarray(jnp.einsum("akp,bjp->abkj", j1, j2))


@pytest.mark.parametrize("name", ["gelu", "softplus", "tanh", "erf"])
def test_empirical_ntk_of_any_sims_nets_mlp_equals_jacobian_contraction(name):
    """Acceptance of issue 8: layerwise path = Jacobian contraction to 1e-8 in float64."""
    with nets.float64():
        mlp = nets.ntk_mlp((3, 24, 16, 2), activation=name, beta=0.1)
        params = mlp.init(jax.random.PRNGKey(1), dtype=jnp.float64)
        rng = np.random.default_rng(2)
        x1, x2 = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
        ref = _jacobian_contraction(mlp.apply, params, jnp.asarray(x1), jnp.asarray(x2))
        full = T.empirical_ntk(mlp.apply, params, x1, x2, trace_outputs=False,
                               method="layerwise")
        traced = T.empirical_ntk(mlp.apply, params, x1, x2)
        jitted = T.empirical_ntk(jax.jit(mlp.apply), params, x1, x2, method="layerwise")
    as_numpy = [{k: np.asarray(v) for k, v in layer.items()} for layer in params]
    numpy_path = T.layerwise_ntk(as_numpy, x1, x2, activation=name, trace_outputs=False)
    scale = np.max(np.abs(ref))
    assert_allclose(numpy_path, ref, rtol=0, atol=1e-8 * scale)
    assert_allclose(full, ref, rtol=0, atol=1e-8 * scale)
    assert_allclose(traced, np.einsum("abkk->ab", ref) / 2, rtol=0, atol=1e-8 * scale)
    assert_allclose(jitted, traced, rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("param", ["mup"])
def test_empirical_ntk_of_abc_mlps_without_bias(param):
    """abc-parametrized nets (other multipliers, no biases) take the layerwise path too."""
    with nets.float64():
        mlp = nets.abc_mlp(3, 32, param, activation="gelu")
        params = mlp.init(jax.random.PRNGKey(3), dtype=jnp.float64)
        x = np.random.default_rng(4).normal(size=(6, 3))
        ours = T.empirical_ntk(mlp.apply, params, x, method="layerwise")
        ref = T.empirical_ntk(mlp.apply, params, x, method="jacobian")
    assert_allclose(ours, ref, rtol=1e-10, atol=1e-14)


def test_jacobian_path_for_functions_that_are_not_mlps():
    with nets.float64():
        params = {"a": jnp.asarray([0.5, -1.0]), "b": jnp.asarray(0.3)}
        fn = jax.jit(lambda p, x: jnp.sin(x @ p["a"])[:, None] * p["b"])
        x = np.random.default_rng(5).normal(size=(4, 2))
        ours = T.empirical_ntk(fn, params, x)
        ref = np.einsum("abkk->ab", _jacobian_contraction(fn, params, jnp.asarray(x),
                                                          jnp.asarray(x)))
    assert_allclose(ours, ref, rtol=1e-12)
    with pytest.raises(ValueError, match="method='layerwise' needs"):
        T.empirical_ntk(fn, params, x, method="layerwise")


def _small_params():
    rng = np.random.default_rng(0)
    return [{"w": rng.normal(size=(2, 4)), "b": rng.normal(size=4)},
            {"w": rng.normal(size=(4, 1)), "b": rng.normal(size=1)}]


def test_layerwise_ntk_accepts_lists():
    params = _small_params()
    x = [[0.1, 0.2], [0.3, -0.4]]
    as_lists = [{k: v.tolist() for k, v in layer.items()} for layer in params]
    assert_allclose(T.layerwise_ntk(as_lists, x), T.layerwise_ntk(params, np.array(x)),
                    rtol=1e-15)


@pytest.mark.parametrize("kwargs, match", [
    (dict(params=[]), "params must be a non-empty list"),
    (dict(params={"w": np.ones((2, 1))}), "params must be a non-empty list"),
    (dict(params=[{"W": np.ones((2, 1))}]), r"params\[0\] must be a dict with key 'w'"),
    (dict(params=[{"w": np.ones((2, 4))}, {"w": np.ones((3, 1))}]), r"params\[1\]\['w'\]"),
    (dict(params=[{"w": np.ones((2, 1)), "b": np.ones(2)}]), r"params\[0\]\['b'\]"),
    (dict(params=[{"w": np.ones((2, 1)), "v": 1}]), "unknown keys"),
    (dict(x1=np.array([[np.nan, 0.0]])), "x1 must hold finite"),
    (dict(x2=np.ones((2, 3))), "x2 must have shape"),
    (dict(beta=-0.1), "beta must be None or a finite number >= 0"),
    (dict(beta=np.nan), "beta must be None"),
    (dict(multipliers=[1.0]), "multipliers must be a sequence"),
    (dict(multipliers=[1.0, np.inf]), "multipliers must be finite"),
    (dict(activation="swish"), "activation must be one of"),
])
def test_layerwise_ntk_rejects_bad_arguments(kwargs, match):
    args = dict(params=_small_params(), x1=np.ones((2, 2)))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        T.layerwise_ntk(args.pop("params"), args.pop("x1"), **args)


@pytest.mark.parametrize("kwargs, match", [
    (dict(x1=[[0.0, np.nan]]), "x1 must be finite"),
    (dict(beta=-1.0), "beta must be a finite number >= 0"),
    (dict(beta=None), "beta must be a finite number >= 0"),
    (dict(beta=[0.1, 0.2]), "beta must be a finite number >= 0"),
    (dict(depth="4"), "depth"),
    (dict(depth=2.5), "depth"),
    (dict(activation="tanh"), "closed-form dual"),
])
def test_limiting_kernels_validation(kwargs, match):
    args = dict(x1=[[1.0, 0.0], [0.0, 1.0]], depth=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        T.limiting_kernels(args.pop("x1"), **args)
    # lists are accepted where arrays are
    nngp, ntk = T.limiting_kernels([[1.0, 0.0], [0.0, 1.0]], depth=3)
    assert nngp.shape == ntk.shape == (2, 2)


def test_layerwise_ntk_under_jit_with_traced_inputs():
    mlp = nets.ntk_mlp((2, 16, 1), activation="softplus")
    params = mlp.init(jax.random.PRNGKey(0))
    x = jnp.asarray(np.random.default_rng(1).normal(size=(3, 2)), jnp.float32)
    fn = jax.jit(lambda p, x: T.layerwise_ntk(p, x, activation="softplus", beta=0.1,
                                              multipliers=mlp.multipliers, xp=jnp))
    assert_allclose(np.asarray(fn(params, x)), T.empirical_ntk(mlp.apply, params, x),
                    rtol=1e-5)
