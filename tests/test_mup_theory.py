"""Theorem checks for theory.mup (Tensor Programs IV): exact classification and limits."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import integrate

from theory import mup as m

HALF = F(1, 2)
TANH_XS = [1.0, -0.7, 1.5, 0.4, -1.2]
TANH_YS = [1.0, -0.5, 0.8, 0.3, -1.0]


# --------------------------------------------------------------------------- Table 1


@pytest.mark.parametrize("L", [2, 3, 5])
def test_table1_r_and_readout_sums(L):
    """Table 1 (L >= 2): r = 1/2, 1/2, 0 (SP c=1, NTP, muP); both readout sums equal 1."""
    for p, r_expected, reg in [(m.standard(L, c=1), HALF, "kernel"), (m.ntk(L), HALF, "kernel"),
                               (m.mup(L), F(0), "feature_learning")]:
        info = m.classify(p)
        assert info["r"] == r_expected and isinstance(info["r"], F)
        assert info["readout_update"] == 1 and info["readout_init_plus_r"] == 1
        assert info["stable"] and info["nontrivial"] and info["regime"] == reg


def test_one_hidden_layer_sp_has_larger_r():
    """With L = 1 the SP(c=1) r is r_1 = 3/2 (only the first layer, +1 for fixed fan-in)."""
    info = m.classify(m.standard(1, c=1))
    assert info["r"] == F(3, 2) and info["regime"] == "kernel"
    assert m.classify(m.ntk(1))["r"] == HALF and m.classify(m.mup(1))["r"] == 0


def test_table1_mean_field():
    info = m.classify(m.mean_field())
    assert info["r"] == 0 and info["regime"] == "feature_learning"
    assert info["readout_update"] == 1 and info["readout_init_plus_r"] == 1


@pytest.mark.parametrize("L", [2, 4])
def test_sp_constant_lr_is_unstable(L):
    """Sec. 1/Thm 3.3 (L >= 2): SP with c = 0 has r = -1 and 2a_{L+1} + c = 0 < 1."""
    p = m.standard(L, c=0)
    assert m.r(p) == -1
    assert 2 * p.a[-1] + p.c == 0
    assert not m.stability_conditions(p)["r_nonnegative"]
    assert not m.stability_conditions(p)["logits"]
    assert m.regime(p) == "unstable"


def test_sp_constant_lr_one_hidden_layer():
    """L = 1: r = r_1 = 0, but the logits blow up (2a_2 + c = 0 < 1)."""
    p = m.standard(1, c=0)
    assert m.r(p) == 0 and m.regime(p) == "unstable"
    assert m.stability_conditions(p) == {"init": True, "r_nonnegative": True, "logits": False}


def test_sp_with_sqrt_lr_is_unstable_only_through_logits():
    p = m.standard(2, c=HALF)
    cond = m.stability_conditions(p)
    assert cond == {"init": True, "r_nonnegative": True, "logits": False}
    assert m.r(p) == 0 and m.update_exponents(p)["df"] == HALF


def test_trivial_regime():
    """Readout initialised and updated below maximal: stable but trivial (Thm 3.4)."""
    p = m.Parametrization((0, HALF, 1), (0, 0, 1), 1)
    assert m.is_stable(p) and not m.is_nontrivial(p) and m.regime(p) == "trivial"


def test_mup_without_input_fix():
    """Sec. 5: a_1 = b_1 = 0 gives r_1 = 1 but r = 0 (features learned from layer 2)."""
    p = m.mup_sp_input(2)
    assert m.r_layers(p) == (1, 0) and m.regime(p) == "feature_learning"
    assert m.update_exponents(p)["dh"] == (-1, 0)


@pytest.mark.parametrize("p, dh, df", [
    (m.standard(2, c=1), (F(-3, 2), -HALF), 0),
    (m.ntk(2), (-HALF, -HALF), 0),
    (m.mup(2), (0, 0), 0),
    (m.standard(2, c=0), (-HALF, HALF), 1),
])
def test_coordinate_check_exponents(p, dh, df):
    """Reference note Sec. 3.7: predicted slopes of rms(Delta h^l) and Delta f at t = 1."""
    ex = m.update_exponents(p)
    assert ex["dh"] == dh and ex["df"] == df


# --------------------------------------------------------------------------- uniqueness of muP


@pytest.mark.parametrize("L", [1, 2, 3, 4, 5])
def test_mup_is_the_unique_maximal_parametrization(L):
    """Thm 5.6: with c = 0 the only solution is a = (-1/2, 0..0, 1/2), b = 1/2."""
    sols = m.solve_maximal_update(L)
    assert len(sols) == 1
    sol = {str(k): F(int(v.p), int(v.q)) for k, v in sols[0].items()}
    mu = m.mup(L)
    assert sol == {**{f"a{l + 1}": mu.a[l] for l in range(L + 1)},
                   **{f"b{l + 1}": mu.b[l] for l in range(L + 1)}}


def test_maximal_update_orbit_with_free_c():
    """With c free the solution set is the symmetry orbit (a - c/2, b + c/2, c)."""
    import sympy as sp

    c = sp.Symbol("c")
    (sol,) = m.solve_maximal_update(3, c="symbolic")
    mu = m.mup(3)
    for l in range(4):
        assert sp.simplify(sol[sp.Symbol(f"a{l + 1}")] - (sp.Rational(mu.a[l]) - c / 2)) == 0
        assert sp.simplify(sol[sp.Symbol(f"b{l + 1}")] - (sp.Rational(mu.b[l]) + c / 2)) == 0


# --------------------------------------------------------------------------- properties


fractions = st.fractions(min_value=-2, max_value=2, max_denominator=6)


@st.composite
def stable_candidates(draw, L=2):
    """Points on the stability equalities (part 1) with a free readout and c."""
    a = [draw(fractions) for _ in range(L + 1)]
    b = [-a[0]] + [HALF - a[l] for l in range(1, L)] + [draw(fractions)]
    return m.Parametrization(tuple(a), tuple(b), draw(fractions))


@settings(max_examples=300, deadline=None)
@given(stable_candidates())
def test_dynamical_dichotomy(p):
    """Cor. 3.9 and 3.10 on random rational points."""
    info = m.classify(p)
    if info["stable"] and info["nontrivial"]:
        assert info["feature_learning"] != info["kernel"]
        assert info["feature_learning"] == (info["r"] == 0)
    if info["feature_learning"]:
        # Cor. 3.10: the readout is initialised below the CLT scale, so f_0 -> 0
        assert p.init_exponents[-1] >= 1 > HALF
    if info["kernel"]:
        assert info["r"] > 0


@settings(max_examples=200, deadline=None)
@given(stable_candidates(), fractions)
def test_symmetry_leaves_everything_invariant(p, theta):
    """Eq. 5: (a + theta, b - theta, c - 2 theta) has the same effective exponents and class."""
    q = m.symmetry(p, theta)
    assert q.init_exponents == p.init_exponents and q.lr_exponents == p.lr_exponents
    assert m.classify(q) == m.classify(p)


@settings(max_examples=100, deadline=None)
@given(stable_candidates(), st.lists(fractions, min_size=3, max_size=3))
def test_per_layer_c_is_an_abc_point(p, shifts):
    """A per-layer c equals a single-c parametrization with the same effective exponents."""
    q = m.Parametrization(p.a, p.b, tuple(p.c + s for s in shifts))
    cq = m.canonical(q)
    assert not isinstance(cq.c, tuple)
    assert cq.init_exponents == q.init_exponents and cq.lr_exponents == q.lr_exponents


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("kwargs, match", [
    (dict(a=(0.5, 0), b=(0, 0), c=0), "a\\[0\\] must be a rational"),
    (dict(a=(0, 0), b=(0, 0), c=0.5), "c must be a rational"),
    (dict(a=(0, 0), b=(0, "x"), c=0), "b\\[1\\] must be a rational"),
    (dict(a=(0, 0, 0), b=(0, 0), c=0), "same length"),
    (dict(a=(0,), b=(0,), c=0), "same length"),
    (dict(a=(0, 0), b=(0, 0), c=(0, 0, 0)), "per-layer c"),
    (dict(a=(0, 0), b=(0, 0), c="1/0"), "c must be a rational"),
])
def test_invalid_parametrizations(kwargs, match):
    with pytest.raises(ValueError, match=match):
        m.Parametrization(**kwargs)


def test_names_need_the_depth():
    """r("standard") used to mean L = 1 silently; a name now needs L (except mean_field)."""
    with pytest.raises(ValueError, match="pass the number of hidden layers"):
        m.r("standard")
    with pytest.raises(ValueError, match="pass the number of hidden layers"):
        m.classify("mup")
    assert m.r("standard", L=2) == -1 and m.r("standard", L=1) == 0
    assert m.regime("ntk", L=3) == "kernel" and m.r("mean_field") == 0
    assert m.update_exponents("mup", L=2)["dh"] == (0, 0)
    assert_allclose(m.kernel_value("ntk", L=2), m.kernel_value(m.ntk(2)))
    with pytest.raises(ValueError, match="expected L = 3"):
        m.r(m.mup(2), L=3)


def test_update_exponents_flag_unstable_points():
    sp = m.update_exponents(m.standard(2, c=0))
    assert sp["stable"] is False and sp["regime"] == "unstable"
    assert sp["linear_response"] is False  # r = -1: saturating, exponents not universal
    sqrt_lr = m.update_exponents(m.standard(2, c=HALF))  # logits blow up, r = 0
    assert sqrt_lr["stable"] is False and sqrt_lr["linear_response"] is True
    mu = m.update_exponents(m.mup(2))
    assert mu["stable"] is True and mu["regime"] == "feature_learning"
    assert mu["linear_response"] is True


def test_invalid_arguments():
    with pytest.raises(ValueError, match="L"):
        m.mup(0)
    with pytest.raises(ValueError, match="L"):
        m.ntk(1.5)
    with pytest.raises(ValueError, match="expected L = 3"):
        m._as_param(m.mup(2), L=3)
    with pytest.raises(ValueError, match="kernel regime"):
        m.kernel_value(m.mup(2))
    with pytest.raises(ValueError, match="activation"):
        m.one_hidden_layer_limit("sigmoid", eta=1, steps=1, xs=[1], ys=[1], x_test=1)
    with pytest.raises(ValueError, match="eta"):
        m.one_hidden_layer_limit("tanh", eta=-1, steps=1, xs=[1], ys=[1], x_test=1)
    with pytest.raises(ValueError, match="steps"):
        m.linear_limit(eta=1, steps=-1, xs=[1], ys=[1], x_test=1)
    with pytest.raises(ValueError, match="same number"):
        m.one_hidden_layer_limit("tanh", eta=1, steps=1, xs=[1, 2], ys=[1], x_test=1)
    with pytest.raises(ValueError, match="x_test"):
        m.one_hidden_layer_limit("tanh", eta=1, steps=1, xs=[[1, 0]], ys=[1], x_test=[1, 0, 0])
    with pytest.raises(ValueError, match="nodes"):
        m.deep_one_step_limit("tanh", 2, nodes=1000)
    with pytest.raises(ValueError, match="x0 and x"):
        m.relu_one_step_limit(1.0, x=-1.0)
    with pytest.raises(ValueError, match="t must be"):
        m.update_exponents(m.mup(2), t=0)
    with pytest.raises(ValueError, match="at most 3"):
        m.one_hidden_layer_limit("tanh", eta=1, steps=1, xs=np.eye(4), ys=np.ones(4),
                                 x_test=np.ones(4))


# --------------------------------------------------------------------------- kernel values


def test_kernel_values_tanh():
    """Note Sec. 3.6 [ran]: K_NTP = 0.7830496, K_SP(c=1) = 0.4874364 (L = 2 tanh, unit xi).

    Quadrature with 200 nodes is accurate to ~1e-9 for tanh; the reference digits are 7.
    """
    assert_allclose(m.kernel_value(m.ntk(2), "tanh"), 0.7830496, atol=1e-7)
    assert_allclose(m.kernel_value(m.standard(2, c=1), "tanh"), 0.4874364, atol=1e-7)


def test_kernel_values_relu_exact():
    """relu, unit input: E relu(h)^2 = q/2, E relu'^2 = 1/2, so NTP L=2 gives 1/4*3 = 3/4."""
    assert_allclose(m.kernel_value(m.ntk(2), "relu"), 0.75, atol=1e-12)
    assert_allclose(m.kernel_value(m.standard(2, c=1), "relu"), 0.5, atol=1e-12)
    assert_allclose(m.kernel_value(m.ntk(1), "relu", x_norm2=2.0), 2 * 0.5 + 1.0, atol=1e-12)


# --------------------------------------------------------------------------- Theorem 6.1


def test_one_hidden_layer_tanh_sequence():
    """Note Sec. 3.10 [ran]: f_t(0.9), t = 0..5, for the 5-example tanh sequence."""
    f = m.one_hidden_layer_limit("tanh", eta=1, steps=5, xs=TANH_XS, ys=TANH_YS, x_test=0.9)
    assert_allclose(f, [0, 0.68155, 0.62236, 0.67564, 0.63046, 0.82881], atol=1e-5)
    g = m.one_hidden_layer_limit("tanh", eta=1, steps=5, xs=TANH_XS, ys=TANH_YS, x_test=0.9,
                                 nodes=250)
    assert_allclose(f, g, atol=1e-6)  # quadrature converged (note: 3e-7 between GH150/250)


def test_one_hidden_layer_tanh_one_step_and_small_eta_slope():
    f1 = m.one_hidden_layer_limit("tanh", eta=1, steps=1, xs=[1.0], ys=[1.0], x_test=1.0)
    assert_allclose(f1[1], 0.708191, atol=1e-6)
    # small eta: f_1 / eta -> E tanh^2 + E tanh'^2 (the NTK of the mean-field net); O(eta)
    eta = 1e-4
    g = m.one_hidden_layer_limit("tanh", eta=eta, steps=1, xs=[1.0], ys=[1.0], x_test=1.0)
    assert_allclose(g[1] / eta, 0.858697, atol=1e-4)


def test_limit_is_linear_limit_for_identity():
    """Thm 6.1 with phi = id equals the Cor. 6.2 recursion (GH is exact for polynomials)."""
    a = m.one_hidden_layer_limit("identity", eta=1, steps=5, xs=TANH_XS, ys=TANH_YS,
                                 x_test=[0.9, -0.3])
    b = m.linear_limit(eta=1, steps=5, xs=TANH_XS, ys=TANH_YS, x_test=[0.9, -0.3])
    assert_allclose(a, b, atol=1e-11)
    assert_allclose(b[:, 0], [0, 1.8, 0.24642, 0.61824, 0.63078, 0.89437], atol=1e-5)


def test_linear_limit_d_dimensional_matches_quadrature():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(4, 2)) / 2
    ys = rng.normal(size=4)
    xt = rng.normal(size=(3, 2))
    a = m.one_hidden_layer_limit("identity", eta=0.5, steps=6, xs=xs, ys=ys, x_test=xt,
                                 u_std=0.7, v_std=1.3, nodes=8)
    b = m.linear_limit(eta=0.5, steps=6, xs=xs, ys=ys, x_test=xt, u_std=0.7, v_std=1.3)
    assert a.shape == (7, 3)
    assert_allclose(a, b, atol=1e-11)


@pytest.mark.parametrize("eta, expected", [(0.5, [0, 1, 1]), (1.0, [0, 2, 0])])
def test_linear_repeated_input(eta, expected):
    closed = m.linear_repeated_input_limit(eta, 2)
    assert_allclose(closed, expected, atol=1e-12)
    rec = m.linear_limit(eta=eta, steps=6, xs=[1.0], ys=[1.0], x_test=1.0)
    assert_allclose(rec, m.linear_repeated_input_limit(eta, 6), atol=1e-10)


def _relu_one_step_by_quad(k):
    """E[(v + k u)(u + k v)_+ 1{u > 0}] by adaptive 2-D quadrature (independent of GH)."""
    pdf = lambda z: np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    val, err = integrate.dblquad(lambda v, u: (v + k * u) * (u + k * v) * pdf(u) * pdf(v),
                                 0, 12, lambda u: -u / k, lambda u: 12, epsabs=1e-11)
    return val


@pytest.mark.parametrize("eta", [0.25, 0.5, 1.0, 2.0])
def test_relu_closed_form_matches_quadrature(eta):
    assert_allclose(m.relu_one_step_limit(eta), _relu_one_step_by_quad(eta), atol=1e-8)


@pytest.mark.parametrize("eta", [0.25, 1.0, 2.0])
def test_relu_one_step_limits_at_defaults_match_scipy(eta):
    """Issue 8 acceptance: the relu one-step muP limits at their default settings match an
    independent adaptive scipy quadrature to 1e-6 (Gauss-Hermite alone was off by 2.5e-3)."""
    ref = _relu_one_step_by_quad(eta)
    one = m.one_hidden_layer_limit("relu", eta=eta, steps=1, xs=[1.0], ys=[1.0], x_test=1.0)
    assert_allclose(one[1], ref, atol=1e-6)
    assert_allclose(m.deep_one_step_limit("relu", 1, eta=eta).f1, ref, atol=1e-6)
    # scalar inputs of any size and sign (homogeneity of relu), several test points
    f = m.one_hidden_layer_limit("relu", eta=eta, steps=1, xs=[2.0], ys=[-0.5],
                                 x_test=[3.0, 0.5])
    assert_allclose(f[1], [m.relu_one_step_limit(eta, y=-0.5, x0=2.0, x=x) for x in (3, .5)],
                    atol=1e-10)


def _npdf(z, var):
    return np.exp(-z * z / (2 * var)) / np.sqrt(2 * np.pi * var)


def _deep2_relu_by_scipy(eta, eps=1e-7):
    """L = 2 relu muP one-step limit by adaptive scipy quadrature of the raw Gaussian
    integrals (note Sec. 3.12), split only where relu(h^l_1) switches on."""
    k = eta
    kw = dict(epsabs=eps, epsrel=eps)
    w = lambda dx, z: _npdf(z, 1.0) * _npdf(dx, 0.5)  # layer 1: dx^1 ~ N(0, E relu'^2)
    lo, hi = (lambda z: -z / k), (lambda z: 9.0)
    m01 = integrate.dblquad(lambda dx, z: z * (z + k * dx) * w(dx, z), 0, 9, lo, hi, **kw)[0]
    m11 = integrate.dblquad(lambda dx, z: (z + k * dx) ** 2 * w(dx, z), 0, 9, lo, hi, **kw)[0]
    zdot = integrate.dblquad(lambda dx, z: w(dx, z), 0, 9, lo, hi, **kw)[0]
    a = k * (m01 + zdot)  # K_2 (K_1 = 1)
    c00, beta = 0.5, m01 / 0.5  # layer 2: (h0, Ghat) Gaussian, Ghat = beta h0 + noise
    sd = np.sqrt(m11 - beta * m01)
    f = lambda g, dx, h0: ((dx + k * h0) * (g + a * dx) * _npdf(h0, c00)
                           * _npdf(g - beta * h0, sd * sd) * _npdf(dx, 1.0))
    return integrate.tplquad(f, 0, 9 * np.sqrt(c00), -9, 9,
                             lambda h0, dx: max(-a * dx, beta * h0 - 9 * sd),
                             lambda h0, dx: beta * h0 + 9 * sd, **kw)[0]


def test_deep_relu_limit_matches_scipy():
    """Issue 8 acceptance for the deep recursion: L = 2 relu at the defaults, to 1e-6."""
    assert_allclose(m.deep_one_step_limit("relu", 2, eta=0.5).f1, _deep2_relu_by_scipy(0.5),
                    atol=1e-6)


def test_relu_multi_step_limit_matches_adaptive_quadrature():
    """Several steps (kinks move): the kink-split path vs scipy.quad over the angle, which
    knows nothing of the kinks (E F(g) = (1/pi) int F(cos a, sin a) da, F 2-homogeneous)."""
    xs, ys, eta = [1.0, -0.7, 1.5], [1.0, -0.5, 0.8], 0.8
    ours = m.one_hidden_layer_limit("relu", eta=eta, steps=3, xs=xs, ys=ys, x_test=0.9)
    relu, step = (lambda z: np.maximum(z, 0.0)), (lambda z: float(z > 0))
    chis, ref = [], [0.0]
    for t in range(3):
        def particle(a, t=t):
            v, u = np.cos(a), np.sin(a)
            for tau in range(t):
                x, c = xs[tau], chis[tau]
                v, u = v - eta * c * relu(x * u), u - eta * c * x * v * step(x * u)
            return v, u
        def mean(g, t_state):
            return integrate.quad(lambda a: g(*particle(a, t_state)), 0, 2 * np.pi,
                                  limit=2000, epsabs=1e-11)[0] / np.pi

        chis.append(mean(lambda v, u, t=t: v * relu(xs[t] * u), t) - ys[t])
        ref.append(mean(lambda v, u: v * relu(0.9 * u), t + 1))
    assert_allclose(ours, ref, atol=1e-7)


def test_relu_with_several_input_directions_warns():
    with pytest.warns(RuntimeWarning, match="kink"):
        m.one_hidden_layer_limit("relu", eta=1, steps=1, xs=[[1.0, 0.0]], ys=[1.0],
                                 x_test=[[0.0, 1.0]], nodes=20)


def test_relu_closed_form_values():
    assert_allclose(m.relu_one_step_limit(1.0), 0.75 + 1 / (2 * np.pi), atol=1e-15)
    assert_allclose(m.relu_one_step_limit(0.5), 0.46599, atol=1e-5)
    # homogeneity and oddness
    assert_allclose(m.relu_one_step_limit(0.5, x0=2.0, x=3.0), 3 * m.relu_one_step_limit(1.0))
    assert_allclose(m.relu_one_step_limit(1.0, y=-1.0), -m.relu_one_step_limit(1.0))


# --------------------------------------------------------------------------- deep one step


def test_deep_limit_two_layers():
    """Note Sec. 3.12 [ran]: f_1 = 0.561670, decoupled 0.416102 (tanh, eta = 1)."""
    true = m.deep_one_step_limit("tanh", 2)
    dec = m.deep_one_step_limit("tanh", 2, decoupled=True)
    assert_allclose(true.f1, 0.561670, atol=2e-6)
    assert_allclose(dec.f1, 0.416102, atol=2e-6)
    assert true.f1 - dec.f1 > 0.1
    # Thm 3.6: the feature kernel moves by Theta(1); F_0 is the NNGP value
    assert_allclose(true.feature_kernel_0, 0.236450, atol=1e-6)
    assert_allclose(true.feature_kernel_1 - true.feature_kernel_0, 0.146532, atol=2e-6)


def test_deep_limit_converged_in_nodes():
    a = m.deep_one_step_limit("tanh", 3, nodes=60).f1
    b = m.deep_one_step_limit("tanh", 3, nodes=100).f1
    assert abs(a - b) < 1e-6


@pytest.mark.parametrize("L, expected", [(3, 0.467372), (4, 0.399932)])
def test_deep_limit_deeper(L, expected):
    assert_allclose(m.deep_one_step_limit("tanh", L).f1, expected, atol=2e-6)


def test_deep_limit_with_one_layer_is_theorem_6_1():
    """Two independent implementations of the L = 1 limit agree (any eta, y)."""
    for eta, y in [(1.0, 1.0), (0.5, -0.7), (2.0, 0.3)]:
        deep = m.deep_one_step_limit("tanh", 1, eta=eta, y=y, nodes=100).f1
        thm = m.one_hidden_layer_limit("tanh", eta=eta, steps=1, xs=[1.0], ys=[y],
                                       x_test=1.0)[1]
        assert_allclose(deep, thm, atol=1e-6)


@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize("eta", [0.5, 1.0])
def test_deep_linear_first_step(L, eta):
    """Note Sec. 3.13 [derived]: f_1 = (L + 1) eta y for linear muP (chi_0 = -y)."""
    assert_allclose(m.deep_one_step_limit("identity", L, eta=eta).f1, (L + 1) * eta, atol=1e-10)


def test_mup_one_step_is_not_a_kernel():
    """Note Sec. 3.6: a kernel would make f_1(eta) linear in eta; muP's is not."""
    f_full = m.deep_one_step_limit("tanh", 2, eta=1.0).f1
    f_half = m.deep_one_step_limit("tanh", 2, eta=0.5).f1
    assert_allclose([f_full, 2 * f_half], [0.5617, 0.6917], atol=1e-4)
