"""Theorem checks for theory.ntk (Jacot, Gabriel, Hongler 2018).

Tolerances: float64 closed forms agree to a few ulps (1e-12 relative); float32 networks to
~1e-6 relative (single-precision accumulation over widths <= 128); quadratures to their
stated accuracy.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from theory import ntk as T

ACTS = ("relu", "erf", "identity", "monomial2", "monomial3")


def circle(gammas):
    g = np.asarray(gammas, float)
    return np.stack([np.cos(g), np.sin(g)], axis=1)


def sphere(n, d, seed):
    x = np.random.default_rng(seed).normal(size=(n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# --------------------------------------------------------------------------- dual activations


@pytest.mark.parametrize("act", ACTS)
def test_price_identity_is_exact_in_sympy(act):
    """d/dc E[sigma(u)sigma(v)] = E[sigma'(u)sigma'(v)] holds symbolically."""
    import sympy as sp

    f, fdot, (q1, q2, c) = T.dual_activation_symbolic(act)
    assert sp.simplify(sp.diff(f, c) - fdot) == 0


@pytest.mark.parametrize("act", ACTS)
def test_symbolic_and_numeric_duals_agree(act):
    import sympy as sp

    f, fdot, syms = T.dual_activation_symbolic(act)
    rng = np.random.default_rng(1)
    q1, q2 = rng.uniform(0.2, 2.0, 5), rng.uniform(0.2, 2.0, 5)
    c = rng.uniform(-0.95, 0.95, 5) * np.sqrt(q1 * q2)
    fn = sp.lambdify(syms, f, "numpy")
    fdn = sp.lambdify(syms, fdot, "numpy")
    num_f, num_fd = T.dual_activation(act, q1, q2, c)
    assert_allclose(num_f, fn(q1, q2, c) * np.ones(5), rtol=1e-12, atol=1e-14)
    assert_allclose(num_fd, fdn(q1, q2, c) * np.ones(5), rtol=1e-12, atol=1e-14)


def _gauss_hermite_expectation(g, q1, q2, c, deg=80):
    """E[g(u, v)] for centred Gaussian (u, v) by tensor Gauss-Hermite (exact for polynomials
    of degree < 2*deg, spectrally accurate for the smooth erf)."""
    z, w = np.polynomial.hermite_e.hermegauss(deg)
    w = w / w.sum()
    rho = c / np.sqrt(q1 * q2)
    u = np.sqrt(q1) * z[:, None]
    v = np.sqrt(q2) * (rho * z[:, None] + np.sqrt(1 - rho**2) * z[None, :])
    return float(np.sum(w[:, None] * w[None, :] * g(u, v)))


@pytest.mark.parametrize("act,fns", [
    ("erf", (lambda u, v: __import__("scipy").special.erf(u) * __import__("scipy").special.erf(v),
             lambda u, v: 4 / np.pi * np.exp(-u * u - v * v))),
    ("monomial2", (lambda u, v: u**2 * v**2, lambda u, v: 4 * u * v)),
    ("monomial3", (lambda u, v: u**3 * v**3, lambda u, v: 9 * u**2 * v**2)),
])
def test_smooth_duals_are_gaussian_expectations(act, fns):
    q1, q2, c = 0.7, 1.3, -0.4
    f, fd = T.dual_activation(act, q1, q2, c)
    assert_allclose(f, _gauss_hermite_expectation(fns[0], q1, q2, c), rtol=1e-12)
    assert_allclose(fd, _gauss_hermite_expectation(fns[1], q1, q2, c), rtol=1e-12)


def test_relu_dual_matches_polar_quadrature():
    """ReLU: adaptive quadrature in polar coordinates (Gauss-Hermite converges only O(1/deg)
    for kinks, note pitfall 12); the integrand is supported on the wedge u > 0, v > 0."""
    q1, q2, c = 0.8, 1.5, 0.6
    # u = sqrt(q1) z1, v = sqrt(q2)(rho z1 + s z2); integrate over z = r(cos a, sin a).
    rho = c / np.sqrt(q1 * q2)
    s = np.sqrt(1 - rho**2)

    def integrand(r, a, g):
        z1, z2 = r * np.cos(a), r * np.sin(a)
        u, v = np.sqrt(q1) * z1, np.sqrt(q2) * (rho * z1 + s * z2)
        return g(u, v) * np.exp(-r * r / 2) * r / (2 * np.pi)

    def e(g):
        val, err = scipy.integrate.dblquad(integrand, -np.pi, np.pi, 0, 12, args=(g,),
                                           epsabs=1e-12, epsrel=1e-11)
        return val

    relu = lambda z: np.maximum(z, 0)
    step = lambda z: (z > 0).astype(float) if np.ndim(z) else float(z > 0)
    f, fd = T.dual_activation("relu", q1, q2, c)
    assert_allclose(f, e(lambda u, v: relu(u) * relu(v)), rtol=1e-7)
    assert_allclose(fd, e(lambda u, v: step(u) * step(v)), rtol=1e-7)


# --------------------------------------------------------------------------- limiting kernels


def _nt_kernel_fn(act, depth, beta):
    from theorylab.deps import neural_tangents

    stax = neural_tangents().stax
    layer = {"relu": stax.Relu(), "erf": stax.Erf(), "identity": stax.Identity(),
             "monomial2": stax.Monomial(2), "monomial3": stax.Monomial(3)}[act]
    layers = []
    for _ in range(depth - 1):
        layers += [stax.Dense(512, W_std=1.0, b_std=beta), layer]
    layers.append(stax.Dense(1, W_std=1.0, b_std=beta))
    return stax.serial(*layers)[2]


@pytest.mark.parametrize("act", ACTS)
def test_limiting_kernels_match_neural_tangents(act):
    """Closed-form recursion = neural-tangents kernel_fn to 1e-12 (float64).

    With x2 given both codes take the same sqrt(q1 q2 - c^2) route and agree everywhere.
    With x2 = None ours puts the ReLU diagonal at angle exactly 0, while neural-tangents
    recomputes the diagonal variances separately and picks up a sqrt(ulp) ~ 1e-9 angle: there
    we compare the off-diagonal to NT and the diagonal to the exact rational value.
    """
    from jax.experimental import enable_x64

    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(12, 3)), rng.normal(size=(5, 3))
    with enable_x64():
        for depth in (1, 2, 3, 4):
            kfn = _nt_kernel_fn(act, depth, 0.1)
            ref = kfn(x, y, ("nngp", "ntk"))
            nngp, ntk = T.limiting_kernels(x, y, depth=depth, activation=act, beta=0.1)
            assert_allclose(nngp, np.asarray(ref.nngp), rtol=1e-12, atol=1e-15)
            assert_allclose(ntk, np.asarray(ref.ntk), rtol=1e-12, atol=1e-15)
            ref = kfn(x, None, ("nngp", "ntk"))
            nngp, ntk = T.limiting_kernels(x, depth=depth, activation=act, beta=0.1)
            off = ~np.eye(12, dtype=bool)
            assert_allclose(nngp, np.asarray(ref.nngp), rtol=1e-12, atol=1e-15)
            assert_allclose(ntk[off], np.asarray(ref.ntk)[off], rtol=1e-12, atol=1e-15)
            assert_allclose(np.diag(ntk), np.diag(np.asarray(ref.ntk)), rtol=1e-8)


def test_fig1_diagonal_is_113_over_400():
    sigma, theta = T.diagonal_exact(4)
    assert (sigma, theta) == (Fraction(13, 160), Fraction(113, 400))
    nngp, ntk = T.limiting_kernels(circle([0.3, 1.0]), depth=4)
    assert_allclose(np.diag(ntk), float(theta), rtol=1e-15)
    assert_allclose(np.diag(nngp), float(sigma), rtol=1e-15)


def test_fig1_limit_curve_values():
    """Reference note table 3.2 (derived values printed to 6 decimals: tolerance 5e-7)."""
    g = np.array([0, np.pi / 4, np.pi / 2, 3 * np.pi / 4, np.pi])
    nngp, ntk = T.limiting_kernels(circle([0.0]), circle(g), depth=4)
    assert_allclose(ntk[0], [0.2825, 0.169971, 0.092702, 0.066036, 0.064354], atol=5e-7)
    assert_allclose(nngp[0, -1], 0.048097, atol=5e-7)
    _, ntk_erf = T.limiting_kernels(circle([0.0]), circle(g), depth=4, activation="erf")
    assert_allclose(ntk_erf[0], [1.006017, 0.663177, 0.060298, -0.524113, -0.839420],
                    atol=5e-7)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), depth=st.integers(1, 5),
       act=st.sampled_from(("relu", "erf", "identity", "monomial2")),
       beta=st.floats(0.0, 2.0))
def test_kernel_properties(seed, depth, act, beta):
    """Symmetric, PSD, Theta - Sigma PSD (Schur product argument of Thm 1), and the
    x2=None result equals the x1-vs-x1 result up to the sqrt(eps) ReLU diagonal effect."""
    x = np.random.default_rng(seed).normal(size=(9, 3))
    nngp, ntk = T.limiting_kernels(x, depth=depth, activation=act, beta=beta)
    assert np.array_equal(nngp, nngp.T) and np.array_equal(ntk, ntk.T)
    for k in (nngp, ntk, ntk - nngp):
        ev = np.linalg.eigvalsh(k)
        assert ev.min() >= -1e-10 * max(ev.max(), 1.0)
    n2, t2 = T.limiting_kernels(x, x, depth=depth, activation=act, beta=beta)
    assert_allclose(n2, nngp, rtol=1e-7, atol=1e-12)
    assert_allclose(t2, ntk, rtol=1e-7, atol=1e-12)


def test_depth_one_is_input_kernel():
    x = np.random.default_rng(0).normal(size=(4, 3))
    nngp, ntk = T.limiting_kernels(x, depth=1, beta=0.3)
    assert_allclose(nngp, x @ x.T / 3 + 0.09, rtol=1e-15)
    assert_allclose(ntk, nngp, rtol=0)


# --------------------------------------------------------------------------- Proposition 2


@pytest.mark.parametrize("n0", [2, 3, 5])
def test_prop2_relu_positive_definite_for_depth_ge_2(n0):
    x = sphere(40, n0, seed=n0)
    ranks = [T.numerical_rank(T.limiting_kernels(x, depth=L)[1]) for L in (1, 2, 3, 4)]
    assert ranks == [n0 + 1, 40, 40, 40]


def test_prop2_erf_positive_definite_on_s2():
    x = sphere(40, 3, seed=7)
    ranks = [T.numerical_rank(T.limiting_kernels(x, depth=L, activation="erf")[1])
             for L in (1, 2, 3, 4)]
    assert ranks == [4, 40, 40, 40]


def test_prop2_erf_circle_equispaced_is_pd():
    """Few equispaced points (circulant Gram; pitfall 11): strictly PD at L = 2."""
    g = 2 * np.pi * np.arange(6) / 6
    ev = np.linalg.eigvalsh(T.limiting_kernels(circle(g), depth=2, activation="erf")[1])
    assert ev.min() > 1e-3  # measured 6.9e-3 in the note; far above float64 rounding


@pytest.mark.parametrize("k,n0", [(1, 2), (1, 3), (1, 5), (2, 2), (2, 3), (3, 2)])
def test_prop2_fails_for_polynomials_with_exact_rank(k, n0):
    x = sphere(40, n0, seed=10 * k + n0)
    act = "identity" if k == 1 else f"monomial{k}"
    for depth in (1, 2, 3):
        expected = min(40, T.polynomial_kernel_rank(k, depth, n0))
        if expected >= 40 and k > 1:
            continue  # beyond the point count the rank test says nothing
        got = T.numerical_rank(T.limiting_kernels(x, depth=depth, activation=act)[1])
        assert got == expected, (k, n0, depth)
    if k == 2 and n0 == 2:  # the note's table: rank 2^L + 1
        assert [T.polynomial_kernel_rank(2, L, 2) for L in (2, 3, 4)] == [5, 9, 17]
        assert T.numerical_rank(T.limiting_kernels(x, depth=4, activation="monomial2")[1]) == 17


def test_prop2_needs_beta_positive():
    """beta = 0 on antipodal pairs: ReLU singular at L = 2 (PD at L = 3), erf singular at every
    depth (odd network); beta = 0.1 makes every case PD."""
    g = np.array([0.3, 1.4, 2.5])
    x = np.concatenate([circle(g), -circle(g)])
    rank = lambda act, L, beta: T.numerical_rank(
        T.limiting_kernels(x, depth=L, activation=act, beta=beta)[1])
    assert rank("relu", 2, 0.0) == 5 and rank("relu", 3, 0.0) == 6
    assert [rank("erf", L, 0.0) for L in (2, 3, 4)] == [3, 3, 3]
    assert all(rank(a, L, 0.1) == 6 for a in ("relu", "erf") for L in (2, 3, 4))


# --------------------------------------------------------------------------- empirical NTK


@pytest.mark.parametrize("act,n_out,implementation,trace",
                         [("relu", 1, 1, True), ("erf", 3, 2, False)])
def test_layerwise_matches_neural_tangents_empirical(act, n_out, implementation, trace):
    """Layerwise formula = NT empirical_ntk_fn (implementations 1 and 2) to 1e-5 relative
    in float32 (accumulation error ~ sqrt(width) * 6e-8)."""
    import jax

    from theorylab.deps import neural_tangents

    nt = neural_tangents()
    from sims import nets

    mlp = nets.ntk_mlp((5, 64, 48, n_out), activation=act, beta=0.1)
    params = mlp.init(jax.random.PRNGKey(0))
    x1 = np.random.default_rng(1).normal(size=(9, 5)).astype(np.float32)
    x2 = np.random.default_rng(2).normal(size=(4, 5)).astype(np.float32)
    fn = nt.empirical_ntk_fn(mlp.apply, vmap_axes=0, implementation=implementation,
                             trace_axes=(-1,) if trace else ())
    ref = np.asarray(fn(x1, x2, params))
    ours = T.empirical_ntk(mlp.apply, params, x1, x2, trace_outputs=trace)
    assert ours.shape == ref.shape
    assert np.max(np.abs(ours - ref)) <= 1e-5 * np.max(np.abs(ref))
    if not trace:  # the traced kernel is the mean of the diagonal output blocks
        traced = T.empirical_ntk(mlp.apply, params, x1, x2)
        assert_allclose(traced, np.einsum("abkk->ab", ours) / n_out, rtol=1e-6)


# --------------------------------------------------------------------------- function space


def _pd_gram(n, seed):
    x = sphere(n, 3, seed)
    return T.limiting_kernels(x, depth=3)[1], x


def test_gradient_flow_equals_expm():
    k, _ = _pd_gram(10, 0)
    rng = np.random.default_rng(1)
    y, f0 = rng.normal(size=10), rng.normal(size=10)
    ts = np.array([0.0, 3.0, 50.0, 400.0])
    ours = T.gradient_flow_mse(k, y, f0, ts)
    for t, row in zip(ts, ours, strict=True):
        assert_allclose(row, y + scipy.linalg.expm(-t * k / 10) @ (f0 - y), rtol=0, atol=1e-12)


def test_gradient_flow_matches_neural_tangents_predict():
    """C7: NT gradient_descent_mse (train and test) = our closed form, n_L = 1, 1e-10."""
    from theorylab.deps import neural_tangents

    nt = neural_tangents()
    from jax.experimental import enable_x64

    x = sphere(14, 3, 5)
    xs, xt = x[:10], x[10:]
    _, k = T.limiting_kernels(x, depth=3)
    ktt, kst = k[:10, :10], k[10:, :10]
    rng = np.random.default_rng(2)
    y, f0, f0s = rng.normal(size=(10, 1)), rng.normal(size=(10, 1)), rng.normal(size=(4, 1))
    del xs, xt
    with enable_x64():
        pred = nt.predict.gradient_descent_mse(ktt, y, learning_rate=1.0)
        for t in (5.0, 120.0):
            ft, fs = pred(t, f0, f0s, kst)
            ours_t, ours_s = T.gradient_flow_mse(ktt, y, f0, t, k_test_train=kst, f0_test=f0s)
            assert_allclose(ours_t, np.asarray(ft), atol=1e-10)
            assert_allclose(ours_s, np.asarray(fs), atol=1e-10)


def test_ntk_gp_prediction_matches_neural_tangents_ensemble():
    from theorylab.deps import neural_tangents

    nt = neural_tangents()
    from jax.experimental import enable_x64

    g_train = np.array([-2.5, -0.8, 0.6, 2.0])
    xt = np.stack([np.sin(g_train), np.cos(g_train)], 1)
    xs = circle(np.linspace(-np.pi, np.pi, 7))
    y = np.array([0.2, -0.3, 0.3, -0.1])
    kfn = _nt_kernel_fn("relu", 4, 0.1)
    with enable_x64():
        pred = nt.predict.gradient_descent_mse_ensemble(kfn, xt, y[:, None], learning_rate=1.0)
        for t in (30.0, None):
            ref = pred(t=t, x_test=xs, get="ntk", compute_cov=True)
            mean, cov = T.ntk_gp_prediction(xt, y, xs, depth=4, t=np.inf if t is None else t)
            assert_allclose(mean, np.asarray(ref.mean)[:, 0], atol=1e-10)
            assert_allclose(cov, np.asarray(ref.covariance), atol=1e-10)
    # the band pinches to zero at the training points at t = inf
    mean, cov = T.ntk_gp_prediction(xt, y, xt, depth=4)
    assert_allclose(mean, y, atol=1e-9)
    assert np.max(np.abs(np.diag(cov))) < 1e-9


def test_cost_identity_by_finite_difference():
    """C8: dC/dt = -d^T K d / N^2 along the kernel flow; central difference O(h^2)."""
    k, _ = _pd_gram(12, 3)
    rng = np.random.default_rng(4)
    y, f0 = rng.normal(size=12), rng.normal(size=12)
    h = 1e-3
    cost = lambda f: 0.5 * np.mean((f - y) ** 2)
    fm, fp = T.gradient_flow_mse(k, y, f0, np.array([h, -h]) + 2.0 * h)  # around t = 2h
    f_mid = T.gradient_flow_mse(k, y, f0, 2.0 * h)
    fd = (cost(fm) - cost(fp)) / (2 * h)
    assert_allclose(fd, T.cost_decrease_rate(k, f_mid, y), rtol=1e-5)


def test_kernel_pca_components_decay_exponentially():
    k, _ = _pd_gram(16, 6)
    lam, funcs = T.kernel_pca(k)
    assert np.all(np.diff(lam) <= 0)
    assert_allclose(funcs.T @ funcs / 16, np.eye(16), atol=1e-12)  # unit p_in norm
    assert_allclose(lam * 16, np.linalg.eigvalsh(k)[::-1], rtol=1e-12)
    rng = np.random.default_rng(0)
    y, f0 = rng.normal(size=16), rng.normal(size=16)
    t = 37.0
    ft = T.gradient_flow_mse(k, y, f0, t)
    assert_allclose(T.pc_coefficients(ft - y, funcs),
                    np.exp(-lam * t) * T.pc_coefficients(f0 - y, funcs), atol=1e-12)


def test_random_features_are_kernel_gradient_descent():
    """Section 3.1: GD on theta for f = P^{-1/2} sum theta_p f^(p) is exactly kernel GD with
    K~ = (1/P) sum f^(p) f^(p)^T, and K~ -> K at the O(P^{-1/2}) LLN rate."""
    k, _ = _pd_gram(20, 8)
    rng = np.random.default_rng(9)
    chol = np.linalg.cholesky(k + 1e-12 * np.eye(20))
    errs = []
    for p in (100, 1000, 10000):
        feats = chol @ rng.normal(size=(20, p))  # columns f^(p) ~ N(0, K)
        kt = feats @ feats.T / p
        errs.append(np.linalg.norm(kt - k) / np.linalg.norm(k) * np.sqrt(p))
    # the scaled error is O(1): within a factor 3 across two decades of P
    assert max(errs) / min(errs) < 3.0
    y = rng.normal(size=20)
    theta = rng.normal(size=1000)
    feats = chol @ rng.normal(size=(20, 1000))
    kt = feats @ feats.T / 1000
    f = feats @ theta / np.sqrt(1000)
    eta = 0.5
    for _ in range(5):
        grad = feats.T @ (feats @ theta / np.sqrt(1000) - y) / (20 * np.sqrt(1000))
        theta = theta - eta * grad
        f = f - eta / 20 * kt @ (f - y)
    assert_allclose(feats @ theta / np.sqrt(1000), f, atol=1e-12)


def test_standard_learning_rates_remark1():
    assert T.standard_learning_rates((2, 100, 100, 1), 1.0, 0.1)[1] == pytest.approx(
        (0.01, 0.01))


# --------------------------------------------------------------------------- input validation


@pytest.mark.parametrize("kwargs,match", [
    ({"depth": 0}, "depth"),
    ({"depth": 2.5}, "depth"),
    ({"depth": 2, "beta": -0.1}, "beta"),
    ({"depth": 2, "activation": "sigmoid"}, "activation"),
    ({"depth": 2, "activation": "monomial0"}, "activation"),
])
def test_limiting_kernels_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        T.limiting_kernels(np.ones((3, 2)), **kwargs)


def test_other_validation():
    with pytest.raises(ValueError, match="x1"):
        T.limiting_kernels(np.ones(3), depth=2)
    with pytest.raises(ValueError, match="x2"):
        T.limiting_kernels(np.ones((3, 2)), np.ones((3, 4)), depth=2)
    with pytest.raises(ValueError, match="q1"):
        T.dual_activation("relu", -1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="t"):
        T.gradient_flow_mse(np.eye(2), np.zeros(2), np.zeros(2), -1.0)
    with pytest.raises(ValueError, match="gram"):
        T.gradient_flow_mse(np.ones((2, 3)), np.zeros(2), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="positive-definite"):
        T.gradient_flow_mse(np.zeros((2, 2)), np.zeros(2), np.zeros(2), np.inf)
    with pytest.raises(ValueError, match="rtol"):
        T.numerical_rank(np.eye(2), rtol=2.0)
    with pytest.raises(ValueError, match="lr"):
        T.standard_learning_rates((2, 3), -1.0, 0.1)
    with pytest.raises(ValueError, match="x1"):
        T.layerwise_ntk([{"w": np.ones((3, 1))}], np.ones((2, 4)), beta=None)
    with pytest.raises(ValueError, match="method"):
        T.empirical_ntk(lambda p, x: x, None, np.ones((2, 2)), method="fast")
