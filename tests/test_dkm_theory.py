"""Deep kernel machines (Yang et al. 2023): kernels, objective, optimum, limits, sparse DKM.

Anchors (TOY8 values) are derived in ../shared/papers/dkm.md Sec. 3 by an independent
implementation (its errata say they were re-checked with a second parametrisation and Newton).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from theory import dkm as D

SE, ARC, LIN = "squared_exponential", "relu_arccos", "linear"


def toy8():
    x = np.linspace(-2, 2, 8)
    y = np.sin(2 * x)[:, None] + 0.1 * np.random.default_rng(0).standard_normal((8, 1))
    return np.stack([x, np.ones(8)], 1), y


@pytest.fixture(scope="module")
def se_fit():
    x, y = toy8()
    return D.dkm_optimum(x, y, depth=2, kernel=SE, nu=1.0, noise_var=0.1)


def random_spd(rng, p, scale=1.0):
    a = rng.standard_normal((p, p))
    return scale * (a @ a.T / p + 0.2 * np.eye(p))


# ----------------------------------------------------------------------------- kernels


def test_arccos_kernel_matches_neural_tangents_relu_nngp():
    """K(XX^T/N_0) equals the NNGP kernel of Dense -> Relu -> Dense(W_std = sqrt 2)."""
    from theorylab.deps import neural_tangents

    stax = neural_tangents().stax

    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 4))
    _, _, kernel_fn = stax.serial(stax.Dense(1, W_std=1.0, b_std=0.0), stax.Relu(),
                                  stax.Dense(1, W_std=np.sqrt(2.0), b_std=0.0))
    from theory._jax import float64

    with float64():
        nt = np.asarray(kernel_fn(x, x, "nngp"))
    assert_allclose(D.kernel_matrix(D.input_gram(x), kernel=ARC), nt, rtol=1e-10, atol=1e-12)


def test_arccos_kernel_is_twice_relu_second_moment_by_monte_carlo():
    rng = np.random.default_rng(0)
    g = random_spd(rng, 3)
    f = rng.multivariate_normal(np.zeros(3), g, size=400_000)
    r = np.maximum(f, 0)
    mc = 2 * r.T @ r / len(f)
    se = 2 * np.sqrt(np.var(r[:, :, None] * r[:, None, :], axis=0) / len(f))
    assert np.all(np.abs(D.kernel_matrix(g, kernel=ARC) - mc) < 5 * se)


def test_se_kernel_is_exp_of_width_normalised_distance():
    rng = np.random.default_rng(1)
    f = rng.standard_normal((5, 40))
    g = f @ f.T / 40
    d2 = np.sum((f[:, None] - f[None]) ** 2, -1) / 40
    assert_allclose(D.kernel_matrix(g, kernel=SE, length_scale=1.3),
                    np.exp(-d2 / (2 * 1.3**2)), rtol=1e-12)


# ------------------------------------------------------------------ KL and Wishart (R1)


@pytest.mark.parametrize("n", [10, 100, 1000, 10000])
def test_wishart_log_density_is_minus_n_kl_plus_gram_only_term(n):
    rng = np.random.default_rng(n)
    g, k = random_spd(rng, 5), random_spd(rng, 5)
    ref = scipy.stats.wishart(df=n, scale=k / n).logpdf(g)
    assert_allclose(D.wishart_log_density_from_kl(g, k, n), ref, rtol=1e-9)


def test_wishart_identity_rejects_a_kl_in_the_wrong_direction():
    rng = np.random.default_rng(0)
    g, k = random_spd(rng, 5), random_spd(rng, 5, 2.0)
    n = 100
    ref = scipy.stats.wishart(df=n, scale=k / n).logpdf(g)
    swapped = D.wishart_log_density_from_kl(g, k, n) + n * (D.gaussian_kl(g, k)
                                                            - D.gaussian_kl(k, g))
    assert abs(swapped - ref) > 1.0


# ------------------------------------------------------------------------ the objective


def test_objective_at_the_nngp_chain_is_the_nngp_log_marginal_likelihood():
    """Zero KL at G_l = K(G_{l-1}): the objective reduces to the NNGP LML (R4)."""
    x, y = toy8()
    for k in (SE, ARC):
        nngp = D.nngp_grams(x, depth=2, kernel=k)
        val, ll, kls = D.dkm_objective(nngp, x, y, kernel=k, nu=3.0, noise_var=0.1,
                                       return_terms=True)
        assert_allclose(kls, 0, atol=1e-9)
        assert_allclose(val, D.nngp_log_marginal_likelihood(x, y, depth=2, kernel=k,
                                                            noise_var=0.1), rtol=1e-10)


def test_log_likelihood_matches_scipy_multivariate_normal():
    x, y = toy8()
    nngp = D.nngp_grams(x, depth=2, kernel=SE)
    cov = D.kernel_matrix(nngp[-1], kernel=SE, jitter=1e-6) + 0.1 * np.eye(8)
    ref = scipy.stats.multivariate_normal(np.zeros(8), cov).logpdf(y[:, 0])
    assert_allclose(D.nngp_log_marginal_likelihood(x, y, depth=2, kernel=SE, noise_var=0.1),
                    ref, rtol=1e-12)


def test_toy8_se_anchor_and_kl_split(se_fit):
    """Note check 6.2 and Sec. 3: L* = -6.258256 (KL_1 0.72946, KL_2 0.82715, ll -4.70165)."""
    assert se_fit.converged
    assert abs(se_fit.objective - (-6.258256)) < 1e-4
    assert_allclose(se_fit.kl, [0.72946, 0.82715], atol=1e-4)  # errata 7
    assert abs(se_fit.log_likelihood - (-4.70165)) < 1e-4


def test_fit_reports_the_objective_of_its_grams_and_a_stationary_point(se_fit):
    x, y = toy8()
    assert_allclose(D.dkm_objective(se_fit.grams, x, y, kernel=SE, nu=1.0, noise_var=0.1),
                    se_fit.objective, rtol=1e-12)
    assert se_fit.grad_norm < 1e-5
    # a perturbation in any symmetric direction lowers the objective (a maximum)
    rng = np.random.default_rng(0)
    for _ in range(3):
        m = np.eye(8) + 1e-3 * rng.standard_normal((8, 8))   # congruence keeps G PD
        pert = [se_fit.grams[0], m @ se_fit.grams[1] @ m.T]
        assert D.dkm_objective(pert, x, y, kernel=SE, nu=1.0, noise_var=0.1) \
            < se_fit.objective


def test_toy8_anchor_rejects_a_reversed_kl():
    """Reversing the KL direction moves the optimum far from the anchor (note Sec. 7)."""
    x, y = toy8()
    from theory._jax import float64

    with float64():
        import jax
        import jax.numpy as jnp

        def rev(t):
            a = D._unpack_chol(t, 8, 2)
            g, val = jnp.asarray(D.input_gram(x)), 0.0
            for ai in a:
                k = D._kfull(g, SE, 1.0, 1e-6)
                gn = jnp.linalg.cholesky(k) @ ai
                gn = gn @ gn.T
                val = val + 0.5 * (jnp.trace(jnp.linalg.solve(gn, k)) - 8
                                   - jnp.linalg.slogdet(k)[1] + jnp.linalg.slogdet(gn)[1])
                g = gn
            ko = D._kfull(g, SE, 1.0, 1e-6) + 0.1 * jnp.eye(8)
            return -(D._gauss_loglik(ko, jnp.asarray(y)) - val)

        fg = jax.jit(jax.value_and_grad(rev))
        res = scipy.optimize.minimize(lambda t: tuple(map(np.asarray, fg(t))),
                                      D._pack_chol([np.eye(8)] * 2), jac=True,
                                      method="L-BFGS-B")
    assert abs(-res.fun - (-6.258256)) > 0.05


# ---------------------------------------------------------------- deep linear closed form


def linear_data(rng, p=6, n0=10, nout=8):
    return rng.standard_normal((p, n0)), rng.standard_normal((p, nout))


def test_deep_linear_closed_form_and_its_rejection_of_wrong_exponent_and_wrong_nu():
    """The closed form (checked for L = 1..3 by the claim dkm.linear_closed_form) fits the
    optimum; an exponent l/L or nu_l = 1 (errata 10) do not."""
    x, y = linear_data(np.random.default_rng(1))
    fit = D.dkm_optimum(x, y, depth=2, kernel=LIN, nu=8, noise_var=0.0, jitter=0.0)
    closed = D.deep_linear_optimum(x, y, depth=2)
    assert max(np.abs(a - b).max() / np.abs(b).max() for a, b in zip(fit.grams, closed)) < 1e-5
    g0, sy = D.input_gram(x), y @ y.T / 8
    h, hi = D._sym_power(g0, 0.5), D._sym_power(g0, -0.5)
    wrong = h @ D._sym_power(hi @ sy @ hi, 1 / 2) @ h       # exponent l/L instead of l/(L+1)
    assert np.abs(wrong - fit.grams[0]).max() / np.abs(closed[0]).max() > 0.05
    fit1 = D.dkm_optimum(x, y, depth=2, kernel=LIN, nu=1.0, noise_var=0.0, jitter=0.0)
    assert np.abs(fit1.grams[0] - closed[0]).max() / np.abs(closed[0]).max() > 0.1  # errata 10


def test_deep_linear_stationarity_with_unequal_nu():
    """nu_l (G_l - G_l G_{l-1}^-1 G_l) + nu_{l+1} (G_{l+1} - G_l) = 0, G_{L+1} = S_Y (R5)."""
    x, y = linear_data(np.random.default_rng(2))
    nu = (2.0, 20.0)
    g = D.dkm_optimum(x, y, depth=2, kernel=LIN, nu=nu, noise_var=0.0, jitter=0.0).grams
    chain = [D.input_gram(x), *g, y @ y.T / 8]
    weights = [*nu, 8.0]
    for ell in (1, 2):
        gl = chain[ell]
        r = weights[ell - 1] * (gl - gl @ np.linalg.solve(chain[ell - 1], gl)) \
            + weights[ell] * (chain[ell + 1] - gl)
        assert np.abs(r).max() < 1e-5 * np.abs(chain[ell + 1]).max() * weights[ell]


# ---------------------------------------------------------- ReLU network limit (R8)


def test_relu_network_two_piece_limit():
    r = D.relu_network_limit(3.0, noise_var=0.01, c_w=2.0, nu=1.0)
    assert abs(r.s - 1.7477) < 1e-3
    assert abs(r.p_positive - 0.6361) < 1e-3
    assert abs(r.skew - 0.42) < 0.05 and abs(r.excess_kurtosis - 0.13) < 0.05
    assert abs(r.objective - (-3.0898)) < 1e-3
    assert abs(r.mean - 0.5966) < 1e-3


def test_two_piece_moments_match_quadrature():
    import scipy.integrate

    s = D.relu_network_limit(3.0, noise_var=0.01).s
    q = lambda f: 2 / (1 + s) * (scipy.stats.norm.pdf(f) if f < 0
                                 else s * scipy.stats.norm.pdf(f, 0, s))
    mom = [scipy.integrate.quad(lambda f, k=k: f**k * q(f), -15, 0)[0]
           + scipy.integrate.quad(lambda f, k=k: f**k * q(f), 0, 15 * s)[0] for k in range(5)]
    assert abs(mom[0] - 1) < 1e-10
    m, var, skew, kurt = D._two_piece_moments(s)
    assert_allclose([m, var], [mom[1], mom[2] - mom[1] ** 2], rtol=1e-9)
    c3 = mom[3] - 3 * m * mom[2] + 2 * m**3
    c4 = mom[4] - 4 * m * mom[3] + 6 * m**2 * mom[2] - 3 * m**4
    assert_allclose([skew, kurt], [c3 / var**1.5, c4 / var**2 - 3], rtol=1e-8)


def test_two_piece_root_maximises_the_objective_over_s_by_direct_search():
    """The stationarity equation's root is the argmax found by a bounded scalar search."""
    y, s2, cw, nu = 3.0, 0.01, 2.0, 1.0

    def obj(s):
        k = cw * s**3 / (1 + s)
        ll = scipy.stats.norm(0, np.sqrt(k + s2)).logpdf(y)
        # KL by quadrature of the two-piece density against N(0, 1)
        z = (1 + s) / 2
        q = lambda f: (scipy.stats.norm.pdf(f) if f < 0 else s * scipy.stats.norm.pdf(f, 0, s)) / z
        kl = scipy.integrate.quad(lambda f: q(f) * np.log(q(f) / scipy.stats.norm.pdf(f)),
                                  -12, 0)[0] + \
            scipy.integrate.quad(lambda f: q(f) * np.log(q(f) / scipy.stats.norm.pdf(f)),
                                 0, 12 * s)[0]
        return ll - nu * kl

    import scipy.integrate

    best = scipy.optimize.minimize_scalar(lambda s: -obj(s), bounds=(0.5, 4), method="bounded",
                                          options={"xatol": 1e-8})
    r = D.relu_network_limit(y, noise_var=s2, c_w=cw, nu=nu)
    assert abs(best.x - r.s) < 1e-4
    assert abs(-best.fun - r.objective) < 1e-6


def test_gaussian_q_arccos_dkm_is_a_strictly_lower_bound():
    """Restricting q to zero-mean Gaussians is the arccos DKM (P = 1): -3.4156 < -3.0898."""
    fit = D.dkm_optimum(np.ones((1, 1)), np.array([[3.0]]), depth=1, kernel=ARC, nu=1.0,
                        noise_var=0.01, jitter=0.0)
    assert abs(fit.objective - (-3.4156)) < 1e-3
    assert fit.objective < D.relu_network_limit(3.0, noise_var=0.01).objective - 0.3


# -------------------------------------------------------------------------- sparse DKM


def test_sparse_equals_full_at_the_training_points(se_fit):
    """R7a: G_ti = G_ii, g_t = diag G_ii, and the same objective, up to O(jitter)."""
    x, y = toy8()
    jit = 1e-10
    fit = D.dkm_optimum(x, y, depth=2, kernel=SE, nu=1.0, noise_var=0.1, jitter=jit)
    for (gti, gt), g in zip(D.sparse_propagate(fit.grams, x, x, kernel=SE, jitter=jit),
                            fit.grams):
        assert_allclose(gti, g, rtol=0, atol=1e-8)
        assert_allclose(gt, np.diag(g), rtol=0, atol=1e-8)
    sp = D.sparse_dkm_objective(fit.grams, x, x, y, kernel=SE, nu=1.0, noise_var=0.1,
                                jitter=jit)
    assert abs(sp - fit.objective) < 1e-6
    # and fitting the sparse model with x_inducing = x reaches the full optimum (default jitter)
    spf = D.fit_sparse_dkm(x, y, x, depth=2, kernel=SE, nu=1.0, noise_var=0.1)
    assert abs(spf.objective - se_fit.objective) < 5e-4  # O(jitter * P) bias (errata 5)


@pytest.mark.parametrize("kernel", [SE])
def test_sparse_at_zero_kl_is_the_exact_nngp_at_every_point(kernel):
    """R7b: with G_ii^l = K(G_ii^{l-1}) the propagated blocks are the NNGP's (arccos: the
    claim dkm.sparse_nngp_neural_tangents checks it against neural-tangents)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 3))
    xi = x[:4]
    jit = 1e-9
    gi = D.nngp_grams(xi, depth=3, kernel=kernel, jitter=jit)
    full = D.nngp_grams(x, depth=3, kernel=kernel, jitter=0.0)
    for (gti, gt), gf in zip(D.sparse_propagate(gi, xi, x, kernel=kernel, jitter=jit), full):
        assert_allclose(gti, gf[:, :4], rtol=0, atol=1e-7)
        assert_allclose(gt, np.diag(gf), rtol=0, atol=1e-7)


def test_sparse_predictions_equal_exact_gp_regression_with_all_points():
    x, y = toy8()
    nngp = D.nngp_grams(x, depth=2, kernel=SE)
    fit = D.SparseDKMFit(nngp, x, 0.1, 0.0, 0, True)
    xt = np.stack([np.linspace(-2.5, 2.5, 5), np.ones(5)], 1)
    mean, var = D.sparse_predict(fit, xt, x, y, kernel=SE)
    allx = np.vstack([x, xt])
    k = D.kernel_matrix(D.nngp_grams(allx, depth=2, kernel=SE)[-1], kernel=SE, jitter=1e-6)
    ktr = k[:8, :8] + 0.1 * np.eye(8)
    ref_mean = k[8:, :8] @ np.linalg.solve(ktr, y)
    ref_var = np.diag(k[8:, 8:]) - np.sum(k[8:, :8] * np.linalg.solve(ktr, k[:8, 8:]).T, 1)
    assert_allclose(mean, ref_mean, atol=1e-4)
    assert_allclose(var, ref_var + 0.1, atol=1e-4)


# ------------------------------------------------------------------------------ errors


def test_invalid_input_raises_value_error_naming_the_argument():
    x, y = toy8()
    good = D.nngp_grams(x, depth=2, kernel=SE)
    bad = [good[0], good[1] - 2 * np.eye(8) * np.linalg.eigvalsh(good[1])[-1]]
    with pytest.raises(ValueError, match="positive definite"):
        D.dkm_objective(bad, x, y, kernel=SE, nu=1, noise_var=0.1)
    for nu in (0.0, -1.0, [1.0, 2.0, 3.0]):
        with pytest.raises(ValueError, match="nu"):
            D.dkm_objective(good, x, y, kernel=SE, nu=nu, noise_var=0.1)
    with pytest.raises(ValueError, match="y must"):
        D.dkm_objective(good, x, y[:5], kernel=SE, nu=1, noise_var=0.1)
    with pytest.raises(ValueError, match="grams"):
        D.dkm_objective([good[0][:5, :5]], x, y, kernel=SE, nu=1, noise_var=0.1)
    with pytest.raises(ValueError, match="kernel"):
        D.fit_dkm(x, y, depth=2, kernel="rbf", nu=1, noise_var=0.1)
    with pytest.raises(ValueError, match="noise_var"):
        D.nngp_log_marginal_likelihood(x, y, depth=2, kernel=SE, noise_var=-1)
    with pytest.raises(ValueError, match="depth"):
        D.fit_dkm(x, y, depth=0, kernel=SE, nu=1, noise_var=0.1)
    with pytest.raises(ValueError, match="x_inducing"):
        D.fit_sparse_dkm(x, y, x[:, :1], depth=1, kernel=SE, nu=1, noise_var=0.1)
    with pytest.raises(ValueError, match="N_0 >= P"):
        D.deep_linear_optimum(x, y, depth=1)


# ------------------------------------------------------------------ property tests


seeds = st.integers(0, 2**31 - 1)


@settings(max_examples=25, deadline=None)
@given(seeds, st.integers(1, 6))
def test_kl_is_nonnegative_and_zero_only_at_equality(seed, p):
    rng = np.random.default_rng(seed)
    g, k = random_spd(rng, p), random_spd(rng, p)
    assert D.gaussian_kl(g, k) >= -1e-12
    assert abs(D.gaussian_kl(k, k)) < 1e-10


@settings(max_examples=25, deadline=None)
@given(seeds, st.integers(1, 4))
def test_deep_linear_layers_are_geometric_means_of_their_neighbours(seed, depth):
    """G_l G_{l-1}^-1 G_l = G_{l+1} along the chain G_0, G*_1 .., G*_L, S_Y (note R5)."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((4, 6)), rng.standard_normal((4, 5))
    chain = [D.input_gram(x), *D.deep_linear_optimum(x, y, depth=depth), y @ y.T / 5]
    for ell in range(1, depth + 1):
        lhs = chain[ell] @ np.linalg.solve(chain[ell - 1], chain[ell])
        assert_allclose(lhs, chain[ell + 1], rtol=1e-6,
                        atol=1e-8 * np.abs(chain[ell + 1]).max())


@settings(max_examples=15, deadline=None)
@given(seeds)
def test_kernels_preserve_psd_and_their_diagonals(seed):
    rng = np.random.default_rng(seed)
    g = random_spd(rng, 5)
    for k in D.KERNELS:
        m = D.kernel_matrix(g, kernel=k)
        assert np.linalg.eigvalsh(m)[0] > -1e-10 * np.abs(m).max()
    assert_allclose(np.diag(D.kernel_matrix(g, kernel=ARC)), np.diag(g), rtol=1e-14)
    assert_allclose(np.diag(D.kernel_matrix(g, kernel=SE)), 1.0, rtol=1e-14)
