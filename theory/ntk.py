"""Neural Tangent Kernel (Jacot, Gabriel, Hongler 2018): limiting kernels and kernel dynamics.

The module follows the paper's order.

1. Setup: the NTK parametrization.  A depth-L network (L affine maps, L-1 hidden layers) is
   ``alpha~^(l+1) = W^(l) alpha^(l) / sqrt(n_l) + beta b^(l)`` with all weights and biases
   i.i.d. N(0, 1), ``alpha^(l) = sigma(alpha~^(l))`` and ``f = alpha~^(L)``.
2. Dual activations: the 2-D Gaussian expectations ``E[sigma(u) sigma(v)]`` and
   ``E[sigma'(u) sigma'(v)]`` in closed form (:func:`dual_activation`), with sympy versions
   (:func:`dual_activation_symbolic`) so Price's identity can be checked exactly.
3. Proposition 1 and Theorem 1: the NNGP covariance Sigma^(L) and the limiting NTK
   Theta^(L)_inf (:func:`limiting_kernels`).
4. The finite-width NTK of a given network (:func:`empirical_ntk`), computed layer by layer
   (:func:`layerwise_ntk`) without forming any Jacobian.
5. Section 3: kernel gradient descent and the cost identity (:func:`cost_decrease_rate`).
6. Proposition 2: positive-definiteness on the sphere, tested through exact integer ranks
   (:func:`numerical_rank`).
7. Section 5: least squares in function space (:func:`gradient_flow_mse`), the infinite-width
   Gaussian distribution of the trained network (:func:`ntk_gp_prediction`) and the kernel
   principal components (:func:`kernel_pca`).
8. Remark 1: NTK-parametrized gradient descent as standard-parametrized gradient descent with
   per-layer learning rates (:func:`standard_learning_rates`).

Everything is float64 numpy/scipy/sympy.  The finite-network functions accept an array
namespace ``xp`` (numpy by default) so that a JAX caller can run the same formula under
``jax.jit``; jax itself is imported lazily and only by :func:`empirical_ntk`'s generic path.

References
----------
A. Jacot, F. Gabriel, C. Hongler, "Neural Tangent Kernel: Convergence and Generalization in
Neural Networks", NeurIPS 2018, arXiv:1806.07572 (v4).  Reference note:
``shared/papers/ntk.md`` (tags what is read in the paper and what is derived).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
import scipy.linalg

from theory import activations as _act

__all__ = [
    "ACTIVATIONS",
    "dual_activation",
    "dual_activation_symbolic",
    "limiting_kernels",
    "diagonal_exact",
    "layerwise_ntk",
    "empirical_ntk",
    "cost_decrease_rate",
    "numerical_rank",
    "polynomial_kernel_rank",
    "gradient_flow_mse",
    "ntk_gp_prediction",
    "kernel_pca",
    "pc_coefficients",
    "standard_learning_rates",
]

#: activations with closed-form dual kernels; "monomialK" is sigma(z) = z**K (K = 1..9).
#: The finite-width functions (layerwise_ntk, empirical_ntk) take every name of
#: theory.activations (also tanh, gelu, softplus).
ACTIVATIONS = ("relu", "erf", "identity", "monomialK")


def _check_activation(activation) -> tuple[str, int]:
    """Return (family, degree) of an activation with a closed-form dual or raise ValueError."""
    try:
        act = _act.get(activation)
    except ValueError:
        act = None
    if act is None or not act.has_dual:
        raise ValueError(
            f"activation must be 'relu', 'erf', 'identity' or 'monomialK' with K in 1..9 "
            f"(the activations with a closed-form dual kernel), got {activation!r}"
        )
    return act.family, act.degree


# --------------------------------------------------------------------------- dual activations


def dual_activation(activation: str, q1, q2, c):
    """Closed-form Gaussian expectations behind the NNGP and NTK recursions.

    Parameters
    ----------
    activation : str
        "relu", "erf", "identity" or "monomialK" (sigma(z) = z**K, K = 1..9).
    q1, q2 : array_like
        Variances of the centred Gaussian pair (u, v); must be >= 0.
    c : array_like
        Their covariance, |c| <= sqrt(q1 q2).  The three arrays broadcast together.

    Returns
    -------
    f : ndarray
        ``E[sigma(u) sigma(v)]``.
    fdot : ndarray
        ``E[sigma'(u) sigma'(v)]``, the derivative kernel.

    Notes
    -----
    Proposition 1 and Theorem 1 need only these 2-D Gaussian integrals (the paper's Remark 2).
    The closed forms (read in the reference note, section 3.0; the ReLU row is the arc-cosine
    kernel of degree 1, the erf row Williams' arcsine kernel) are, with
    ``theta = atan2(sqrt(q1 q2 - c^2), c)``:

    * ReLU: ``f = (sqrt(q1 q2 - c^2) + (pi - theta) c) / (2 pi)``, ``fdot = (pi - theta)/(2 pi)``.
    * erf: ``f = (2/pi) atan2(2c, sqrt(P - 4c^2))`` with ``P = (1+2 q1)(1+2 q2)``,
      ``fdot = (4/pi) / sqrt(P - 4c^2)``.
    * z**K: a polynomial in c and q1 q2 (Hermite expansion, derived).

    In every case ``d f / d c = fdot`` (Price's identity), checked exactly with sympy by
    :func:`dual_activation_symbolic`.
    """
    _check_activation(activation)
    q1, q2, c = (np.asarray(a, dtype=float) for a in (q1, q2, c))
    if np.any(q1 < 0) or np.any(q2 < 0):
        raise ValueError("q1 and q2 (variances) must be >= 0")
    return _act.dual(activation, q1, q2, c)


def dual_activation_symbolic(activation: str):
    """Sympy expressions of :func:`dual_activation` in the symbols (q1, q2, c).

    Returns
    -------
    f, fdot : sympy.Expr
        ``E[sigma(u) sigma(v)]`` and ``E[sigma'(u) sigma'(v)]``.
    symbols : tuple of sympy.Symbol
        ``(q1, q2, c)``, with q1, q2 positive and c real.

    Notes
    -----
    Used to check Price's identity ``d/dc E[sigma(u) sigma(v)] = E[sigma'(u) sigma'(v)]``
    exactly (reference note section 3.0: "a one-line unit test for any transcription").
    For ReLU the angle is written ``acos(c / sqrt(q1 q2))``, valid for |c| < sqrt(q1 q2).
    """
    import sympy as sp

    family, k = _check_activation(activation)
    q1, q2 = sp.symbols("q1 q2", positive=True)
    c = sp.Symbol("c", real=True)
    if family == "relu":
        theta = sp.acos(c / sp.sqrt(q1 * q2))
        f = (sp.sqrt(q1 * q2 - c**2) + (sp.pi - theta) * c) / (2 * sp.pi)
        fdot = (sp.pi - theta) / (2 * sp.pi)
    elif family == "erf":
        prod = (1 + 2 * q1) * (1 + 2 * q2)
        f = 2 / sp.pi * sp.asin(2 * c / sp.sqrt(prod))
        fdot = 4 / sp.pi / sp.sqrt(prod - 4 * c**2)
    else:

        def moment(j):
            return sum(
                sp.Rational(sp.factorial(j), sp.factorial(m) * 2**m * sp.factorial(j - 2 * m))
                ** 2 * sp.factorial(j - 2 * m) * c ** (j - 2 * m) * (q1 * q2) ** m
                for m in range(j // 2 + 1)
            )

        f, fdot = moment(k), k**2 * moment(k - 1)
    return f, fdot, (q1, q2, c)


# --------------------------------------------------------------------------- limiting kernels


def _as_inputs(x, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array (n_points, n0) with n0 >= 1, "
                         f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _check_depth_beta(depth, beta) -> None:
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer) or depth < 1:
        raise ValueError(f"depth (number of dense layers L) must be an integer >= 1, "
                         f"got {depth!r}")
    real = isinstance(beta, int | float | np.integer | np.floating | Fraction)
    if isinstance(beta, bool) or not real or not (math.isfinite(float(beta)) and beta >= 0):
        raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")


def _relu_layer(q1, q2, c, b2):
    """One ReLU layer of the recursion, in place where possible (same formulas as
    :func:`dual_activation`, about half the memory passes over the N1 x N2 arrays)."""
    root = np.multiply.outer(q1, q2)
    root -= c * c
    np.maximum(root, 0.0, out=root)
    np.sqrt(root, out=root)
    fdot = np.arctan2(root, c)
    if np.any(q1 == 0) or np.any(q2 == 0):  # angle of a zero-variance pair: pi/2 (as NT)
        fdot[(root == 0) & (c == 0)] = np.pi / 2
    np.subtract(np.pi, fdot, out=fdot)
    fdot /= 2 * np.pi
    root /= 2 * np.pi
    root += fdot * c
    root += b2
    return root, fdot


def limiting_kernels(x1, x2=None, *, depth: int, activation: str = "relu", beta: float = 0.1):
    """NNGP covariance Sigma^(L) and limiting NTK Theta^(L)_inf of the NTK parametrization.

    Parameters
    ----------
    x1 : array_like, shape (N1, n0)
        Inputs.
    x2 : array_like, shape (N2, n0), optional
        Second inputs; None means ``x2 = x1`` (then the result is exactly symmetric).
    depth : int
        Number of dense layers L >= 1 (the nonlinearity is applied L - 1 times).
    activation : str
        "relu", "erf", "identity" or "monomialK" (z**K).
    beta : float
        Bias scale beta >= 0.

    Returns
    -------
    nngp : ndarray, shape (N1, N2)
        Sigma^(L)(x1_i, x2_j), the covariance of each output at initialization.
    ntk : ndarray, shape (N1, N2)
        Theta^(L)_inf(x1_i, x2_j); the full NTK is ``ntk (x) Id_{n_L}``.

    Notes
    -----
    Proposition 1 (read in the paper): as n_1, ..., n_{L-1} -> inf the outputs converge to
    i.i.d. centred Gaussian processes with covariance
    ``Sigma^(1)(x, x') = x.x'/n0 + beta^2`` and
    ``Sigma^(l+1)(x, x') = E_{f ~ N(0, Sigma^(l))}[sigma(f(x)) sigma(f(x'))] + beta^2``.

    Theorem 1 (read in the paper): the NTK converges in probability to
    ``Theta^(L)_inf (x) Id_{n_L}`` with ``Theta^(1)_inf = Sigma^(1)`` and
    ``Theta^(l+1)_inf = Theta^(l)_inf Sigmadot^(l+1) + Sigma^(l+1)``,
    ``Sigmadot^(l+1)(x, x') = E_{f ~ N(0, Sigma^(l))}[sigma'(f(x)) sigma'(f(x'))]``.
    The expectations are the closed forms of :func:`dual_activation`.  This matches
    ``neural_tangents.stax`` with ``Dense(n, W_std=1, b_std=beta, parameterization='ntk')``.
    """
    _check_activation(activation)
    _check_depth_beta(depth, beta)
    a = _as_inputs(x1, "x1")
    symmetric = x2 is None
    b = a if symmetric else _as_inputs(x2, "x2")
    if b.shape[1] != a.shape[1]:
        raise ValueError(f"x2 must have the same input dimension n0 = {a.shape[1]} as x1, "
                         f"got {b.shape[1]}")
    n0 = a.shape[1]
    b2 = float(beta) ** 2
    nngp = a @ b.T  # numpy evaluates a @ a.T with syrk: exactly symmetric
    nngp /= n0
    nngp += b2
    if symmetric:
        q1 = q2 = np.diag(nngp).copy()
    else:
        q1 = np.einsum("ij,ij->i", a, a) / n0 + b2
        q2 = np.einsum("ij,ij->i", b, b) / n0 + b2
    ntk = nngp.copy()
    for _ in range(int(depth) - 1):
        if activation == "relu":
            nngp, fdot = _relu_layer(q1, q2, nngp, b2)
        else:
            f, fdot = dual_activation(activation, q1[:, None], q2[None, :], nngp)
            nngp = f + b2
        ntk *= fdot
        ntk += nngp
        if symmetric:
            q1 = q2 = np.diag(nngp).copy()
        else:
            q1 = dual_activation(activation, q1, q1, q1)[0] + b2
            q2 = dual_activation(activation, q2, q2, q2)[0] + b2
    return nngp, ntk


def diagonal_exact(depth: int, *, beta=Fraction(1, 10), n0: int = 2, sq_norm=1):
    """Exact rational Sigma^(L)(x, x) and Theta^(L)_inf(x, x) for ReLU.

    Parameters
    ----------
    depth : int
        Number of dense layers L >= 1.
    beta : Fraction or int
        Bias scale (rational, so that the answer is exact).
    n0 : int
        Input dimension.
    sq_norm : Fraction or int
        ``x.x`` (1 on the unit circle of Fig. 1).

    Returns
    -------
    (Fraction, Fraction)
        ``(Sigma^(L)(x, x), Theta^(L)_inf(x, x))``.

    Notes
    -----
    Derived (reference note section 3.2): for ReLU the diagonal recursion is
    ``Sigma^(l+1) = Sigma^(l)/2 + beta^2`` and ``Theta^(l+1) = Theta^(l)/2 + Sigma^(l+1)``
    (since ``E[relu(u)^2] = q/2`` and ``E[1{u>0}] = 1/2``).  For Fig. 1 (L = 4, beta = 0.1,
    n0 = 2, |x| = 1) this gives Theta = 113/400 and Sigma = 13/160.
    """
    _check_depth_beta(depth, float(beta))
    beta, sq_norm = Fraction(beta), Fraction(sq_norm)
    sigma = sq_norm / n0 + beta**2
    theta = sigma
    for _ in range(int(depth) - 1):
        sigma = sigma / 2 + beta**2
        theta = theta / 2 + sigma
    return sigma, theta


# --------------------------------------------------------------------------- finite-width NTK


def _concrete(a):
    """``a`` as a numpy array, or None when it is a JAX tracer (validated at trace time only
    for its shape)."""
    try:
        return np.asarray(a)
    except Exception:  # noqa: BLE001 - jax raises TracerArrayConversionError under jit
        return None


def _is_nonneg_scalar(v) -> bool:
    if isinstance(v, bool) or np.ndim(v) != 0:
        return False
    c = _concrete(v)
    if c is None:
        return True
    return c.dtype.kind in "iuf" and bool(np.isfinite(c)) and c >= 0


def _check_params(params, xp) -> list[dict]:
    """params as a list of {"w": (n_l, n_{l+1}) [, "b": (n_{l+1},)]} in namespace xp."""
    if isinstance(params, Mapping) or not isinstance(params, Sequence) or len(params) < 1:
        raise ValueError("params must be a non-empty list with one dict per dense layer "
                         "({'w': (n_l, n_l+1), 'b': (n_l+1,)}, the format of sims.nets.MLP), "
                         f"got {type(params).__name__}")
    out = []
    for l, layer in enumerate(params):
        if not isinstance(layer, Mapping) or "w" not in layer:
            raise ValueError(f"params[{l}] must be a dict with key 'w' (and 'b' for a layer "
                             f"with bias), got {layer!r:.80}")
        extra = set(layer) - {"w", "b"}
        if extra:
            raise ValueError(f"params[{l}] has unknown keys {sorted(extra)}; expected 'w', 'b'")
        w = xp.asarray(layer["w"])
        if w.ndim != 2 or (out and w.shape[0] != out[-1]["w"].shape[1]):
            want = "(n_l, n_l+1)" if not out else f"({out[-1]['w'].shape[1]}, n_l+1)"
            raise ValueError(f"params[{l}]['w'] must have shape {want}, got {tuple(w.shape)}")
        new = {"w": w}
        if "b" in layer:
            b = xp.asarray(layer["b"])
            if tuple(b.shape) != (w.shape[1],):
                raise ValueError(f"params[{l}]['b'] must have shape ({w.shape[1]},), "
                                 f"got {tuple(b.shape)}")
            new["b"] = b
        out.append(new)
    return out


def _check_points(x, name: str, n0: int, xp):
    x = xp.asarray(x)
    if x.ndim != 2 or x.shape[1] != n0 or x.shape[0] < 1:
        raise ValueError(f"{name} must have shape (N, n0) with n0 = {n0} (the input width of "
                         f"params), got {tuple(x.shape)}")
    c = _concrete(x)
    if c is not None and not (c.dtype.kind in "iuf" and np.all(np.isfinite(c))):
        raise ValueError(f"{name} must hold finite numbers")
    return x


def layerwise_ntk(params: Sequence[dict], x1, x2=None, *, activation: str = "relu",
                  beta: float | None = 0.1, multipliers: Sequence[float] | None = None,
                  trace_outputs: bool = True, xp=np):
    """Exact finite-width NTK of an MLP, one layer at a time (no Jacobians).

    Parameters
    ----------
    params : list of dict
        One dict per dense layer with ``"w"`` of shape (n_l, n_{l+1}) and, if the layer has a
        bias, ``"b"`` of shape (n_{l+1},) (the format of ``sims.nets.MLP``).
    x1, x2 : array, shapes (N1, n0) and (N2, n0)
        Inputs; ``x2=None`` means x1.
    activation : str
        Any name of :mod:`theory.activations` (relu, erf, tanh, identity, gelu, softplus,
        monomialK): sigma and sigma' come from that table.
    beta : float or None
        Bias multiplier (layer output ``m_l h W_l + beta b_l``); None means no biases.
    multipliers : sequence of float, optional
        Weight multiplier m_l of each layer; default ``1/sqrt(n_l)`` (NTK parametrization).
    trace_outputs : bool
        True: return the (N1, N2) kernel averaged over the n_L outputs (neural-tangents'
        default ``trace_axes=(-1,)``).  False: the full (N1, N2, n_L, n_L) tensor.
    xp : module
        Array namespace (numpy, or jax.numpy to run under ``jax.jit``).

    Returns
    -------
    array
        The empirical NTK ``Theta_kk'(x, x') = sum_p d_p f_k(x) d_p f_k'(x')`` in the
        namespace and dtype of the inputs.

    Notes
    -----
    Derived (reference note section 2): with back-propagated signals ``delta^(L) = Id`` and
    ``delta^(l) = sigma'(alpha~^(l)) * (m_l W^(l) delta^(l+1))``,
    ``Theta(x, x') = sum_l [delta^(l+1)(x) . delta^(l+1)(x')] [m_l^2 alpha^(l)(x).alpha^(l)(x')
    + beta^2]``: the gradient with respect to W^(l) is ``m_l alpha^(l) (x) delta^(l+1)`` and
    with respect to b^(l) it is ``beta delta^(l+1)``.  Cost O(N n^2) per layer, against
    O(N P) memory for a Jacobian.
    """
    params = _check_params(params, xp)
    n_layers = len(params)
    widths = [int(p["w"].shape[0]) for p in params]
    x1 = _check_points(x1, "x1", widths[0], xp)
    x2 = None if x2 is None else _check_points(x2, "x2", widths[0], xp)
    if multipliers is None:
        multipliers = [1.0 / math.sqrt(n) for n in widths]
    if isinstance(multipliers, str) or not isinstance(multipliers, Sequence | np.ndarray) or \
            len(multipliers) != n_layers:
        raise ValueError(f"multipliers must be a sequence with one number per layer "
                         f"({n_layers}), got {multipliers!r}")
    if not all(np.ndim(m) == 0 and np.isfinite(m) for m in multipliers):
        raise ValueError(f"multipliers must be finite numbers, got {multipliers!r}")
    if beta is not None and not _is_nonneg_scalar(beta):
        raise ValueError(f"beta must be None or a finite number >= 0, got {beta!r}")
    phi, dphi = _act.pair(activation, xp)
    n_out = int(params[-1]["w"].shape[1])

    def signals(x):
        acts, pre, h = [x], [], x
        for l, layer in enumerate(params):
            z = multipliers[l] * (h @ layer["w"])
            if beta is not None and "b" in layer:
                z = z + beta * layer["b"]
            pre.append(z)
            if l < n_layers - 1:
                h = phi(z)
                acts.append(h)
        eye = xp.eye(n_out, dtype=x.dtype)
        delta = xp.broadcast_to(eye, (x.shape[0], n_out, n_out))
        deltas = [delta]
        for l in range(n_layers - 1, 0, -1):
            back = multipliers[l] * xp.matmul(params[l]["w"], delta)  # (N, n_l, n_L)
            delta = dphi(pre[l - 1])[:, :, None] * back
            deltas.append(delta)
        return acts, deltas[::-1]

    acts1, deltas1 = signals(x1)
    acts2, deltas2 = (acts1, deltas1) if x2 is None else signals(x2)
    total = 0.0
    for l in range(n_layers):
        feat = multipliers[l] ** 2 * (acts1[l] @ acts2[l].T)
        if beta is not None and "b" in params[l]:
            feat = feat + beta**2
        d1, d2 = deltas1[l], deltas2[l]
        if trace_outputs:
            back = d1.reshape(d1.shape[0], -1) @ d2.reshape(d2.shape[0], -1).T / n_out
            total = total + feat * back
        else:
            back = xp.transpose(xp.tensordot(d1, d2, axes=([1], [1])), (0, 2, 1, 3))
            total = total + feat[:, :, None, None] * back
    return total


def _jacobian_ntk(apply_fn, params, x1, x2, trace_outputs):
    import jax
    import jax.numpy as jnp

    def jac(x):
        j = jax.jacrev(apply_fn)(params, x)  # leaves (N, n_out, *leaf.shape)
        return [leaf.reshape(leaf.shape[0], leaf.shape[1], -1)
                for leaf in jax.tree_util.tree_leaves(j)]

    j1 = jac(jnp.asarray(x1))
    j2 = j1 if x2 is None else jac(jnp.asarray(x2))
    pairs = list(zip(j1, j2, strict=True))
    if trace_outputs:
        return sum(jnp.einsum("akp,bkp->ab", a, b) for a, b in pairs) / j1[0].shape[1]
    return sum(jnp.einsum("akp,bjp->abkj", a, b) for a, b in pairs)


def _mlp_behind(apply_fn):
    """The MLP-like object whose bound ``apply`` is ``apply_fn``, looking through
    ``jax.jit`` (which keeps the wrapped function as ``__wrapped__``); None otherwise."""
    seen = 0
    fn = apply_fn
    while fn is not None and seen < 8:
        net = getattr(fn, "__self__", None)
        if net is not None and all(
                hasattr(net, a) for a in ("forward", "multipliers", "activation", "beta")):
            return net
        fn, seen = getattr(fn, "__wrapped__", None), seen + 1
    return None


def empirical_ntk(apply_fn, params, x1, x2=None, *, trace_outputs: bool = True,
                  method: str = "auto"):
    """Finite-width NTK ``sum_p d_p f(x1) d_p f(x2)`` of a network at parameters ``params``.

    Parameters
    ----------
    apply_fn : callable
        ``apply_fn(params, x) -> (N, n_L)``; for a ``sims.nets.MLP`` pass ``mlp.apply`` or
        ``jax.jit(mlp.apply)``.
    params : pytree
        Parameters at which the kernel is taken.
    x1, x2 : array_like, shapes (N1, n0), (N2, n0)
        Inputs (``x2=None`` means x1).
    trace_outputs : bool
        Average over the output axis (neural-tangents' default) or return
        (N1, N2, n_L, n_L).
    method : {"auto", "layerwise", "jacobian"}
        "layerwise" uses :func:`layerwise_ntk` and needs ``apply_fn`` to be the bound
        ``apply`` of an MLP-like object (attributes ``forward``, ``multipliers``,
        ``activation``, ``beta``), possibly wrapped in ``jax.jit``; "jacobian" contracts full
        Jacobians (any JAX function; memory O(N P)); "auto" takes layerwise for an MLP whose
        activation is in :mod:`theory.activations` (every network ``sims.nets`` builds) and
        the Jacobian otherwise.

    Returns
    -------
    ndarray, float64
        The kernel (computed in the parameters' dtype, returned as float64 numpy).

    Notes
    -----
    The tangent kernel Theta^(L) of Section 2 (read in the paper): under gradient flow on
    the parameters, ``d f / dt = -grad_{Theta} C``.  Theorem 1 says it tends to
    ``Theta^(L)_inf (x) Id`` (:func:`limiting_kernels`).

    A jitted apply function: ``jax.jit(mlp.apply)`` is recognised through its
    ``__wrapped__`` attribute and takes the layerwise path; any other jitted function takes
    the Jacobian path (``jax.jacrev`` traces through ``jit``).  This function returns numpy
    and so cannot itself run under ``jax.jit``; there call :func:`layerwise_ntk` with
    ``xp=jax.numpy``.
    """
    if method not in ("auto", "layerwise", "jacobian"):
        raise ValueError(f"method must be 'auto', 'layerwise' or 'jacobian', got {method!r}")
    if not callable(apply_fn):
        raise ValueError(f"apply_fn must be callable, got {type(apply_fn).__name__}")
    net = _mlp_behind(apply_fn) if method != "jacobian" else None
    if net is not None:
        try:
            _act.get(net.activation)
        except ValueError:
            if method == "layerwise":
                raise
            net = None  # an activation outside the table: differentiate instead
    if method == "layerwise" and net is None:
        raise ValueError("method='layerwise' needs apply_fn to be the bound apply of an MLP "
                         "(sims.nets.MLP), optionally wrapped in jax.jit")
    import jax.numpy as jnp

    if net is None:
        xs = [None if x is None else jnp.asarray(x) for x in (x1, x2)]
        for name, x in zip(("x1", "x2"), xs, strict=True):
            if x is not None and (x.ndim < 1 or not bool(jnp.all(jnp.isfinite(x)))):
                raise ValueError(f"{name} must be a finite array with a leading batch axis")
        out = _jacobian_ntk(apply_fn, params, xs[0], xs[1], trace_outputs)
        return np.asarray(out, dtype=np.float64)
    checked = _check_params(params, jnp)
    dtype = checked[0]["w"].dtype
    x1 = jnp.asarray(x1, dtype=dtype)
    x2 = None if x2 is None else jnp.asarray(x2, dtype=dtype)
    out = layerwise_ntk(checked, x1, x2, activation=net.activation, beta=net.beta,
                        multipliers=net.multipliers, trace_outputs=trace_outputs, xp=jnp)
    return np.asarray(out, dtype=np.float64)


# --------------------------------------------------------------------------- kernel gradient


def _as_gram(gram, name: str = "gram") -> np.ndarray:
    k = np.asarray(gram, dtype=float)
    if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] < 1:
        raise ValueError(f"{name} must be a square 2-D array, got shape {k.shape}")
    if not np.all(np.isfinite(k)):
        raise ValueError(f"{name} must be finite")
    scale = max(np.max(np.abs(k)), 1e-300)
    if np.max(np.abs(k - k.T)) > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric")
    return 0.5 * (k + k.T)


def cost_decrease_rate(gram, f, y) -> float:
    """Rate of change of the least-squares cost under kernel gradient descent.

    Parameters
    ----------
    gram : array, shape (N, N)
        The kernel on the training set.
    f, y : array, shape (N,)
        Current function values and targets.

    Returns
    -------
    float
        ``dC/dt = -||d||_K^2 = -d^T K d / N^2`` with ``d = f - y``.

    Notes
    -----
    Section 3 (read in the paper): along ``df/dt = -grad_K C``, with
    ``C(f) = ||f - f*||^2_{p_in} / 2`` and ``grad_K C(x) = (1/N) sum_j K(x, x_j) d(x_j)``,
    the cost decreases at rate ``||d||_K^2``; it strictly decreases while d != 0 on the data
    when K is positive definite.
    """
    k = _as_gram(gram)
    d = np.asarray(f, float) - np.asarray(y, float)
    if d.shape != (k.shape[0],):
        raise ValueError(f"f and y must have shape ({k.shape[0]},), got {d.shape}")
    return float(-(d @ k @ d) / k.shape[0] ** 2)


def numerical_rank(gram, rtol: float = 1e-10) -> int:
    """Number of eigenvalues above ``rtol * max eigenvalue`` of a symmetric Gram matrix.

    Notes
    -----
    Used for Proposition 2 (read in the paper): for a non-polynomial Lipschitz sigma and
    L >= 2, Theta^(L)_inf restricted to the unit sphere is positive definite, so the Gram
    matrix of distinct points has full rank.  For polynomial sigma the kernel is a polynomial
    of bounded degree in x.x' and the rank is the dimension of that polynomial space.
    """
    if not (0 < rtol < 1):
        raise ValueError(f"rtol must lie in (0, 1), got {rtol}")
    ev = scipy.linalg.eigvalsh(_as_gram(gram))
    return int(np.sum(ev > rtol * ev.max()))


def polynomial_kernel_rank(degree: int, depth: int, n0: int) -> int:
    """Rank of Theta^(L)_inf on many points of S^{n0-1} for sigma(z) = z**degree, beta > 0.

    Returns
    -------
    int
        The dimension of the polynomials of degree <= D = degree**(depth-1) restricted to the
        sphere S^{n0-1}: ``C(D+n0-1, n0-1) + C(D+n0-2, n0-1)`` (2D + 1 on the circle).

    Notes
    -----
    Derived (reference note section 3.5; the paper only says that Proposition 2 needs a
    non-polynomial sigma).  On the sphere Theta^(L)_inf is a polynomial in t = x.x' of degree
    D whose coefficients are all positive when beta > 0 (each layer composes polynomials with
    non-negative coefficients and the +beta^2 shift fills in every power), so its Gram matrix
    on N points in general position has rank min(N, dim of that polynomial space).  For
    sigma(z) = z this is n0 + 1 at every depth; for z**2 on the circle 2**L + 1.
    """
    for name, v, lo in (("degree", degree, 1), ("depth", depth, 1), ("n0", n0, 1)):
        if isinstance(v, bool) or int(v) != v or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    d = int(degree) ** (int(depth) - 1)
    if n0 == 1:
        return 2 if d >= 1 else 1  # the 0-sphere has two points
    return math.comb(d + n0 - 1, n0 - 1) + math.comb(d + n0 - 2, n0 - 1)


# --------------------------------------------------------------------------- function space


def _times(t) -> tuple[np.ndarray, bool]:
    arr = np.asarray(t, dtype=float)
    if arr.ndim > 1 or np.any(arr < 0) or np.any(np.isnan(arr)):
        raise ValueError(f"t must be a time >= 0 (scalar or 1-D array, inf allowed), got {t!r}")
    return np.atleast_1d(arr), arr.ndim == 0


def _flow_weights(ev: np.ndarray, t: np.ndarray, n: int) -> np.ndarray:
    """(1 - exp(-t lambda/N)) / lambda for each t (rows) and eigenvalue (columns)."""
    lam = np.maximum(ev, 0.0)
    out = np.empty((t.size, lam.size))
    for i, ti in enumerate(t):
        if np.isinf(ti):
            with np.errstate(divide="ignore"):
                out[i] = np.where(lam > 0, 1.0 / np.where(lam > 0, lam, 1.0), np.inf)
        else:
            small = lam * ti / n < 1e-12
            out[i] = np.where(small, ti / n,
                              -np.expm1(-ti * lam / n) / np.where(small, 1.0, lam))
    return out


def gradient_flow_mse(gram, y, f0, t, *, k_test_train=None, f0_test=None):
    """Least-squares kernel gradient flow in closed form (Section 5).

    Parameters
    ----------
    gram : array, shape (N, N)
        Kernel on the training inputs (e.g. Theta_inf or an empirical NTK), PSD.
    y : array, shape (N,) or (N, n_L)
        Targets f*(X).
    f0 : array, same shape as y
        Function values at t = 0 on the training inputs.
    t : float or 1-D array
        Times (paper time = learning rate x steps); ``np.inf`` allowed when gram is PD.
    k_test_train : array, shape (M, N), optional
        Kernel between test and training inputs.
    f0_test : array, shape (M,) or (M, n_L), optional
        Function values at t = 0 on the test inputs (required with ``k_test_train``).

    Returns
    -------
    f_train : ndarray, shape (T, N[, n_L]) (no leading axis for scalar t)
        ``f_t(X) = y + exp(-t K/N)(f0 - y)``.
    f_test : ndarray, shape (T, M[, n_L])
        Only when ``k_test_train`` is given:
        ``f_t(x) = f0(x) + K(x, X) K^{-1}(I - exp(-t K/N))(y - f0(X))``.

    Notes
    -----
    Section 5 (read in the paper): for ``C = ||f - f*||^2_{p_in}/2`` the kernel gradient flow
    is the linear ODE ``df/dt = (1/N) K (f* - f)``, solved by ``f_t = f* + e^{-t Pi}(f0 - f*)``.
    The outputs are independent (kernel ``K (x) Id``), so each column of y flows alone.  One
    eigendecomposition ``K = V diag(lambda) V^T`` serves every t; the factor
    ``(1 - e^{-t lambda/N})/lambda`` is evaluated with expm1, so singular K is fine at finite t.
    neural-tangents' ``predict.gradient_descent_mse`` divides by ``y.size = N n_L`` instead of
    N (reference note, pitfall 5).
    """
    k = _as_gram(gram)
    n = k.shape[0]
    y, f0 = np.asarray(y, float), np.asarray(f0, float)
    if y.shape[0] != n or y.shape != f0.shape or y.ndim > 2:
        raise ValueError(f"y and f0 must have the same shape (N,) or (N, n_L) with N = {n}, "
                         f"got {y.shape} and {f0.shape}")
    ts, scalar = _times(t)
    ev, vec = scipy.linalg.eigh(k)
    if np.any(np.isinf(ts)) and ev.min() <= 0:
        raise ValueError("t = inf needs a positive-definite gram")
    r0 = vec.T @ (f0 - y)  # residual in the eigenbasis
    decay = np.exp(-np.outer(ts, np.maximum(ev, 0.0)) / n)  # (T, N)
    extra = (None,) * (y.ndim - 1)
    f_train = y[None] + np.einsum("ij,tj...->ti...", vec, decay[(...,) + extra] * r0[None])
    if scalar:
        f_train = f_train[0]
    if k_test_train is None:
        return f_train
    kx = np.asarray(k_test_train, float)
    if kx.ndim != 2 or kx.shape[1] != n:
        raise ValueError(f"k_test_train must have shape (M, {n}), got {kx.shape}")
    if f0_test is None:
        raise ValueError("f0_test is required with k_test_train")
    f0x = np.asarray(f0_test, float)
    if f0x.shape != (kx.shape[0],) + y.shape[1:]:
        raise ValueError(f"f0_test must have shape {(kx.shape[0],) + y.shape[1:]}, "
                         f"got {f0x.shape}")
    w = _flow_weights(ev, ts, n)  # (T, N)
    kv = kx @ vec
    f_test = f0x[None] - np.einsum("mj,tj...->tm...", kv, w[(...,) + extra] * r0[None])
    if scalar:
        f_test = f_test[0]
    return f_train, f_test


def ntk_gp_prediction(x_train, y_train, x_test, *, depth: int, activation: str = "relu",
                      beta: float = 0.1, t: float = np.inf):
    """Mean and covariance of the infinitely wide network trained by gradient flow.

    Parameters
    ----------
    x_train : array, shape (N, n0)
    y_train : array, shape (N,)
    x_test : array, shape (M, n0)
    depth, activation, beta
        As in :func:`limiting_kernels`.
    t : float
        Training time (``np.inf`` for convergence); needs a PD Theta on x_train when inf.

    Returns
    -------
    mean : ndarray, shape (M,)
    cov : ndarray, shape (M, M)

    Notes
    -----
    Section 5: with ``f_0 ~ GP(0, Sigma^(L))`` (Proposition 1) and the NTK fixed at
    Theta_inf (Theorem 2), ``f_t(x) = f_0(x) + A_t(x) (y - f_0(X))`` with
    ``A_t = Theta(x, X) Theta^{-1} (I - e^{-t Theta/N})`` is Gaussian with mean ``A_t y`` and
    covariance ``Sigma(x, x') - A_t Sigma(X, x') - Sigma(x, X) A_t^T + A_t Sigma(X, X) A_t^T``.
    The paper states the t -> inf mean (GP posterior mean of the prior N(0, Theta_inf)); the
    covariance is derived (reference note section 3.6) and agrees with neural-tangents'
    ``gradient_descent_mse_ensemble(get='ntk', compute_cov=True)``.  Its variance vanishes on
    the training points at t = inf (Fig. 2's band pinches there).
    """
    xt = _as_inputs(x_train, "x_train")
    xs = _as_inputs(x_test, "x_test")
    y = np.asarray(y_train, float)
    if y.shape != (xt.shape[0],):
        raise ValueError(f"y_train must have shape ({xt.shape[0]},), got {y.shape}")
    if not (np.ndim(t) == 0 and t >= 0):
        raise ValueError(f"t must be a scalar >= 0 (inf allowed), got {t!r}")
    n = xt.shape[0]
    both = np.concatenate([xt, xs])
    nngp, ntk = limiting_kernels(both, depth=depth, activation=activation, beta=beta)
    th_xx, th_sx = ntk[:n, :n], ntk[n:, :n]
    sg_xx, sg_sx, sg_ss = nngp[:n, :n], nngp[n:, :n], nngp[n:, n:]
    ev, vec = scipy.linalg.eigh(th_xx)
    if np.isinf(t) and ev.min() <= 1e-14 * ev.max():
        raise ValueError("t = inf needs a positive-definite Theta on x_train")
    w = _flow_weights(ev, np.array([t], float), n)[0]
    a = ((th_sx @ vec) * w) @ vec.T  # A_t, shape (M, N)
    mean = a @ y
    cross = a @ sg_sx.T
    cov = sg_ss - cross - cross.T + a @ sg_xx @ a.T
    return mean, 0.5 * (cov + cov.T)


def kernel_pca(gram):
    """Uncentred kernel principal components of the operator Pi (Section 5).

    Parameters
    ----------
    gram : array, shape (N, N)
        PSD kernel Gram matrix on the data set (the empirical distribution p_in).

    Returns
    -------
    eigenvalues : ndarray, shape (N,)
        ``eig(K)/N`` in decreasing order: the rates lambda_i of Pi.
    eigenfunctions : ndarray, shape (N, N)
        Column i holds ``f^(i)(x_j) = sqrt(N) v_ij``, so that ``||f^(i)||_{p_in} = 1``.

    Notes
    -----
    Section 5 (read in the paper): Pi(f)(x) = (1/N) sum_i K(x, x_i) f(x_i) has eigenvalues
    eig(K)/N with the kernel principal components as eigenfunctions, and gradient flow shrinks
    the component of f_0 - f* along f^(i) like e^{-t lambda_i}.  The PCA is uncentred (f^(1)
    is nearly constant).  The sign of each column is fixed so its largest entry is positive.
    """
    k = _as_gram(gram)
    n = k.shape[0]
    ev, vec = scipy.linalg.eigh(k)
    order = np.argsort(ev)[::-1]
    ev, vec = ev[order] / n, vec[:, order]
    flip = np.sign(vec[np.argmax(np.abs(vec), axis=0), np.arange(n)])
    return ev, vec * np.where(flip == 0, 1.0, flip) * math.sqrt(n)


def pc_coefficients(f_values, eigenfunctions):
    """Coefficients ``<f, f^(i)>_{p_in} = (1/N) sum_j f(x_j) f^(i)(x_j)`` (last axis = data)."""
    e = np.asarray(eigenfunctions, float)
    f = np.asarray(f_values, float)
    if f.shape[-1] != e.shape[0]:
        raise ValueError(f"f_values must end with the data axis of length {e.shape[0]}, "
                         f"got shape {f.shape}")
    return f @ e / e.shape[0]


# --------------------------------------------------------------------------- Remark 1


def standard_learning_rates(widths: Sequence[int], lr: float, beta: float):
    """Per-layer learning rates under which standard-parametrized GD equals NTK-param GD.

    Parameters
    ----------
    widths : sequence of int
        ``(n_0, ..., n_L)``.
    lr : float
        Learning rate eta of the NTK-parametrized network.
    beta : float
        Bias scale of the NTK parametrization.

    Returns
    -------
    list of (float, float)
        ``(lr of W^(l), lr of b^(l))`` = ``(eta / n_l, eta beta^2)`` for l = 0..L-1.

    Notes
    -----
    Remark 1 (read in the paper; the exact per-layer rates are derived in the reference
    note, check C13): the map ``W_std = W / sqrt(n_l)``, ``b_std = beta b`` turns NTK-param GD
    with rate eta into standard-param GD with rate eta/n_l on the weights and eta beta^2 on
    the biases.  With n = 100, eta = 1 and beta = 0.1 both are 0.01.
    """
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    _check_depth_beta(1, beta)
    ws = [int(w) for w in widths]
    if len(ws) < 2 or min(ws) < 1:
        raise ValueError(f"widths must hold >= 2 positive integers, got {widths!r}")
    return [(lr / n, lr * beta**2) for n in ws[:-1]]
