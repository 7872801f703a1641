"""Numerical experiments on the (perturbed) unconstrained features model (papers/
neural_collapse.md R1-R7; Sec. 6 checks 1-7 and 11).

* ``neural_collapse_ufm``: Eq. 1 minimised numerically from random starts vs Thm 2.1.
* ``neural_collapse_fixed_point``: Cor. 2.2 with joint (W, H) L-BFGS from random starts.
* ``neural_collapse_monotone``: Thm 3.1 along the central-path flow, random instances.
* ``neural_collapse_implicit_step``: Cor. 3.2 and the implicit-Euler slope.
* ``neural_collapse_first_order``: Thm 4.1 errors vs eps (O(eps^2)) and Eq. 5 vs beta.
* ``neural_collapse_eq5_autodiff``: ||F_exact - F_eq5||_2 with F_exact from jax Hessians.
* ``neural_collapse_attenuation``: NC1/NC2 ratios near collapse (note R7).
* ``neural_collapse_central_path``: NC1~, NC1 and the rescaled traces along one flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize

from sims import runner
from theory import neural_collapse as T
from theory._blas import one_blas_thread

SQ2 = float(np.sqrt(2.0))


# --------------------------------------------------------------------------- Thm 2.1


@dataclass(frozen=True)
class UFMConfig(runner.SimConfig):
    K: int = 4
    n: int = 5
    d: int = 10
    lam_Ws: tuple[float, ...] = (0.5, SQ2, 0.1, 0.01, 2.0)
    lam_Hs: tuple[float, ...] = (0.5, 0.05, 0.1, 0.3, 1.0)
    starts: int = 2

    @classmethod
    def full(cls):
        return cls(starts=10)


@runner.register("neural_collapse_ufm", paper="neural_collapse", config=UFMConfig)
def run_ufm(config: UFMConfig) -> dict:
    """Eq. 1 minimised from random starts vs the closed form of Thm 2.1 (gauge aligned)."""
    if len(config.lam_Ws) != len(config.lam_Hs):
        raise ValueError("lam_Ws and lam_Hs must have the same length")
    K, n, d = config.K, config.n, config.d
    labels = T.class_major_labels(K, n)
    keys = ("dev_H", "dev_W", "rho", "of_err", "w_err", "tr_sw", "nc2", "h_max")
    out = {k: np.full((len(config.lam_Ws), config.starts), np.nan) for k in keys}
    for i, (lw, lh) in enumerate(zip(config.lam_Ws, config.lam_Hs)):
        const = T.ufm_constants(lam_W=lw, lam_H=lh)
        for j in range(config.starts):
            m = T.numerical_ufm_minimizer(K, n, d, lam_W=lw, lam_H=lh,
                                          seed=1000 * config.seed + 10 * i + j)
            out["h_max"][i, j] = np.abs(m.H).max()
            if const.c >= 1:
                continue
            M = T.class_means(m.H, labels)
            U, _, Vt = np.linalg.svd(M, full_matrices=False)
            W, H = T.ufm_minimizer(K, n, d, lam_W=lw, lam_H=lh, R=U @ Vt)
            out["dev_H"][i, j] = np.abs(m.H - H).max()
            out["dev_W"][i, j] = np.abs(m.W - W).max()
            out["rho"][i, j] = np.mean(np.sum(M**2, axis=0))
            out["of_err"][i, j] = np.abs(M.T @ M - const.rho * np.eye(K)).max()
            out["w_err"][i, j] = np.abs(m.W - const.s * M.T).max()
            out["tr_sw"][i, j] = np.trace(T.covariances(m.H, labels)[0])
            out["nc2"][i, j] = T.nc2(M)
    return {"lam_W": np.array(config.lam_Ws), "lam_H": np.array(config.lam_Hs), **out}


# --------------------------------------------------------------------------- Cor 2.2


@dataclass(frozen=True)
class FixedPointConfig(runner.SimConfig):
    K: int = 3
    n: int = 4
    d: int = 5
    lam_W: float = 0.5
    lam_H: float = 0.1
    betas: tuple[float, ...] = (0.01, 1.0, 10.0)
    starts: int = 5

    @classmethod
    def full(cls):
        return cls(betas=(0.01, 0.1, 1.0, 10.0, 100.0), starts=10)


def _joint_fg(x, H0, Y, n, lam_W, lam_H, beta, d):
    """Kn f(W, H; H0) and its gradient in x = (vec W, vec H) (independent of the reduced
    solver of theory.neural_collapse)."""
    K = Y.shape[0]
    W = T.unvec(x[: d * K], K)
    H = T.unvec(x[d * K:], d)
    R = W @ H - Y
    f = (0.5 * np.sum(R**2) + 0.5 * n * lam_W * np.sum(W**2) + 0.5 * lam_H * np.sum(H**2)
         + 0.5 * beta * np.sum((H - H0) ** 2))
    gW = R @ H.T + n * lam_W * W
    gH = W.T @ R + lam_H * H + beta * (H - H0)
    return f, np.concatenate([T.vec(gW), T.vec(gH)])


@runner.register("neural_collapse_fixed_point", paper="neural_collapse", config=FixedPointConfig,
                 sweep="betas")
def run_fixed_point(config: FixedPointConfig) -> dict:
    """Cor. 2.2: joint L-BFGS on Eq. 2 with H0 = H*, from random (W, H): distance to (W*, H*)."""
    K, n, d = config.K, config.n, config.d
    labels = T.class_major_labels(K, n)
    W0, H0 = T.ufm_minimizer(K, n, d, lam_W=config.lam_W, lam_H=config.lam_H)
    Y = T.one_hot(labels, K)
    errs = np.zeros((len(config.betas), config.starts))
    with one_blas_thread():
        for i, beta in enumerate(config.betas):
            rng = np.random.default_rng([config.seed, int(round(1e6 * beta))])
            for j in range(config.starts):
                x0 = rng.normal(size=d * K + d * K * n)
                args = (H0, Y, n, config.lam_W, config.lam_H, beta, d)
                res = scipy.optimize.minimize(_joint_fg, x0, args=args, jac=True,
                                              method="L-BFGS-B",
                                              options={"maxiter": 200000, "maxcor": 30,
                                                       "gtol": 1e-13, "ftol": 0.0})
                target = np.concatenate([T.vec(W0), T.vec(H0)])
                errs[i, j] = np.abs(res.x - target).max()
    return {"beta": np.array(config.betas), "max_err": errs.max(axis=1), "errs": errs}


# --------------------------------------------------------------------------- Thm 3.1


@dataclass(frozen=True)
class MonotoneConfig(runner.SimConfig):
    instances: int = 24
    n_t: int = 500
    rel_tol: float = 1e-9
    gate: float = 1e-7

    @classmethod
    def full(cls):
        return cls(instances=120, n_t=3000)


def random_instance(rng, i: int):
    """One random (K, n, d, lam_W, lam_H, H0) as in note R3: every 4th has lam_H = 0, every
    5th has d < K, half of H0 carry added class means."""
    K, n = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    d = int(rng.integers(2, 10))
    if i % 5 == 0:
        K = max(K, 3)
        d = int(rng.integers(1, K))
    lam_W = float(np.exp(rng.uniform(np.log(1e-3), np.log(3.2))))
    lam_H = 0.0 if i % 4 == 0 else float(np.exp(rng.uniform(np.log(1e-3), np.log(3.2))))
    labels = T.class_major_labels(K, n)
    H0 = rng.normal(size=(d, K * n))
    if i % 2:
        H0 += 2 * rng.normal(size=(d, K))[:, labels]
    return K, n, d, lam_W, lam_H, labels, H0


def count_violations(p: T.FlowPath, rel_tol: float, gate: float) -> np.ndarray:
    """Violations of Thm 3.1 (NC1~ up, e^{2 lam_H t} Tr Sigma_W up, e^{2 lam_H t} Tr Sigma_B
    down, each beyond rel_tol per step), counted while Tr Sigma_W > gate Tr Sigma_W(0)."""
    on = p.tr_sw[:-1] > gate * p.tr_sw[0]
    x, w, b = p.nc1_tilde, p.tr_sw_scaled, p.tr_sb_scaled
    return np.array([np.sum(on & (np.diff(x) > rel_tol * np.abs(x[:-1]))),
                     np.sum(on & (np.diff(w) > rel_tol * np.abs(w[:-1]))),
                     np.sum(on & (np.diff(b) < -rel_tol * np.abs(b[:-1])))])


@runner.register("neural_collapse_monotone", paper="neural_collapse", config=MonotoneConfig)
def run_monotone(config: MonotoneConfig) -> dict:
    """Thm 3.1 over random instances: violation counts of the three monotonicity claims."""
    rng = np.random.default_rng(config.seed)
    rows = {k: [] for k in ("K", "n", "d", "lam_W", "lam_H", "t_max", "gated_steps",
                            "nc1t_ratio", "nc1_increases")}
    viol = []
    for i in range(config.instances):
        K, n, d, lw, lh, labels, H0 = random_instance(rng, i)
        t_max = 30.0 if lh == 0 else min(30.0, 5.0 / lh)
        p = T.central_path_flow(H0, labels, lam_W=lw, lam_H=lh,
                                t_eval=np.linspace(0.0, t_max, config.n_t))
        viol.append(count_violations(p, config.rel_tol, config.gate))
        on = p.tr_sw[:-1] > config.gate * p.tr_sw[0]
        for key, v in (("K", K), ("n", n), ("d", d), ("lam_W", lw), ("lam_H", lh),
                       ("t_max", t_max), ("gated_steps", int(on.sum())),
                       ("nc1t_ratio", p.nc1_tilde[-1] / p.nc1_tilde[0]),
                       ("nc1_increases", int(np.sum(on & (np.diff(p.nc1) > 1e-9 * p.nc1[:-1]))))):
            rows[key].append(v)
    return {"violations": np.array(viol), **{k: np.array(v) for k, v in rows.items()}}


# --------------------------------------------------------------------------- Cor 3.2


@dataclass(frozen=True)
class ImplicitStepConfig(runner.SimConfig):
    betas: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
    # settings (K, n, d, lam_W, lam_H); the first is the note's example
    settings: tuple[tuple[int, int, int, float, float], ...] = (
        (3, 4, 6, 0.3, 0.2), (4, 3, 3, 1.0, 0.0), (3, 5, 8, 0.05, 1.0), (4, 5, 4, 2.0, 0.5))

    @classmethod
    def full(cls):
        return cls(settings=cls.settings + ((5, 4, 9, 0.1, 0.01), (5, 3, 3, 0.5, 0.3)))


@runner.register("neural_collapse_implicit_step", paper="neural_collapse",
                 config=ImplicitStepConfig)
def run_implicit_step(config: ImplicitStepConfig) -> dict:
    """Cor. 3.2: NC1~(H_{1/beta})/NC1~(H0) per setting and beta, and the implicit-Euler
    slope beta (NC1~(H_{1/beta}) - NC1~(H0)) vs the flow derivative d NC1~/dt at t = 0."""
    S, B = len(config.settings), len(config.betas)
    ratio, scaled = np.zeros((S, B)), np.zeros((S, B))
    slope = np.zeros(S)
    for i, (K, n, d, lw, lh) in enumerate(config.settings):
        rng = np.random.default_rng([config.seed, i])
        labels = T.class_major_labels(K, n)
        H0 = rng.normal(size=(d, K * n))
        base = T.nc1_tilde(H0, labels)
        slope[i] = T.flow_derivatives(H0, labels, lam_W=lw, lam_H=lh)["nc1_tilde"]
        for j, beta in enumerate(config.betas):
            m = T.perturbed_ufm_minimizer(H0, labels, lam_W=lw, lam_H=lh, beta=beta)
            v = T.nc1_tilde(m.H, labels)
            ratio[i, j] = v / base
            scaled[i, j] = beta * (v - base)
    return {"beta": np.array(config.betas), "ratio": ratio, "scaled_change": scaled,
            "slope": slope, "settings": np.array(config.settings, dtype=float)}


# --------------------------------------------------------------------------- Thm 4.1 / Eq. 5


@dataclass(frozen=True)
class FirstOrderConfig(runner.SimConfig):
    eps: tuple[float, ...] = (1e-1, 1e-2, 1e-3)
    betas: tuple[float, ...] = (1.0, 10.0)
    eq5_betas: tuple[float, ...] = (10.0, 30.0, 100.0, 300.0, 1000.0)
    eq5_eps: float = 1e-4

    @classmethod
    def full(cls):
        return cls(eps=(1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4), betas=(1.0, 3.0, 10.0, 30.0),
                   eq5_betas=(3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0))


def _response_errors(H0, labels, E, eps_list, beta, lw, lh):
    base = T.perturbed_ufm_minimizer(H0, labels, lam_W=lw, lam_H=lh, beta=beta)
    kw = dict(lam_W=lw, lam_H=lh, beta=beta)
    F = T.first_order_map(base.W, base.H, labels, **kw)
    F5 = T.first_order_map(base.W, base.H, labels, form="eq5", **kw)
    err, err5 = [], []
    for eps in eps_list:
        m = T.perturbed_ufm_minimizer(H0 + eps * E, labels, **kw)
        dH = T.vec(m.H - base.H)
        err.append(np.linalg.norm(dH - F @ T.vec(eps * E)))
        err5.append(np.linalg.norm(dH - F5 @ T.vec(eps * E)))
    return np.array(err), np.array(err5)


@runner.register("neural_collapse_first_order", paper="neural_collapse", config=FirstOrderConfig)
def run_first_order(config: FirstOrderConfig) -> dict:
    """Thm 4.1: ||dH - F dH0|| vs eps at a collapsed (K=3, n=4, d=5, lam = 0.5, 0.1) and a
    Gaussian (K=3, n=3, d=4, lam = 0.4, 0.2) H0; Eq. 5's error vs beta at the collapsed one."""
    rng = np.random.default_rng(config.seed)
    labels_c = T.class_major_labels(3, 4)
    _, Hc = T.ufm_minimizer(3, 4, 5, lam_W=0.5, lam_H=0.1)
    Ec = rng.normal(size=Hc.shape)
    Ec /= np.linalg.norm(Ec)
    labels_g = T.class_major_labels(3, 3)
    Hg = rng.normal(size=(4, 9))
    Eg = rng.normal(size=Hg.shape)
    Eg /= np.linalg.norm(Eg)
    out = {k: [] for k in ("err_c", "err5_c", "err_g", "err5_g")}
    for beta in config.betas:
        e, e5 = _response_errors(Hc, labels_c, Ec, config.eps, beta, 0.5, 0.1)
        out["err_c"].append(e)
        out["err5_c"].append(e5)
        e, e5 = _response_errors(Hg, labels_g, Eg, config.eps, 20.0 * beta, 0.4, 0.2)
        out["err_g"].append(e)
        out["err5_g"].append(e5)
    eq5 = [_response_errors(Hc, labels_c, Ec, (config.eq5_eps,), beta, 0.5, 0.1)[1][0]
           / config.eq5_eps for beta in config.eq5_betas]
    return {"eps": np.array(config.eps), "beta": np.array(config.betas),
            "beta_g": 20.0 * np.array(config.betas), **{k: np.array(v) for k, v in out.items()},
            "eq5_beta": np.array(config.eq5_betas), "eq5_err_per_eps": np.array(eq5)}


@dataclass(frozen=True)
class Eq5AutodiffConfig(runner.SimConfig):
    K: int = 4
    n: int = 3
    d: int = 6
    # (lam_W, lam_H, beta)
    cases: tuple[tuple[float, float, float], ...] = (
        (0.5, 0.5, 100.0), (0.5, 0.5, 1e4), (SQ2, 0.1, 100.0), (0.5, 0.5, 10.0),
        (0.5, 0.5, 1000.0))

    @classmethod
    def full(cls):
        return cls(K=4, n=10, d=10)


def autodiff_first_order_maps(K, n, d, cases, points):
    """F_exact = (beta/Kn) S^-1 per case, S the Schur complement of the jax.hessian of
    f(W, H; H0) at (W, H) = point, H0 = H (Thm 4.1); one compilation for all cases."""
    import jax
    import jax.numpy as jnp

    from sims import nets

    labels = T.class_major_labels(K, n)
    N, m = K * n, d * K
    out = []
    with nets.float64():
        Y = jnp.asarray(T.one_hot(labels, K))

        def f(x, H0, lam_W, lam_H, beta):
            Wx = x[:m].reshape(d, K).T
            Hx = x[m:].reshape(N, d).T
            return (jnp.sum((Wx @ Hx - Y) ** 2) / (2 * N) + lam_W * jnp.sum(Wx**2) / (2 * K)
                    + lam_H * jnp.sum(Hx**2) / (2 * N) + beta * jnp.sum((Hx - H0) ** 2) / (2 * N))

        hess_fn = jax.jit(jax.hessian(f))
        for (lw, lh, beta), (W, H) in zip(cases, points):
            x = jnp.concatenate([jnp.asarray(T.vec(W)), jnp.asarray(T.vec(H))])
            hess = np.asarray(hess_fn(x, jnp.asarray(H), lw, lh, beta))
            S = hess[m:, m:] - hess[m:, :m] @ np.linalg.solve(hess[:m, :m], hess[:m, m:])
            out.append(beta / N * np.linalg.inv(S))
    return out


@runner.register("neural_collapse_eq5_autodiff", paper="neural_collapse",
                 config=Eq5AutodiffConfig)
def run_eq5_autodiff(config: Eq5AutodiffConfig) -> dict:
    """||F_exact - F_eq5||_2 at H0 = H*, with F_exact from jax autodiff Hessians and F_eq5
    from the Kronecker/E* construction of Eq. 5 (theory.neural_collapse)."""
    K, n, d = config.K, config.n, config.d
    labels = T.class_major_labels(K, n)
    points = [T.ufm_minimizer(K, n, d, lam_W=lw, lam_H=lh) for lw, lh, _ in config.cases]
    maps = autodiff_first_order_maps(K, n, d, config.cases, points)
    norms = []
    for (lw, lh, beta), (W, H), F in zip(config.cases, points, maps):
        F5 = T.first_order_map(W, H, labels, lam_W=lw, lam_H=lh, beta=beta, form="eq5")
        norms.append(np.linalg.norm(F - F5, 2))
    return {"cases": np.array(config.cases, dtype=float), "norm": np.array(norms)}


# --------------------------------------------------------------------------- R7 attenuation


@dataclass(frozen=True)
class AttenuationConfig(runner.SimConfig):
    # (K, n, d, lam_W, lam_H, beta)
    cases: tuple[tuple[float, ...], ...] = ((4, 3, 7, SQ2, 0.3, 10.0), (4, 3, 7, 0.5, 0.1, 1.0))
    eps: tuple[float, ...] = (1e-2, 1e-3, 1e-4)

    @classmethod
    def full(cls):
        return cls(cases=cls.cases + ((3, 4, 5, 0.5, 0.1, 10.0), (5, 4, 8, 1.0, 0.4, 3.0)),
                   eps=(1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5))


@runner.register("neural_collapse_attenuation", paper="neural_collapse", config=AttenuationConfig)
def run_attenuation(config: AttenuationConfig) -> dict:
    """NC1, NC1~ and NC2 of the Eq. 2 minimiser over those of H0 = H* + eps E (E Gaussian,
    unit norm), per case and eps."""
    C, P = len(config.cases), len(config.eps)
    out = {k: np.zeros((C, P)) for k in ("nc1", "nc1_tilde", "nc2", "nc1_tilde_pred")}
    for i, (K, n, d, lw, lh, beta) in enumerate(config.cases):
        K, n, d = int(K), int(n), int(d)
        labels = T.class_major_labels(K, n)
        _, Hs = T.ufm_minimizer(K, n, d, lam_W=lw, lam_H=lh)
        E = np.random.default_rng([config.seed, i]).normal(size=Hs.shape)
        E /= np.linalg.norm(E)
        # NC1~ prediction for this E: within-class part inside / outside span(R) (note R7);
        # R = the first K basis vectors (ufm_minimizer's default gauge)
        D = E - T.class_means(E, labels)[:, labels]
        a, b = np.sum(D[:K] ** 2), np.sum(D[K:] ** 2)
        f = T.attenuation_factors(lam_W=lw, lam_H=lh, beta=beta)
        for j, eps in enumerate(config.eps):
            H0 = Hs + eps * E
            m = T.perturbed_ufm_minimizer(H0, labels, lam_W=lw, lam_H=lh, beta=beta)
            out["nc1"][i, j] = T.nc1(m.H, labels) / T.nc1(H0, labels)
            out["nc1_tilde"][i, j] = T.nc1_tilde(m.H, labels) / T.nc1_tilde(H0, labels)
            out["nc2"][i, j] = (T.nc2(T.class_means(m.H, labels))
                                / T.nc2(T.class_means(H0, labels)))
            out["nc1_tilde_pred"][i, j] = (a * f["within_in_span"] ** 2
                                           + b * f["within_out_of_span"] ** 2) / (a + b)
    return {"cases": np.array(config.cases, dtype=float), "eps": np.array(config.eps), **out}


# --------------------------------------------------------------------------- figure data


@dataclass(frozen=True)
class CentralPathConfig(runner.SimConfig):
    K: int = 4
    n: int = 10
    d: int = 8
    lam_W: float = 0.1
    lam_H: float = 0.05
    t_max: float = 20.0
    n_t: int = 200

    @classmethod
    def full(cls):
        return cls(K=10, n=50, d=64, n_t=400)


@runner.register("neural_collapse_central_path", paper="neural_collapse", config=CentralPathConfig)
def run_central_path(config: CentralPathConfig) -> dict:
    """One central-path flow from noisy class means: NC1~, NC1 and e^{2 lam_H t} traces."""
    rng = np.random.default_rng(config.seed)
    labels = T.class_major_labels(config.K, config.n)
    H0 = rng.normal(size=(config.d, config.K))[:, labels] + rng.normal(
        size=(config.d, config.K * config.n))
    p = T.central_path_flow(H0, labels, lam_W=config.lam_W, lam_H=config.lam_H,
                            t_eval=np.linspace(0, config.t_max, config.n_t), rtol=1e-10,
                            atol=1e-12)
    return {"t": p.t, "nc1_tilde": p.nc1_tilde, "nc1": p.nc1, "tr_sw_scaled": p.tr_sw_scaled,
            "tr_sb_scaled": p.tr_sb_scaled, "lam_H": np.array(config.lam_H)}


# --------------------------------------------------------------------------- note Sec. 8.3


@dataclass(frozen=True)
class ComposedConfig(runner.SimConfig):
    K: int = 4
    n: int = 3
    d: int = 7
    lam_W: float = SQ2
    lam_H: float = 0.3
    beta: float = 10.0
    eps: float = 1e-4
    layers: int = 8

    @classmethod
    def full(cls):
        return cls(layers=30)


@runner.register("neural_collapse_composed", paper="neural_collapse", config=ComposedConfig)
def run_composed(config: ComposedConfig) -> dict:
    """Eq. 2 applied layer after layer (H0 -> H_{1/beta} -> ...) from H* + eps E: NC1, NC1~
    and NC2 per layer (a data-free analogue of Fig. 2; note Sec. 8.3)."""
    K, n, d = config.K, config.n, config.d
    labels = T.class_major_labels(K, n)
    _, Hs = T.ufm_minimizer(K, n, d, lam_W=config.lam_W, lam_H=config.lam_H)
    E = np.random.default_rng(config.seed).normal(size=Hs.shape)
    H = Hs + config.eps * E / np.linalg.norm(E)
    rows = []
    for layer in range(config.layers + 1):
        if layer:
            H = T.perturbed_ufm_minimizer(H, labels, lam_W=config.lam_W, lam_H=config.lam_H,
                                          beta=config.beta).H
        rows.append((T.nc1(H, labels), T.nc1_tilde(H, labels),
                     T.nc2(T.class_means(H, labels))))
    rows = np.array(rows)
    return {"layer": np.arange(config.layers + 1), "nc1": rows[:, 0], "nc1_tilde": rows[:, 1],
            "nc2": rows[:, 2]}


if __name__ == "__main__":
    runner.main("neural_collapse_monotone")
