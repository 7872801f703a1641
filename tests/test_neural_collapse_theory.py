"""Neural collapse (Tirer, Huang, Niles-Weed 2023): metrics, UFM minimisers, central path,
first-order perturbation map and the spectrum at a collapsed input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from sims import nets
from theory import neural_collapse as T

SQ2 = float(np.sqrt(2.0))


def _collapsed(K, n, d, lam_W, lam_H):
    return T.class_major_labels(K, n), *T.ufm_minimizer(K, n, d, lam_W=lam_W, lam_H=lam_H)


# --------------------------------------------------------------------------- metrics


def _metrics_by_loops(H, labels):
    """Plain per-sample loops, written from the paper's definitions (Sec. 3, Sec. 5)."""
    K = labels.max() + 1
    means = np.stack([H[:, labels == k].mean(axis=1) for k in range(K)], axis=1)
    g = H.mean(axis=1)
    Sw = sum(np.outer(h - means[:, y], h - means[:, y]) for h, y in zip(H.T, labels))
    Sw = Sw / H.shape[1]
    Sb = sum(np.outer(m - g, m - g) for m in means.T) / K
    return Sw, Sb, means


def test_covariances_and_metrics_match_the_definitions_for_shuffled_labels():
    rng = np.random.default_rng(0)
    K, n, d = 4, 6, 7
    labels = rng.permutation(np.repeat(np.arange(K), n))
    H = rng.normal(size=(d, K * n)) + 2 * rng.normal(size=(d, K))[:, labels]
    Sw, Sb, means = _metrics_by_loops(H, labels)
    ours_w, ours_b = T.covariances(H, labels)
    assert_allclose(ours_w, Sw, atol=1e-13)
    assert_allclose(ours_b, Sb, atol=1e-13)
    assert_allclose(T.class_means(H, labels), means, atol=1e-13)
    assert T.nc1_tilde(H, labels) == pytest.approx(np.trace(Sw) / np.trace(Sb), rel=1e-13)
    # Sigma_B has rank K - 1 < d here, so pinv is the generic Moore-Penrose inverse
    assert T.nc1(H, labels) == pytest.approx(np.trace(Sw @ np.linalg.pinv(Sb)) / K, rel=1e-10)


def test_nc1_is_not_off_by_the_feature_dimension():
    """Sigma_W over Kn, Sigma_B over K and the extra 1/K of NC1, on a hand example (a
    library dividing Sigma_B by d, as rhubarbwu/neural-collapse does, would differ here)."""
    # K = 2, n = 2, d = 1: features -1.5, -0.5 | 0.5, 1.5 -> means -1, 1; deviations +-0.5
    H = np.array([[-1.5, -0.5, 0.5, 1.5]])
    labels = np.array([0, 0, 1, 1])
    # Sigma_W = 4 * 0.25 / 4 = 0.25; Sigma_B = (1 + 1)/2 = 1; NC1 = 0.25 / 2; NC1~ = 0.25
    assert T.nc1(H, labels) == pytest.approx(0.125, rel=1e-14)
    assert T.nc1_tilde(H, labels) == pytest.approx(0.25, rel=1e-14)


@given(st.integers(2, 6), st.floats(0.1, 10.0))
@settings(max_examples=20, deadline=None)
def test_nc2_is_zero_for_simplex_etf_and_orthogonal_frame(K, scale):
    rng = np.random.default_rng(K)
    Q = np.linalg.qr(rng.normal(size=(K + 2, K)))[0]
    assert T.nc2(scale * Q) < 1e-12  # orthogonal frame: centred version is an ETF
    etf = Q @ (np.eye(K) - np.ones((K, K)) / K)
    assert T.nc2(scale * etf + 3.0) < 1e-12  # shifted simplex ETF


def test_nc2_hand_value():
    # K = 3 means (0, 0), (1, 0), (0, 3): not an ETF; K = 2 means are always antipodal
    # after centring, so NC2 = 0 for any two distinct means.
    M = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    Mc = M - M.mean(axis=1, keepdims=True)
    G = Mc.T @ Mc
    etf = (np.eye(3) - 1 / 3) / np.sqrt(2)
    assert T.nc2(M) == pytest.approx(np.linalg.norm(G / np.linalg.norm(G) - etf), rel=1e-14)
    assert T.nc2(np.array([[1.0, 0.0], [0.0, 2.0]])) < 1e-15


def test_nc3_uncentred_is_zero_at_the_minimiser_and_centred_is_not():
    labels, W, H = _collapsed(4, 3, 6, 0.5, 0.2)
    assert T.nc3(W, H, labels) < 1e-14
    assert T.nc3(W, H, labels, centred=True) > 0.1


@pytest.mark.parametrize("bad, match", [
    (dict(labels=np.array([0, 0, 0, 1])), "balanced"),
    (dict(labels=np.array([0, 0, 0, 0])), "K >= 2"),
    (dict(labels=np.array([0, 1])), "length N"),
    (dict(H=np.ones(4)), "2-D"),
    (dict(H=np.full((2, 4), np.nan)), "finite"),
])
def test_metrics_reject_bad_input(bad, match):
    args = {"H": np.arange(8.0).reshape(2, 4), "labels": np.array([0, 0, 1, 1])} | bad
    with pytest.raises(ValueError, match=match):
        T.nc1(**args)


def test_nc1_of_coincident_means_raises():
    with pytest.raises(ValueError, match="Sigma_B"):
        T.nc1(np.array([[1.0, -1.0, 1.0, -1.0]]), np.array([0, 0, 1, 1]))


# --------------------------------------------------------------------------- the UFM


@pytest.mark.parametrize("lam_W, lam_H", [(0.5, 0.5), (SQ2, 0.05), (0.1, 0.1), (0.01, 0.3)])
def test_closed_form_minimiser_matches_a_numerical_one_from_a_random_start(lam_W, lam_H):
    """Thm 2.1: after aligning the gauge R (polar factor of the numerical class means), the
    closed form equals the numerical minimiser entrywise to 1e-8 (acceptance criterion)."""
    K, n, d = 4, 5, 10
    m = T.numerical_ufm_minimizer(K, n, d, lam_W=lam_W, lam_H=lam_H, seed=3)
    labels = T.class_major_labels(K, n)
    U, _, Vt = np.linalg.svd(T.class_means(m.H, labels), full_matrices=False)
    W, H = T.ufm_minimizer(K, n, d, lam_W=lam_W, lam_H=lam_H, R=U @ Vt)
    assert np.abs(m.H - H).max() < 1e-8
    assert np.abs(m.W - W).max() < 1e-8
    # the numerical point is a minimum at least as low as the closed form, and vice versa
    f_num = T.ufm_objective(m.W, m.H, labels, lam_W=lam_W, lam_H=lam_H)
    assert f_num == pytest.approx(T.ufm_objective(W, H, labels, lam_W=lam_W, lam_H=lam_H),
                                  rel=1e-13)


def test_minimiser_is_zero_above_the_threshold():
    m = T.numerical_ufm_minimizer(4, 5, 10, lam_W=2.0, lam_H=1.0, seed=0)
    assert np.abs(m.H).max() < 1e-10 and np.abs(m.W).max() < 1e-10
    W, H = T.ufm_minimizer(4, 5, 10, lam_W=2.0, lam_H=1.0)
    assert not W.any() and not H.any()


def test_minimiser_structure_and_residual():
    lam_W, lam_H = 0.3, 0.4
    labels, W, H = _collapsed(3, 4, 5, lam_W, lam_H)
    c = T.ufm_constants(lam_W=lam_W, lam_H=lam_H)
    M = T.class_means(H, labels)
    assert_allclose(M.T @ M, c.rho * np.eye(3), atol=1e-14)
    assert_allclose(W @ H - T.one_hot(labels), -c.c * T.one_hot(labels), atol=1e-14)
    # W* is the ridge solution at H* (first-order condition in W)
    assert_allclose(T.ridge_classifier(H, labels, lam_W=lam_W), W, atol=1e-14)


def test_ufm_input_validation():
    with pytest.raises(ValueError, match="d must be an integer >= 4"):
        T.ufm_minimizer(4, 2, 3, lam_W=1.0, lam_H=0.1)
    with pytest.raises(ValueError, match=r"lam_H must be in \(0, inf\)"):
        T.ufm_minimizer(4, 2, 5, lam_W=1.0, lam_H=0.0)
    with pytest.raises(ValueError, match=r"lam_W must be in \(0, inf\)"):
        T.ufm_constants(lam_W=-1.0, lam_H=0.1)
    with pytest.raises(ValueError, match="orthonormal"):
        T.ufm_minimizer(2, 2, 3, lam_W=1.0, lam_H=0.1, R=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"beta must be in \(0, inf\)"):
        T.perturbed_ufm_minimizer(np.ones((3, 4)), np.array([0, 0, 1, 1]), lam_W=1.0,
                                  lam_H=0.1, beta=0.0)


# --------------------------------------------------------------------------- derivatives


def _jax_f(K, n, d, labels, lam_W, lam_H, beta, H0):
    Y = jnp.asarray(T.one_hot(labels, K))
    H0 = jnp.asarray(H0)
    N = K * n

    def f(x):  # x = (vec W, vec H), column stacking
        W = x[: d * K].reshape(d, K).T
        H = x[d * K:].reshape(N, d).T
        return (jnp.sum((W @ H - Y) ** 2) / (2 * N) + lam_W * jnp.sum(W**2) / (2 * K)
                + lam_H * jnp.sum(H**2) / (2 * N) + beta * jnp.sum((H - H0) ** 2) / (2 * N))

    return f


def test_joint_hessian_and_gradient_match_jax_autodiff():
    rng = np.random.default_rng(1)
    K, n, d, lam_W, lam_H, beta = 3, 2, 4, 0.4, 0.2, 3.0
    labels = T.class_major_labels(K, n)
    W, H, H0 = rng.normal(size=(K, d)), rng.normal(size=(d, K * n)), rng.normal(size=(d, K * n))
    with nets.float64():
        f = _jax_f(K, n, d, labels, lam_W, lam_H, beta, H0)
        x = jnp.concatenate([jnp.asarray(T.vec(W)), jnp.asarray(T.vec(H))])
        hess = np.asarray(jax.jit(jax.hessian(f))(x)) * K * n
        assert float(f(x)) == pytest.approx(
            T.ufm_objective(W, H, labels, lam_W=lam_W, lam_H=lam_H, beta=beta, H0=H0), rel=1e-13)
    J = T.joint_hessian(W, H, labels, lam_W=lam_W, lam_H=lam_H, beta=beta)
    m = d * K
    assert_allclose(J.WW, hess[:m, :m], atol=1e-12)
    assert_allclose(J.HH, hess[m:, m:], atol=1e-12)
    assert_allclose(J.HW, hess[m:, :m], atol=1e-12)


def test_central_path_velocity_is_minus_kn_times_the_reduced_gradient():
    """Envelope theorem (Sec. 3): checked against central finite differences of L."""
    rng = np.random.default_rng(2)
    K, n, d, lam_W, lam_H = 3, 2, 4, 0.3, 0.2
    labels = T.class_major_labels(K, n)
    H = rng.normal(size=(d, K * n))
    v = T.central_path_velocity(H, labels, lam_W=lam_W, lam_H=lam_H)
    fd = np.zeros_like(H)
    h = 1e-5
    for idx in np.ndindex(H.shape):
        e = np.zeros_like(H)
        e[idx] = h
        fd[idx] = (T.reduced_loss(H + e, labels, lam_W=lam_W, lam_H=lam_H)
                   - T.reduced_loss(H - e, labels, lam_W=lam_W, lam_H=lam_H)) / (2 * h)
    assert_allclose(v, -K * n * fd, atol=1e-8)


def test_reduced_hessian_is_the_hessian_of_the_reduced_loss():
    """A = Kn grad^2 L when W = W*(H) (note R5): compare with differences of the velocity."""
    rng = np.random.default_rng(4)
    K, n, d, lam_W, lam_H = 3, 2, 3, 0.5, 0.1
    labels = T.class_major_labels(K, n)
    H = rng.normal(size=(d, K * n))
    W = T.ridge_classifier(H, labels, lam_W=lam_W)
    A = T.reduced_hessian(W, H, labels, lam_W=lam_W, lam_H=lam_H)
    h = 1e-6
    cols = []
    for i in range(H.size):
        e = T.unvec(np.eye(H.size)[i], d) * h
        vp = T.central_path_velocity(H + e, labels, lam_W=lam_W, lam_H=lam_H)
        vm = T.central_path_velocity(H - e, labels, lam_W=lam_W, lam_H=lam_H)
        cols.append(-T.vec(vp - vm) / (2 * h))
    assert_allclose(A, np.array(cols).T, atol=1e-7)


# --------------------------------------------------------------------------- Thm 4.1 / Eq. 5


def _eps_errors(F, H0, labels, lam_W, lam_H, beta, E, eps_list):
    base = T.perturbed_ufm_minimizer(H0, labels, lam_W=lam_W, lam_H=lam_H, beta=beta)
    errs = []
    for eps in eps_list:
        m = T.perturbed_ufm_minimizer(H0 + eps * E, labels, lam_W=lam_W, lam_H=lam_H, beta=beta)
        errs.append(np.linalg.norm(T.vec(m.H - base.H) - F @ T.vec(eps * E)))
    return np.array(errs)


def test_first_order_map_has_second_order_error_and_a_wrong_map_does_not():
    """Thm 4.1 at a non-collapsed H0: err(eps)/err(eps/10) ~ 100. A map off by 1 % (or the
    Eq. 5 map at beta = 3) leaves an O(eps) error, ratio ~ 10."""
    rng = np.random.default_rng(5)
    K, n, d, lam_W, lam_H, beta = 3, 3, 4, 0.4, 0.2, 3.0
    labels = T.class_major_labels(K, n)
    H0 = rng.normal(size=(d, K * n))
    E = rng.normal(size=H0.shape)
    E /= np.linalg.norm(E)
    base = T.perturbed_ufm_minimizer(H0, labels, lam_W=lam_W, lam_H=lam_H, beta=beta)
    F = T.first_order_map(base.W, base.H, labels, lam_W=lam_W, lam_H=lam_H, beta=beta)
    eps = [1e-2, 1e-3]
    good = _eps_errors(F, H0, labels, lam_W, lam_H, beta, E, eps)
    assert 80 <= good[0] / good[1] <= 120
    bad = _eps_errors(1.01 * F, H0, labels, lam_W, lam_H, beta, E, eps)
    assert 8 <= bad[0] / bad[1] <= 12
    F5 = T.first_order_map(base.W, base.H, labels, lam_W=lam_W, lam_H=lam_H, beta=beta,
                           form="eq5")
    bad5 = _eps_errors(F5, H0, labels, lam_W, lam_H, beta, E, eps)
    assert bad5[0] / bad5[1] < 12


def test_schur_minus_eq5_identity():
    """F_schur - F_eq5 = (A/beta)^2 (I + A/beta)^-1 (note R5) at a random non-collapsed point."""
    rng = np.random.default_rng(6)
    K, n, d, lam_W, lam_H, beta = 2, 3, 3, 0.5, 0.3, 7.0
    labels = T.class_major_labels(K, n)
    m = T.perturbed_ufm_minimizer(rng.normal(size=(d, K * n)), labels, lam_W=lam_W,
                                  lam_H=lam_H, beta=beta)
    kw = dict(lam_W=lam_W, lam_H=lam_H, beta=beta)
    A = T.reduced_hessian(m.W, m.H, labels, lam_W=lam_W, lam_H=lam_H)
    Fs = T.first_order_map(m.W, m.H, labels, **kw)
    F5 = T.first_order_map(m.W, m.H, labels, form="eq5", **kw)
    B = A / beta
    assert_allclose(Fs - F5, B @ B @ np.linalg.inv(np.eye(len(A)) + B), atol=1e-13)


@pytest.mark.parametrize("K, n, d, lam_W, lam_H, beta", [
    (4, 10, 10, SQ2, 0.1, 100.0), (3, 4, 5, 0.5, 0.1, 1.0), (2, 3, 4, 2.0, 0.3, 5.0),
    (4, 2, 6, 0.5, 0.5, 50.0), (3, 1, 4, 1.0, 0.2, 10.0)])
@pytest.mark.parametrize("form", ["schur", "eq5"])
def test_collapsed_spectrum_matches_the_blocks_of_F(K, n, d, lam_W, lam_H, beta, form):
    """Thm 4.2 and the full step spectrum (note R6), against eigenvalues of the blocks of F
    built from the joint Hessian at the closed-form H*."""
    labels, W, H = _collapsed(K, n, d, lam_W, lam_H)
    F = T.first_order_map(W, H, labels, lam_W=lam_W, lam_H=lam_H, beta=beta, form=form)
    B = T.blocks(F, K, n, d)
    spec = T.collapsed_spectrum(K, n, d, lam_W=lam_W, lam_H=lam_H, beta=beta, form=form)
    predicted = np.sort(np.repeat(spec.values, spec.multiplicities))
    assert_allclose(np.linalg.eigvalsh(0.5 * (B[0, 0] + B[0, 0].T)), predicted, atol=1e-12)
    assert_allclose(B[0, 0], B[0, 0].T, atol=1e-13)
    sv = np.linalg.svd(B[0, 1], compute_uv=False)
    assert sv[0] == pytest.approx(spec.inter, rel=1e-10)
    assert sv[1] < 1e-12


def test_theorem_4_2_first_order_values():
    """sigma_min(F_kk) = 1 - s/beta, sigma(F_kk~) = 2 lam_H (1 - c)/beta (Eq. 5 form)."""
    lam_W, lam_H, beta = SQ2, 0.1, 100.0
    spec = T.collapsed_spectrum(4, 10, 10, lam_W=lam_W, lam_H=lam_H, beta=beta, form="eq5")
    c = np.sqrt(lam_W * lam_H)
    assert spec.values.max() == 1.0
    assert spec.values.min() == pytest.approx(1 - np.sqrt(lam_H / lam_W) / beta, abs=1e-15)
    assert spec.inter == pytest.approx(2 * lam_H * (1 - c) / beta, rel=1e-13)
    assert T.eq5_error_norm(lam_W=0.5, lam_H=0.5, beta=100.0) == pytest.approx(9.90099e-5,
                                                                               rel=1e-5)


def test_collapsed_point_is_a_fixed_point_of_eq2():
    """Cor. 2.2: H0 = H* gives back (W*, H*) (reduced solver; the claim uses joint starts)."""
    labels, W, H = _collapsed(3, 4, 5, 0.5, 0.1)
    m = T.perturbed_ufm_minimizer(H, labels, lam_W=0.5, lam_H=0.1, beta=0.3,
                                  H_init=H + 0.1 * np.random.default_rng(0).normal(size=H.shape))
    assert np.abs(m.H - H).max() < 1e-10 and np.abs(m.W - W).max() < 1e-10


# --------------------------------------------------------------------------- central path


def _violations(p, rel=1e-9):
    gate = p.tr_sw[:-1] > 1e-7 * p.tr_sw[0]
    x, w, b = p.nc1_tilde, p.tr_sw_scaled, p.tr_sb_scaled
    return (int(np.sum(gate & (np.diff(x) > rel * np.abs(x[:-1]))))
            + int(np.sum(gate & (np.diff(w) > rel * np.abs(w[:-1]))))
            + int(np.sum(gate & (np.diff(b) < -rel * np.abs(b[:-1])))))


@pytest.mark.parametrize("K, n, d, lam_W, lam_H", [(3, 3, 4, 0.3, 0.2), (4, 2, 3, 1.0, 0.0),
                                                     (2, 4, 5, 0.05, 2.0)])
def test_theorem_3_1_monotonicity_and_its_reversal(K, n, d, lam_W, lam_H):
    rng = np.random.default_rng(K + n + d)
    labels = T.class_major_labels(K, n)
    H0 = rng.normal(size=(d, K * n))
    t = np.linspace(0, min(10.0, 5 / lam_H) if lam_H else 10.0, 300)
    p = T.central_path_flow(H0, labels, lam_W=lam_W, lam_H=lam_H, t_eval=t)
    assert _violations(p) == 0
    assert p.nc1_tilde[-1] < p.nc1_tilde[0]
    back = T.central_path_flow(H0, labels, lam_W=lam_W, lam_H=lam_H, t_eval=t[:30] / 10,
                               direction=-1.0)
    assert _violations(back) > 0  # the reversed flow raises NC1~: the check can fail


def test_flow_derivatives_match_the_integrated_flow():
    rng = np.random.default_rng(7)
    K, n, d, lam_W, lam_H = 3, 4, 5, 0.3, 0.2
    labels = T.class_major_labels(K, n)
    H0 = rng.normal(size=(d, K * n))
    h = 1e-4
    p = T.central_path_flow(H0, labels, lam_W=lam_W, lam_H=lam_H,
                            t_eval=np.array([0.0, h, 2 * h]))
    der = T.flow_derivatives(H0, labels, lam_W=lam_W, lam_H=lam_H)
    for key, series in [("tr_sw", p.tr_sw), ("tr_sb", p.tr_sb), ("nc1_tilde", p.nc1_tilde)]:
        fd = (-3 * series[0] + 4 * series[1] - series[2]) / (2 * h)  # O(h^2)
        assert der[key] == pytest.approx(fd, rel=1e-6, abs=1e-9)


# --------------------------------------------------------------------------- attenuation


def test_attenuation_factors_match_the_minimiser_and_reject_the_wrong_exponent():
    """R7: NC1 ratio -> (beta/(beta+s))^2, NC2 ratio -> gamma; the lam_H factor
    (beta/(beta+lam_H))^2, which governs the complement of span(R), is 4 % off here."""
    K, n, d, lam_W, lam_H, beta = 4, 3, 7, 0.5, 0.1, 1.0
    labels, W, H = _collapsed(K, n, d, lam_W, lam_H)
    E = np.random.default_rng(8).normal(size=H.shape)
    H0 = H + 1e-4 * E / np.linalg.norm(E)
    m = T.perturbed_ufm_minimizer(H0, labels, lam_W=lam_W, lam_H=lam_H, beta=beta)
    r1 = T.nc1(m.H, labels) / T.nc1(H0, labels)
    r2 = T.nc2(T.class_means(m.H, labels)) / T.nc2(T.class_means(H0, labels))
    a = T.attenuation_factors(lam_W=lam_W, lam_H=lam_H, beta=beta)
    assert r1 == pytest.approx(a["nc1"], rel=1e-3)
    assert r2 == pytest.approx(a["nc2"], rel=1e-3)
    assert abs(r1 / a["within_out_of_span"] ** 2 - 1) > 0.1


def test_attenuation_factors_hyperparameter_dependence():
    """R8: NC1 attenuation weakens as lam_W grows; NC2 attenuation is strongest at c = 2/3."""
    kw = dict(beta=10.0)
    assert (T.attenuation_factors(lam_W=0.5, lam_H=0.1, **kw)["nc1"]
            < T.attenuation_factors(lam_W=1.0, lam_H=0.1, **kw)["nc1"])
    lam_W = 1.0
    grid = np.linspace(0.01, 0.99, 981)
    g = [T.attenuation_factors(lam_W=lam_W, lam_H=lh, **kw)["nc2"] for lh in grid]
    assert np.sqrt(grid[int(np.argmin(g))] * lam_W) == pytest.approx(2 / 3, abs=2e-3)


def test_wrong_lam_W_normalisation_is_rejected_by_the_closed_form_check():
    """With the penalty lam_W/2 ||W||^2 instead of lam_W/(2K) (note Sec. 7), lam_W acts as
    K lam_W: the closed form at K lam_W misses the true minimiser by far more than 1e-8."""
    K, n, d, lam_W, lam_H = 4, 5, 10, 0.1, 0.1
    m = T.numerical_ufm_minimizer(K, n, d, lam_W=lam_W, lam_H=lam_H, seed=0)
    rho_num = np.mean(np.sum(T.class_means(m.H, T.class_major_labels(K, n)) ** 2, axis=0))
    assert rho_num == pytest.approx(T.ufm_constants(lam_W=lam_W, lam_H=lam_H).rho, rel=1e-10)
    assert abs(rho_num - T.ufm_constants(lam_W=K * lam_W, lam_H=lam_H).rho) > 0.1


@pytest.mark.parametrize("c, distinct", [(0.5, 3), (0.75, 4), (0.3, 5), (0.6, 5)])
def test_step_values_merge_at_c_one_half_and_three_quarters(c, distinct):
    """Errata 1: the five step values of F_kk (Eq. 5) merge pairwise at c = 1/2 and c = 3/4."""
    lam_W = SQ2
    lam_H = c**2 / lam_W
    labels, W, H = _collapsed(4, 3, 6, lam_W, lam_H)
    F = T.first_order_map(W, H, labels, lam_W=lam_W, lam_H=lam_H, beta=100.0, form="eq5")
    sv = np.linalg.svd(T.blocks(F, 4, 3, 6)[0, 0], compute_uv=False)
    assert len(np.unique(np.round(sv, 11))) == distinct
