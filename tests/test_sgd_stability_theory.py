"""Dynamical stability of SGD (Wu & Su 2023): exact thresholds against brute force, bounds,
closed forms, the loss convention and the trace identities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from theory import sgd_stability as S

# ------------------------------------------------------------------ brute force (independent)


def _batches(n, B, replacement):
    """Every batch with its probability: ordered i.i.d. B-tuples, or B-subsets."""
    if replacement:
        return list(itertools.product(range(n), repeat=B))
    return list(itertools.combinations(range(n), B))


def _batch_maps(g, eta, B, replacement, loss_scale=0.5):
    """The linearised SGD maps delta <- (I - eta H_b) delta for every batch, built from the
    gradient of the loss loss_scale * (f - y)^2 of a linear model f = g . theta (exact)."""
    n, p = g.shape
    maps = []
    for b in _batches(n, B, replacement):
        Hb = sum(2 * loss_scale * np.outer(g[i], g[i]) for i in b) / B
        maps.append(np.eye(p) - eta * Hb)
    return np.array(maps)


def _rho_dense(g, eta, B, replacement, loss_scale=0.5):
    """Spectral radius of the enumerated second-moment map E[M (x) M] (p^2 x p^2)."""
    M = _batch_maps(g, eta, B, replacement, loss_scale)
    T = np.mean(np.einsum("bij,bkl->bikjl", M, M), axis=0).reshape(g.shape[1] ** 2, -1)
    return float(np.max(np.abs(np.linalg.eigvals(T))))


def _rho_iterated(g, eta, B, replacement, steps=600):
    """Growth rate of the brute-force second-moment iteration S <- mean_b M_b S M_b^T from
    S = I (normalised power iteration, Rayleigh quotient at the end)."""
    M = _batch_maps(g, eta, B, replacement)
    Sm = np.eye(g.shape[1])
    for _ in range(steps):
        Sm = np.mean(M @ Sm @ M.transpose(0, 2, 1), axis=0)
        Sm /= np.linalg.norm(Sm)
    TS = np.mean(M @ Sm @ M.transpose(0, 2, 1), axis=0)
    return float(np.sum(Sm * TS) / np.sum(Sm * Sm))


def _brute_threshold(g, B, replacement, rho=_rho_dense, **kw):
    """eta where the brute-force second moment stops contracting (bracketed root)."""
    hi = 4.0 / np.max(np.sum(g * g, axis=1)) * max(B, 1) * 4
    return scipy.optimize.brentq(lambda e: rho(g, e, B, replacement, **kw) - 1.0,
                                 1e-6, hi, xtol=1e-15, rtol=1e-14)


def _full_rank_grads(seed, n=6, p=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=(n, 1))


CASES = [(B, rep) for B in (1, 2, 3) for rep in (True, False)]


@pytest.mark.parametrize("B, replacement", CASES)
def test_exact_threshold_equals_brute_force_second_moment_to_1e8(B, replacement):
    """Exact eta*_MS vs the threshold of the batch-enumerated second-moment map (n = 6, p = 4,
    H full rank, so rho = 1 exactly at the threshold): agreement to 1e-8 relative."""
    for seed in range(3):
        g = _full_rank_grads(seed)
        ours = S.sgd_ms_threshold(g, batch_size=B, replacement=replacement)
        brute = _brute_threshold(g, B, replacement)
        assert_allclose(ours, brute, rtol=1e-8)


@pytest.mark.parametrize("B, replacement", [(1, True), (2, True), (2, False), (3, False)])
def test_exact_threshold_equals_iterated_second_moment_recursion(B, replacement):
    """Same, with the spectral radius read off the iterated recursion S <- E[M S M^T]
    (600 normalised steps; the Rayleigh quotient error is (lambda_2/lambda_1)^1200)."""
    g = _full_rank_grads(11)
    ours = S.sgd_ms_threshold(g, batch_size=B, replacement=replacement)
    assert_allclose(_brute_threshold(g, B, replacement, rho=_rho_iterated), ours, rtol=1e-8)


def test_wrong_sampling_scheme_is_rejected_by_brute_force():
    """A wrong q (with-replacement formula for without-replacement batches) is off by far more
    than the 1e-8 agreement above, so the brute-force check can tell the schemes apart."""
    g = _full_rank_grads(3)
    brute = _brute_threshold(g, 2, False)
    wrong = S.sgd_ms_threshold(g, batch_size=2, replacement=True)
    assert abs(wrong / brute - 1) > 1e-2


def test_second_moment_step_matches_batch_enumeration():
    g = _full_rank_grads(5, n=5, p=3)
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 3))
    S0 = A @ A.T
    for B, rep in CASES:
        M = _batch_maps(g, 0.17, B, rep)
        want = np.mean(M @ S0 @ M.transpose(0, 2, 1), axis=0)
        got = S.second_moment_step(S0, g, 0.17, batch_size=B, replacement=rep)
        assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_rank_deficient_threshold_is_computed_on_the_range():
    """p > n: the ambient map has rho = 1 for every eta (null space never moves); the
    threshold equals the brute-force one of the gradients in an orthonormal basis of their
    span."""
    rng = np.random.default_rng(7)
    g = rng.normal(size=(4, 9))
    Q, _ = np.linalg.qr(g.T)  # (9, 4) orthonormal basis of span{g_i}
    for B, rep in [(1, True), (2, False)]:
        assert_allclose(S.sgd_ms_threshold(g, batch_size=B, replacement=rep),
                        _brute_threshold(g @ Q, B, rep), rtol=1e-8)


def test_dense_and_matrix_free_agree():
    rng = np.random.default_rng(1)
    g = rng.normal(size=(12, 30)) * rng.uniform(0.3, 3, size=(12, 1))
    for B, rep in [(1, True), (4, True), (4, False)]:
        d = S.sgd_ms_threshold(g, batch_size=B, replacement=rep, method="dense")
        m = S.sgd_ms_threshold(g, batch_size=B, replacement=rep, method="matrix_free")
        assert_allclose(m, d, rtol=1e-10)


def test_rho_straddles_one_at_the_threshold():
    g = _full_rank_grads(2)
    eta = S.sgd_ms_threshold(g)
    assert _rho_dense(g, eta * (1 - 1e-3), 1, True) < 1 < _rho_dense(g, eta * (1 + 1e-3), 1, True)


# ------------------------------------------------------------------ GD


def test_gd_threshold_decay_and_growth():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(10, 10))
    H = A.T @ A / 10
    eta = S.gd_threshold(H)
    assert_allclose(eta, 2 / np.linalg.eigvalsh(H)[-1], rtol=1e-14)
    d = rng.normal(size=10)
    top = np.linalg.eigh(H)[1][:, -1]
    for factor, grows in [(0.999, False), (1.001, True)]:
        M = np.eye(10) - factor * eta * H
        x = np.linalg.matrix_power(M, 20000) @ d
        assert bool(np.linalg.norm(x) > 1e6 * np.linalg.norm(d)) is grows
        # the top mode alone: |1 - 2 factor|^20000 = exp(-+40)
        assert bool(abs(top @ x) < 1e-6 * abs(top @ d)) is not grows


def test_no_replacement_full_batch_is_gd():
    g = _full_rank_grads(4)
    assert_allclose(S.sgd_ms_threshold(g, batch_size=6, replacement=False),
                    S.gd_threshold(g.T @ g / 6), rtol=1e-12)


# ------------------------------------------------------------------ closed forms (note values)


@pytest.mark.parametrize("B, rep, want", [
    (1, True, 2 / 3), (2, True, 1.185185185185), (4, True, 1.939393939394),
    (8, True, 2.844444444444), (2, False, 4 / 3), (4, False, 8 / 3), (8, False, 16 / 3)])
def test_orthonormal_closed_forms(B, rep, want):
    """n = 8 orthonormal gradients, ||g||^2 = 3 (note Sec. 3.2 table; Errata 1)."""
    g = np.sqrt(3.0) * np.linalg.qr(np.random.default_rng(0).normal(size=(12, 8)))[0].T
    assert_allclose(S.sgd_ms_threshold(g, batch_size=B, replacement=rep), want, rtol=1e-8)
    assert_allclose(S.orthonormal_threshold(8, 3.0, batch_size=B, replacement=rep), want,
                    rtol=1e-8)
    assert_allclose(S.gd_threshold(g.T @ g / 8), 16 / 3, rtol=1e-12)


def test_orthonormal_errata_inverse_thresholds():
    """Errata 1: 2/eta* = 3, 1.69, 1.03, 0.70 for B = 1, 2, 4, 8 (with replacement),
    non-increasing in B."""
    inv = [2 / S.orthonormal_threshold(8, 3.0, batch_size=B) for B in (1, 2, 4, 8)]
    assert_allclose(inv, [3, 1.69, 1.03, 0.70], atol=0.006)
    assert np.all(np.diff(inv) < 0)


def test_identical_gradients_sgd_equals_gd():
    g = np.tile(np.array([[1.0, -2.0, 0.5]]), (5, 1))
    assert_allclose(S.sgd_ms_threshold(g), 2 / np.sum(g[0] ** 2), rtol=1e-12)


def test_online_gaussian_closed_form():
    assert_allclose(S.online_gaussian_threshold(5), 2 / 7, rtol=1e-15)
    assert_allclose(S.online_gaussian_threshold(5, batch_size=4), 0.8, rtol=1e-15)
    eta = S.online_gaussian_threshold(7, batch_size=3)
    assert_allclose(S.online_gaussian_factor(eta, 7, batch_size=3), 1.0, rtol=1e-14)


# ------------------------------------------------------------------ bounds


def _random_instance(rng, n=20, p=30):
    return rng.normal(size=(n, p)) * rng.uniform(0.3, 3.0, size=(n, 1))


def test_trace_bound_b1_and_sandwich_on_random_instances():
    """B = 1: 2/max||g||^2 <= eta* <= 2 tr H/mean||g||^4 <= 2/tr H (note Sec. 3.2, check 4)."""
    rng = np.random.default_rng(0)
    for _ in range(30):
        g = _random_instance(rng)
        eta = S.sgd_ms_threshold(g)
        tr = S.sharpness(g)["trace"]
        assert eta * tr / 2 <= 1 + 1e-9
        assert S.ms_threshold_lower_bound(g) <= eta * (1 + 1e-9)
        assert eta <= S.ms_threshold_upper_bound(g) * (1 + 1e-9)
        assert tr <= S.trace_bound(eta) * (1 + 1e-9)


def test_trace_bound_batch_form_holds_and_b1_form_fails_at_b2():
    rng = np.random.default_rng(1)
    for _ in range(10):
        g = _random_instance(rng)
        for B in (2, 4):
            eta = S.sgd_ms_threshold(g, batch_size=B)
            assert S.sharpness(g)["trace"] <= S.trace_bound(eta, batch_size=B) * (1 + 1e-9)
    g = np.sqrt(3.0) * np.eye(8)  # counterexample: tr H = 3 > 2/eta* at B = 2
    eta = S.sgd_ms_threshold(g, batch_size=2)
    assert S.sharpness(g)["trace"] / S.trace_bound(eta) > 1.7  # 3 / (2/1.185) = 1.78


def test_sharper_trace_bound_with_rank():
    """Errata 7: eta tr H <= 2/(q + (1-q)/r) at the threshold, tight for orthonormal g."""
    rng = np.random.default_rng(2)
    for B in (1, 2, 5):
        g = _random_instance(rng, n=12, p=40)
        eta = S.sgd_ms_threshold(g, batch_size=B)
        tr = S.sharpness(g)["trace"]
        assert tr <= S.trace_bound(eta, batch_size=B, rank=12) * (1 + 1e-9)
        go = np.sqrt(2.0) * np.eye(12)
        eo = S.sgd_ms_threshold(go, batch_size=B)
        assert_allclose(S.sharpness(go)["trace"], S.trace_bound(eo, batch_size=B, rank=12),
                        rtol=1e-9)


def test_frobenius_bound_on_random_instances():
    rng = np.random.default_rng(3)
    for B in (1, 2, 4):
        for _ in range(10):
            g = _random_instance(rng)
            eta = S.sgd_ms_threshold(g, batch_size=B)
            sh = S.sharpness(g)
            assert sh["frobenius"] <= S.frobenius_bound(eta, sh["lambda_max"],
                                                        batch_size=B) * (1 + 1e-9)
            assert sh["frobenius"] <= 2 * np.sqrt(B) / eta * (1 + 1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 9), p=st.integers(1, 12),
       c=st.floats(0.1, 10.0))
def test_threshold_properties(seed, n, p, c):
    """Scaling eta*(c g) = eta*(g)/c^2; invariance under rotations of parameter space and
    permutations of samples; eta* non-decreasing in B (Errata 1); below the GD threshold."""
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(n, p))
    eta = S.sgd_ms_threshold(g)
    assert_allclose(S.sgd_ms_threshold(c * g), eta / c ** 2, rtol=1e-8)
    Q = np.linalg.qr(rng.normal(size=(p, p)))[0]
    assert_allclose(S.sgd_ms_threshold(g @ Q), eta, rtol=1e-8)
    assert_allclose(S.sgd_ms_threshold(g[rng.permutation(n)]), eta, rtol=1e-8)
    for rep in (True, False):
        etas = [S.sgd_ms_threshold(g, batch_size=B, replacement=rep) for B in range(1, n + 1)]
        assert np.all(np.diff(etas) >= -1e-9 * np.max(etas))
        assert etas[-1] <= S.gd_threshold(g.T @ g / n) * (1 + 1e-9)


# ------------------------------------------------------------------ loss convention


def test_dropping_the_half_halves_every_threshold():
    """Loss (f - y)^2 instead of 1/2 (f - y)^2: the Hessian doubles, so the brute-force
    threshold of SGD on that loss is half of eta*_MS(g), and equals eta*_MS(sqrt(2) g); every
    bound and closed form shifts by the same factor 2."""
    g = _full_rank_grads(8)
    for B, rep in [(1, True), (2, True), (2, False)]:
        half = S.sgd_ms_threshold(g, batch_size=B, replacement=rep)
        brute_no_half = _brute_threshold(g, B, rep, loss_scale=1.0)
        assert_allclose(brute_no_half, half / 2, rtol=1e-8)
        assert abs(brute_no_half / half - 1) > 0.4  # the 1/2 convention is not a no-op
        assert_allclose(S.sgd_ms_threshold(np.sqrt(2) * g, batch_size=B, replacement=rep),
                        half / 2, rtol=1e-10)
    H = g.T @ g / g.shape[0]
    assert_allclose(S.gd_threshold(2 * H), S.gd_threshold(H) / 2, rtol=1e-12)
    assert_allclose(S.ms_threshold_lower_bound(np.sqrt(2) * g), S.ms_threshold_lower_bound(g) / 2)
    assert_allclose(S.ms_threshold_upper_bound(np.sqrt(2) * g), S.ms_threshold_upper_bound(g) / 2)
    # trace bound: tr(2H) <= 2/eta'  <=>  the admissible eta halves
    tr = S.sharpness(g)["trace"]
    assert_allclose(S.sharpness(np.sqrt(2) * g)["trace"], 2 * tr)
    assert_allclose(S.orthonormal_threshold(8, 6.0), S.orthonormal_threshold(8, 3.0) / 2)


# ------------------------------------------------------------------ trace identities


def test_relu_trace_closed_form_and_bound_chain():
    """tr G from the per-sample gradients equals the closed form; AM-GM <= orbit min <= tr
    (the identity tr(hessian) = tr G at non-minima is the claim sgd_stability.trace_identities,
    checked against jax.hessian)."""
    rng = np.random.default_rng(0)
    n, d, m = 30, 5, 12
    X = rng.normal(size=(n, d))
    a, W = rng.normal(size=m), rng.normal(size=(m, d)) / np.sqrt(d)
    G = S.relu_per_sample_grads(a, W, X)
    assert_allclose(S.sharpness(G)["trace"], S.relu_trace(a, W, X), rtol=1e-12)
    # brute-force per-sample gradient by central differences of f(x_i) = a . relu(W x_i)
    eps, i = 1e-6, 3
    f = lambda a_, W_: np.maximum(W_ @ X[i], 0) @ a_  # noqa: E731
    da = [(f(a + eps * e, W) - f(a - eps * e, W)) / (2 * eps) for e in np.eye(m)]
    assert_allclose(G[i, :m], da, atol=1e-8)
    assert (S.relu_amgm_trace_bound(a, W, X) <= S.relu_orbit_min_trace(a, W, X)
            <= S.relu_trace(a, W, X))


def test_relu_orbit_minimum_is_the_minimum_over_rescalings():
    rng = np.random.default_rng(1)
    n, d, m = 30, 5, 6
    X = rng.normal(size=(n, d))
    a, W = rng.normal(size=m), rng.normal(size=(m, d))
    best = S.relu_orbit_min_trace(a, W, X)
    for _ in range(50):
        c = np.exp(rng.normal(size=m))
        assert S.relu_trace(a / c, W * c[:, None], X) >= best * (1 - 1e-12)
        assert_allclose(S.path_norm(a / c, W * c[:, None]), S.path_norm(a, W), rtol=1e-12)
    Z = np.maximum(X @ W.T, 0)
    A = np.mean(Z ** 2, axis=0)
    Bn = np.mean((Z > 0) * np.sum(X ** 2, axis=1)[:, None], axis=0)
    c = (Bn * a ** 2 / A) ** 0.25  # the per-neuron AM-GM optimum
    assert_allclose(S.relu_trace(a / c, W * c[:, None], X), best, rtol=1e-10)


def test_diag_trace_closed_forms():
    rng = np.random.default_rng(2)
    n, d = 20, 12
    X = rng.normal(size=(n, d))
    a, b = rng.normal(size=d), rng.normal(size=d)
    assert_allclose(S.sharpness(S.diag_per_sample_grads(a, b, X))["trace"],
                    S.diag_trace(a, b, X), rtol=1e-12)
    Xs = X / np.sqrt(np.mean(X ** 2, axis=0))  # standardised: tr = 2 r ||beta||_1
    assert_allclose(S.diag_trace(a, b, Xs),
                    2 * S.unbalancedness(a, b) * np.sum(np.abs(a * b)), rtol=1e-12)
    ab, bb = S.balanced_factorization(a * b)
    assert_allclose(ab * bb, a * b, rtol=1e-12)
    assert_allclose(S.unbalancedness(ab, bb), 1.0, rtol=1e-12)
    assert S.unbalancedness(a, b) >= 1.0
    assert S.diag_trace(ab, bb, X) <= S.diag_trace(a, b, X)  # balanced = orbit minimum
    lam = S.sharpness(S.diag_per_sample_grads(a, b, X))["lambda_max"]
    assert lam >= np.max((a ** 2 + b ** 2) * np.mean(X ** 2, axis=0)) * (1 - 1e-12)


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize("call, match", [
    (lambda: S.sgd_ms_threshold(np.ones(3)), "per_sample_grads"),
    (lambda: S.sgd_ms_threshold(np.zeros((3, 2))), "per_sample_grads"),
    (lambda: S.sgd_ms_threshold(np.array([[np.nan, 1.0]])), "per_sample_grads"),
    (lambda: S.sgd_ms_threshold(np.eye(3), batch_size=0), "batch_size"),
    (lambda: S.sgd_ms_threshold(np.eye(3), batch_size=1.5), "batch_size"),
    (lambda: S.sgd_ms_threshold(np.eye(3), batch_size=4, replacement=False), "batch_size"),
    (lambda: S.sgd_ms_threshold(np.eye(3), replacement="yes"), "replacement"),
    (lambda: S.sgd_ms_threshold(np.eye(3), method="lanczos"), "method"),
    (lambda: S.gd_threshold(np.array([[1.0, 2.0], [0.0, 1.0]])), "H"),
    (lambda: S.gd_threshold(-np.eye(2)), "H"),
    (lambda: S.gd_threshold(np.ones(3)), "H"),
    (lambda: S.trace_bound(0.0), "eta"),
    (lambda: S.trace_bound(0.1, batch_size=2, replacement=False), "n"),
    (lambda: S.frobenius_bound(0.1, -1.0), "lambda_max"),
    (lambda: S.online_gaussian_threshold(0), "d"),
    (lambda: S.orthonormal_threshold(8, -1.0), "s"),
    (lambda: S.relu_trace(np.ones(2), np.ones((3, 2)), np.ones((4, 2))), "shapes"),
    (lambda: S.unbalancedness(np.zeros(2), np.ones(2)), "nonzero"),
])
def test_invalid_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
