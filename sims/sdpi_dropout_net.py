"""A dropout network trained by gradient descent, with the refined SDPI bound evaluated on it.

Data: Y ~ Unif{+-1}, X | Y ~ N(Y mu, I_2).  Network (no biases, odd):
T_j = tanh(W_j (M_j * T_{j-1}))
for the hidden layers and f = v^T (M_L * T_{L-1}) at the read-out, every layer with input
dropout (drop probability p, fresh masks per sample and step, **kept at test time**: the same
stochastic network for train and test, note Sec. 7).  R independent runs (datasets, inits and
masks from ``(seed, run)``) are trained in parallel (``jax.vmap``) by full-batch gradient
descent on the logistic loss; the weights are then rounded to a grid of ``levels`` values in
[-clip, clip], so the learned parameter lives in a finite set: log|W| = #weights log(levels).

Why the refined bound can be evaluated here: the network is odd and the data symmetric, so the
algorithm sees Z_i only through Y_i X_i, which is independent of Y_i; hence I(W; Y_i) = 0 and
the refined cap (note R5) is prod_j eta_j I(W; Z_i), with eta_j <= 1 - p^{d_{j-1}} for every w
(the all-dropped mask argument).  With sum_i I(W; Z_i) <= H(W) <= log|W| and Jensen:

    E[L_P(W) - L_S(W)] <= sqrt(prod_j eta_j log|W| / (2 n))          (0-1 loss, sigma = 1/2)

against the unrefined sqrt(log|W| / (2 n)).  The sim returns the measured 0-1 gap of every run
(masks averaged by Monte Carlo on the n training points and on fresh test points), both bounds
and, for run 0, the SDPI coefficients of the trained layers computed numerically on the finite
set of inputs each layer actually receives (first training points through all masks).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    runs: int = 8
    chunk: int = 8
    n: int = 1000
    width: int = 2  # input dimension and every hidden width
    hidden_layers: int = 3
    p: float = 0.3
    mu: tuple[float, ...] = (1.0, 0.5)
    steps: int = 200
    lr: float = 0.5
    levels: int = 17
    clip: float = 2.0
    mask_draws: int = 16
    n_test: int = 10_000
    test_draws: int = 4
    eta_points: int = 3

    @classmethod
    def full(cls):
        return cls(runs=128, chunk=16, steps=400, n_test=50_000, mask_draws=32)


def _forward(ws, v, x, masks):
    """Output of the stochastic network; ``masks[..., j, :]`` is layer j's input mask."""
    import jax.numpy as jnp

    h = x
    for j, w in enumerate(ws):
        h = jnp.tanh((h * masks[..., j, :]) @ w.T)
    return (h * masks[..., len(ws), :]) @ v


def train_run(params, x, y, masks, lr: float):
    """Full-batch gradient descent on the logistic loss with the given per-step dropout masks
    (``masks``: steps x n x (L + 1) x width); returns the trained (hidden weights, read-out)."""
    import jax
    import jax.numpy as jnp

    def loss(prm, m):
        return jnp.mean(jax.nn.softplus(-y * _forward(prm[0], prm[1], x, m)))

    def step(prm, m):
        g = jax.grad(loss)(prm, m)
        return jax.tree_util.tree_map(lambda a, b: a - lr * b, prm, g), None

    return jax.lax.scan(step, params, masks)[0]


def quantize(tree, levels: int, clip: float):
    """Round every weight to the grid of ``levels`` values in [-clip, clip]."""
    import jax
    import jax.numpy as jnp

    delta = 2.0 * clip / (levels - 1)
    return jax.tree_util.tree_map(lambda a: jnp.clip(jnp.round(a / delta) * delta, -clip, clip),
                                  tree)


def error_rate(ws, v, x, y, masks):
    """0-1 error averaged over the mask draws ``masks`` (draws x n x (L + 1) x width);
    an output of exactly 0 counts as an error."""
    import jax
    import jax.numpy as jnp

    return jnp.mean(jax.vmap(lambda m: jnp.mean(y * _forward(ws, v, x, m) <= 0))(masks))


def _draw(rng, config: Config, n: int):
    y = rng.choice([-1.0, 1.0], size=n)
    return y[:, None] * np.asarray(config.mu) + rng.normal(size=(n, len(config.mu))), y


def _run_inputs(config: Config, run: int) -> dict:
    """Data, initial weights and every dropout mask of one run, from (seed, run)."""
    rng = np.random.default_rng([config.seed, run])
    w, L, keep = config.width, config.hidden_layers, 1.0 - config.p
    x, y = _draw(rng, config, config.n)
    xt, yt = _draw(rng, config, config.n_test)
    ws = [rng.normal(size=(w, w)) / math.sqrt(w) for _ in range(L)]
    v = rng.normal(size=w) / math.sqrt(w)
    shape = (L + 1, w)
    return {"x": x, "y": y, "xt": xt, "yt": yt, "ws": ws, "v": v,
            "m_train": rng.random((config.steps, config.n, *shape)) < keep,
            "m_emp": rng.random((config.mask_draws, config.n, *shape)) < keep,
            "m_pop": rng.random((config.test_draws, config.n_test, *shape)) < keep}


def layer_etas(ws, v, x, p: float, max_inputs: int = 48) -> np.ndarray:
    """Numerical SDPI coefficients of the trained layers on the inputs they actually receive.

    Layer j's input set: every value T_{j-1} takes for the given points under all masks (at
    most ``max_inputs`` of them, to keep the pairwise TV table small).  The
    Dobrushin coefficient is the largest row-pair TV; the KL coefficient is bracketed between
    the two-point sup over priors at that pair and the Dobrushin value (returned: both).
    """
    from theory import sdpi as S

    inputs = np.asarray(x, float)
    lo, hi = [], []
    layers = [(np.asarray(w, float), "tanh") for w in ws] + [(np.asarray(v, float)[None, :],
                                                             "identity")]
    for w, act in layers:
        K = S.dropout_channel(inputs, p, w, activation=act)
        tv = 0.5 * np.abs(K[:, None, :] - K[None, :, :]).sum(-1)
        i, j = np.unravel_index(np.argmax(tv), tv.shape)
        hi.append(tv[i, j])
        lo.append(S.eta_kl(K[[i, j]]))
        masks = np.array(list(itertools.product((0.0, 1.0), repeat=inputs.shape[1])))
        nxt = np.tanh(np.einsum("mi,ki,oi->mko", inputs, masks, w)).reshape(-1, w.shape[0])
        inputs = np.unique(np.round(nxt, 12), axis=0)[:max_inputs]
    return np.array([lo, hi])


@runner.register("sdpi_dropout_net", paper="sdpi", config=Config)
def run(config: Config) -> dict:
    """Dropout MLPs trained by GD: measured 0-1 gap vs the refined SDPI bound (finite W)."""
    import jax

    from sims import nets
    from theory import sdpi as S

    if len(config.mu) != config.width:
        raise ValueError(f"mu must have width = {config.width} entries, got {config.mu}")

    def one(inp):
        ws, v = quantize(train_run((inp["ws"], inp["v"]), inp["x"], inp["y"],
                                   inp["m_train"].astype(float), config.lr),
                         config.levels, config.clip)
        tr = error_rate(ws, v, inp["x"], inp["y"], inp["m_emp"].astype(float))
        te = error_rate(ws, v, inp["xt"], inp["yt"], inp["m_pop"].astype(float))
        return tr, te, ws, v

    tr, te, trained = [], [], None
    with nets.float64():
        fn = jax.jit(jax.vmap(one))
        for start in range(0, config.runs, config.chunk):
            batch = [_run_inputs(config, r)
                     for r in range(start, min(start + config.chunk, config.runs))]
            stacked = jax.tree_util.tree_map(lambda *a: np.stack(a), *batch)
            a, b, ws, v = fn(stacked)
            tr.append(np.asarray(a))
            te.append(np.asarray(b))
            if trained is None:
                trained = ([np.asarray(w[0]) for w in ws], np.asarray(v[0]), batch[0]["x"])
    tr, te = np.concatenate(tr), np.concatenate(te)
    widths = [config.width] * (config.hidden_layers + 1)  # d_in of each dropout layer
    n_weights = config.width**2 * config.hidden_layers + config.width
    log_card = n_weights * math.log(config.levels)
    prod_eta = float(np.prod([S.dropout_sdpi(config.p, d) for d in widths]))
    etas = layer_etas(trained[0], trained[1], trained[2][:config.eta_points], config.p)
    gap = te - tr
    return {"train_err": tr, "test_err": te, "gap": gap, "gap_mean": gap.mean(),
            "gap_se": gap.std(ddof=1) / math.sqrt(config.runs),
            "bound_plain": S.finite_class_bound(log_card, config.n, 0.5),
            "bound_refined": S.finite_class_bound(prod_eta * log_card, config.n, 0.5),
            "prod_eta": prod_eta, "log_card": log_card,
            "eta_closed": np.array([S.dropout_sdpi(config.p, d) for d in widths]),
            "eta_kl_lower": etas[0], "eta_tv": etas[1]}


if __name__ == "__main__":
    runner.main("sdpi_dropout_net")
