"""SDPI generalization bounds (He, Yu, Goldfeld 2024): closed forms vs numerical estimators."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import integrate, optimize, stats

from theory import sdpi as S

# --------------------------------------------------------------------- input validation

BAD_P = [-0.1, 1.0, 1.5, float("nan"), True]
BAD_SIGMA = [0.0, -1.0, float("nan"), float("inf")]
BAD_WIDTH = [0, -2, 1.5, True]


@pytest.mark.parametrize("p", BAD_P)
def test_drop_probability_outside_unit_interval_raises(p):
    with pytest.raises(ValueError, match="p must be a drop probability in"):
        S.dropout_sdpi(p, 3)
    with pytest.raises(ValueError, match="p must be a drop probability in"):
        S.dropconnect_sdpi(p, 2, 2)
    with pytest.raises(ValueError, match="p must be a drop probability in"):
        S.dropout_channel(np.eye(2), p, np.eye(2))
    with pytest.raises(ValueError, match="p must be a drop probability in"):
        S.dropconnect_channel(np.eye(2), p, np.eye(2))


@pytest.mark.parametrize("d", BAD_WIDTH)
def test_non_positive_widths_raise(d):
    with pytest.raises(ValueError, match="d must be a positive integer width"):
        S.dropout_sdpi(0.5, d)
    with pytest.raises(ValueError, match="d_in must be a positive integer width"):
        S.dropconnect_sdpi(0.5, d, 2)
    with pytest.raises(ValueError, match="d_out must be a positive integer width"):
        S.dropconnect_sdpi(0.5, 2, d)
    with pytest.raises(ValueError, match="depth must be a positive integer width"):
        S.dropout_depth_product(0.5, 12, d)


@pytest.mark.parametrize("sigma", BAD_SIGMA)
def test_non_positive_sigma_raises(sigma):
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        S.gaussian_noise_tv_coefficient(1.0, sigma)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        S.binary_awgn_kl_coefficient(1.0, sigma)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        S.kl_generalization_bound([0.1], sigma)


def test_other_bad_inputs_raise():
    with pytest.raises(ValueError, match="delta must be a finite number >= 0"):
        S.gaussian_noise_tv_coefficient(-1.0, 1.0)
    with pytest.raises(ValueError, match="a must be a finite number >= 0"):
        S.binary_awgn_kl_coefficient(-0.5, 1.0)
    with pytest.raises(ValueError, match="keep must be a keep probability"):
        S.drop_probability(0.0)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        S.rank_law_kl([1, 1], 1)
    with pytest.raises(ValueError, match="depth must divide total"):
        S.dropout_depth_product(0.5, 12, 5)
    with pytest.raises(ValueError, match="etas must be"):
        S.refined_kl_caps(0.1, 0.1, [1.2])
    with pytest.raises(ValueError, match="K must be a 2-D row-stochastic"):
        S.eta_kl(np.ones((1, 3)) / 3)
    with pytest.raises(ValueError, match="must sum to 1"):
        S.eta_tv(np.ones((2, 3)))
    with pytest.raises(ValueError, match="where must be"):
        S.dropout_channel(np.eye(2), 0.5, np.eye(2), where="middle")
    with pytest.raises(ValueError, match="activation must be one of"):
        S.dropout_channel(np.eye(2), 0.5, np.eye(2), activation="gelu")
    with pytest.raises(ValueError, match="must have 3 columns"):
        S.layer_products([np.ones((3, 2)), np.ones((2, 2))])


# --------------------------------------------------------------------- SDPI: dropout family


def _generic(rng, m, d_in, d_out):
    return rng.normal(size=(m, d_in)), rng.normal(size=(d_out, d_in)), rng.normal(size=d_out)


# errata 3: p != 0.5 rows catch a drop/keep swap
DROPOUT_IN = [(1, 0.3), (2, 0.3), (2, 0.5), (3, 0.5), (3, 0.2), (4, 0.7)]


@pytest.mark.parametrize("d, p", DROPOUT_IN)
def test_dropout_input_coefficient_matches_numerical_maximum(d, p):
    """Channel built by enumerating the 2^d masks on two generic tanh inputs; eta_KL is the
    sup over priors of the maximal correlation^2 (1-D bounded search), eta_TV the Dobrushin
    maximum: both equal 1 - p^d to 1e-6 (note R4, check 5)."""
    x, W, b = _generic(np.random.default_rng([d, int(10 * p)]), 2, d, d)
    K = S.dropout_channel(x, p, W, b, where="input")
    assert_allclose(S.eta_kl(K), S.dropout_sdpi(p, d), atol=1e-6)
    assert_allclose(S.eta_tv(K), S.dropout_sdpi(p, d), atol=1e-6)
    if p != 0.5:  # the keep-probability reading 1 - (1 - p)^d is rejected
        assert abs(S.eta_kl(K) - (1 - (1 - p) ** d)) > 1e-3


@pytest.mark.parametrize("d_in, d_out, p", [(3, 2, 0.3), (2, 3, 0.5), (1, 4, 0.6)])
def test_dropout_output_coefficient_uses_output_width(d_in, d_out, p):
    x, W, b = _generic(np.random.default_rng([d_in, d_out]), 3, d_in, d_out)
    K = S.dropout_channel(x, p, W, b, where="output")
    assert_allclose(S.eta_kl(K), S.dropout_sdpi(p, d_out), atol=1e-6)
    assert abs(S.eta_kl(K) - S.dropout_sdpi(p, d_in)) > 1e-3  # the input width is wrong here


@pytest.mark.parametrize("d_in, d_out, p", [(1, 2, 0.5), (2, 2, 0.5), (2, 2, 0.7), (3, 2, 0.6)])
def test_dropconnect_coefficient_matches_numerical_maximum(d_in, d_out, p):
    """Values 0.75, 0.9375, 0.7599, 0.953344 of the note's table (check 6), three inputs."""
    x, W, b = _generic(np.random.default_rng([d_in, d_out, int(10 * p)]), 3, d_in, d_out)
    K = S.dropconnect_channel(x, p, W, b)
    eta = S.eta_kl(K)
    assert_allclose(eta, S.dropconnect_sdpi(p, d_in, d_out), atol=1e-6)
    assert_allclose(S.eta_tv(K), S.dropconnect_sdpi(p, d_in, d_out), atol=1e-6)
    assert abs(eta - (1 - (1 - p) ** (d_in * d_out))) > 1e-3 or p == 0.5
    assert S.dropconnect_sdpi(p, d_in, d_out) > S.dropout_sdpi(p, d_in)  # contracts less


def test_dropconnect_note_values():
    got = [S.dropconnect_sdpi(0.5, 1, 2), S.dropconnect_sdpi(0.5, 2, 2),
           S.dropconnect_sdpi(0.7, 2, 2), S.dropconnect_sdpi(0.6, 3, 2)]
    assert_allclose(got, [0.75, 0.9375, 0.7599, 0.953344], atol=5e-7)


def test_shared_coordinate_makes_the_formula_an_upper_bound_only():
    """Two inputs that agree in coordinate 1 (d = 2, p = 0.3): eta = 0.70, not 0.91."""
    x = np.array([[0.7, -0.4], [0.7, 1.3]])
    W = np.array([[1.0, 0.5], [-0.3, 2.0]])
    K = S.dropout_channel(x, 0.3, W)
    assert_allclose(S.eta_kl(K), 0.7, atol=1e-6)
    assert S.eta_kl(K) < S.dropout_sdpi(0.3, 2) - 0.2


def test_direct_ratio_estimator_agrees_with_max_correlation():
    x, W, b = _generic(np.random.default_rng(5), 2, 2, 2)
    K = S.dropout_channel(x, 0.3, W, b)
    assert_allclose(S.eta_kl_ratio(K, restarts=3), 0.91, atol=1e-4)  # ratio estimator: 1e-4


def test_sanity_channels_bsc_and_bec():
    d = 0.1
    bsc = np.array([[1 - d, d], [d, 1 - d]])
    assert_allclose(S.eta_kl(bsc), (1 - 2 * d) ** 2, atol=1e-9)
    assert_allclose(S.eta_tv(bsc), 1 - 2 * d, atol=1e-12)
    e = 0.3
    bec = np.array([[1 - e, 0, e], [0, 1 - e, e]])
    assert_allclose([S.eta_kl(bec), S.eta_tv(bec)], [1 - e, 1 - e], atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 4), st.integers(1, 3), st.integers(0, 10_000))
def test_eta_kl_never_exceeds_dobrushin(m, k, seed):
    rng = np.random.default_rng(seed)
    K = rng.dirichlet(np.ones(k + 1), size=m)
    assert S.eta_kl(K) <= S.eta_tv(K) + 1e-9


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 0.99), st.integers(1, 30))
def test_dropout_coefficient_monotone_in_width_and_p(p, d):
    assert 0.0 <= S.dropout_sdpi(p, d) <= S.dropout_sdpi(p, d + 1) <= 1.0
    assert S.dropout_sdpi(min(p + 0.005, 0.999), d) <= S.dropout_sdpi(p, d)
    assert S.dropconnect_sdpi(p, d, 2) >= S.dropout_sdpi(p, d)


def test_keep_probability_conversion():
    q = 0.8  # Srivastava et al.: retention probability
    assert_allclose(S.dropout_sdpi(S.drop_probability(q), 3), 1 - (1 - q) ** 3)


# --------------------------------------------------------------------- SDPI: Gaussian noise


def _tv_gaussians_by_quadrature(m1, m2, sigma):
    """TV of N(m1, s^2 I) and N(m2, s^2 I) integrated along the mean difference (the laws
    agree on the orthogonal complement)."""
    dist = float(np.linalg.norm(np.asarray(m1) - np.asarray(m2)))
    f = lambda u: abs(stats.norm.pdf(u, 0, sigma) - stats.norm.pdf(u, dist, sigma))  # noqa: E731
    val, _ = integrate.quad(f, -12 * sigma, dist + 12 * sigma, points=(dist / 2,),
                            epsabs=1e-13, limit=200)
    return 0.5 * val


def test_gaussian_noise_tv_coefficient_matches_integrated_tv_of_the_layer():
    """Pre-activation noise phi(W t + N) with an injective phi: the Dobrushin coefficient is
    the largest integrated TV between input pairs; the closed form uses delta = max ||W(t-t')||
    (check 7, integrated numerically)."""
    rng = np.random.default_rng(3)
    W = rng.normal(size=(3, 4))
    t = rng.uniform(-1, 1, size=(6, 4))
    sigma = 0.8
    pre = t @ W.T
    tv = max(_tv_gaussians_by_quadrature(a, b, sigma) for a, b in itertools.combinations(pre, 2))
    delta = max(np.linalg.norm(a - b) for a, b in itertools.combinations(pre, 2))
    assert_allclose(tv, S.gaussian_noise_tv_coefficient(delta, sigma), atol=1e-9)
    assert_allclose(S.gaussian_noise_tv_coefficient(2.0, 1.0), 0.682689, atol=5e-7)


@pytest.mark.parametrize("a, expected", [(0.5, 0.204054), (1.0, 0.550400), (2.0, 0.931403)])
def test_binary_awgn_kl_coefficient_is_the_sup_over_priors(a, expected):
    """Closed form E tanh^2 vs sup over the prior of the posterior-variance definition of
    rho_max^2 (a second quadrature), to 1e-6 (check 8); strictly below Dobrushin."""
    res = optimize.minimize_scalar(lambda q: -S.binary_awgn_eta_chi2(q, a, 1.0),
                                   bounds=(1e-4, 1 - 1e-4), method="bounded",
                                   options={"xatol": 1e-9})
    closed = S.binary_awgn_kl_coefficient(a, 1.0)
    assert_allclose(-res.fun, closed, atol=1e-6)
    assert_allclose(res.x, 0.5, atol=1e-4)
    assert_allclose(closed, expected, atol=5e-7)
    assert closed < S.gaussian_noise_tv_coefficient(2 * a, 1.0) - 0.02


def test_binary_awgn_kl_coefficient_scales_with_snr_only():
    assert_allclose(S.binary_awgn_kl_coefficient(2.0, 2.0), S.binary_awgn_kl_coefficient(1, 1),
                    atol=1e-12)
    assert S.binary_awgn_kl_coefficient(0.0, 1.0) == 0.0


# --------------------------------------------------------------------- Gaussian model


def note_network(seed: int = 0):
    """The note's R3 network: widths 8-6-6-4-2, W_k ~ N(0, 1/d_{k-1}), layer 2 rank 3."""
    rng = np.random.default_rng(seed)
    widths = (8, 6, 6, 4, 2)
    ws = [rng.normal(size=(o, i)) / math.sqrt(i) for i, o in zip(widths[:-1], widths[1:])]
    u, s, vt = np.linalg.svd(ws[1])
    s[3:] = 0.0
    ws[1] = (u * s) @ vt
    return ws


def test_rank_law_values_of_the_note():
    assert_allclose(S.gaussian_layer_kl(note_network(), 10),
                    [0.42144, 0.31608, 0.15804, 0.15804, 0.10536], atol=5e-6)


def test_rank_law_equals_average_gaussian_kl_on_the_range():
    """E_w D(N(A w, (1-1/n) s^2 AA^T) || N(A mu, s^2 AA^T)) with the singular covariance handled
    on its range: the covariance part from gaussian_kl plus the exact mean part
    E (w-mu)^T A^T (s^2 AA^T)^+ A (w-mu) / 2 = r / (2n)."""
    ws, n, s = note_network(), 10, 1.3
    for a, r_law in zip(S.layer_products(ws), S.gaussian_layer_kl(ws, n)):
        cov = s**2 * a @ a.T
        kl_cov = S.gaussian_kl(np.zeros(len(a)), (1 - 1 / n) * cov, np.zeros(len(a)), cov)
        r = np.linalg.matrix_rank(a)
        assert_allclose(kl_cov + r / (2 * n), r_law, rtol=1e-8)


def test_gaussian_kl_detects_leaving_the_range():
    cov = np.diag([1.0, 0.0])
    assert S.gaussian_kl([0, 1.0], cov, [0, 0], cov) == math.inf
    assert_allclose(S.gaussian_kl([1.0, 0], cov, [0, 0], cov), 0.5)


def test_uniform_w_bounds_product_monotone_tail_minimised_at_last_layer():
    rng = np.random.default_rng(1)
    for _ in range(20):
        ws = [rng.normal(size=(4, 4)) / 2 for _ in range(3)]
        prod = S.uniform_w_bounds(ws, 10, 1.0, lipschitz="product")
        tail = S.uniform_w_bounds(ws, 10, 1.0, lipschitz="tail")
        assert np.all(np.diff(prod) <= 1e-12)
        assert tail[-1] <= tail.min() + 1e-12
        assert np.all(tail <= prod + 1e-12)


def test_note_designed_network_uniform_bound():
    """R3 table, uniform column at n = 100: 0.2003, 1.0162, 0.2003 (a tie of layers 0 and 2)."""
    ws = [np.diag([1, .1, .1, .1]), np.diag([1, 10, 10, 10])]
    assert_allclose(S.uniform_w_bounds(ws, 100, 1.0), [0.2003, 1.0162, 0.2003], atol=5e-5)
    assert_allclose(S.gaussian_w_constant(10), 0.320364, atol=5e-7)


# --------------------------------------------------------------------- the enumeration toy


@pytest.fixture(scope="module")
def toy():
    return S.enumeration_toy(0.5)


@pytest.fixture(scope="module")
def gibbs3(toy):
    return S.gibbs_exact(toy, 3, 4.0)


@pytest.fixture(scope="module")
def toy_etas(toy):
    return S.toy_layer_etas(toy)


def _brute_force_gibbs(toy, n, gamma):
    """Second implementation: sum over all 8^n ordered datasets (no type classes)."""
    p_wz = np.zeros_like(toy.loss)
    gen = 0.0
    pop = toy.loss @ toy.p_z
    for s in itertools.product(range(8), repeat=n):
        ps = np.prod(toy.p_z[list(s)])
        ls = toy.loss[:, list(s)].mean(1)
        post = np.exp(-gamma * ls - np.max(-gamma * ls))
        post /= post.sum()
        p_wz[:, s[0]] += ps * post
        gen += ps * post @ (pop - ls)
    return p_wz, gen


def test_type_class_enumeration_matches_brute_force(toy, gibbs3):
    p_wz, gen = _brute_force_gibbs(toy, 3, 4.0)
    assert_allclose(gibbs3["p_wz"], p_wz, atol=1e-14)
    assert_allclose(gibbs3["gen"], gen, atol=1e-14)


def test_toy_layer_zero_is_the_individual_sample_mi(toy, gibbs3):
    d = S.toy_layer_divergences(toy, gibbs3["p_wz"])
    assert_allclose(d[0], gibbs3["i_wz"], atol=1e-12)


def test_toy_hierarchy_and_bounds(toy, gibbs3):
    d = S.toy_layer_divergences(toy, gibbs3["p_wz"])
    assert np.all(np.diff(d) < 0)
    for dk in d:
        assert gibbs3["gen"] <= S.kl_generalization_bound([dk], 0.5)
    assert gibbs3["gen"] <= S.finite_class_bound(math.log(toy.n_w), 3, 0.5)


def test_toy_layer_coefficients(toy, toy_etas):
    """Errata 1: eta_1 = 0.5 on layer 1's actual inputs, 0.75 on all 9 states; eta_2 = 0.75."""
    assert_allclose(toy_etas, [0.5, 0.75], atol=1e-9)
    assert_allclose(S.toy_layer_etas(toy, kind="tv"), [0.5, 0.75], atol=1e-12)
    assert_allclose(S.toy_layer_etas(toy, reachable_only=False), [0.75, 0.75], atol=1e-9)


def test_refined_caps_hold_and_a_wrong_eta_is_caught(toy, gibbs3, toy_etas):
    d = S.toy_layer_divergences(toy, gibbs3["p_wz"])
    etas = toy_etas
    caps = S.refined_kl_caps(gibbs3["i_wy"], gibbs3["i_wx_given_y"], etas)
    assert np.all(d <= caps + 1e-12)
    assert_allclose(d[1], caps[1], atol=1e-12)  # an erasure channel contracts KL exactly
    # an eta 10 % too small (0.45 instead of 0.5) makes the cap fail at layer 1
    assert d[1] > S.refined_kl_caps(gibbs3["i_wy"], gibbs3["i_wx_given_y"], [0.45, 0.75])[1]


def test_label_only_algorithm_keeps_the_label_term(toy, toy_etas):
    """W depends on S only through labels: D_k = I(W; Y_i) at every layer, and the naive cap
    prod(eta) I(W; Z_i) fails (check 10)."""
    outs = list(itertools.product((-1, 1), repeat=2))  # read-outs o, fastest index of W
    fit = np.array([[float(o[0] != y) for _x in range(4) for y in (-1, 1)]
                    for _w1, _w2, o in itertools.product(range(4), range(4), outs)])
    g = S.gibbs_exact(toy, 3, 4.0, fit=fit)
    d = S.toy_layer_divergences(toy, g["p_wz"])
    assert g["i_wy"] > 1e-3
    assert_allclose(d, g["i_wy"], atol=1e-12)
    assert d[-1] > np.prod(toy_etas) * g["i_wz"] + 1e-4


def test_symmetric_toy_has_no_label_term():
    ts = S.enumeration_toy(symmetric=True)
    g = S.gibbs_exact(ts, 3, 4.0)
    assert g["i_wy"] < 1e-14
    assert_allclose(S.toy_layer_divergences(ts, g["p_wz"]), [0.014101, 0.007050, 0.003459],
                    atol=5e-7)


def test_gibbs_mi_below_stability_bound(toy):
    for n in (2, 4, 8):
        assert S.gibbs_exact(toy, n, 4.0)["i_wz"] <= S.gibbs_mi_upper_bound(4.0, n)


# --------------------------------------------------------------------- deeper-narrower


@settings(max_examples=30, deadline=None)
@given(st.floats(0.3, 0.95), st.sampled_from([12, 24]))  # p^N above float64 resolution
def test_dropout_depth_product_strictly_decreasing(p, total):
    depths = [L for L in range(1, total + 1) if total % L == 0]
    vals = [S.dropout_depth_product(p, total, L) for L in depths]
    assert np.all(np.diff(vals) < 0)


def test_dropconnect_depth_product_values():
    got = [S.dropconnect_depth_product(0.5, 48, L) for L in (3, 12, 48)]
    assert_allclose(got[:2], [0.999954, 0.460952], atol=5e-7)
    assert_allclose(got[2], 0.5**48, rtol=1e-12)


# --------------------------------------------------------------------- finite laws, API types


def test_numpy_scalars_are_accepted_and_strings_rejected():
    assert S.dropout_sdpi(np.float64(0.5), np.int64(3)) == 0.875
    assert S.dropconnect_sdpi(np.array(0.5), 2, np.array(2)) == 0.9375
    with pytest.raises(ValueError, match="p must be a drop probability"):
        S.dropout_sdpi("0.5", 3)
    with pytest.raises(ValueError, match="p must be a drop probability"):
        S.dropout_sdpi(np.array([0.5, 0.2]), 3)
    with pytest.raises(ValueError, match="d must be a positive integer width"):
        S.dropout_sdpi(0.5, np.float64(2.0))


def test_finite_law_divergences():
    p, q = np.array([0.5, 0.5]), np.array([0.9, 0.1])
    assert_allclose(S.kl_divergence(p, q), 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(5.0))
    assert S.kl_divergence(q, [1.0, 0.0]) == math.inf
    assert_allclose(S.tv_distance(p, q), 0.4)
    assert_allclose(S.mutual_information(np.outer(p, q)), 0.0, atol=1e-15)
    assert_allclose(S.mutual_information(np.diag(q)), -np.sum(q * np.log(q)))
    with pytest.raises(ValueError, match="prior must have length 2"):
        S.eta_chi2([1.0], np.eye(2))


def test_tail_norm_w_bound_can_be_non_monotone():
    """W_1 has no data-processing inequality: for random 4-4-4-4 linear nets the tail-norm
    bound ||B_k||_op s ||A_k||_F c_n rises somewhere between the first and the last layer for
    some draws (note R2), while the last layer stays a minimiser."""
    rng = np.random.default_rng(0)
    rises = 0
    for _ in range(40):
        ws = [rng.normal(size=(4, 4)) / 2 for _ in range(3)]
        b = S.uniform_w_bounds(ws, 10, 1.0)
        rises += bool(np.any(np.diff(b[:-1]) > 1e-9))
        assert b[-1] <= b.min() + 1e-12
    assert rises > 0


def test_bound_helpers():
    assert_allclose(S.kl_generalization_bound([0.02, 0.08], 0.5), (0.1 + 0.2) / 2)
    assert_allclose(S.wasserstein_generalization_bound([1.0, 2.0], [0.1, 0.3]), 0.35)
    assert_allclose(S.finite_class_bound(math.log(64), 16, 0.5), math.sqrt(math.log(64) / 32))
    assert_allclose(S.refined_kl_caps(0.1, 1.0, [0.5, 0.5]), [1.1, 0.6, 0.35])
    with pytest.raises(ValueError, match="divergences must be finite and >= 0"):
        S.kl_generalization_bound([-0.1], 0.5)
