"""Trained-network experiments of the neural-collapse module (papers/neural_collapse.md Sec. 4).

* ``neural_collapse_layerwise``: Fig. 2 analogue. An MLP is grown one hidden layer at a time
  on scikit-learn's 8x8 digits; each new layer (ReLU, bias) gets a new bias-free linear head
  and is trained with MSE and weight decay on top of the frozen earlier layers. NC1 and NC1~
  of the deepest features are recorded after each layer.
* ``neural_collapse_weight_decay``: Fig. 3 analogue on a CPU proxy. A ReLU MLP (biases) with a
  bias-free linear head, MSE, SGD with momentum, is trained to zero training error on a
  Gaussian mixture under five weight-decay settings (baseline, x2 on the head, x2 on the
  feature layers, 0 on the head, 0 on the feature layers); NC1 and NC2 of the last hidden
  features are recorded.

The paper's runs (CIFAR-10, ResNet18, Appendix E) are not reproduced: no download is
possible and the appendix could not be read. All sizes and optimisers here are our choices.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

from sims import runner, train
from theory import neural_collapse as T


def digits_balanced(n_per_class: int, seed: int):
    """Balanced subset of sklearn's digits: (X (N, 64) in [0, 1], labels class-major)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    idx = []
    for k in range(10):
        pool = np.flatnonzero(y == k)
        if n_per_class > pool.size:
            raise ValueError(f"n_per_class must be <= {pool.size} for digit {k}")
        idx.append(rng.choice(pool, n_per_class, replace=False))
    idx = np.concatenate(idx)
    return X[idx] / 16.0, y[idx]


def _metrics(feats: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    H = np.asarray(feats, dtype=np.float64).T
    return (T.nc1(H, labels), T.nc1_tilde(H, labels), T.nc2(T.class_means(H, labels)))


# --------------------------------------------------------------------------- Fig. 2


@dataclass(frozen=True)
class LayerwiseConfig(runner.SimConfig):
    n_per_class: int = 30
    width: int = 64
    layers: int = 4
    steps: int = 200
    lr: float = 1e-2
    weight_decay: float = 5e-4

    @classmethod
    def full(cls):
        return cls(n_per_class=174, layers=10, steps=3000)


@runner.register("neural_collapse_layerwise", paper="neural_collapse", config=LayerwiseConfig)
def run_layerwise(config: LayerwiseConfig) -> dict:
    """Layer-wise training on digits: NC1, NC1~, NC2 of the deepest features per depth."""
    X, labels = digits_balanced(config.n_per_class, config.seed)
    K = 10
    Y = jnp.asarray(np.eye(K)[labels])
    wd = config.weight_decay

    def loss(params, batch):
        feats, y = batch
        h = jax.nn.relu(feats @ params["w"] + params["b"])
        fit = 0.5 * jnp.mean(jnp.sum((h @ params["v"] - y) ** 2, axis=-1))
        return fit + 0.5 * wd * sum(jnp.sum(p**2) for p in jax.tree_util.tree_leaves(params))

    opt = optax.adam(config.lr)

    @jax.jit
    def fit_layer(params, feats):
        res = train.train(loss, params, opt, steps=config.steps, data=(feats, Y))
        h = jax.nn.relu(feats @ res.params["w"] + res.params["b"])
        acc = jnp.mean(jnp.argmax(h @ res.params["v"], axis=1) == jnp.argmax(Y, axis=1))
        return h, acc, res.losses[-1]

    key = jax.random.PRNGKey(config.seed)
    feats = jnp.asarray(X, dtype=jnp.float32)
    rows = [(*_metrics(np.asarray(feats), labels), np.nan, np.nan)]
    for layer in range(config.layers):
        k1, k2 = jax.random.split(jax.random.fold_in(key, layer))
        p = feats.shape[1]
        params = {"w": jax.random.normal(k1, (p, config.width)) * jnp.sqrt(2.0 / p),
                  "b": jnp.zeros(config.width),
                  "v": jax.random.normal(k2, (config.width, K)) / jnp.sqrt(config.width)}
        feats, acc, last = fit_layer(params, feats)
        rows.append((*_metrics(np.asarray(feats), labels), float(acc), float(last)))
    rows = np.array(rows)
    return {"depth": np.arange(config.layers + 1), "nc1": rows[:, 0], "nc1_tilde": rows[:, 1],
            "nc2": rows[:, 2], "train_acc": rows[:, 3], "final_loss": rows[:, 4]}


# --------------------------------------------------------------------------- Fig. 3

WD_SETTINGS = ("baseline", "fc_x2", "feat_x2", "fc_0", "feat_0")
_WD_FACTORS = {"baseline": (1.0, 1.0), "fc_x2": (1.0, 2.0), "feat_x2": (2.0, 1.0),
               "fc_0": (1.0, 0.0), "feat_0": (0.0, 1.0)}  # (feature layers, head)


@dataclass(frozen=True)
class WeightDecayConfig(runner.SimConfig):
    K: int = 4
    n: int = 40
    p: int = 20
    width: int = 32
    hidden: int = 3
    steps: int = 1000
    lr: float = 0.02
    momentum: float = 0.9
    weight_decay: float = 5e-4
    seeds: tuple[int, ...] = (0, 1, 2)

    @classmethod
    def full(cls):
        # the note's CPU proxy (K=4, n=150, p=20, width 128, lr 0.01, 6000 steps), 4 seeds
        return cls(n=150, width=128, steps=6000, lr=0.01, seeds=(0, 1, 2, 3))


def _mixture(K, n, p, seed):
    rng = np.random.default_rng([seed, 7])
    labels = T.class_major_labels(K, n)
    X = rng.normal(size=(K, p))[labels] + rng.normal(size=(K * n, p))
    return X.astype(np.float32), labels


@runner.register("neural_collapse_weight_decay", paper="neural_collapse",
                 config=WeightDecayConfig)
def run_weight_decay(config: WeightDecayConfig) -> dict:
    """Five weight-decay settings x seeds, all trained in one vmapped scan: NC1, NC1~, NC2 of
    the last hidden features and the training accuracy; arrays are (seed, setting)."""
    K, width, S = config.K, config.width, len(WD_SETTINGS)
    widths = (config.p,) + (width,) * config.hidden
    data = [_mixture(K, config.n, config.p, seed) for seed in config.seeds]
    labels = data[0][1]
    Xs = jnp.asarray(np.repeat(np.stack([x for x, _ in data]), S, axis=0))
    Y = jnp.asarray(np.eye(K)[labels], dtype=jnp.float32)
    keys = jnp.repeat(jnp.stack([jax.random.PRNGKey(s) for s in config.seeds]), S, axis=0)
    factors = jnp.tile(jnp.asarray([_WD_FACTORS[s] for s in WD_SETTINGS], jnp.float32),
                       (len(config.seeds), 1))
    opt = optax.sgd(config.lr, momentum=config.momentum)

    def init(key):
        ks = jax.random.split(key, len(widths))
        feat = [{"w": jax.random.normal(ks[i], (widths[i], widths[i + 1]))
                 * jnp.sqrt(2.0 / widths[i]), "b": jnp.zeros(widths[i + 1])}
                for i in range(len(widths) - 1)]
        return {"feat": feat, "head": jax.random.normal(ks[-1], (width, K)) / jnp.sqrt(width)}

    def features(params, x):
        for layer in params["feat"]:
            x = jax.nn.relu(x @ layer["w"] + layer["b"])
        return x

    def fit_one(f, X, key):
        def loss(params):
            pred = features(params, X) @ params["head"]
            fit = 0.5 * jnp.mean(jnp.sum((pred - Y) ** 2, axis=-1))
            feat_sq = sum(jnp.sum(q**2) for q in jax.tree_util.tree_leaves(params["feat"]))
            return fit + 0.5 * config.weight_decay * (f[0] * feat_sq
                                                      + f[1] * jnp.sum(params["head"] ** 2))

        res = train.train(loss, init(key), opt, steps=config.steps)
        h = features(res.params, X)
        acc = jnp.mean(jnp.argmax(h @ res.params["head"], axis=1) == jnp.argmax(Y, axis=1))
        return h, acc

    feats, acc = jax.jit(jax.vmap(fit_one))(factors, Xs, keys)
    feats = np.asarray(feats)
    rows = np.array([_metrics(h, labels) for h in feats]).reshape(len(config.seeds), S, 3)
    return {"seed": np.array(config.seeds), "nc1": rows[..., 0], "nc1_tilde": rows[..., 1],
            "nc2": rows[..., 2], "train_acc": np.asarray(acc).reshape(len(config.seeds), S)}


if __name__ == "__main__":
    runner.main("neural_collapse_layerwise")
