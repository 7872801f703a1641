"""Lion-K (Chen et al. 2024): the optimizer, the kernels and the Lyapunov theory."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from sims import nets
from theory import lion as L

# --------------------------------------------------------------------- the optax optimizer


@pytest.mark.parametrize("kernel", ["sign", "l2", "huber", "dead_zone", "nuclear",
                                    "smooth_sign"])
def test_lion_k_through_optax_chain_matches_numpy_reference_step_for_step(kernel):
    """Train a tiny least-squares model with optax.chain(lion_k, ...) + apply_updates and
    compare every iterate with a float64 numpy implementation of the update equations."""
    rng = np.random.default_rng(0)
    A, b = rng.normal(size=(12, 6)), rng.normal(size=12)
    lr, b1, b2, wd, steps = 0.01, 0.9, 0.99, 0.3, 60
    k = L.get_kernel(kernel)
    with nets.float64():
        opt = optax.chain(L.lion_k(lr, b1=b1, b2=b2, weight_decay=wd, kernel=kernel),
                          optax.identity())
        params = {"w": jnp.asarray(rng.normal(size=(3, 2)))}
        state = opt.init(params)
        grad_fn = jax.grad(lambda p: 0.5 * jnp.sum((jnp.asarray(A) @ p["w"].ravel()
                                                    - jnp.asarray(b)) ** 2))
        x = np.array(params["w"])
        mu = np.zeros_like(x)
        for _ in range(steps):
            g = grad_fn(params)
            updates, state = opt.update(g, state, params)
            params = optax.apply_updates(params, updates)
            # reference: x <- x - lr (grad K(b1 mu + (1-b1) g) + wd x); mu <- b2 mu + (1-b2) g
            g_np = (A.T @ (A @ x.ravel() - b)).reshape(x.shape)
            x = x - lr * (k.grad(b1 * mu + (1 - b1) * g_np) + wd * x)
            mu = b2 * mu + (1 - b2) * g_np
            assert_allclose(np.array(params["w"]), x, rtol=0, atol=1e-12)


def test_sign_kernel_equals_optax_lion():
    params = {"a": jnp.array([1.0, 2.0, 3.0]), "b": jnp.ones((2, 2))}
    ours, ref = L.lion_k(3e-3, weight_decay=0.1), optax.lion(3e-3, weight_decay=0.1)
    s1, s2, p1, p2 = ours.init(params), ref.init(params), params, params
    loss = lambda p: jnp.sum(p["a"] ** 2) + jnp.sum(jnp.sin(p["b"]))
    for _ in range(50):
        u1, s1 = ours.update(jax.grad(loss)(p1), s1, p1)
        u2, s2 = ref.update(jax.grad(loss)(p2), s2, p2)
        p1, p2 = optax.apply_updates(p1, u1), optax.apply_updates(p2, u2)
    for key in params:
        np.testing.assert_array_equal(p1[key], p2[key])


def test_optax_docstring_reference_values():
    """optax.lion's docstring example (f = sum x^2, lr 0.003, x0 = (1, 2, 3)): the objective
    printed after each of 5 steps is 14.0, 13.9, 13.9, 13.9, 13.8 (to one decimal)."""
    opt = L.lion_k(0.003, weight_decay=1e-3)  # optax.lion's default decay
    x = jnp.array([1.0, 2.0, 3.0])
    s, fs = opt.init(x), []
    for _ in range(5):
        u, s = opt.update(2 * x, s, x)
        x = optax.apply_updates(x, u)
        fs.append(float(jnp.sum(x**2)))
    assert [f"{f:.1f}" for f in fs] == ["14.0", "13.9", "13.9", "13.9", "13.8"]


@pytest.mark.parametrize("kwargs, match", [
    ({"learning_rate": -1.0}, "learning_rate"),
    ({"learning_rate": 0.1, "weight_decay": -0.1}, "weight_decay"),
    ({"learning_rate": 0.1, "kernel": "bogus"}, "kernel must be one of"),
    ({"learning_rate": 0.1, "b1": 1.5}, "b1 must lie in"),
    ({"learning_rate": 0.1, "b2": -0.1}, "b2 must lie in"),
    ({"learning_rate": 0.1, "b2": 1.0}, "b2 must lie in \\[0, 1\\)"),
    ({"learning_rate": 0.5, "weight_decay": 2.0}, "learning_rate \\* weight_decay must be < 1"),
    ({"learning_rate": 0.1, "kernel": "lp", "p": 2.5}, "p must lie in"),
    ({"learning_rate": 0.1, "kernel": "sign", "p": 1.2}, "kernel 'sign' takes parameters"),
    ({"learning_rate": 0.1, "kernel": "huber", "delta": 0.0}, "delta must be > 0"),
])
def test_bad_input_raises_valueerror_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        L.lion_k(**kwargs)


def test_kernel_parameters_by_name():
    """kernel="lp", p=1.2 reaches the kernel (also through inject_hyperparams under jit)."""
    g = jnp.array([0.3, -1.0, 2.0])
    ours = L.lion_k(0.1, kernel="lp", p=1.2, b1=0.0)
    u, _ = ours.update(g, ours.init(g), g)
    assert_allclose(np.asarray(u), -0.1 * np.asarray(L.lp_kernel(1.2).grad(np.asarray(g))),
                    rtol=1e-6)
    inj = optax.inject_hyperparams(L.lion_k)(0.1, kernel="lp", p=1.2, b1=0.0)
    u2, _ = jax.jit(inj.update)(g, jax.jit(inj.init)(g), g)
    assert_allclose(np.asarray(u2), np.asarray(u), rtol=1e-6)
    assert L.get_kernel("dead_zone", e=0.3).params == (("e", 0.3),)


def test_lion_k_iterates_validates_explicit_decay_and_b2():
    with pytest.raises(ValueError, match="lr \\* weight_decay < 1"):
        L.lion_k_iterates(lambda x: x, [1.0], lr=0.5, steps=2, weight_decay=2.0)
    L.lion_k_iterates(lambda x: x, [1.0], lr=0.5, steps=2, weight_decay=2.0, implicit=True)
    with pytest.raises(ValueError, match="b2"):
        L.lion_k_iterates(lambda x: x, [1.0], lr=0.1, steps=2, b2=1.0)


def test_kernel_parameter_errors():
    with pytest.raises(ValueError, match="p must lie"):
        L.get_kernel("lp", p=3.0)
    with pytest.raises(ValueError, match="delta must be"):
        L.get_kernel("huber", delta=0.0)
    with pytest.raises(ValueError, match="eps \\* gamma <= 1"):
        L.solve_ode(lambda x: x, [1.0], kernel="sign", gamma=2.0, eps=1.0)


# --------------------------------------------------------------------- kernels K and K*

SMOOTH = ["quadratic", "relativistic", "smooth_sign", "huber"]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["sign", "l2", "lp", "quadratic", "huber", "dead_zone", "smooth_sign",
                        "relativistic"]),
       st.integers(0, 2**31 - 1))
def test_fenchel_young_inequality_and_equality(name, seed):
    """K(m) + K*(z) >= m.z for z in dom K*, with equality at z = grad K(m)."""
    k = L.get_kernel(name)
    rng = np.random.default_rng(seed)
    m = rng.normal(size=5) * rng.uniform(0.1, 3)
    z = k.grad(m)
    assert k.in_domain(z)
    assert_allclose(k.K(m) + k.conj(z), m @ z, atol=1e-9 * (1 + abs(m @ z)))
    w = rng.uniform(-1, 1, 5)
    if k.dual_gauge is not None:
        w *= 0.999 / max(k.dual_gauge(w), 1e-12)
    assert k.K(m) + k.conj(w) >= m @ w - 1e-12


@pytest.mark.parametrize("name", SMOOTH)
def test_conj_grad_inverts_grad(name):
    """grad K and grad K* are inverse maps (on the interior of dom K*)."""
    k = L.get_kernel(name, **({"delta": 0.5} if name == "huber" else {}))
    m = np.random.default_rng(1).normal(size=6) * 0.3
    assert_allclose(k.grad(k.conj_grad(k.grad(m))), k.grad(m), atol=1e-10)


def test_conjugates_by_numerical_sup():
    """K*(z) = sup_m (m.z - K(m)) for the non-indicator conjugates (1-D grid check)."""
    grid = np.linspace(-40, 40, 40001)
    for name, z in [("quadratic", 0.7), ("smooth_sign", 0.6), ("relativistic", 0.8),
                    ("huber", 0.4), ("dead_zone", -0.5)]:
        k = L.get_kernel(name)
        sup = max(g * z - k.K(np.array([g])) for g in grid)
        # grid spacing 2e-3: the sup of a 1-Lipschitz-in-m concave function is off by <= 2e-3
        assert_allclose(k.conj(np.array([z])), sup, atol=2e-3)


def test_nuclear_kernel_is_msign():
    X = np.random.default_rng(2).normal(size=(5, 3))
    u, s, vt = np.linalg.svd(X, full_matrices=False)
    assert_allclose(L.get_kernel("nuclear").grad(X), u @ vt, atol=1e-12)
    assert_allclose(np.linalg.svd(L.get_kernel("nuclear").grad(X), compute_uv=False), 1.0)


def test_nuclear_kernel_rule_for_vectors_and_stacks():
    """Vectors are one column (msign(x) = x/||x||); ndim > 2 is a stack over the last two axes
    (numpy, JAX and the cvxpy constraint agree)."""
    k = L.get_kernel("nuclear")
    rng = np.random.default_rng(4)
    v = rng.normal(size=5)
    assert_allclose(k.grad(v), v / np.linalg.norm(v), atol=1e-12)
    T = rng.normal(size=(2, 3, 4, 3))
    G = k.grad(T)
    for i, j in np.ndindex(2, 3):
        u, _, vt = np.linalg.svd(T[i, j], full_matrices=False)
        assert_allclose(G[i, j], u @ vt, atol=1e-12)
    assert_allclose(k.K(T), sum(np.linalg.svd(T[i, j], compute_uv=False).sum()
                                for i, j in np.ndindex(2, 3)))
    assert_allclose(k.dual_gauge(T), max(np.linalg.norm(T[i, j], 2)
                                         for i, j in np.ndindex(2, 3)))
    with nets.float64():
        assert_allclose(np.asarray(k.grad(jnp.asarray(T))), G, atol=1e-6)
    import cvxpy as cp

    X = L.composite_cvxpy(lambda x: cp.sum_squares(x - 3.0), (2, 3, 2), "nuclear", 1.0)
    assert_allclose(np.linalg.norm(X, 2, axis=(-2, -1)), 1.0, atol=1e-6)


def test_lyapunov_functions_accept_lambda_zero():
    """lambda = 0 (no weight decay): H = alpha f + (1 - eps gamma) K(m) (note R1) decreases at
    rate Delta along the ODE (trapezoid of Delta vs H(T) - H(0), O(dt^2)), and the discrete
    certificate with a = eps b1/(1 - b2) holds step by step."""
    rng = np.random.default_rng(5)
    A, b = rng.normal(size=(40, 8)), rng.normal(size=40) * 3
    f = lambda x: 0.5 * np.sum((A @ x - b) ** 2) / 40
    gf = lambda x: A.T @ (A @ x - b) / 40
    kw = dict(alpha=1.0, gamma=0.5, lam=0.0, eps=0.5)
    x, m = np.full(8, 0.3), rng.normal(size=8)
    assert_allclose(L.lyapunov(x, m, f=f, kernel="smooth_sign", **kw),
                    f(x) + 0.75 * L.smooth_sign_kernel().K(m), rtol=1e-14)
    t, xs, ms = L.solve_ode(gf, x, kernel="smooth_sign", t_max=2.0,
                            t_eval=np.linspace(0, 2, 4001), **kw)
    H = [L.lyapunov(a, c, f=f, kernel="smooth_sign", **kw) for a, c in zip(xs, ms)]
    D = np.array([L.dissipation(a, c, gf(a), kernel="smooth_sign", **kw)
                  for a, c in zip(xs, ms)])
    assert D.min() >= 0
    assert_allclose(H[-1] - H[0], -np.trapezoid(D, t), rtol=1e-5)
    path = L.lion_k_iterates(gf, np.zeros(8), lr=0.05, steps=200, weight_decay=0.0)
    cert = L.discrete_certificate(path, f=f, grad_f=gf, kernel="sign", lr=0.05, lam=0.0,
                                  b1=0.9, b2=0.99)
    assert cert.gap.max() <= 1e-12 and cert.delta.min() >= 0


# --------------------------------------------------------------------- problem and closed forms


def test_separable_closed_forms_match_the_note():
    h, c = np.array([1, 2, 0.5, 4.0]), np.array([3, -0.2, 0.7, -5.0])
    assert_allclose(L.separable_quadratic_solution(h, c, 1.0, "sign"), [1, -0.2, 0.7, -1])
    assert_allclose(L.separable_quadratic_solution(h, c, 1.0, "huber"),
                    [1, -0.2 * 2 / 3, 0.7 * 0.5 / 1.5, -1])
    assert_allclose(L.separable_quadratic_solution(h, c, 1.0, L.dead_zone_kernel(0.3)),
                    [1, -0.05, 0.1, -1])


def test_closed_form_minimises_the_composite_objective():
    """The closed form beats random feasible perturbations of F = f + (1/lambda)K*(lambda x)."""
    h, c, lam = np.array([1, 2, 0.5, 4.0]), np.array([3, -0.2, 0.7, -5.0]), 0.8
    f = lambda x: 0.5 * np.sum(h * (x - c) ** 2)
    rng = np.random.default_rng(3)
    for name in ["sign", "huber", "dead_zone", "quadratic"]:
        x = L.separable_quadratic_solution(h, c, lam, name)
        F = L.composite_objective(x, f, name, lam)
        for _ in range(200):
            y = np.clip(x + 0.05 * rng.normal(size=4), -1 / lam, 1 / lam)
            assert L.composite_objective(y, f, name, lam) >= F - 1e-12


def test_explicit_equals_implicit_with_effective_step_symbolically():
    """x + eps(d - lam x) == (x + eps' d)/(1 + eps' lam) with eps' = eps/(1 - eps lam)."""
    import sympy as sp

    x, d, eps, lam = sp.symbols("x d epsilon lambda", real=True)
    eps_p = eps / (1 - eps * lam)
    assert sp.simplify(x + eps * (d - lam * x) - (x + eps_p * d) / (1 + eps_p * lam)) == 0


def test_discrete_and_continuous_lyapunov_coefficients_agree_symbolically():
    """Under the ODE mapping (gamma = (1-b2)/eta, eps_ode = eta(1-b1)/(1-b2)), a = c/gamma."""
    import sympy as sp

    eta, lam, b1, b2 = sp.symbols("eta lambda beta1 beta2", positive=True)
    gamma = (1 - b2) / eta
    eps_ode = eta * (1 - b1) / (1 - b2)
    c = (1 - eps_ode * gamma) / (1 + eps_ode * lam)
    a_ode = sp.simplify(c / gamma)
    # the discrete a (implicit scheme, eps = eta) equals c/gamma exactly
    a = eta * b1 / (eta * lam * (1 - b1) + (1 - b2))
    assert sp.simplify(a - a_ode) == 0


def test_explicit_and_implicit_paths_coincide_with_effective_step():
    grad = lambda x: x - np.array([3.0, -2.0])
    exp = L.lion_k_iterates(grad, [0.1, 0.2], lr=0.05, steps=50, weight_decay=0.5)
    imp = L.lion_k_iterates(grad, [0.1, 0.2], lr=L.effective_lr(0.05, 0.5, False), steps=50,
                            weight_decay=0.5, implicit=True)
    assert_allclose(exp.x, imp.x, atol=1e-13)


# --------------------------------------------------------------------- Lyapunov theory


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(SMOOTH), st.integers(0, 2**31 - 1))
def test_dissipation_identity_dH_dt_equals_minus_delta(name, seed):
    """Continuous Lyapunov identity (R1): dH/dt = -Delta and Delta >= 0."""
    rng = np.random.default_rng(seed)
    k = L.get_kernel(name)
    alpha, gamma, lam = rng.uniform(0.1, 3, 3)
    eps = rng.uniform(0, 1 / gamma)
    Q = rng.normal(size=(4, 4))
    Q = Q @ Q.T
    z = rng.normal(size=4)
    z *= rng.uniform(0, 0.95) / np.linalg.norm(z)
    x, m = z / lam, rng.normal(size=4)
    g = Q @ x + np.cos(x)
    kw = dict(kernel=k, lam=lam, alpha=alpha, gamma=gamma, eps=eps)
    delta = L.dissipation(x, m, g, **kw)
    assert delta >= -1e-12
    assert_allclose(L.lyapunov_time_derivative(x, m, g, **kw), -delta,
                    atol=1e-12 * (1 + abs(delta)))


@pytest.mark.parametrize("kernel", ["sign", "l2", "dead_zone"])
@pytest.mark.parametrize("implicit", [True, False])
def test_discrete_certificate_holds_for_b1_below_b2_and_breaks_above(kernel, implicit):
    """Same kernel, same scheme, same run: only (b1, b2) <-> (b2, b1) changes; the certificate
    (gap <= 0 and Delta_t >= 0) holds for 0.9 <= 0.99 and breaks for 0.99 > 0.9."""
    rng = np.random.default_rng(5)
    A, b = rng.normal(size=(40, 8)), rng.normal(size=40) * 3
    f = lambda x: 0.5 * np.sum((A @ x - b) ** 2) / 40
    gf = lambda x: A.T @ (A @ x - b) / 40
    kw = dict(lr=0.05, lam=0.5)
    for (b1, b2), holds in [((0.9, 0.99), True), ((0.99, 0.9), False)]:
        path = L.lion_k_iterates(gf, np.zeros(8), lr=0.05, steps=300, weight_decay=0.5, b1=b1,
                                 b2=b2, kernel=kernel, implicit=implicit)
        cert = L.discrete_certificate(path, f=f, grad_f=gf, kernel=kernel, b1=b1, b2=b2,
                                      implicit=implicit, **kw)
        ok = bool(cert.gap.max() <= 1e-12 and cert.delta.min() >= -1e-12)
        assert ok is holds, (b1, b2, cert.gap.max(), cert.delta.min())


def test_discrete_a_closed_form():
    """a(eps = 0.01, lambda = 1, b = (0.9, 0.99)) = 0.009/0.011 = 9/11 exactly."""
    from fractions import Fraction

    a = Fraction(1, 100) * Fraction(9, 10) / (Fraction(1, 100) * Fraction(1, 10)
                                              + Fraction(1, 100))
    assert a == Fraction(9, 11)
    assert_allclose(L.discrete_a(0.01, 1.0, 0.9, 0.99), 9 / 11, rtol=1e-15)
    with pytest.raises(ValueError, match="b2 must lie in \\[0, 1\\)"):
        L.discrete_a(0.01, 0.0, 0.9, 1.0)


def test_phase_one_entry_in_the_outward_pushed_case_is_the_recursion_itself():
    """Explicit Lion with the sign step pushing outwards: D_t = (1 - eps lambda)^t D_0
    exactly (the bound is the recursion), entry into tau = 1e-3 at step 388 from D_0 = 2.5 at
    eps lambda = 0.02; in continuous time the tight case follows e^{-lambda t} (ODE accuracy)."""
    from sims import runner

    r = runner.run_sim("lion_entry", scale="quick")
    n = int(r["first_entry"])
    assert n == 388 == int(r["predicted_entry"])
    assert_allclose(r["dist_discrete"][:n], r["bound_discrete"][:n], rtol=1e-12)
    assert_allclose(r["ratio_tight"], 1.0, atol=1e-6)


def test_entry_bound_and_time():
    assert L.entry_time(2.5, 1e-3, 0.02) == 388
    assert 0.98**388 * 2.5 <= 1e-3 < 0.98**387 * 2.5
    bound = L.entry_bound(2.0, np.full(3, 0.1), 1.0)
    assert_allclose(bound, 2.0 * 0.9 ** np.arange(4))
    with pytest.raises(ValueError, match="lr \\* lambda"):
        L.entry_time(1.0, 0.1, 1.5)


def test_ode_parameter_mapping():
    p = L.ode_parameters(1e-3, 0.9, 0.99)
    assert_allclose(p["eps"] * p["gamma"], 0.1)
    assert_allclose(p["eps"], 10 * 1e-3)
