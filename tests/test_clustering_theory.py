"""Theory checks for the iLA-SDP module (papers/ila_sdp.md sections 2-3, 6 and 8)."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from threadpoolctl import threadpool_limits

from theory import clustering as C


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1):   # note pitfall 1: eigh is ~100x slower oversubscribed
        yield


def _iso(n, p, K, ratio, seed):
    d2 = ratio * C.chen_yang_threshold(n, p, K)
    return C.gaussian_mixture(C.simplex_centres(K, p, d2), np.eye(p), [n // K] * K, seed)


# --------------------------------------------------------------------------- metric, Z


def _brute_error(t, q):
    kt, kq = int(t.max()) + 1, int(q.max()) + 1
    best = 0
    for perm in itertools.permutations(range(max(kt, kq)), kq):
        best = max(best, int(np.sum(np.array(perm)[q] == t)))
    return 1 - best / t.size


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), min_size=1, max_size=30))
def test_misclustering_error_equals_brute_force(pairs):
    t = np.array([a for a, _ in pairs])
    q = np.array([b for _, b in pairs])
    assert math.isclose(C.misclustering_error(t, q), _brute_error(t, q), abs_tol=1e-12)


def test_misclustering_error_permutation_invariant_and_known_value():
    t = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    assert C.misclustering_error(t, (t + 1) % 3) == 0.0
    q = t.copy()
    q[[0, 5]] = 2
    assert math.isclose(C.misclustering_error(t, q), 0.2)
    with pytest.raises(ValueError, match="pred"):
        C.misclustering_error(t, t[:-1])


def test_membership_matrix_is_projector():
    lab = np.array([0, 1, 1, 2, 0, 2, 2, 1, 0, 0])
    Z = C.membership_matrix(lab)
    w = np.linalg.eigvalsh(Z)
    assert_allclose(np.sort(w)[-3:], 1.0, atol=1e-12)
    assert_allclose(np.sort(w)[:-3], 0.0, atol=1e-12)
    assert_allclose(Z @ Z, Z, atol=1e-12)
    assert_allclose(Z.sum(1), 1.0, atol=1e-12)
    assert_allclose(C.group_membership_matrices(lab).sum(0), Z, atol=1e-15)


# --------------------------------------------------------------------------- threshold


def test_chen_yang_threshold_table_and_limits():
    # note section 2.3 table (computed there from the formula, 4 decimals)
    for (n, p, K), v in {(60, 5, 3): 33.2473, (90, 2, 3): 36.1313, (200, 5, 4): 42.5856,
                         (100, 400, 2): 48.8966, (1000, 10, 5): 55.3619}.items():
        assert abs(C.chen_yang_threshold(n, p, K) - v) < 1e-4
    # low-dimensional limit 8 log n, high-dimensional 4 sqrt(K p log n / n)
    n = 10**6
    assert math.isclose(C.chen_yang_threshold(n, 1, 2), 8 * math.log(n), rel_tol=1e-6)
    big = C.chen_yang_threshold(100, 10**12, 2)   # next term is relative O(sqrt(n log n/Kp))
    assert math.isclose(big, 4 * math.sqrt(2 * 1e12 * math.log(100) / 100), rel_tol=1e-4)
    assert math.isclose(C.chen_yang_threshold(60, 5, 3, sigma=2.0),
                        4 * C.chen_yang_threshold(60, 5, 3))
    with pytest.raises(ValueError, match="sigma"):
        C.chen_yang_threshold(60, 5, 3, sigma=0.0)
    with pytest.raises(ValueError, match="n must"):
        C.chen_yang_threshold(1, 5, 3)


# --------------------------------------------------------------------------- SDP-KM solvers


def test_bm_certified_matches_cvxpy_and_is_exact():
    X, lab = _iso(60, 5, 3, 2.0, 0)
    res = C.kmeans_sdp_bm(X, 3)
    assert res.certified
    assert C.misclustering_error(lab, res.labels) == 0.0
    assert abs(res.gap) < 1e-12
    Z, val = C.kmeans_sdp_cvxpy(X, 3, eps=1e-8)
    # SCS at eps 1e-8 is accurate to ~1e-7 relative here
    assert abs(val - res.objective) <= 1e-6 * abs(res.objective)
    assert np.max(np.abs(Z - C.membership_matrix(lab))) < 1e-3
    w = np.linalg.eigvalsh(Z)       # exactness structure: 1 (x K), 0 (x n - K)
    assert_allclose(w[-3:], 1.0, atol=1e-4)
    assert_allclose(w[:-3], 0.0, atol=1e-4)


def test_certificate_rejects_wrong_partition_and_dual_is_valid_bound():
    X, lab = _iso(60, 5, 3, 2.0, 1)
    good = C.kmeans_sdp_certificate(X, lab)
    assert good["certified"] and good["eig_margin"] > 0 and good["min_B"] >= 0
    bad = lab.copy()
    bad[[0, 25]] = bad[[25, 0]]
    assert not C.kmeans_sdp_certificate(X, bad)["certified"]
    # weak duality: any partition's <A, Z_G> is below the certified optimum
    assert C.kmeans_sdp_certificate(X, bad)["primal"] < good["dual"]


def test_admm_matches_cvxpy_below_threshold_with_valid_dual_bound():
    X, _ = _iso(30, 5, 3, 0.5, 2)
    res = C.kmeans_sdp_admm(X, 3, tol=1e-7)
    _, val = C.kmeans_sdp_cvxpy(X, 3, eps=1e-8)
    assert abs(res.objective - val) <= 1e-5 * abs(val)
    # dual bound: >= the optimum (valid for any multiplier) and tight to the ADMM accuracy
    assert res.dual_bound >= val * (1 - 1e-6)
    assert res.gap < 1e-2


def test_bm_below_threshold_reports_no_certificate_but_valid_bound():
    X, _ = _iso(45, 5, 3, 0.4, 3)
    res = C.kmeans_sdp_bm(X, 3)
    assert not res.certified
    _, val = C.kmeans_sdp_cvxpy(X, 3, eps=1e-8)
    assert res.objective <= val * (1 + 1e-4)   # feasible to the residual 1e-5
    assert res.dual_bound >= val * (1 - 1e-8)


def test_proj_affine_is_the_orthogonal_projection():
    rng = np.random.default_rng(0)
    V = rng.standard_normal((3, 8, 8))
    V = V + V.transpose(0, 2, 1)
    P = C.proj_affine(V, [1.0, 1.0, 1.0])
    assert_allclose(np.einsum("kii->k", P), 1.0, atol=1e-13)
    assert_allclose(P.sum(axis=(0, 2)), 1.0, atol=1e-13)
    # any other point Y of the affine set: <V - P, Y - P> = 0
    Y = C.group_membership_matrices(np.array([0, 0, 1, 1, 1, 2, 2, 2]))
    assert abs(np.sum((V - P) * (Y - P))) < 1e-12


# --------------------------------------------------------------------------- LA-SDP


def _het(seed, n=30, p=4, K=3):
    rng = np.random.default_rng(seed)
    covs = []
    for _ in range(K):
        G = rng.standard_normal((p, p))
        covs.append(G @ G.T / p + 0.5 * np.eye(p))
    means = 3 * rng.standard_normal((K, p))
    X, lab = C.gaussian_mixture(means, np.array(covs), [n // K] * K, rng)
    return X, lab, np.array(covs), means


def test_la_sdp_identity_against_scipy_loglik():
    from scipy.stats import multivariate_normal

    X, lab, covs, _ = _het(0)
    w = np.array([0.2, 0.3, 0.5])
    Ck = C.la_sdp_costs(X, covs, w)
    Zk = C.group_membership_matrices(lab)
    lhs = float(np.sum(Ck * Zk))
    ll = 0.0
    for k in range(3):
        Xk = X[lab == k]
        ll += multivariate_normal(Xk.mean(0), covs[k]).logpdf(Xk).sum() + len(Xk) * np.log(w[k])
    n, p = X.shape
    assert_allclose(lhs, -2 * ll - n * p * np.log(2 * np.pi), rtol=1e-10)
    assert_allclose(C.profile_neg2_loglik(X, lab, covs, w), lhs, rtol=1e-10)


def test_lifted_params_and_objective():
    X, lab, covs, _ = _het(1)
    Zk = C.group_membership_matrices(lab)
    S, pi = C.lifted_params(X, Zk)
    for k in range(3):
        assert_allclose(S[k], np.cov(X[lab == k].T, bias=True), atol=1e-12)
    assert_allclose(pi, np.bincount(lab) / len(lab), atol=1e-15)
    # F(Z, Sigma, pi) = sum_k <C_k, Z_k> for a non-integral symmetric Z as well
    rng = np.random.default_rng(0)
    R = rng.random(Zk.shape)
    R = R + R.transpose(0, 2, 1)
    assert_allclose(C.lifted_objective(X, R, covs, pi),
                    np.sum(C.la_sdp_costs(X, covs, pi) * R), rtol=1e-10)
    # the Sigma-step minimises F: random SPD perturbations never decrease it
    F0 = C.lifted_objective(X, Zk, S, pi)
    for _ in range(20):
        G = rng.standard_normal((3, 4, 4)) * 0.05
        S2 = np.array([s + g @ g.T for s, g in zip(S, G)])
        assert C.lifted_objective(X, Zk, S2, pi) >= F0 - 1e-9


def test_la_sdp_admm_matches_cvxpy():
    X, lab, covs, _ = _het(2, n=20, p=3, K=2)
    Ck = C.la_sdp_costs(X, covs * 4.0, [0.5, 0.5])     # inflated covariances: non-integral
    Z, val, info = C.la_sdp_admm(Ck, tol=1e-7)
    Zc, valc = C.la_sdp_cvxpy(Ck, eps=1e-8)
    assert abs(val - valc) <= 1e-5 * abs(valc)
    assert np.max(np.abs(Z - Zc)) < 1e-3


def test_homogeneous_reduction_to_peng_wei():
    X, _ = _iso(24, 5, 3, 0.4, 4)
    X = X - X.mean(0)
    Ck = C.la_sdp_costs(X, np.array([np.eye(5)] * 3), None)
    Z, val, _ = C.la_sdp_admm(Ck, tol=1e-8)
    Zpw, vpw = C.kmeans_sdp_cvxpy(X, 3, eps=1e-9)
    n = X.shape[0]
    # Errata 1: the optimum is tr A - <A, Z_PW> + n (log|Sigma| + 2 log K)
    assert_allclose(val, np.sum(X**2) - vpw + 2 * n * np.log(3), rtol=1e-5)
    assert np.max(np.abs(Z.sum(0) - Zpw)) < 1e-4


# --------------------------------------------------------------------------- iLA-SDP, EM


def test_ila_sdp_monotone_and_oracle_fixed_point():
    means = np.array([[0.0, 0.0], [7.0, 0.0]])
    covs = np.array([np.diag([0.1, 4.0]), np.diag([4.0, 0.1])])
    X, lab = C.gaussian_mixture(means, covs, [20, 20], 5)
    res = C.ila_sdp(X, 2)
    F = res.objective_history
    assert np.all(np.diff(F) <= 1e-5 * np.abs(F[1:]))
    assert C.misclustering_error(lab, res.labels) == 0.0
    # fixed point = oracle per-cluster MLE (up to the ridge 1e-3 x mean variance)
    S0 = np.cov(X[lab == 0].T, bias=True)
    k = res.labels[lab == 0][0]
    assert_allclose(res.covs[k], S0, atol=2e-3 * np.mean(np.var(X, 0)))


def test_em_forgy_recovers_separated_and_is_vectorised():
    X, lab = _iso(60, 2, 2, 3.0, 6)
    labels, ll, *_ = C.em_gmm(X, 2, n_init=5)
    assert labels.shape == (5, 60) and ll.shape == (5,)
    best = labels[np.argmax(ll)]
    assert C.misclustering_error(lab, best) == 0.0


# --------------------------------------------------------------------------- estimators


ESTIMATORS = [C.SDPKMeans, C.ILASDP, C.GaussianMixtureEM]


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_estimator_errors(cls):
    X, _ = _iso(12, 3, 3, 2.0, 7)
    with pytest.raises(ValueError, match="n_clusters"):
        cls(n_clusters=13).fit(X)
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cls(n_clusters=3).fit(Xn)


def test_sdpkmeans_fit_predict_and_clone():
    from sklearn.base import clone

    X, lab = _iso(60, 5, 3, 2.0, 8)
    est = C.SDPKMeans(3, random_state=0)
    assert clone(est).get_params() == est.get_params()
    assert C.misclustering_error(lab, est.fit_predict(X)) == 0.0
    assert est.certified_ and est.dual_bound_ >= est.objective_ - 1e-9


def test_check_estimator():
    """scikit-learn's estimator checks, all of which apply to these clusterers.

    Budgets are cut (few ADMM / BM iterations) so the suite stays fast: the checks test the
    API contract (cloning, params, input validation, dtype and fit idempotence, n_iter_,
    fit_predict == fit().labels_), and check_clustering's accuracy bar (ARI > 0.4 on
    three blobs) is met even at these budgets.  No check is skipped as inapplicable; the
    array-API check is skipped by scikit-learn itself unless SCIPY_ARRAY_API is set.
    """
    from sklearn.utils.estimator_checks import check_estimator

    for est in (C.SDPKMeans(max_iter=300, random_state=0),
                C.GaussianMixtureEM(random_state=0),
                C.ILASDP(max_iter=1, solver_max_iter=50, random_state=0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = check_estimator(est, on_fail=None)
        failed = [r["check_name"] for r in res if r["status"] == "failed"]
        assert failed == [], (type(est).__name__, failed)


def test_sdpkmeans_solvers_agree():
    X, lab = _iso(30, 5, 3, 2.0, 9)
    objs = []
    for solver in ("bm", "admm", "cvxpy"):
        est = C.SDPKMeans(3, solver=solver, random_state=0).fit(X)
        assert C.misclustering_error(lab, est.labels_) == 0.0
        objs.append(est.objective_)
    assert_allclose(objs, objs[0], rtol=1e-6)
    with pytest.raises(ValueError, match="solver"):
        C.SDPKMeans(3, solver="sdpnal").fit(X)
